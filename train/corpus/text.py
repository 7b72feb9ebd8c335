"""Character classes and word boundaries, as the annotation schema defines them.

A word is a maximal run of letters, digits, combining marks (Arabic diacritics) and
tatweel. Everything else (white space, punctuation, symbols, format characters such as
U+200F) separates words. Spans must start and end on word characters, on word boundaries.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic diacritics (fathatan .. sukun, superscript alef) and tatweel: removed before the
# model sees the text, because CAMeLBERT was pre-trained without them.
DIACRITICS_PATTERN = "[\u064b-\u0652\u0670\u0640]"
DIACRITICS_RE = re.compile(DIACRITICS_PATTERN)


def is_word_char(ch: str) -> bool:
    """True for letters, digits, combining marks and tatweel (a letter modifier, Lm)."""
    cat = unicodedata.category(ch)
    return cat[0] in "LNM"


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets of every word in ``text``."""
    spans: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(text):
        if is_word_char(ch):
            if start < 0:
                start = i
        elif start >= 0:
            spans.append((start, i))
            start = -1
    if start >= 0:
        spans.append((start, len(text)))
    return spans


def is_word_boundary(text: str, i: int) -> bool:
    """True where a word starts or ends at offset ``i`` (between a word char and a non-word char)."""
    left = i > 0 and is_word_char(text[i - 1])
    right = i < len(text) and is_word_char(text[i])
    return left != right


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Extend ``[start, end)`` to whole words, trimming non-word characters at its edges.

    Returns ``None`` when the span holds no word character at all.
    """
    start = max(0, start)
    end = min(len(text), end)
    while start < end and not is_word_char(text[start]):
        start += 1
    while end > start and not is_word_char(text[end - 1]):
        end -= 1
    if start >= end:
        return None
    while start > 0 and is_word_char(text[start - 1]):
        start -= 1
    while end < len(text) and is_word_char(text[end]):
        end += 1
    return start, end


def strip_diacritics(text: str) -> str:
    """The text as CAMeLBERT saw it in pre-training: no diacritics, no tatweel."""
    return DIACRITICS_RE.sub("", text)
