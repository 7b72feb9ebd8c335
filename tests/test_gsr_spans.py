"""The GSR spans reader: token lists become character spans, nearest the verb, reported where they cannot be placed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.corpus.document import read_jsonl, write_jsonl
from train.corpus.schema import load_schema
from train.formats import get_format
from train.formats.gsr_spans import occurrences, tokens

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "gsr_spans"
GSR = ROOT.parent / "shared" / "data" / "PLOVER-Arabic-GSR"


def _read(path):
    return get_format("gsr_spans").read(path, schema=load_schema())


def _events(doc):
    return [(s.label, doc.text[s.start:s.end], *(f"{a.role}={doc.text[a.start:a.end]}" for a in s.args)) for s in doc.events]


def test_hand_checked_record_is_placed_exactly():
    docs, report = _read(FIXTURE / "assault_spans.json")
    assert not report.errors
    doc = next(d for d in docs if d.id == "AAW_ARB_20080228.0080")
    (ev,) = doc.events
    # The sentence: لكن إسرائيل ردّت استخباراتيّا عبر اغتيال عماد مغنيّة ...
    assert (ev.start, ev.end) == (34, 40) and doc.text[34:40] == " ".join(["اغتيال"])
    src, tgt = ev.arg("source"), ev.arg("target")
    assert (src.start, src.end) == (4, 11) and doc.text[4:11] == " ".join(["إسرائيل"])
    assert (tgt.start, tgt.end) == (41, 52) and doc.text[41:52] == " ".join(["عماد", "مغنيّة"])
    (roles,) = doc.meta["roles"]
    assert roles == {"trigger": [34, 40], "annotations": 3, "votes": 2,
                     "source_role": {"main": "ISR", "role": "None"}, "target_role": {"main": "LBN", "role": "REB"}}
    assert doc.sentence_labels[0].label == "ASSAULT" and doc.sentence_labels[0].value and doc.judged == []


def test_repeated_tokens_take_the_occurrence_nearest_the_verb():
    docs, report = _read(FIXTURE)
    by_id = {d.id: d for d in docs}
    # "أسفرت عن مقتل 30 شخصا وأن 38 شخصا آخرين": the target is the first شخصا, next to مقتل.
    doc = by_id["AAW_ARB_20080102.0012"]
    assert _events(doc) == [("ASSAULT", "مقتل", "target=شخصا")]
    assert doc.events[0].arg("target").start == doc.text.index("شخصا")
    # "وأحرق المتظاهرون ... وقام المتظاهرون بتكسير مكاتب": each verb gets its own المتظاهرون.
    doc = by_id["AAW_ARB_20070326.0006"]
    assert _events(doc) == [("PROTEST", "وأحرق", "source=المتظاهرون"),
                            ("PROTEST", "بتكسير مكاتب", "source=المتظاهرون", "target=الشركة")]
    first, second = (s.arg("source").start for s in doc.events)
    assert first == doc.text.index("المتظاهرون") and second == doc.text.rindex("المتظاهرون")
    assert [m["source_role"] for m in doc.meta["roles"]] == [{"main": "None", "role": "CVL"}] * 2


def test_punctuation_and_split_phrases_are_reported_not_hidden():
    docs, report = _read(FIXTURE / "assault_spans.json")
    doc = next(d for d in docs if d.id == "AAW_ARB_20070506.0021")
    # «أورال» is three tokens in the GSR; the span stops before the closing guillemet.
    assert _events(doc) == [("ASSAULT", "تفجير", "source=الحركة", "target=عربة «أورال"),
                            ("ASSAULT", "وقتل", "source=الحركة", "target=كل من فيها")]
    warnings = [str(p) for p in report.problems if p.level == "warning"]
    assert any("[1].spans[1].verb" in w and "placed their first word 'تفجير' only" in w for w in warnings)
    assert any("[1].spans[1].target_actor" in w and "also covers 1 word(s)" in w for w in warnings)


def test_a_list_that_cannot_be_placed_is_reported(tmp_path):
    rec = {"source": "DOC-1", "_id": "x", "event_type": "ASSAULT", "text": "هاجم المسلحون القرية ليلا.",
           "spans": [{"verb": ["هاجم"], "source_actor": ["الجنود"], "target_actor": ["القرية"],
                      "source_role": "UNKNOWN", "target_role": "UNKNOWN"},
                     {"verb": ["قصف"], "source_actor": ["المسلحون"], "target_actor": []}]}
    p = tmp_path / "x_spans.json"
    p.write_text(json.dumps([rec], ensure_ascii=False), encoding="utf-8")
    (doc,), report = _read(p)
    assert _events(doc) == [("ASSAULT", "هاجم", "target=القرية")]
    warnings = [str(w) for w in report.problems if w.level == "warning"]
    assert any("[0].spans[0].source_actor: the tokens 'الجنود' do not occur" in w for w in warnings)
    assert any("[0].spans[1].verb: the tokens 'قصف' do not occur" in w for w in warnings)
    assert "could not be placed" in report.summary()


def test_round_trip_through_the_corpus_jsonl(tmp_path):
    docs, _ = _read(FIXTURE)
    write_jsonl(tmp_path / "g.jsonl", docs)
    again, problems = read_jsonl(tmp_path / "g.jsonl")
    assert not [p for p in problems if p.level == "error"]
    assert [_events(d) for d in again] == [_events(d) for d in docs]
    assert [d.meta["roles"] for d in again] == [d.meta["roles"] for d in docs]


def test_tokens_split_punctuation_like_the_gsr():
    text = "تفجير عربة «أورال» في"
    assert [text[a:b] for a, b in tokens(text)] == ["تفجير", "عربة", "«", "أورال", "»", "في"]
    assert occurrences(text, ["عربة", "«", "أورال"]) == [(6, 17, 0)]


@pytest.mark.skipif(not GSR.is_dir(), reason="needs ../shared/data/PLOVER-Arabic-GSR")
def test_the_whole_gold_standard_reads_without_errors():
    docs, report = _read(GSR)
    assert not report.errors, report.errors[:3]
    assert sum(len(d.events) for d in docs) > 400
    for d in docs:
        for s in d.events:
            for a in s.args:
                assert d.text[a.start:a.end] == d.text[a.start:a.end].strip() and (a.start, a.end) != (s.start, s.end)
