"""Every import+export format round-trips the corpus, and the convert command works end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from train.corpus.document import Document, Span, read_jsonl
from train.corpus.schema import load_schema
from train.formats import get_format
from train.formats.common import codepoint_to_utf16, resolve_offsets, utf16_to_codepoint

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
SCRIPT = ROOT / "scripts" / "corpus.py"
SCHEMA = load_schema()
EXACT = ["labelstudio", "doccano", "brat", "jsonl"]  # CoNLL rebuilds the text: tests/test_conll.py


def _span(text: str, words: str, label: str) -> Span:
    a = text.index(words)
    return Span(a, a + len(words), label)


def built_docs() -> list[Document]:
    t1 = "زار وزير الخارجية 🇮🇶 بغداد أمس، وأعلن دعم الحكومة.\nوقال إن الجيش 💪 سيبقى."
    t2 = "هاجمت قوات الجيش مواقع في حلب يوم الاثنين."
    return [
        Document("d1", t1, entities=[_span(t1, "وزير الخارجية", "OCC"), _span(t1, "بغداد", "GPE"), _span(t1, "الحكومة", "ORG"), _span(t1, "الجيش", "ORG")],
                 events=[_span(t1, "زار", "CONSULT"), _span(t1, "دعم", "SUPPORT")]).with_sentences(),
        Document("d2", t2, entities=[_span(t2, "قوات الجيش", "ORG"), _span(t2, "حلب", "GPE"), _span(t2, "يوم الاثنين", "DATE")],
                 events=[_span(t2, "هاجمت", "ASSAULT")]).with_sentences(),
    ]


def round_trip(fmt: str, docs: list[Document], tmp_path: Path) -> list[Document]:
    mod = get_format(fmt)
    out = tmp_path / ("out" if fmt == "brat" else f"out.{fmt}")
    mod.write(docs, out, schema=SCHEMA)
    back, report = mod.read(out, schema=SCHEMA)
    assert not report.errors, "\n".join(map(str, report.errors))
    return back


def assert_same(docs: list[Document], back: list[Document]) -> None:
    assert [d.id for d in back] == [d.id for d in docs]
    for d, b in zip(docs, back):
        assert b.text == d.text
        assert sorted(b.entities) == sorted(d.entities)
        assert sorted(b.events) == sorted(d.events)
        assert b.sentences == d.sentences


@pytest.mark.parametrize("fmt", EXACT)
def test_round_trip_built_documents_with_emoji(fmt, tmp_path):
    docs = built_docs()
    assert_same(docs, round_trip(fmt, docs, tmp_path))


@pytest.mark.parametrize("fmt", EXACT)
def test_round_trip_seed(fmt, tmp_path):
    docs, _ = read_jsonl(SEED)
    assert_same(docs, round_trip(fmt, docs, tmp_path))


def test_utf16_offsets_convert_exactly():
    text = "أ😀ب 🇮🇶 بغداد"
    a = text.index("بغداد")
    ua, ub = codepoint_to_utf16(text, a), codepoint_to_utf16(text, a + 5)
    assert (ua, ub) == (a + 3, a + 8)
    assert utf16_to_codepoint(text, ua) == a and utf16_to_codepoint(text, ub) == a + 5
    assert utf16_to_codepoint(text, 2) == -1  # inside the surrogate pair of 😀
    assert resolve_offsets(text, ua, ub, "بغداد") == (a, a + 5, True)
    assert resolve_offsets(text, a, a + 5, "بغداد") == (a, a + 5, False)
    assert resolve_offsets(text, ua, ub) == (a, a + 5, True)  # no stored text: word boundaries decide


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_convert_chain_and_summary(tmp_path):
    fx = ROOT / "tests" / "fixtures" / "formats"
    out = tmp_path / "ls.jsonl"
    r = run_cli("convert", "--from", "labelstudio", "--to", "jsonl", str(fx / "labelstudio_1x.json"), str(out),
                "--label-map", str(fx / "label_map.yaml"))
    assert r.returncode == 0, r.stderr
    assert "2 document(s), 6 entities, 3 events" in r.stdout
    assert "first annotation of each task" in r.stdout
    assert "relation result" in r.stdout and "choices result" in r.stdout and "UTF-16" in r.stdout
    brat_dir = tmp_path / "brat"
    r = run_cli("convert", "--from", "jsonl", "--to", "brat", str(out), str(brat_dir))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in brat_dir.iterdir()) == ["task-101.ann", "task-101.txt", "task-102.ann", "task-102.txt"]
    r = run_cli("convert", "--from", "brat", "--to", "conll", str(brat_dir), str(tmp_path / "x.conll"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "x.conll").read_text(encoding="utf-8").startswith("-DOCSTART- O\n")


def test_cli_errors_write_nothing(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "قال علي", "label": [[4, 7, "PERSON"]]}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run_cli("convert", "--from", "doccano", "--to", "jsonl", str(bad), str(out))
    assert r.returncode == 1
    assert f"{bad}:1: label[0].label: label 'PERSON'" in r.stderr and "nothing written" in r.stderr
    assert not out.exists()


def test_cli_snap_reports_changes(tmp_path):
    src = tmp_path / "cut.jsonl"
    text = "وصل الرئيس إلى القاهرة."
    a = text.index("القاهرة")
    src.write_text(json.dumps({"text": text, "label": [[a + 2, a + 7, "GPE"]]}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run_cli("convert", "--from", "doccano", "--to", "jsonl", str(src), str(out))
    assert r.returncode == 1 and "does not sit on whole words" in r.stderr and f"[{a + 2}, {a + 7})" in r.stderr
    r = run_cli("convert", "--from", "doccano", "--to", "jsonl", str(src), str(out), "--snap")
    assert r.returncode == 0, r.stderr
    assert "--snap moved 1 span(s)" in r.stdout
    docs, _ = read_jsonl(out)
    assert [(docs[0].text[s.start:s.end], s.label) for s in docs[0].entities] == [("القاهرة", "GPE")]
    assert docs[0].sentences


def test_prodigy_has_no_exporter():
    r = run_cli("convert", "--from", "jsonl", "--to", "prodigy", str(SEED), "/tmp/never-written.jsonl")
    assert r.returncode == 2 and "export is not supported" in r.stderr


def test_existing_subcommands_still_work():
    if SEED.is_file():
        assert run_cli("validate", str(SEED)).returncode == 0
