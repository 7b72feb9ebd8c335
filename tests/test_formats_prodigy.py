"""Prodigy db-out: accepted answers only, annotator choice, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.corpus.schema import load_schema
from train.formats import prodigy

FX = Path(__file__).resolve().parent / "fixtures" / "formats"
SCHEMA = load_schema()


def texts(doc):
    return [(doc.text[s.start:s.end], s.label) for s in doc.entities]


def test_reads_accepted_answers_and_counts_the_rest():
    docs, report = prodigy.read(FX / "prodigy.jsonl", schema=SCHEMA)
    assert not report.errors
    assert [d.id for d in docs] == ["p1", "p2"]
    assert texts(docs[0]) == [("قوات الجيش", "ORG"), ("حلب", "GPE")]  # the first annotator's answer
    assert report.skipped["reject answer"] == 1 and report.skipped["ignore answer"] == 1
    assert report.skipped["other annotator's answer"] == 1
    assert "first accepted answer" in report.annotator
    assert all(d.events == [] and d.sentences for d in docs)


def test_annotator_choice():
    docs, report = prodigy.read(FX / "prodigy.jsonl", schema=SCHEMA, annotator="omar")
    assert [texts(d) for d in docs] == [[("حلب", "GPE")]]
    assert report.skipped["input not annotated by omar"] == 1


@pytest.mark.parametrize(
    "record, field, words",
    [
        ({"text": "قال علي", "spans": []}, "answer", "missing"),
        ({"spans": [], "answer": "accept"}, "text", "missing"),
        ({"text": "قال علي", "spans": [{"start": 4, "end": 70, "label": "PERS"}], "answer": "accept"}, "spans[0].end", "outside the text"),
        ({"text": "قال علي", "spans": [{"start": 4, "end": 7, "label": "PERSON"}], "answer": "accept"}, "spans[0].label", "not in the schema"),
        ({"text": "قال علي", "spans": [{"end": 7, "label": "PERS"}], "answer": "accept"}, "spans[0].start", "must be an integer"),
    ],
)
def test_broken_files_name_file_line_and_field(tmp_path, record, field, words):
    p = tmp_path / "broken.jsonl"
    p.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    _, report = prodigy.read(p, schema=SCHEMA)
    msg = "\n".join(map(str, report.errors))
    assert f"{p}:1: {field}:" in msg and words in msg
