"""scripts/events.py: duplicate reports merged, streaming in bounded memory, the table formats, errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from train.commands import events as cmd
from train.eventdata.actors import ActorResolver
from train.eventdata.dates import resolve
from train.eventdata.dictionary import ActorDictionary
from train.eventdata.merge import EventMerger
from train.eventdata.table import EventRows

ROOT = Path(__file__).resolve().parent.parent


def record(doc_id: str, pub: str, sentence: str, trigger: str, etype: str, source: str, target: str,
           labels: dict[str, str]) -> dict:
    """A predict.py-style record of one sentence with one event and its roles."""
    ents = []
    for piece, label in labels.items():
        i = sentence.index(piece)
        ents.append({"start": i, "end": i + len(piece), "label": label, "text": piece, "score": 0.9})
    t = sentence.index(trigger)
    s, g = sentence.index(source), sentence.index(target)
    return {"id": doc_id, "text": sentence, "meta": {"date": pub}, "entities": ents,
            "sentences": [{"start": 0, "end": len(sentence)}],
            "events": [{"type": etype, "score": 0.8, "sentence": 0,
                        "trigger": {"start": t, "end": t + len(trigger), "label": etype, "text": trigger, "score": 0.7},
                        "source": {"start": s, "end": s + len(source), "label": "SOURCE", "text": source, "score": 0.6},
                        "target": {"start": g, "end": g + len(target), "label": "TARGET", "text": target, "score": 0.5}}]}


VISIT = {"المشير خليفة حفتر": "PERS", "روسيا": "GPE", "الثلاثاء": "DATE"}


def visit(doc_id: str, pub: str = "2023-09-26", words: str = "وصل المشير خليفة حفتر، الثلاثاء، إلى روسيا.") -> dict:
    return record(doc_id, pub, words, "وصل", "CONSULT", "المشير خليفة حفتر", "روسيا",
                  {k: v for k, v in VISIT.items() if k in words})


def write_jsonl(path: Path, recs) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def test_the_same_event_from_several_outlets_is_one_event_with_its_reports(tmp_path):
    other = "أفادت وكالة بأن خليفة حفتر وصل الثلاثاء إلى روسيا في زيارة."
    recs = [visit("outlet-a"), record("outlet-b", "2023-09-26", other, "وصل", "CONSULT", "خليفة حفتر", "روسيا",
                                      {"خليفة حفتر": "PERS", "الثلاثاء": "DATE", "روسيا": "GPE"}),
            visit("outlet-c", pub="2023-10-03")]  # a week later: another Tuesday, another visit
    src = write_jsonl(tmp_path / "pred.jsonl", recs)
    out = tmp_path / "events.jsonl"
    assert cmd.main([str(src), "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2
    first, second = rows
    assert first["n_reports"] == 2 and [r["document_id"] for r in first["reports"]] == ["outlet-a", "outlet-b"]
    assert (first["event_date"], first["date_precision"], first["type"]) == ("2023-09-26", "day", "CONSULT")
    assert (first["source_id"], first["source_name"], first["source_country"], first["source_sector"]) == (
        "khalifa-haftar", "خليفة حفتر", "LBY", "MIL")
    assert (first["target_id"], first["target_country"]) == ("RUS", "RUS")
    assert second["n_reports"] == 1 and second["event_date"] == "2023-10-03" and second["event_id"] != first["event_id"]


def test_reports_without_a_date_are_never_merged():
    m = EventMerger(run_size=2)
    rows = EventRows(ActorResolver(ActorDictionary()))
    for i in range(3):
        for r in rows.rows(visit(f"d{i}", pub="", words="وصل المشير خليفة حفتر إلى روسيا.")):
            m.add(r)
    assert [e["n_reports"] for e in m.events()] == [1, 1, 1]


def _run_rows(n_docs: int, run_size: int) -> tuple[int, int, int]:
    m = EventMerger(run_size=run_size, fan_in=4)
    rows = EventRows(ActorResolver(ActorDictionary()))
    tracemalloc.start()
    for i in range(n_docs):
        day = f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}"
        for r in rows.rows(visit(f"doc-{i}", pub=day)):
            m.add(r)
    runs = m.runs
    n = sum(1 for _ in m.events())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return runs, n, peak


def test_the_merge_streams_in_bounded_memory():
    runs, n, small = _run_rows(300, run_size=50)
    assert runs >= 6 and n <= 300
    runs4, n4, big = _run_rows(1200, run_size=50)
    assert runs4 >= 24
    tuesdays = {resolve("الثلاثاء", dt.date(2023, 1 + i % 12, 1 + i % 28)) for i in range(1200)}
    assert n4 == len(tuesdays)  # one event per Tuesday the reports name
    assert big < 2 * small, (small, big)  # four times the documents, not four times the memory


def test_every_table_format_holds_the_same_events(tmp_path):
    src = write_jsonl(tmp_path / "pred.jsonl", [visit("a"), visit("b")])
    got = {}
    for suffix in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"events.{suffix}"
        assert cmd.main([str(src), "--out", str(out)]) == 0
        if suffix == "jsonl":
            got[suffix] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        elif suffix == "csv":
            with open(out, encoding="utf-8-sig", newline="") as fh:
                got[suffix] = list(csv.DictReader(fh))
        else:
            got[suffix] = pq.read_table(out).to_pylist()
    for suffix, rows in got.items():
        assert len(rows) == 1 and str(rows[0]["n_reports"]) == "2" and rows[0]["source_id"] == "khalifa-haftar", suffix
    assert list(got["csv"][0]) == list(cmd.COLUMNS)


def test_the_seed_corpus_gold_spans_make_a_table(tmp_path):
    out = tmp_path / "seed.parquet"
    assert cmd.main([str(ROOT / "data" / "seed.jsonl"), "--out", str(out)]) == 0
    t = pq.read_table(out)
    assert t.num_rows == 117 and set(cmd.COLUMNS) == set(t.column_names)


@pytest.mark.parametrize("content, message", [
    ("{not json\n", "pred.jsonl:1: not valid JSON"),
    ('[1, 2]\n', "pred.jsonl:1: expected a prediction record"),
    ('{"text": "x", "events": {}}\n', "pred.jsonl:1: 'events' must be a list"),
])
def test_a_bad_input_line_is_one_line_with_file_and_line(tmp_path, capsys, content, message):
    src = tmp_path / "pred.jsonl"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "events.jsonl"
    assert cmd.main([str(src), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob("events-*"))


def test_an_unknown_table_format_and_a_bad_dictionary_are_refused(tmp_path, capsys):
    src = write_jsonl(tmp_path / "pred.jsonl", [visit("a")])
    assert cmd.main([str(src), "--out", str(tmp_path / "events.xlsx")]) == 2
    assert "unknown table format '.xlsx'; use .parquet, .csv or .jsonl" in capsys.readouterr().err
    bad = tmp_path / "actors.yaml"
    bad.write_text("actors:\n  - id: a\n    name: x\n    sector: ARMY\n", encoding="utf-8")
    assert cmd.main([str(src), "--out", str(tmp_path / "e.csv"), "--actors", str(bad)]) == 1
    assert "actor 1 (x): 'sector' 'ARMY' is not one of" in capsys.readouterr().err
