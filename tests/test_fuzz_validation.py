"""A fuzzer for the corpus validator (issue 14): random documents and spans, valid and invalid.

Loading never raises; every error names its line and field; a document that loads without
errors keeps every promise training relies on (spans in range, on word boundaries, inside one
sentence). Examples: see tests/conftest.py (``--hypothesis-profile long`` for 10,000).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from conftest import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_formats import EMOJI, ENTITY_LABELS, EVENT_LABELS, MARKS, documents

from train.corpus.document import SPAN_KINDS, read_jsonl, validate_document
from train.corpus.schema import load_schema
from train.corpus.text import is_word_boundary, is_word_char

SCHEMA = load_schema()
ROOTS = {"id", "text", "meta", "sentences", *SPAN_KINDS}
anything = st.one_of(st.none(), st.booleans(), st.integers(-5, 80), st.floats(allow_nan=True), st.text(max_size=5),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
offset = st.one_of(st.integers(-3, 60), st.integers(-3, 60), st.integers(-3, 60), anything)
label = st.one_of(st.sampled_from(ENTITY_LABELS + EVENT_LABELS), st.sampled_from(["", "PER", "gpe", "ORG "]), anything)


def raw_span(draw) -> object:
    fields = {"start": draw(offset), "end": draw(offset), "label": draw(label)}
    for k in list(fields):
        if draw(st.integers(0, 9)) == 0:
            del fields[k]
    return fields if draw(st.integers(0, 14)) else draw(anything)


@st.composite
def records(draw) -> object:
    """A JSON value for one line: a near-valid document, a mutated one, or junk."""
    text, ents, evs = draw(documents())
    rec: dict = {"id": draw(st.one_of(st.text(min_size=1, max_size=6), st.integers(0, 9))), "text": text}
    rec["entities"] = [{"start": s.start, "end": s.end, "label": s.label} for s in ents]
    rec["events"] = [{"start": s.start, "end": s.end, "label": s.label} for s in evs]
    if draw(st.booleans()):
        from train.corpus.sentences import split_sentences

        rec["sentences"] = [{"start": s.start, "end": s.end} for s in split_sentences(text)]
    mode = draw(st.integers(0, 5))
    if mode == 1:  # shift, swap or relabel spans
        for kind in SPAN_KINDS:
            for s in rec[kind]:
                s["start"] += draw(st.integers(-2, 2))
                s["end"] += draw(st.integers(-2, 2))
                if draw(st.integers(0, 4)) == 0:
                    s["label"] = draw(label)
    elif mode == 2:  # random spans and sentences
        for kind in SPAN_KINDS:
            rec[kind] = [raw_span(draw) for _ in range(draw(st.integers(0, 4)))]
        rec["sentences"] = [{"start": draw(offset), "end": draw(offset)} for _ in range(draw(st.integers(0, 3)))]
    elif mode == 3:  # a field of the wrong type, or missing
        key = draw(st.sampled_from(sorted(ROOTS)))
        if draw(st.booleans()):
            rec.pop(key, None)
        else:
            rec[key] = draw(anything)
    elif mode == 4:  # emoji, bidi and zero-width marks moved in: offsets now point elsewhere
        pos = draw(st.integers(0, len(text)))
        rec["text"] = text[:pos] + draw(st.sampled_from(EMOJI + MARKS)) + text[pos:]
    return rec


def _check_document(doc) -> None:
    """What a document that loaded without errors promises to training and evaluation."""
    sents = doc.sentences
    for kind in SPAN_KINDS:
        spans = sorted(doc.spans(kind))
        for s in spans:
            assert 0 <= s.start < s.end <= len(doc.text)
            assert is_word_char(doc.text[s.start]) and is_word_boundary(doc.text, s.start)
            assert is_word_char(doc.text[s.end - 1]) and is_word_boundary(doc.text, s.end)
            if sents:
                assert any(a <= s.start and s.end <= b for a, b in sents)
        assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def _validate(recs: list, extend: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "c.jsonl"
        p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
        docs, problems = read_jsonl(p, SCHEMA, strict=False, extend_sentences=extend)
    for e in (x for x in problems if x.level == "error"):
        assert e.file == str(p)
        assert isinstance(e.line, int) and 1 <= e.line <= len(recs), e
        if isinstance(recs[e.line - 1], dict):
            m = re.fullmatch(r"(\w+)(?:\[(\d+)\])?(?:\.(\w+))?", e.field)
            assert m and m.group(1) in ROOTS, e
            if m.group(2) is not None:
                assert int(m.group(2)) < len(recs[e.line - 1][m.group(1)]), e
        assert e.message and str(e).startswith(f"{p}:{e.line}: ")
    bad_lines = {x.line for x in problems if x.level == "error"}
    good = [r for k, r in enumerate(recs, start=1) if k not in bad_lines]
    ids = [d.id for d in docs]
    good_ids = {str(r.get("id")) for r in good if isinstance(r, dict)}
    for doc in docs:
        if ids.count(doc.id) == 1 and doc.id in good_ids:
            assert not [x for x in validate_document(doc, SCHEMA) if x.level == "error"]
            _check_document(doc)


@fuzz_settings(60)
@given(st.lists(records(), min_size=1, max_size=4), st.booleans())
def test_validator_never_raises_and_names_line_and_field(recs, extend):
    _validate(recs, extend)


@fuzz_settings(20)
@given(st.lists(st.one_of(records(), anything), min_size=1, max_size=4))
def test_validator_on_lines_that_are_not_documents(recs):
    _validate(recs, False)
