"""Character classes and word boundaries, as the annotation schema defines them.

A word is a maximal run of letters, digits, combining marks (Arabic diacritics) and
tatweel. Everything else (white space, punctuation, symbols, format characters such as
U+200F) separates words. Spans must start and end on word characters, on word boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

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


# --------------------------------------------------------------------------- text that is not text

# A code point in U+D800..U+DFFF inside a Python string is always a lone surrogate: a JSON
# "\ud800" escape without its partner (json.loads joins real pairs into one character), or an
# undecodable byte kept by the surrogateescape error handler. It cannot be written as UTF-8,
# and tokenizers refuse it.
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Control bytes that UTF-8 text never holds (tab, LF and CR are text); in UTF-16 without a BOM
# they are the high byte of almost every character (0x00 for ASCII and Latin, 0x06 for Arabic).
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D))
SNIFF_BYTES = 65536


def lone_surrogate(s: str) -> int:
    """The offset of the first lone surrogate in ``s``, or -1."""
    m = _LONE_SURROGATE_RE.search(s)
    return m.start() if m else -1


def surrogate_message(s: str, i: int) -> str:
    """Why a lone surrogate at ``s[i]`` is refused, for one error line."""
    cp = ord(s[i])
    return (f"a lone surrogate U+{cp:04X} at offset {i}: half of a UTF-16 pair, not a character "
            f"(a \"\\u{cp:04x}\" escape without its other half); fix or remove it in the source")


def nul_message(s: str) -> str:
    """What a text with NUL characters is told (a warning: it is kept, offsets unchanged)."""
    return (f"{s.count(chr(0))} NUL character(s) (U+0000), the first at offset {s.index(chr(0))}: "
            "not text (binary data or UTF-16 read as UTF-8?); kept as it is, offsets unchanged")


def utf16_without_bom(head: bytes) -> str | None:
    """``"LE"`` or ``"BE"`` when ``head`` (a file's first bytes) reads as UTF-16 without a BOM, else ``None``.

    Read as UTF-8, such a file is valid and full of ``\\x00``: Arabic letters are 0x06 and
    ASCII 0x00 in the high byte, so control bytes fill every other position. Real UTF-8 text
    never holds them; a file with a BOM (UTF-8 or UTF-16) is left to the decoder.
    """
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    n = len(head) // 2
    if n == 0:
        return None
    even, odd = head[0 : 2 * n : 2], head[1 : 2 * n : 2]
    c_even = n - len(even.translate(None, _CONTROL_BYTES))
    c_odd = n - len(odd.translate(None, _CONTROL_BYTES))
    if c_odd * 2 >= n and c_odd >= 4 * c_even:
        return "LE"
    if c_even * 2 >= n and c_even >= 4 * c_odd:
        return "BE"
    return None


def utf16_message(order: str) -> str:
    """The one line for a file that looks like UTF-16 without a BOM (``order``: ``LE`` or ``BE``)."""
    endian = "little-endian" if order == "LE" else "big-endian"
    return (f"looks like UTF-16 ({endian}) without a byte-order mark, not UTF-8 (a control byte at every other "
            f"position); save it as UTF-8, e.g. iconv -f UTF-16{order} -t UTF-8")


def sniff_utf16(path: str | Path) -> str | None:
    """:func:`utf16_without_bom` of the file's first bytes; ``None`` for a file that cannot be opened."""
    try:
        with open(path, "rb") as fh:
            return utf16_without_bom(fh.read(SNIFF_BYTES))
    except OSError:
        return None
