"""Inline annotation markup, so annotators never type offsets by hand.

Annotators copy a source article and mark spans in place:
``[[LABEL|words]]`` marks an entity and ``{{TYPE|words}}`` an event trigger. Marks may nest
across the two lists (an event trigger inside an entity or the reverse). Stripping the
marks must give back the source text exactly; offsets are computed here from the marks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from train.corpus.document import Span

_OPEN = re.compile(r"(\[\[|\{\{)([A-Z]+)\|")
_CLOSERS = {"[[": ("]]", "entities"), "{{": ("}}", "events")}


class MarkupError(ValueError):
    pass


@dataclass
class Marked:
    text: str
    entities: list[Span]
    events: list[Span]


def parse_markup(marked: str, source: str = "<markup>") -> Marked:
    """Strip the marks from ``marked`` and return the plain text with its spans."""
    out: list[str] = []
    pos = 0  # offset into the plain text
    i = 0
    stack: list[tuple[str, str, int, int, int]] = []  # (closer, kind, label, start, line)
    spans: dict[str, list[Span]] = {"entities": [], "events": []}
    line = 1
    while i < len(marked):
        m = _OPEN.match(marked, i)
        if m:
            closer, kind = _CLOSERS[m.group(1)]
            stack.append((closer, kind, m.group(2), pos, line))
            i = m.end()
            continue
        two = marked[i : i + 2]
        if stack and two == stack[-1][0]:
            closer, kind, label, start, _ = stack.pop()
            if pos == start:
                raise MarkupError(f"{source}:{line}: empty {kind} span {label}")
            spans[kind].append(Span(start, pos, label))
            i += 2
            continue
        if two in ("]]", "}}") and stack and any(s[0] == two for s in stack):
            raise MarkupError(f"{source}:{line}: '{two}' closes a span across another one that is still open")
        ch = marked[i]
        if ch == "\n":
            line += 1
        out.append(ch)
        pos += 1
        i += 1
    if stack:
        closer, kind, label, _, at = stack[-1]
        raise MarkupError(f"{source}:{at}: {kind} span {label} opened here is never closed with '{closer}'")
    return Marked("".join(out), spans["entities"], spans["events"])


def first_difference(a: str, b: str) -> str:
    """Where two texts first differ, with a little context, for annotators fixing a copy."""
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    line = a.count("\n", 0, n) + 1
    return f"line {line}, offset {n}: source has {a[n:n + 20]!r}, markup gives {b[n:n + 20]!r}"
