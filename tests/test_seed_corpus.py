"""The hand-annotated seed corpus: valid, rich enough, and byte-identical to its sources."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from train.corpus.document import read_jsonl
from train.corpus.markup import MarkupError, parse_markup
from train.corpus.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
needs_shared = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="../shared/seeds is absent (research-licensed sources are not in the repo)")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT)


def test_seed_validates_and_meets_the_size_targets():
    docs, problems = read_jsonl(SEED)
    assert len(docs) == 5 and not [p for p in problems if p.level == "error"]
    ents = Counter(s.label for d in docs for s in d.entities)
    evs = Counter(s.label for d in docs for s in d.events)
    assert sum(ents.values()) >= 250 and len(ents) >= 8
    assert sum(evs.values()) >= 40 and len(evs) >= 6


def test_seed_sentences_are_the_splitters():
    docs, _ = read_jsonl(SEED)
    for d in docs:
        assert d.sentences == [(s.start, s.end) for s in split_sentences(d.text)]


def test_validate_and_stats_cli():
    r = _run("scripts/corpus.py", "validate", "data/seed.jsonl")
    assert r.returncode == 0, r.stderr
    r = _run("scripts/corpus.py", "stats", "data/seed.jsonl")
    assert r.returncode == 0 and "| documents | 5 |" in r.stdout and "| PERS |" in r.stdout


def test_show_marks_spans_inline():
    doc = read_jsonl(SEED)[0][0]
    r = _run("scripts/corpus.py", "show", "data/seed.jsonl", "--id", doc.id)
    assert r.returncode == 0
    first = doc.entities[0]
    assert f"[{doc.text[first.start:first.end]}]{first.label}" in r.stdout


@needs_shared
def test_each_text_equals_its_seed_file_byte_for_byte():
    docs, _ = read_jsonl(SEED)
    assert sorted(d.id for d in docs) == sorted(p.stem for p in SEEDS_DIR.glob("*.txt"))
    for d in docs:
        assert d.text.encode("utf-8") == (SEEDS_DIR / f"{d.id}.txt").read_bytes()


@needs_shared
def test_corpus_is_rebuilt_exactly_from_the_markup(tmp_path):
    out = tmp_path / "seed.jsonl"
    r = _run("scripts/build_corpus.py", "--sources", str(SEEDS_DIR), "--markup", "data/annotations", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] == \
        [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines()]


def test_markup_gives_offsets_and_rejects_broken_marks():
    m = parse_markup("قال [[OCC|المشير]] [[PERS|خليفة {{CONSULT|حفتر}}]].")
    assert m.text == "قال المشير خليفة حفتر."
    assert [(m.text[s.start:s.end], s.label) for s in m.entities] == [("المشير", "OCC"), ("خليفة حفتر", "PERS")]
    assert [(m.text[s.start:s.end], s.label) for s in m.events] == [("حفتر", "CONSULT")]
    with pytest.raises(MarkupError, match="never closed"):
        parse_markup("[[PERS|حفتر")
    with pytest.raises(MarkupError, match="empty"):
        parse_markup("[[PERS|]]")
