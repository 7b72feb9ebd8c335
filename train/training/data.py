"""The documents of one training split, in any format training reads, limited to N sentences."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from train.corpus.document import CorpusError, Document, Span
from train.corpus.schema import load_schema
from train.features.alignment import document_sentences

log = logging.getLogger(__name__)


def limit_sentences(docs: Sequence[Document], n: int | None) -> list[Document]:
    """The first ``n`` sentences of the corpus (whole documents, the last one cut short)."""
    if n is None:
        return list(docs)
    out: list[Document] = []
    left = n
    for d in docs:
        if left <= 0:
            break
        sents = document_sentences(d)
        if len(sents) > left:
            d = replace(d, sentences=sents[:left])
        out.append(d)
        left -= len(sents)
    return out


def load_docs(data_args, path: str | Path, types: Sequence[str], max_sentences: int | None = None) -> list[Document]:
    """Documents of one split: corpus JSONL (validated), CoNLL/IOB2 through ``train.formats.conll``, or GSR CSV.

    The format is ``data_format``, except that a folder or a ``.csv`` file is read as the GSR
    (:mod:`train.formats.gsr`), a ``*_spans.json`` file (and, for the ``roles`` task, a folder) as
    its event spans (:mod:`train.formats.gsr_spans`), and a ``FORMAT:PATH`` names its own.
    """
    from train.training.config import path_format

    fmt, path = path_format(str(path), data_args.data_format, data_args.task)
    span_kind = data_args.span_kind
    if fmt == "gsr_spans":
        from train.formats.gsr_spans import read as read_spans

        docs, report = read_spans(path, schema=load_schema(data_args.schema_path), label_map=data_args.label_map)
        if report.errors:
            raise CorpusError(report.problems)
        log.info("%s", report.summary().splitlines()[0])
    elif fmt == "gsr":
        from train.formats.gsr import read as read_gsr

        docs, report = read_gsr(path, schema=load_schema(data_args.schema_path), label_map=data_args.label_map,
                                keep_ambiguous=getattr(data_args, "keep_ambiguous", False))
        if report.errors:
            raise CorpusError(report.problems)
        log.info("%s", report.summary())
    elif fmt == "conll":
        from train.formats.conll import read_conll

        docs = read_conll(
            path,
            layer=data_args.conll_layer,
            label_map=data_args.label_map,
            labels=list(types),
            sentences_per_doc=data_args.conll_sentences_per_doc,
        )
        if span_kind == "events":
            for d in docs:
                d.events, d.entities = d.entities, []
    else:
        from train.corpus.document import read_jsonl

        docs, problems = read_jsonl(path, load_schema(data_args.schema_path),
                                    extend_sentences=getattr(data_args, "extend_sentences", False))
        for p in problems:  # the sentences extend_sentences joined or widened: said, not silent
            if p.level != "error" and getattr(data_args, "extend_sentences", False):
                log.warning("%s", p)
        if data_args.label_map:
            for d in docs:
                spans = [Span(s.start, s.end, data_args.label_map.get(s.label, s.label), s.args) for s in d.spans(span_kind)]
                spans = [s for s in spans if s.label]
                if span_kind == "entities":
                    d.entities = spans
                else:
                    d.events = spans
    return limit_sentences(docs, max_sentences)
