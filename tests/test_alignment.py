"""Alignment: gold spans → word IOB2 → sub-word labels → spans, windows, orphan I- repair."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from train.corpus.document import Document, Span
from train.corpus.iob import repair_tags, tags_to_word_spans
from train.corpus.schema import load_schema
from train.corpus.text import is_word_boundary
from train.features.alignment import (
    IGNORE_INDEX,
    build_features,
    document_sentences,
    encode_documents,
    encode_spans_of_text,
    make_windows,
    spans_from_tags,
    tag_names,
    window_owners,
    word_tags,
)


def _round_trip(tok, docs, kind, max_seq_length, label_all=False):
    """Spans of every document after the trip through sub-word labels."""
    schema = load_schema()
    tags = tag_names(schema.labels(kind))
    t2i = {t: i for i, t in enumerate(tags)}
    b2i = {t2i[f"B-{t}"]: t2i[f"I-{t}"] for t in schema.labels(kind)}
    sents = encode_documents(tok, docs)
    word_ids = [[t2i[t] for t in word_tags(s, docs[s.doc_index].spans(kind))] for s in sents]
    feats = build_features(sents, tok.cls_token_id, tok.sep_token_id, max_seq_length, overlap=4,
                           word_label_ids=word_ids, label_all_subwords=label_all, b_to_i=b2i)
    # Sub-word labels back to word labels: each word from the window that owns it.
    recovered = [np.full(s.num_words, -1) for s in sents]
    by_sent: dict[int, list] = {}
    for f in feats:
        assert len(f.input_ids) <= max_seq_length
        by_sent.setdefault(f.sentence, []).append(f)
    for si, fs in by_sent.items():
        owner = window_owners([(f.word_lo, f.word_hi) for f in fs], sents[si].num_words)
        for f in fs:
            lab = np.asarray(f.labels)
            if not label_all:
                assert (lab[np.setdiff1d(np.arange(len(lab)), f.word_positions)] == IGNORE_INDEX).all()
            own = owner[f.word_lo:f.word_hi] == f.window
            recovered[si][f.word_lo:f.word_hi][own] = lab[f.word_positions][own]
    out = [[] for _ in docs]
    for s, rec in zip(sents, recovered):
        assert (rec >= 0).all(), "a word was dropped"
        out[s.doc_index] += spans_from_tags(docs[s.doc_index].text, s, [tags[i] for i in rec])
    return out


@pytest.mark.parametrize("kind", ["entities", "events"])
def test_seed_round_trip_is_identical(seed_docs, tiny_tokenizer, kind):
    assert len(seed_docs) == 5
    got = _round_trip(tiny_tokenizer, seed_docs, kind, max_seq_length=512)
    for doc, spans in zip(seed_docs, got):
        assert sorted(spans) == sorted(doc.spans(kind)), doc.id


def test_seed_round_trip_through_small_windows(seed_docs, tiny_tokenizer):
    """Sentences longer than max_seq_length are windowed; no word is dropped or changed."""
    sents = encode_documents(tiny_tokenizer, seed_docs)
    assert max(len(s.token_ids) for s in sents) > 14
    for label_all in (False, True):
        got = _round_trip(tiny_tokenizer, seed_docs, "entities", max_seq_length=16, label_all=label_all)
        for doc, spans in zip(seed_docs, got):
            assert sorted(spans) == sorted(doc.entities), doc.id


def test_label_all_subwords_uses_i_on_continuations(tiny_tokenizer):
    text = "زار الرئيسُ القوّاتِ المتمركزةَ"
    doc = Document("d", text, entities=[Span(4, len(text), "ORG")]).with_sentences()
    (s,) = encode_documents(tiny_tokenizer, [doc])
    tags = tag_names(["ORG"])
    ids = [tags.index(t) for t in word_tags(s, doc.entities)]
    (f,) = build_features([s], 2, 3, 64, word_label_ids=[ids], label_all_subwords=True, b_to_i={1: 2})
    labels = f.labels
    assert labels[0] == IGNORE_INDEX and labels[-1] == IGNORE_INDEX
    first_org = f.word_positions[1]
    assert labels[first_org] == 1
    assert all(x in (0, 2) for i, x in enumerate(labels[1:-1], start=1) if i != first_org)


def test_spans_from_tags_repairs_orphan_i_and_slices_original():
    text = "ـقالَ مُحَمَّدٌ عليٌّ في القاهرةِ اليومَ"
    from train.features.tokenization import train_wordpiece

    tok = train_wordpiece([text], vocab_size=200)
    (s,) = encode_spans_of_text(tok, text, [(0, len(text))])
    assert s.num_words == 6
    tags = ["O", "I-PERS", "I-PERS", "O", "I-GPE", "B-DATE"]
    spans = spans_from_tags(text, s, tags)
    assert [text[x.start:x.end] for x in spans] == ["مُحَمَّدٌ عليٌّ", "القاهرةِ", "اليومَ"]
    assert [x.label for x in spans] == ["PERS", "GPE", "DATE"]
    for x in spans:
        assert is_word_boundary(text, x.start) and is_word_boundary(text, x.end)
    # Leading tatweel is part of the word too.
    assert text[s.word_starts[0]:s.word_ends[0]] == "ـقالَ"
    assert repair_tags(tags) == ["O", "B-PERS", "I-PERS", "O", "B-GPE", "B-DATE"]
    assert tags_to_word_spans(["I-X", "I-Y", "I-Y", "B-Y"]) == [(0, 1, "X"), (1, 3, "Y"), (3, 4, "Y")]


def test_sentences_come_from_the_document(seed_docs):
    d = seed_docs[0]
    assert document_sentences(d) == list(d.sentences)
    bare = Document("x", "جملة أولى. جملة ثانية؟ وثالثة")
    assert len(document_sentences(bare)) == 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=60), st.integers(1, 20), st.integers(0, 10))
def test_windows_cover_every_word(counts, budget, overlap):
    wins = make_windows(counts, budget, overlap)
    covered = set()
    for lo, hi in wins:
        assert lo < hi
        assert sum(counts[lo:hi]) <= budget or hi - lo == 1
        covered.update(range(lo, hi))
    assert covered == set(range(len(counts)))
    assert all(b[0] > a[0] for a, b in zip(wins, wins[1:]))
    owner = window_owners(wins, len(counts))
    for w, k in enumerate(owner):
        lo, hi = wins[k]
        assert lo <= w < hi


def test_punctuation_after_a_marked_word_stays_outside_it(tiny_tokenizer):
    text = "مراسم تنصيبه رئيساً: نحن"
    (s,) = encode_spans_of_text(tiny_tokenizer, text, [(0, len(text))])
    words = [text[a:b] for a, b in zip(s.word_starts, s.word_ends)]
    assert words == ["مراسم", "تنصيبه", "رئيساً", ":", "نحن"]
    start = text.index("رئيساً")
    assert word_tags(s, [Span(start, start + 6, "OCC")]) == ["O", "O", "B-OCC", "O", "O"]
