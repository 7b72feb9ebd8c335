"""doccano: the current, older and relation-project shapes, UTF-16 offsets, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.corpus.schema import load_schema
from train.formats import doccano
from train.formats.common import codepoint_to_utf16

FX = Path(__file__).resolve().parent / "fixtures" / "formats"
SCHEMA = load_schema()


def texts(doc, kind="entities"):
    return [(doc.text[s.start:s.end], s.label) for s in doc.spans(kind)]


def test_reads_current_shape_with_events():
    docs, report = doccano.read(FX / "doccano.jsonl", schema=SCHEMA)
    assert not report.errors and [d.id for d in docs] == ["1", "2"]
    assert texts(docs[0]) == [("قوات الجيش", "ORG"), ("حلب", "GPE"), ("يوم الاثنين", "DATE")]
    assert texts(docs[0], "events") == [("هاجمت", "ASSAULT")]
    assert docs[1].events == []


@pytest.mark.parametrize("name", ["doccano_old.jsonl", "doccano_entities.jsonl"])
def test_reads_older_and_relation_shapes(name):
    docs, report = doccano.read(FX / name, schema=SCHEMA)
    assert not report.errors
    assert texts(docs[0]) == [("قوات الجيش", "ORG"), ("حلب", "GPE")]
    if name == "doccano_entities.jsonl":
        assert report.skipped["relation"] == 1


def test_utf16_offsets_after_emoji(tmp_path):
    text = "وصل 🚀 الوفد إلى بغداد"
    a = text.index("بغداد")
    p = tmp_path / "e.jsonl"
    p.write_text(json.dumps({"text": text, "label": [[codepoint_to_utf16(text, a), codepoint_to_utf16(text, a + 5), "GPE"]]}, ensure_ascii=False), encoding="utf-8")
    docs, report = doccano.read(p, schema=SCHEMA)
    assert texts(docs[0]) == [("بغداد", "GPE")] and report.utf16 == 1


@pytest.mark.parametrize(
    "record, field, words",
    [
        ({"label": [[0, 3, "PERS"]]}, "text", "missing"),
        ({"text": "قال علي", "label": [[4, 70, "PERS"]]}, "label[0].end", "outside the text"),
        ({"text": "قال علي", "label": [[4, 7, "PERSON"]]}, "label[0].label", "'PERSON' is not in the schema"),
        ({"text": "قال علي", "label": [[4, 7]]}, "label[0]", "must be [start, end, label]"),
    ],
)
def test_broken_files_name_file_line_and_field(tmp_path, record, field, words):
    p = tmp_path / "broken.jsonl"
    p.write_text(json.dumps({"text": "سطر سليم", "label": []}, ensure_ascii=False) + "\n" + json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    _, report = doccano.read(p, schema=SCHEMA)
    msg = "\n".join(map(str, report.errors))
    assert f"{p}:2: {field}:" in msg and words in msg
