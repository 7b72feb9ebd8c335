"""Label Studio: 1.x and 0.x exports, annotator choice, skipped results, UTF-16 offsets, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.corpus.schema import load_schema
from train.formats import labelstudio
from train.formats.common import load_label_map

FX = Path(__file__).resolve().parent / "fixtures" / "formats"
SCHEMA = load_schema()
MAP = load_label_map(FX / "label_map.yaml")


def texts(doc, kind="entities"):
    return [(doc.text[s.start:s.end], s.label) for s in doc.spans(kind)]


def test_reads_1x_export_with_utf16_offsets_and_skips():
    docs, report = labelstudio.read(FX / "labelstudio_1x.json", schema=SCHEMA, label_map=MAP)
    assert not report.errors
    d = docs[0]
    assert d.id == "task-101"
    assert texts(d) == [("وزير الخارجية", "OCC"), ("بغداد", "GPE"), ("الحكومة", "ORG")]
    assert texts(d, "events") == [("زار", "CONSULT"), ("دعم", "SUPPORT")]
    assert d.sentences
    assert report.utf16 == 2  # دعم and الحكومة follow the emoji
    assert report.skipped["relation result"] == 1 and report.skipped["choices result"] == 1
    assert report.skipped["textarea result"] == 1 and report.skipped["prediction"] == 1
    assert report.skipped["cancelled annotation"] == 1
    assert "first annotation" in report.annotator


def test_annotator_picks_whose_annotation():
    docs, report = labelstudio.read(FX / "labelstudio_1x.json", schema=SCHEMA, label_map=MAP, annotator="9")
    assert [texts(d) for d in docs] == [[("بغداد", "GPE")]]
    assert report.skipped["task not annotated by 9"] == 1
    assert "--annotator 9" in report.annotator


def test_reads_0x_completions():
    docs, report = labelstudio.read(FX / "labelstudio_0x.json", schema=SCHEMA, label_map=MAP)
    assert not report.errors
    assert texts(docs[0]) == [("قوات الجيش", "ORG"), ("حلب", "GPE")]


def test_export_as_predictions(tmp_path):
    docs, _ = labelstudio.read(FX / "labelstudio_0x.json", schema=SCHEMA, label_map=MAP)
    out = tmp_path / "pred.json"
    labelstudio.write(docs, out, as_predictions=True)
    task = json.loads(out.read_text(encoding="utf-8"))[0]
    assert task["annotations"] == [] and task["predictions"][0]["result"][0]["value"]["text"] == "قوات الجيش"


def _task(value: dict, data: dict | None = None) -> list:
    return [{"id": 1, "data": data if data is not None else {"text": "قال علي"},
             "annotations": [{"id": 1, "result": [{"id": "x", "from_name": "label", "to_name": "text", "type": "labels", "value": value}]}]}]


@pytest.mark.parametrize(
    "tasks, field, words",
    [
        (_task({"start": 4, "end": 7, "labels": ["PERS"]}, data={"body": 1}), "data.text", "missing"),
        (_task({"end": 7, "labels": ["PERS"]}), "annotations[0].result[0].value.start", "must be an integer"),
        (_task({"start": 4, "end": 70, "labels": ["PERS"]}), "annotations[0].result[0].value.end", "outside the text"),
        (_task({"start": 4, "end": 7, "labels": ["PERSON"]}), "annotations[0].result[0].value.label", "'PERSON' is not in the schema"),
    ],
)
def test_broken_files_name_file_task_and_field(tmp_path, tasks, field, words):
    p = tmp_path / "broken.json"
    p.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    docs, report = labelstudio.read(p, schema=SCHEMA)
    assert docs == []
    msg = "\n".join(map(str, report.errors))
    assert f"{p}:1: {field}:" in msg and words in msg


def test_not_a_task_list(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"oops": ', encoding="utf-8")
    _, report = labelstudio.read(p, schema=SCHEMA)
    assert "not valid JSON" in str(report.errors[0])
