"""IOB tags → spans: the one decoder of tag sequences, for CoNLL files and for model output.

A tag is read as ``(prefix, type)``; :func:`chunks` turns a sequence of them into
``(first, last_exclusive, type)`` runs the way seqeval's default mode reads IOB2, IOB1 and
IOBES: ``B-`` and ``S-`` start an entity, ``S-`` and ``E-`` end one, ``I-`` (and ``E-``)
continue an entity of the same type, and an ``I-X`` that does not continue an ``X`` starts a
new entity. How a tag string is read is the caller's:

- :func:`parse_tag` (files): ``O`` or ``B``/``I``/``E``/``S``, ``-`` or ``_``, a type; anything
  else is not a tag (``None``), which a reader reports as an error.
- :func:`read_model_tag` (a model's output, IOB2 by construction): ``B-X`` starts, any other
  ``P-X`` continues like ``I-X``, a bare type counts as ``I-``, ``O`` and ``""`` are outside.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

OUTSIDE = ("O", "")
_TAG_RE = re.compile(r"^([BIES])[-_](.+)$")


def parse_tag(tag: str) -> tuple[str, str] | None:
    """``(prefix, type)`` of an IOB2/IOB1/IOBES tag (``("O", "")`` for ``O``), ``None`` if malformed."""
    if tag == "O":
        return OUTSIDE
    m = _TAG_RE.match(tag)
    return (m.group(1), m.group(2)) if m else None


def read_model_tag(tag: str) -> tuple[str, str]:
    """``(prefix, type)`` of a predicted tag: only ``B-`` starts; any other tag with a type continues."""
    if tag == "O" or not tag:
        return OUTSIDE
    prefix, _, typ = tag.partition("-")
    if not typ:  # a bare type: treat as I-
        return ("I", tag)
    return ("B" if prefix == "B" else "I", typ)


def chunks(tags: Sequence[str], read: Callable[[str], tuple[str, str] | None] = parse_tag) -> list[tuple[int, int, str]]:
    """``(first, last_exclusive, type)`` runs of ``tags``; a tag that ``read`` rejects is ``O``."""
    out: list[tuple[int, int, str]] = []
    cur: list | None = None  # [start, end, type]
    for i, tag in enumerate(tags):
        prefix, typ = read(tag) or OUTSIDE
        if prefix == "O":
            if cur:
                out.append(tuple(cur))
            cur = None
            continue
        if prefix in "BS" or cur is None or cur[2] != typ:
            if cur:
                out.append(tuple(cur))
            cur = [i, i + 1, typ]
        else:
            cur[1] = i + 1
        if prefix in "SE":
            out.append(tuple(cur))
            cur = None
    if cur:
        out.append(tuple(cur))
    return out


def tags_to_word_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(first_word, last_word_exclusive, type)`` runs of predicted tags; an orphan I-X starts an entity."""
    return chunks(tags, read_model_tag)


def repair_tags(tags: Sequence[str]) -> list[str]:
    """Valid IOB2: an orphan ``I-X`` becomes ``B-X``."""
    out = ["O"] * len(tags)
    for lo, hi, typ in tags_to_word_spans(tags):
        out[lo] = f"B-{typ}"
        for i in range(lo + 1, hi):
            out[i] = f"I-{typ}"
    return out


def allowed_transitions(tags: Sequence[str]):
    """``(start, trans)`` boolean masks of valid IOB2: a sequence starts with O or B-X; I-X only follows B-X or I-X."""
    import numpy as np

    n = len(tags)
    parsed = [read_model_tag(t) for t in tags]
    start = np.array([p[0] != "I" for p in parsed], dtype=bool)
    trans = np.ones((n, n), dtype=bool)
    for j, (pj, tj) in enumerate(parsed):
        if pj != "I":
            continue
        for i, (pi, ti) in enumerate(parsed):
            trans[i, j] = pi in ("B", "I") and ti == tj
    return start, trans


def viterbi_iob2(log_probs, tags: Sequence[str], masks=None):
    """The most probable *valid* IOB2 tag sequence (indices) under per-word ``log_probs`` [words, tags].

    Where the per-word argmax would give an orphan ``I-X`` (after ``O`` or another type), this
    chooses between ``B-X`` there, ``O``, or extending the entity before, by the model's own
    probabilities, instead of reading every orphan as a new entity.
    """
    import numpy as np

    lp = np.asarray(log_probs, dtype=np.float64)
    n_words = lp.shape[0]
    if n_words == 0:
        return np.zeros(0, dtype=np.int64)
    start, trans = masks if masks is not None else allowed_transitions(tags)
    neg = -1e18
    score = np.where(start, lp[0], neg)
    back = np.zeros((n_words, lp.shape[1]), dtype=np.int64)
    penalty = np.where(trans, 0.0, neg)
    for w in range(1, n_words):
        cand = score[:, None] + penalty  # [prev, next]
        back[w] = cand.argmax(axis=0)
        score = cand.max(axis=0) + lp[w]
    out = np.zeros(n_words, dtype=np.int64)
    out[-1] = int(score.argmax())
    for w in range(n_words - 1, 0, -1):
        out[w - 1] = back[w, out[w]]
    return out
