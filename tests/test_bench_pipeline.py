"""The whole-pipeline bench's word labels (train/benchmark/pipeline.py): the sweep that finds each word's
covering span gives what scanning every span gives, overlapping, nested and unsorted spans included."""

from __future__ import annotations

import random
import re

import pytest

from train.benchmark.pipeline import agreement_by_output, covering_labels, word_labels


def _brute(spans: list[tuple[int, int, str]], words: list[tuple[int, int]], none: str) -> list[str]:
    """The first listed span that covers the word, by looking at every span."""
    return [next((lab for x, y, lab in spans if x <= a and b <= y), none) for a, b in words]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(["وصل", "حفتر", "ab", "x", " ", "  ", ".", "، "]) for _ in range(rng.randrange(0, 40)))


def _spans(rng: random.Random, n: int, count: int) -> list[tuple[int, int, str]]:
    """Random spans over ``n`` characters: overlapping, nested, repeated, empty and past the end alike."""
    out = []
    for k in range(count):
        a = rng.randrange(0, n + 3)
        out.append((a, a + rng.randrange(0, 12), f"L{k}"))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_the_sweep_equals_scanning_every_span(seed):
    rng = random.Random(seed)
    for _ in range(50):
        text = _text(rng)
        words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
        spans = _spans(rng, len(text), rng.randrange(0, 15))
        assert covering_labels(spans, words, "O") == _brute(spans, words, "O"), (text, spans)


def test_word_labels_of_a_record_and_their_agreement():
    rec = {"text": "وصل حفتر إلى موسكو. التقى شويغو.",
           "entities": [{"start": 4, "end": 8, "label": "PERS"}, {"start": 13, "end": 18, "label": "LOC"}],
           "sentences": [{"start": 0, "end": 19, "event_types": [{"label": "TRAVEL"}, {"label": "CONSULT"}],
                          "triggers": [{"start": 0, "end": 3, "label": "TRAVEL"}]},
                         {"start": 20, "end": 32, "event_types": [], "triggers": []}]}
    assert word_labels(rec) == [("O", "TRAVEL", "CONSULT,TRAVEL"), ("PERS", "O", "CONSULT,TRAVEL"),
                                ("O", "O", "CONSULT,TRAVEL"), ("LOC", "O", "CONSULT,TRAVEL"), ("O", "O", ""), ("O", "O", "")]
    other = {**rec, "entities": rec["entities"][:1]}
    assert agreement_by_output([rec], [other]) == {"entities": 5 / 6, "triggers": 1.0, "event_types": 1.0}
