"""brat standoff: T lines, discontinuous spans, skipped lines, errors, folder export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from train.corpus.schema import load_schema
from train.formats import brat
from train.formats.common import codepoint_to_utf16

FX = Path(__file__).resolve().parent / "fixtures" / "formats" / "brat"
SCHEMA = load_schema()


def texts(doc, kind="entities"):
    return [(doc.text[s.start:s.end], s.label) for s in doc.spans(kind)]


def test_reads_fixture_folder():
    docs, report = brat.read(FX, schema=SCHEMA)
    assert not report.errors
    assert [d.id for d in docs] == ["akhbar1", "akhbar2"]
    assert texts(docs[0]) == [("وزير الخارجية", "OCC"), ("بغداد", "GPE"), ("الحكومة", "ORG")]
    assert texts(docs[0], "events") == [("زار", "CONSULT")]
    assert texts(docs[1], "events") == [("هاجمت", "ASSAULT")]
    assert report.skipped == {"discontinuous span": 1, "event structure": 1, "relation": 1, "attribute": 1, "note": 1}
    warn = [str(p) for p in report.problems if p.level == "warning"]
    assert any("akhbar1.ann:5: [warning] T5: discontinuous PERS span" in w and "not merged" in w for w in warn)


def test_utf16_offsets_are_converted(tmp_path):
    text = "وصل 🚀 الوفد إلى بغداد\n"
    a = text.index("بغداد")
    (tmp_path / "d.txt").write_text(text, encoding="utf-8")
    (tmp_path / "d.ann").write_text(f"T1\tGPE {codepoint_to_utf16(text, a)} {codepoint_to_utf16(text, a + 5)}\tبغداد\n", encoding="utf-8")
    docs, report = brat.read(tmp_path, schema=SCHEMA)
    assert texts(docs[0]) == [("بغداد", "GPE")] and report.utf16 == 1


@pytest.mark.parametrize(
    "ann, field, words",
    [
        ("T1\tGPE\tبغداد\n", "type and offsets", "expected"),
        ("T1\tGPE 4 70\tبغداد\n", "T1.end", "outside the text"),
        ("T1\tCITY 4 7\tعلي\n", "T1.label", "'CITY' is not in the schema"),
        ("X1\tfoo\n", "id", "unknown annotation id"),
    ],
)
def test_broken_files_name_file_line_and_field(tmp_path, ann, field, words):
    (tmp_path / "doc.txt").write_text("قال علي", encoding="utf-8")
    (tmp_path / "doc.ann").write_text(ann, encoding="utf-8")
    docs, report = brat.read(tmp_path, schema=SCHEMA)
    msg = "\n".join(map(str, report.errors))
    assert docs == [] and f"doc.ann:1: {field}:" in msg and words in msg


def test_missing_folder_and_orphan_ann(tmp_path):
    _, report = brat.read(tmp_path / "nope", schema=SCHEMA)
    assert "must be a folder" in str(report.errors[0])
    shutil.copy(FX / "akhbar2.ann", tmp_path / "lonely.ann")
    _, report = brat.read(tmp_path, schema=SCHEMA)
    assert any("lonely.ann: no matching .txt" in str(p) for p in report.errors)


def test_write_keeps_crlf_offsets(tmp_path):
    from train.corpus.document import Document, Span

    text = "سطر أول\r\nزار علي بغداد"
    a = text.index("بغداد")
    doc = Document("x/y", text, entities=[Span(a, a + 5, "GPE")]).with_sentences()
    brat.write([doc], tmp_path / "out")
    assert (tmp_path / "out" / "x_y.txt").read_bytes() == text.encode("utf-8")
    back, report = brat.read(tmp_path / "out", schema=SCHEMA)
    assert not report.errors and back[0].entities == doc.entities
