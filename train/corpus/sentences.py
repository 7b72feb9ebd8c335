"""The project's one sentence splitter for Arabic news, used in training, evaluation and inference.

Rules: a line break always ends a sentence; ``.``, ``؟``, ``?``, ``!`` (and ``…``, ``۔``)
end one when followed by white space, a closing quote or bracket, or the end of the line.
It does not split inside numbers (``2.5``), inside URLs, after common abbreviations or
single letters, or inside a quotation that closes later on the same line.
Offsets point into the original text; sentences are trimmed of surrounding white space.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TERMINATORS = frozenset(".؟?!…۔")
OPENERS = {"«": "»", "“": "”", "„": "”", "(": ")", "[": "]"}
CLOSERS = frozenset("»”)]\"'")
# Lower-cased forms, without the final period.
ABBREVIATIONS = frozenset(
    {
        # Arabic: doctor, engineer, professor, hijri/gregorian year marks, page, etc.
        "د", "م", "هـ", "ه", "ص", "ج", "أ", "ق", "ت", "إلخ", "الخ", "مج", "ع",
        # Latin
        "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "no", "gen",
        "col", "lt", "sgt", "capt", "maj", "inc", "ltd", "co", "corp", "e.g", "i.e", "u.s", "u.n",
    }
)


@dataclass(frozen=True)
class SentenceSpan:
    start: int
    end: int


def _quoted_ranges(line: str) -> list[tuple[int, int]]:
    """Ranges ``(open, close)`` of quotations/brackets that close on the same line."""
    ranges: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    ascii_open = -1
    for i, ch in enumerate(line):
        if ch == '"':
            if ascii_open >= 0:
                ranges.append((ascii_open, i))
                ascii_open = -1
            else:
                ascii_open = i
        elif ch in OPENERS:
            stack.append((OPENERS[ch], i))
        elif stack and ch in CLOSERS:
            # Close the innermost matching opener; unmatched closers are ignored.
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == ch:
                    ranges.append((stack[k][1], i))
                    del stack[k:]
                    break
    return ranges


def _inside_quotes(n: int, ranges: list[tuple[int, int]]) -> list[bool]:
    """``inside[i]``: whether ``a < i < b`` for some quoted range; one pass, so a line costs O(length).

    Asking every range at every terminator made a long line of quotes and periods quadratic.
    """
    depth = [0] * (n + 1)
    for a, b in ranges:
        if b > a + 1:
            depth[a + 1] += 1
            depth[b] -= 1
    inside = [False] * n
    run = 0
    for i in range(n):
        run += depth[i]
        inside[i] = run > 0
    return inside


def _word_before(line: str, i: int) -> str:
    j = i
    while j > 0 and not line[j - 1].isspace() and line[j - 1] not in OPENERS and line[j - 1] not in CLOSERS:
        j -= 1
    return line[j:i]


def _ends_sentence(line: str, i: int, inside: list[bool]) -> bool:
    """Whether the terminator at ``line[i]`` ends a sentence."""
    ch = line[i]
    nxt = line[i + 1] if i + 1 < len(line) else ""
    if nxt and not (nxt.isspace() or nxt in CLOSERS or nxt in TERMINATORS):
        return False  # 2.5, pic.twitter.com, 'U.S.' middle dots
    if nxt in TERMINATORS:
        return False  # a run such as '..' or '?!' ends at its last mark
    if inside[i]:
        return False
    if ch == ".":
        word = _word_before(line, i).lower()
        if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            return False
    return True


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split ``text`` into sentences; deterministic, and ``text[s.start:s.end]`` is each sentence."""
    out: list[SentenceSpan] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85")
        ranges = _quoted_ranges(body)
        inside = _inside_quotes(len(body), ranges) if ranges else [False] * len(body)
        cut = 0
        i = 0
        while i < len(body):
            if body[i] in TERMINATORS and _ends_sentence(body, i, inside):
                end = i + 1
                while end < len(body) and body[end] in CLOSERS:
                    end += 1
                _emit(text, pos + cut, pos + end, out)
                cut = end
                i = end
                continue
            i += 1
        _emit(text, pos + cut, pos + len(body), out)
        pos += len(line)
    return out


def _emit(text: str, start: int, end: int, out: list[SentenceSpan]) -> None:
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(SentenceSpan(start, end))


def split_sentences_around(text: str, spans: Iterable[tuple[int, int]]) -> tuple[list[SentenceSpan], int]:
    """The splitter's sentences with no break inside a span ``[start, end)``, and how many breaks moved.

    For sources without sentences of their own (doccano, Label Studio, brat, Prodigy): an
    abbreviation inside an annotated name (``P.J. Clarke's``, ``T.W.A.``, ``ش.م.م.``) or a line
    break inside a span would end a sentence there and cut the span in two. Such a sentence is
    joined with the next instead, so every other break stays where the splitter put it.
    """
    sents = split_sentences(text)
    order = sorted((a, b) for a, b in spans if a < b)
    out: list[SentenceSpan] = []
    moved = 0
    reach = -1  # the furthest end of a span that starts before the current sentence's end
    j = 0
    for s in sents:
        if out and reach > out[-1].end:
            out[-1] = SentenceSpan(out[-1].start, s.end)
            moved += 1
        else:
            out.append(s)
        while j < len(order) and order[j][0] < out[-1].end:
            reach = max(reach, order[j][1])
            j += 1
    return out, moved
