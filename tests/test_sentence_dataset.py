"""Sentence examples for the event classifier: label sets, context segments, no-event sampling."""

from __future__ import annotations

import pytest
from conftest import SEED

from train.corpus.document import Document, Span, read_jsonl
from train.corpus.schema import load_schema
from train.features.sentence_examples import (
    SentenceDatasetStats,
    build_sentence_examples,
    document_examples,
    headline,
    label_matrix,
    label_set,
)

EVENT_TYPES = load_schema().event_labels


def _doc(doc_id: str, text: str, triggers: list[tuple[str, str]]) -> Document:
    """A document whose triggers are given as (word, type), found left to right."""
    events, pos = [], 0
    for word, label in triggers:
        start = text.index(word, pos)
        events.append(Span(start, start + len(word), label))
        pos = start + len(word)
    return Document(doc_id, text, events=events).with_sentences()


NEWS = _doc(
    "n1",
    "زيارة رسمية لموسكو\nوصل الوزير إلى موسكو في زيارة رسمية. وبحث الجانبان التعاون العسكري. الطقس معتدل اليوم.\nوأعلن الجيش بدء مناورات بحرية وفرض حظر على السلاح.",
    [("زيارة", "CONSULT"), ("وصل", "CONSULT"), ("زيارة", "CONSULT"), ("وبحث", "CONSULT"), ("مناورات", "MOBILIZE"), ("حظر", "SANCTION")],
)


def test_label_set_is_types_of_triggers_inside():
    ex = document_examples(NEWS, label_order=EVENT_TYPES)
    texts = [e.text for e in ex]
    assert texts == [
        "زيارة رسمية لموسكو",
        "وصل الوزير إلى موسكو في زيارة رسمية.",
        "وبحث الجانبان التعاون العسكري.",
        "الطقس معتدل اليوم.",
        "وأعلن الجيش بدء مناورات بحرية وفرض حظر على السلاح.",
    ]
    assert [e.labels for e in ex] == [("CONSULT",), ("CONSULT",), ("CONSULT",), (), ("SANCTION", "MOBILIZE")]
    assert not ex[3].has_event  # the empty set is a valid label
    for e in ex:
        assert NEWS.text[e.start : e.end] == e.text
        assert all(e.start <= t.start and t.end <= e.end for t in e.triggers)


def test_label_order_follows_schema_or_alphabet():
    trig = [Span(0, 3, "SANCTION"), Span(4, 6, "AGREE"), Span(7, 9, "SANCTION")]
    assert label_set((0, 10), trig, EVENT_TYPES) == ("AGREE", "SANCTION")
    assert label_set((0, 10), trig) == ("AGREE", "SANCTION")
    assert label_set((4, 6), trig) == ("AGREE",)
    assert label_set((5, 10), trig) == ("SANCTION",)  # AGREE [4, 6) is not inside [5, 10)


def test_context_previous_and_headline():
    prev = document_examples(NEWS, context="previous")
    assert prev[0].context == ""
    assert [e.context for e in prev[1:]] == [e.text for e in prev[:-1]]
    head = document_examples(NEWS, context="headline")
    assert headline(NEWS.text) == "زيارة رسمية لموسكو"
    assert head[0].context == ""  # the headline itself gets no copy of itself
    assert all(e.context == "زيارة رسمية لموسكو" for e in head[1:])
    assert all(e.context is None for e in document_examples(NEWS))
    with pytest.raises(ValueError, match="context"):
        document_examples(NEWS, context="paragraph")


def test_no_event_sampling_is_deterministic_and_keeps_events():
    docs = [
        _doc(f"d{k}", "زيارة الوزير.\n" + "".join(f"جملة رقم {i} بلا حدث.\n" for i in range(10)), [("زيارة", "CONSULT")])
        for k in range(3)
    ]
    full = build_sentence_examples(docs)
    assert len(full) == 33 and sum(e.has_event for e in full) == 3
    stats = SentenceDatasetStats()
    a = build_sentence_examples(docs, no_event_ratio=2.0, seed=7, stats=stats)
    b = build_sentence_examples(docs, no_event_ratio=2.0, seed=7)
    c = build_sentence_examples(docs, no_event_ratio=2.0, seed=8)
    assert a == b
    assert a != c
    assert sum(e.has_event for e in a) == 3 and sum(not e.has_event for e in a) == 6
    assert stats.kept_no_event == 6 and stats.dropped_no_event == 24 and stats.event_sentences == 3
    assert [(e.doc_id, e.index) for e in a] == sorted((e.doc_id, e.index) for e in a)  # corpus order
    assert sum(e.has_event for e in build_sentence_examples(docs, no_event_ratio=0.0)) == 3
    assert len(build_sentence_examples(docs, no_event_ratio=0.0)) == 3
    assert build_sentence_examples(docs, no_event_ratio=100.0) == full
    with pytest.raises(ValueError):
        build_sentence_examples(docs, no_event_ratio=-1)


def test_trigger_across_a_sentence_boundary_is_reported():
    doc = Document("x", "وصل الوزير. زيارة مهمة", events=[Span(4, 17, "CONSULT")], sentences=[(0, 11), (12, 22)])
    stats = SentenceDatasetStats()
    ex = build_sentence_examples([doc], stats=stats)
    assert [e.labels for e in ex] == [(), ()]
    assert stats.crossing_triggers == [("x", Span(4, 17, "CONSULT"))]


def test_label_matrix():
    ex = document_examples(NEWS, label_order=EVENT_TYPES)
    rows = label_matrix(ex, EVENT_TYPES)
    assert len(rows) == 5 and all(len(r) == len(EVENT_TYPES) for r in rows)
    assert rows[3] == [0.0] * len(EVENT_TYPES)
    assert rows[4][EVENT_TYPES.index("MOBILIZE")] == 1.0 and rows[4][EVENT_TYPES.index("SANCTION")] == 1.0
    assert sum(rows[4]) == 2.0
    with pytest.raises(KeyError, match="MOBILIZE"):
        label_matrix(ex, ["CONSULT", "SANCTION"])


# --------------------------------------------------------------------------- the seed corpus


@pytest.fixture(scope="module")
def seed_examples():
    docs, _ = read_jsonl(SEED)
    stats = SentenceDatasetStats()
    return docs, build_sentence_examples(docs, label_order=EVENT_TYPES, stats=stats), stats


def test_seed_label_sets_equal_trigger_types_inside(seed_examples):
    docs, examples, stats = seed_examples
    by_id = {d.id: d for d in docs}
    assert len(examples) == sum(len(d.sentences) for d in docs)  # one example per stored sentence
    for e in examples:
        doc = by_id[e.doc_id]
        assert (e.start, e.end) == doc.sentences[e.index]
        inside = {t.label for t in doc.events if e.start <= t.start and t.end <= e.end}
        assert set(e.labels) == inside
    # every trigger lies inside exactly one stored sentence, so no label is lost
    assert not stats.crossing_triggers and not stats.orphan_triggers
    assert sum(len(e.triggers) for e in examples) == sum(len(d.events) for d in docs)
    assert any(not e.labels for e in examples) and any(len(e.labels) > 1 for e in examples)


@pytest.mark.parametrize(
    "doc_id, index, opening, expected",
    [
        # "وتكشف الزيارة عن زيادة التنسيق ... أكد استعداد بلاده ... لتدريب وتطوير الجيش الليبي":
        # the visit (CONSULT), coordination and training (COOPERATE), stated readiness (AGREE).
        ("001_489a01e6ae37d6d1", 10, "وتكشف الزيارة", {"CONSULT", "COOPERATE", "AGREE"}),
        # "... خلال الزيارة ... بحربنا ضد الإرهاب ... المعارك ... وتأثير حظر السلاح ...":
        # the visit (CONSULT), fighting by a named side (ASSAULT), the arms embargo (SANCTION).
        ("002_f7f609d0a9018c5c", 7, "وأوضح القائد العام", {"CONSULT", "ASSAULT", "SANCTION"}),
        # "أكد رئيس الأركان ... على العلاقة الجيدة مع موسكو، مشيراً إلى أن ... الضباط موجودون بموسكو للدراسة":
        # officers studying in Moscow is military cooperation (COOPERATE); the good relation is no event.
        ("000_30f136eea93f39b4", 0, "أكد رئيس الأركان", {"COOPERATE"}),
    ],
)
def test_hand_checked_seed_sentences(seed_examples, doc_id, index, opening, expected):
    _, examples, _ = seed_examples
    e = next(x for x in examples if x.doc_id == doc_id and x.index == index)
    assert e.text.startswith(opening)
    assert set(e.labels) == expected
