"""The bench inputs: the articles of ``../shared/news/`` (else the seed corpus) and their sentences."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from train.benchmark.paths import ROOT, SEED
from train.folders import walk_files


def load_documents(news: Path | None, max_docs: int | None = None) -> tuple[list[tuple[str, str]], str]:
    """``(id, text)`` of every ``.txt`` under ``news`` (sorted), else the seed corpus articles."""
    if news is not None and news.is_dir():
        walk = walk_files(news, ".txt")  # linked sub-folders too, each real folder once
        files = walk.files
        if files:
            docs = [(str(f.relative_to(news)), f.read_text(encoding="utf-8")) for f in files]
            return docs[:max_docs] if max_docs else docs, f"{news} ({', '.join([f'{len(files)} .txt files', *walk.notes()])})"
    docs = []
    with SEED.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                docs.append((str(d["id"]), d["text"]))
    return docs[:max_docs] if max_docs else docs, f"{SEED.relative_to(ROOT)} (seed corpus)"


def sentences_of(docs: Sequence[tuple[str, str]]) -> list[tuple[int, int, int]]:
    """``(doc index, start, end)`` of every sentence, by the project's splitter."""
    from train.corpus.sentences import split_sentences

    return [(k, s.start, s.end) for k, (_, text) in enumerate(docs) for s in split_sentences(text)]


def limit_documents(docs: list[tuple[str, str]], max_sentences: int | None) -> list[tuple[str, str]]:
    """Whole documents, in order, until ``max_sentences`` sentences are reached."""
    if not max_sentences:
        return docs
    from train.corpus.sentences import split_sentences

    out, n = [], 0
    for d in docs:
        if n >= max_sentences:
            break
        out.append(d)
        n += len(split_sentences(d[1]))
    return out


def clean_sentences(docs: Sequence[tuple[str, str]], sents: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Sentences without diacritics or tatweel, where the pipeline's word heuristic is exact."""
    from train.corpus.text import DIACRITICS_RE

    return [(k, a, b) for k, a, b in sents if not DIACRITICS_RE.search(docs[k][1][a:b])]
