"""The project's own corpus format (``train.corpus.document``), so ``convert`` can start or end with it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from train.corpus.document import Document, read_jsonl, write_jsonl
from train.corpus.schema import Schema
from train.formats.common import ImportReport, SpanCollector

NAME = "jsonl"


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None,
         extend_sentences: bool = False) -> tuple[list[Document], ImportReport]:
    """Load a corpus file; with a label map or ``--snap``, its spans go through the same checks as imports."""
    report = ImportReport(str(path), NAME)
    if not label_map and not snap:
        docs, problems = read_jsonl(path, schema, strict=False, extend_sentences=extend_sentences)
        report.problems += problems
        if report.errors:
            return [], report
        report.documents = len(docs)
        report.spans["entities"] = sum(len(d.entities) for d in docs)
        report.spans["events"] = sum(len(d.events) for d in docs)
        return docs, report
    # Relabel first, against a permissive reading, then check everything.
    from train.corpus.document import document_from_dict
    from train.formats.common import read_json_lines

    out: list[Document] = []
    for line, obj in read_json_lines(path, report):
        raw = document_from_dict(obj, str(path), line, report.problems)
        if raw is None:
            continue
        col = SpanCollector(report, schema, raw.text, line, raw.id, label_map, snap, extend_sentences=extend_sentences)
        for kind in ("entities", "events"):
            for k, s in enumerate(raw.spans(kind)):
                col.add(s.start, s.end, s.label, f"{kind}[{k}]", args=s.args)
        doc = col.build(raw.meta, raw.sentences)  # stored sentences stay, and are checked
        if doc is not None:
            out.append(doc)
    return out, report


def write(docs: list[Document], path: str | Path, *, schema: Schema | None = None) -> None:
    write_jsonl(path, docs, schema)
