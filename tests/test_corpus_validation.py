"""Validation catches each kind of bad input, naming the file, the line and the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from train.corpus.document import CorpusError, Document, Span, read_jsonl, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
TEXT = "زار المشير خليفة حفتر موسكو، اليوم."  # 'حفتر' at 17..21, 'موسكو' at 22..27


def _doc(**kw) -> dict:
    d = {"id": "d1", "text": TEXT, "meta": {}, "entities": [{"start": 11, "end": 21, "label": "PERS"}], "events": [], "sentences": []}
    d.update(kw)
    return d


def _write(tmp_path: Path, *records: dict | str, name: str = "bad.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return p


def _errors(path: Path) -> str:
    with pytest.raises(CorpusError) as info:
        read_jsonl(path)
    return str(info.value)


def test_good_document_loads(tmp_path):
    docs, problems = read_jsonl(_write(tmp_path, _doc()))
    assert [d.id for d in docs] == ["d1"] and problems == []
    assert TEXT[docs[0].entities[0].start:docs[0].entities[0].end] == "خليفة حفتر"


def test_offsets_out_of_range(tmp_path):
    msg = _errors(_write(tmp_path, _doc(entities=[{"start": 30, "end": 99, "label": "GPE"}])))
    assert "bad.jsonl:1: entities[0].end: offsets [30, 99) are out of range" in msg


def test_span_starting_on_white_space(tmp_path):
    msg = _errors(_write(tmp_path, _doc(entities=[{"start": 10, "end": 21, "label": "PERS"}])))
    assert "bad.jsonl:1: entities[0].start:" in msg and "starts on white space" in msg


def test_span_ending_on_punctuation(tmp_path):
    msg = _errors(_write(tmp_path, _doc(entities=[{"start": 22, "end": 28, "label": "GPE"}])))
    assert "bad.jsonl:1: entities[0].end:" in msg and "ends on '،'" in msg


def test_span_inside_a_word(tmp_path):
    msg = _errors(_write(tmp_path, _doc(entities=[{"start": 23, "end": 27, "label": "GPE"}])))
    assert "entities[0].start: span [23, 27) starts inside the word" in msg


def test_overlapping_spans(tmp_path):
    ents = [{"start": 11, "end": 21, "label": "PERS"}, {"start": 17, "end": 27, "label": "GPE"}]
    msg = _errors(_write(tmp_path, _doc(entities=ents)))
    assert "bad.jsonl:1: entities[1]: span [17, 27) GPE overlaps entities[0] [11, 21) PERS" in msg


def test_overlap_across_lists_is_allowed(tmp_path):
    docs, _ = read_jsonl(_write(tmp_path, _doc(events=[{"start": 0, "end": 3, "label": "CONSULT"}],
                                               entities=[{"start": 0, "end": 3, "label": "PERS"}])))
    assert len(docs[0].events) == 1


def test_unknown_label(tmp_path):
    msg = _errors(_write(tmp_path, _doc(events=[{"start": 0, "end": 3, "label": "VISIT"}])))
    assert "bad.jsonl:1: events[0].label: label 'VISIT' is not in the schema's events" in msg


def test_invalid_utf8_names_byte_offset(tmp_path):
    p = tmp_path / "bad.jsonl"
    good = (json.dumps(_doc(), ensure_ascii=False) + "\n").encode("utf-8")
    p.write_bytes(good + b'{"id": "x", "text": "\xff\xfe"}\n')
    msg = _errors(p)
    assert f"bad.jsonl:2: not valid UTF-8: byte 0xff at byte offset {len(good) + 21}" in msg


def test_duplicate_ids(tmp_path):
    msg = _errors(_write(tmp_path, _doc(), _doc()))
    assert "bad.jsonl:2: id: duplicate id 'd1' (first on line 1)" in msg


def test_every_problem_reported_at_once(tmp_path):
    p = _write(tmp_path, _doc(entities=[{"start": 0, "end": 99, "label": "X"}]), "not json", "[1, 2]", _doc(id="d2", text=5))
    msg = _errors(p)
    for expected in ("bad.jsonl:1: entities[0].label", "bad.jsonl:1: entities[0].end", "bad.jsonl:2: not valid JSON",
                     "bad.jsonl:3: expected a JSON object, got list", "bad.jsonl:4: text: must be a string, got int"):
        assert expected in msg
    assert msg.splitlines()[0] == "5 error(s) in corpus input:"


def test_missing_and_mistyped_fields(tmp_path):
    msg = _errors(_write(tmp_path, {"text": TEXT, "entities": [{"start": "0", "end": 3}]}))
    assert "bad.jsonl:1: id: missing" in msg
    assert "entities[0].start: must be an integer offset, got str '0'" in msg
    assert "entities[0].label: missing or not a string" in msg


def test_write_refuses_invalid_and_leaves_nothing(tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(CorpusError):
        write_jsonl(out, [Document("a", TEXT, entities=[Span(0, 2, "PERS")])])
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_validate_cli_lists_errors_and_exits_nonzero(tmp_path):
    p = _write(tmp_path, _doc(entities=[{"start": 10, "end": 21, "label": "PERS"}]))
    r = subprocess.run([sys.executable, str(ROOT / "scripts/corpus.py"), "validate", str(p)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "bad.jsonl:1: entities[0].start:" in r.stderr and "Traceback" not in r.stderr
