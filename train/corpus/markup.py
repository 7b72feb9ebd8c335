"""Inline annotation markup, so annotators never type offsets by hand.

Annotators copy a source article and mark spans in place:
``[[LABEL|words]]`` marks an entity and ``{{TYPE|words}}`` an event trigger. Marks may nest
across the two lists (an event trigger inside an entity or the reverse). Stripping the
marks must give back the source text exactly; offsets are computed here from the marks.

A trigger's arguments: the trigger takes a number, ``{{CONSULT#1|زيارة}}``, and its source and
target are marked ``<<S#1|words>>`` and ``<<T#1|words>>``. One span may fill several roles
(``<<T#1,S#2|حفتر>>``: the target of trigger 1 and the source of trigger 2). Role marks nest
with the other marks like any mark (``<<S#1|[[PERS|خليفة حفتر]]>>``). Numbers are local to a
file; each names one trigger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from train.corpus.document import Arg, Span

_OPEN = re.compile(r"(\[\[|\{\{)([A-Z]+)(?:#(\d+))?\|")
_ROLE_OPEN = re.compile(r"<<([ST]#\d+(?:,[ST]#\d+)*)\|")
_CLOSERS = {"[[": ("]]", "entities"), "{{": ("}}", "events"), "<<": (">>", "roles")}
_ROLE_NAMES = {"S": "source", "T": "target"}


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
    stack: list[tuple[str, str, str, int, int, str | None]] = []  # (closer, kind, label, start, line, number)
    spans: dict[str, list[Span]] = {"entities": [], "events": []}
    numbered: dict[str, tuple[int, int]] = {}  # trigger number -> (index in events, line)
    roles: list[tuple[str, str, int, int, int]] = []  # (role, number, start, end, line)
    line = 1
    while i < len(marked):
        m = _OPEN.match(marked, i)
        if m:
            closer, kind = _CLOSERS[m.group(1)]
            if m.group(3) is not None and kind != "events":
                raise MarkupError(f"{source}:{line}: only event triggers take a number ({m.group(0)!r})")
            stack.append((closer, kind, m.group(2), pos, line, m.group(3)))
            i = m.end()
            continue
        m = _ROLE_OPEN.match(marked, i)
        if m:
            stack.append((">>", "roles", m.group(1), pos, line, None))
            i = m.end()
            continue
        two = marked[i : i + 2]
        if stack and two == stack[-1][0]:
            closer, kind, label, start, at, number = stack.pop()
            if pos == start:
                raise MarkupError(f"{source}:{line}: empty {kind} span {label}")
            if kind == "roles":
                for ref in label.split(","):
                    roles.append((_ROLE_NAMES[ref[0]], ref[2:], start, pos, at))
            else:
                if number is not None:
                    if number in numbered:
                        raise MarkupError(f"{source}:{at}: trigger number #{number} is used twice (first on line {numbered[number][1]})")
                    numbered[number] = (len(spans["events"]), at)
                spans[kind].append(Span(start, pos, label))
            i += 2
            continue
        if two in ("]]", "}}", ">>") and stack and any(s[0] == two for s in stack):
            raise MarkupError(f"{source}:{line}: '{two}' closes a span across another one that is still open")
        ch = marked[i]
        if ch == "\n":
            line += 1
        out.append(ch)
        pos += 1
        i += 1
    if stack:
        closer, kind, label, _, at, _ = stack[-1]
        raise MarkupError(f"{source}:{at}: {kind} span {label} opened here is never closed with '{closer}'")
    args: dict[str, dict[str, Arg]] = {}
    for role, number, a, b, at in roles:
        if number not in numbered:
            raise MarkupError(f"{source}:{at}: {role} of trigger #{number}, but no trigger is numbered #{number} ({{{{TYPE#{number}|...}}}})")
        if role in args.setdefault(number, {}):
            raise MarkupError(f"{source}:{at}: trigger #{number} has a second {role}")
        args[number][role] = Arg(role, a, b)
    events = list(spans["events"])
    for number, (k, _) in numbered.items():
        given = args.get(number, {})
        if given:
            t = events[k]
            events[k] = Span(t.start, t.end, t.label, tuple(given[r] for r in ("source", "target") if r in given))
    return Marked("".join(out), spans["entities"], events)


def first_difference(a: str, b: str) -> str:
    """Where two texts first differ, with a little context, for annotators fixing a copy."""
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    line = a.count("\n", 0, n) + 1
    return f"line {line}, offset {n}: source has {a[n:n + 20]!r}, markup gives {b[n:n + 20]!r}"
