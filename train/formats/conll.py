"""CoNLL / IOB2 for ``convert``: a thin wrapper around :mod:`train.conll` with the schema checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..conll import read_conll, write_conll
from ..corpus import CorpusError, Document, validate_document
from ..schema import Schema
from .common import ImportReport

NAME = "conll"


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None,
         extend_sentences: bool = False, layer: int = 0,
         sentences_per_doc: int | None = 20, doc_per_sentence: bool = False) -> tuple[list[Document], ImportReport]:
    """Spans come from whole tokens, so ``--snap`` has nothing to do; labels go through the schema."""
    report = ImportReport(str(path), NAME)
    if annotator is not None:
        report.notes.append("CoNLL files hold one annotation; --annotator is ignored")
    try:
        docs = read_conll(path, layer=layer, label_map=label_map, schema=schema, report=report,
                          sentences_per_doc=sentences_per_doc, doc_per_sentence=doc_per_sentence)
    except CorpusError as exc:
        report.problems += exc.problems
        return [], report
    for d in docs:
        report.problems += validate_document(d, schema, str(path), d.meta.get("first_line"))
    if report.errors:
        return [], report
    report.documents = len(docs)
    report.spans["entities"] = sum(len(d.entities) for d in docs)
    report.spans["events"] = sum(len(d.events) for d in docs)
    report.notes.append("text rebuilt with single spaces between tokens; offsets refer to it")
    return docs, report


def write(docs: list[Document], path: str | Path, *, schema: Schema | None = None) -> None:
    """Entities only: IOB2 has one tag per token, and event triggers may overlap entities."""
    write_conll(docs, path, kind="entities")
