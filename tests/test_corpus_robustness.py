"""Corpus input that scrapers and tools really produce: BOMs, format characters, empty input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from train.corpus.document import read_jsonl
from train.corpus.sentences import split_sentences
from train.corpus.text import word_spans

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts/corpus.py"), *args], capture_output=True, text=True)


def test_not_json_and_not_object_name_file_and_line_without_traceback(tmp_path):
    p = tmp_path / "broken.jsonl"
    p.write_text('{"id": "a", "text": "نص"}\n{"id": "b", "text": \n42\n', encoding="utf-8")
    r = _cli("validate", str(p))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "broken.jsonl:2: not valid JSON" in r.stderr
    assert "broken.jsonl:3: expected a JSON object, got int" in r.stderr


def test_file_bom_and_format_characters_keep_offsets_exact(tmp_path):
    text = "\ufeffزار\u200b حفتر\u200f موسكو\u202b اليوم\x00 و\u2066روسيا\u2069."
    start = text.index("حفتر")
    gpe = text.index("روسيا")
    rec = {"id": "x", "text": text, "entities": [{"start": start, "end": start + 4, "label": "PERS"},
                                                {"start": gpe, "end": gpe + 5, "label": "GPE"}]}
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n")
    docs, problems = read_jsonl(p)
    # NUL is not text: said, as a warning (issue 26), and kept, offsets unchanged.
    assert [(x.level, x.field) for x in problems] == [("warning", "text")] and "NUL character(s)" in problems[0].message
    assert docs[0].text == text
    assert [docs[0].text[s.start:s.end] for s in docs[0].entities] == ["حفتر", "روسيا"]
    # Format characters separate words; they never become part of one.
    assert "حفتر" in [text[a:b] for a, b in word_spans(text)]
    for s in split_sentences(text):
        assert text[s.start:s.end].strip() == text[s.start:s.end]


def test_empty_file_is_handled_and_said(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_text("", encoding="utf-8")
    docs, problems = read_jsonl(p)
    assert docs == [] and [str(x) for x in problems] == [f"{p}: [warning] the file holds no documents"]
    r = _cli("validate", str(p))
    assert r.returncode == 0 and "holds no documents" in r.stderr


def test_empty_and_blank_documents_are_handled_and_said(tmp_path):
    p = tmp_path / "blank.jsonl"
    p.write_text(json.dumps({"id": "e", "text": ""}) + "\n" + json.dumps({"id": "w", "text": " \n\t "}) + "\n", encoding="utf-8")
    docs, problems = read_jsonl(p)
    assert [d.id for d in docs] == ["e", "w"]
    msgs = [str(x) for x in problems]
    assert f"{p}:1: [warning] text: document 'e' is empty" in msgs
    assert f"{p}:2: [warning] text: document 'w' is only white space" in msgs
    assert split_sentences(docs[1].text) == []
