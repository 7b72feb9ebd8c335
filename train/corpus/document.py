"""The canonical corpus: JSON Lines, one document per line, with character-offset spans.

A document is ``{"id", "text", "meta", "entities", "events", "sentences"}``; spans are
``{"start", "end", "label"}`` with offsets into the exact original text, end exclusive.
Loading validates everything at once and reports every problem with file, line and field,
in the manner of spaCy's validation messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text
from train.corpus.schema import Schema, load_schema
from train.corpus.sentences import split_sentences, split_sentences_around
from train.corpus.text import (
    is_word_boundary,
    is_word_char,
    lone_surrogate,
    nul_message,
    sniff_utf16,
    surrogate_message,
    utf16_message,
)

SPAN_KINDS = ("entities", "events")
# The arguments an event trigger may carry, each a character span of the same text.
ROLES = ("source", "target")


@dataclass(frozen=True, order=True)
class Arg:
    """One argument of an event trigger: ``role`` (``source`` or ``target``) at ``[start, end)``."""

    role: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True, order=True)
class Span:
    """A labelled span; an event trigger may carry ``args`` (its source and target).

    ``args`` take no part in equality, hashing or order: two triggers at the same offsets with
    the same label are the same trigger, whatever arguments an annotator gave them.
    """

    start: int
    end: int
    label: str
    args: tuple[Arg, ...] = field(default=(), compare=False)

    def arg(self, role: str) -> Arg | None:
        return next((a for a in self.args if a.role == role), None)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        for a in sorted(self.args, key=lambda a: ROLES.index(a.role) if a.role in ROLES else len(ROLES)):
            d[a.role] = a.to_dict()
        return d


@dataclass(frozen=True, order=True)
class SentenceLabel:
    """A sentence-level judgement: event type ``label`` is (``value``) or is not reported in ``[start, end)``.

    Sources such as the Arabic PLOVER gold standard judge a sentence for one type, with no
    trigger; ``[start, end)`` must be one of the document's sentences.
    """

    start: int
    end: int
    label: str
    value: bool

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label, "value": self.value}


@dataclass
class Document:
    id: str
    text: str
    entities: list[Span] = field(default_factory=list)
    events: list[Span] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    # Event types whose triggers were annotated exhaustively over the whole text; None: every type
    # (a fully annotated document such as the seed corpus). Other types are known only where
    # ``sentence_labels`` or a trigger says so.
    judged: list[str] | None = None
    sentence_labels: list[SentenceLabel] = field(default_factory=list)

    def spans(self, kind: str) -> list[Span]:
        if kind not in SPAN_KINDS:
            raise KeyError(f"unknown span kind {kind!r}")
        return self.entities if kind == "entities" else self.events

    def with_sentences(self) -> Document:
        """Fill ``sentences`` from the project's splitter (used on import and creation)."""
        self.sentences = [(s.start, s.end) for s in split_sentences(self.text)]
        return self

    def split_around_spans(self) -> int:
        """Fill ``sentences`` from the splitter without cutting any span; the number of breaks moved.

        For importers whose source has no sentences: the project made the breaks, so a break
        inside an entity, trigger or argument (an abbreviation such as ``T.W.A.`` in a name) is
        the splitter's mistake, not the annotator's, and that sentence is joined with the next.
        """
        n = len(self.text)
        keep = [(s.start, s.end) for kind in SPAN_KINDS for s in self.spans(kind)]
        keep += [(a.start, a.end) for s in self.events for a in s.args]
        sents, moved = split_sentences_around(self.text, [(a, b) for a, b in keep if 0 <= a < b <= n])
        self.sentences = [(s.start, s.end) for s in sents]
        return moved

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "meta": self.meta,
            "entities": [s.to_dict() for s in sorted(self.entities)],
            "events": [s.to_dict() for s in sorted(self.events)],
            "sentences": [{"start": a, "end": b} for a, b in self.sentences],
            **({} if self.judged is None else {"judged": list(self.judged)}),
            **({"sentence_labels": [x.to_dict() for x in sorted(self.sentence_labels)]} if self.sentence_labels else {}),
        }


@dataclass(frozen=True)
class Problem:
    """One validation finding, located by file, line (document) and field."""

    file: str
    line: int | None
    field: str
    message: str
    level: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        fld = f" {self.field}:" if self.field else ""
        tag = "" if self.level == "error" else f" [{self.level}]"
        return f"{where}:{tag}{fld} {self.message}"


class CorpusError(ValueError):
    """Raised when a corpus file has errors; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.level == "error"]
        head = f"{len(errors)} error(s) in corpus input:"
        super().__init__("\n".join([head, *(str(p) for p in errors)]))


# --------------------------------------------------------------------------- validation


def _describe(text: str, i: int) -> str:
    ch = text[i] if 0 <= i < len(text) else ""
    return "white space" if ch.isspace() else f"{ch!r} (U+{ord(ch):04X})" if ch else "nothing"


def _word_problems(text: str, start: int, end: int, f: str, file: str, line: int | None) -> list[Problem]:
    """A span in range that does not start and end on word boundaries, on word characters."""
    problems: list[Problem] = []
    if not is_word_char(text[start]):
        problems.append(Problem(file, line, f"{f}.start", f"span [{start}, {end}) starts on {_describe(text, start)}, not on a word"))
    elif not is_word_boundary(text, start):
        problems.append(Problem(file, line, f"{f}.start", f"span [{start}, {end}) starts inside the word at offset {start}"))
    if not is_word_char(text[end - 1]):
        problems.append(Problem(file, line, f"{f}.end", f"span [{start}, {end}) ends on {_describe(text, end - 1)}, not on a word"))
    elif not is_word_boundary(text, end):
        problems.append(Problem(file, line, f"{f}.end", f"span [{start}, {end}) ends inside the word at offset {end}"))
    return problems


def validate_roles(doc: Document, file: str = "<memory>", line: int | None = None) -> list[Problem]:
    """Checks of the triggers' arguments: known roles, one each, inside the text, on words, not the trigger.

    An argument outside the trigger's sentence is a warning: a role model reads one sentence.
    """
    problems: list[Problem] = []
    n = len(doc.text)
    sents = _effective_sentences(doc)[0]
    for k, s in enumerate(doc.events):
        seen: set[str] = set()
        for a in s.args:
            f = f"events[{k}].{a.role}"
            if a.role not in ROLES:
                problems.append(Problem(file, line, f, f"unknown role {a.role!r}; a trigger's arguments are {', '.join(ROLES)}"))
                continue
            if a.role in seen:
                problems.append(Problem(file, line, f, f"the trigger has more than one {a.role}"))
                continue
            seen.add(a.role)
            if not (0 <= a.start < a.end <= n):
                fld = f"{f}.start" if not (0 <= a.start <= n) or a.start >= a.end else f"{f}.end"
                problems.append(Problem(file, line, fld, f"offsets [{a.start}, {a.end}) are out of range for a text of length {n}"))
                continue
            word_problems = _word_problems(doc.text, a.start, a.end, f, file, line)
            problems += word_problems
            if word_problems:
                continue
            if (a.start, a.end) == (s.start, s.end):
                problems.append(Problem(file, line, f, f"[{a.start}, {a.end}) is the trigger itself; a {a.role} is an actor, not the event word"))
                continue
            home = [(x, y) for x, y in sents if x <= s.start and s.end <= y]
            if home and not (home[0][0] <= a.start and a.end <= home[0][1]):
                problems.append(Problem(file, line, f, f"[{a.start}, {a.end}) {doc.text[a.start:a.end]!r} lies outside the trigger's "
                                        f"sentence [{home[0][0]}, {home[0][1]}); a role model reading that sentence will not see it",
                                        level="warning"))
    return problems


def validate_spans(
    text: str, spans: Iterable[Span], labels: Iterable[str], kind: str, file: str, line: int | None
) -> list[Problem]:
    """Check offsets, word boundaries, labels and overlaps of one span list."""
    problems: list[Problem] = []
    allowed = set(labels)
    n = len(text)
    ok: list[tuple[int, Span]] = []
    for k, s in enumerate(spans):
        f = f"{kind}[{k}]"
        if s.label not in allowed:
            problems.append(Problem(file, line, f"{f}.label", f"label {s.label!r} is not in the schema's {kind} ({', '.join(sorted(allowed))})"))
        if not (0 <= s.start < s.end <= n):
            fld = f"{f}.start" if not (0 <= s.start <= n) or s.start >= s.end else f"{f}.end"
            problems.append(Problem(file, line, fld, f"offsets [{s.start}, {s.end}) are out of range for a text of length {n}"))
            continue
        word_problems = _word_problems(text, s.start, s.end, f, file, line)
        problems += word_problems
        if not word_problems:
            ok.append((k, s))
    ok.sort(key=lambda t: (t[1].start, t[1].end))
    for (ka, a), (kb, b) in zip(ok, ok[1:]):
        if b.start < a.end:
            problems.append(Problem(file, line, f"{kind}[{kb}]", f"span [{b.start}, {b.end}) {b.label} overlaps {kind}[{ka}] [{a.start}, {a.end}) {a.label}"))
    return problems


def validate_document(doc: Document, schema: Schema, file: str = "<memory>", line: int | None = None) -> list[Problem]:
    """Every problem with one document's spans and sentences."""
    problems: list[Problem] = []
    if not doc.text.strip():
        what = "empty" if not doc.text else "only white space"
        problems.append(Problem(file, line, "text", f"document {doc.id!r} is {what}", level="warning"))
    for kind in SPAN_KINDS:
        problems += validate_spans(doc.text, doc.spans(kind), schema.labels(kind), kind, file, line)
    problems += validate_roles(doc, file, line)
    prev = 0
    sentences_ok = True
    for k, (a, b) in enumerate(doc.sentences):
        if not (0 <= a < b <= len(doc.text)):
            problems.append(Problem(file, line, f"sentences[{k}]", f"offsets [{a}, {b}) are out of range for a text of length {len(doc.text)}"))
            sentences_ok = False
        elif a < prev:
            problems.append(Problem(file, line, f"sentences[{k}]", f"sentence [{a}, {b}) overlaps or precedes the sentence before it"))
            sentences_ok = False
        else:
            prev = b
    if sentences_ok:
        problems += sentence_cover_problems(doc, file, line)
    problems += sentence_label_problems(doc, schema.labels("events"), file, line)
    return problems


def sentence_label_problems(doc: Document, event_types: Iterable[str], file: str = "<memory>",
                            line: int | None = None) -> list[Problem]:
    """Checks of ``judged`` and ``sentence_labels``: known types, real sentences, no contradictions.

    A contradiction is a trigger of a type inside a sentence that a judgement marks "no" for
    that type, or two judgements of one sentence and type that disagree.
    """
    allowed = set(event_types)
    problems: list[Problem] = []
    for k, lab in enumerate(doc.judged or []):
        if lab not in allowed:
            problems.append(Problem(file, line, f"judged[{k}]", f"label {lab!r} is not in the schema's events ({', '.join(sorted(allowed))})"))
    sents = set(_effective_sentences(doc)[0])
    seen: dict[tuple[int, int, str], tuple[int, bool]] = {}
    for k, j in enumerate(doc.sentence_labels):
        f = f"sentence_labels[{k}]"
        if j.label not in allowed:
            problems.append(Problem(file, line, f"{f}.label", f"label {j.label!r} is not in the schema's events ({', '.join(sorted(allowed))})"))
        if (j.start, j.end) not in sents:
            problems.append(Problem(file, line, f, f"[{j.start}, {j.end}) is not one of the document's sentences"))
            continue
        key = (j.start, j.end, j.label)
        if key in seen and seen[key][1] != j.value:
            problems.append(Problem(file, line, f"{f}.value", f"contradicts sentence_labels[{seen[key][0]}]: {j.label} is judged both yes and no for sentence [{j.start}, {j.end})"))
        seen.setdefault(key, (k, j.value))
        if not j.value:
            for t, s in enumerate(doc.events):
                if s.label == j.label and j.start <= s.start and s.end <= j.end:
                    problems.append(Problem(file, line, f"{f}.value", f"contradiction: the sentence [{j.start}, {j.end}) is judged not {j.label}, "
                                            f"but events[{t}] [{s.start}, {s.end}) is a {j.label} trigger inside it"))
    return problems


def _effective_sentences(doc: Document) -> tuple[list[tuple[int, int]], str]:
    """The sentences training and evaluation will use: the stored ones, else the splitter's."""
    if doc.sentences:
        return list(doc.sentences), "stored sentences"
    return [(s.start, s.end) for s in split_sentences(doc.text)], "sentences from the splitter"


def _spans_in_range(doc: Document) -> Iterator[tuple[str, int, Span]]:
    n = len(doc.text)
    for kind in SPAN_KINDS:
        for k, s in enumerate(doc.spans(kind)):
            if 0 <= s.start < s.end <= n:
                yield kind, k, s


def sentence_cover_problems(doc: Document, file: str = "<memory>", line: int | None = None) -> list[Problem]:
    """Spans that do not lie inside one sentence: errors, because training and scoring see sentences.

    A span that crosses a sentence boundary would become two entities; one in a gap between
    sentences would never be trained on nor counted in the seqeval gold.
    """
    sents, where = _effective_sentences(doc)
    problems: list[Problem] = []
    for kind, k, s in _spans_in_range(doc):
        if any(a <= s.start and s.end <= b for a, b in sents):
            continue
        touching = [i for i, (a, b) in enumerate(sents) if s.start < b and a < s.end]
        what = f"span [{s.start}, {s.end}) {s.label} in document {doc.id!r}"
        if len(touching) > 1:
            i, j = touching[0], touching[-1]
            msg = (f"{what} crosses the boundary between sentences {i} [{sents[i][0]}, {sents[i][1]}) and {j} "
                   f"[{sents[j][0]}, {sents[j][1]}) ({where}); it would be cut in two")
        elif touching:
            i = touching[0]
            msg = f"{what} sticks out of sentence {i} [{sents[i][0]}, {sents[i][1]}) ({where}); it would be cut short"
        else:
            msg = f"{what} lies outside every sentence ({where}); it would never be trained on or scored"
        problems.append(Problem(file, line, f"{kind}[{k}]", msg + "; fix the sentences, or pass --extend-sentences (extend_sentences: true)"))
    return problems


def fit_sentences_to_spans(doc: Document, file: str = "<memory>", line: int | None = None) -> list[Problem]:
    """Join or widen the document's sentences so every span lies inside one; a warning for each change.

    Sentences a span crosses are joined into one that also covers the span; a span in a gap
    widens the sentence before it (or, for a span before the first sentence, the one after it).
    Nothing else moves, so all other spans stay in the sentences they were in.
    """
    sents, where = _effective_sentences(doc)
    if any(not (0 <= a < b <= len(doc.text)) for a, b in sents) or any(b0 > a1 for (_, b0), (a1, _) in zip(sents, sents[1:])):
        return []  # invalid sentences are reported by validation, not repaired
    warnings: list[Problem] = []
    for kind, k, s in _spans_in_range(doc):
        if any(a <= s.start and s.end <= b for a, b in sents):
            continue
        touching = [i for i, (a, b) in enumerate(sents) if s.start < b and a < s.end]
        if touching:
            i, j = touching[0], touching[-1]
            new = (min(sents[i][0], s.start), max(sents[j][1], s.end))
            sents[i : j + 1] = [new]
            how = f"joined sentences {i}–{j}" if j > i else f"widened sentence {i}"
        else:
            before = [i for i, (_, b) in enumerate(sents) if b <= s.start]
            if before:
                i = before[-1]
                new = (sents[i][0], s.end)
            elif sents:
                i = 0
                new = (s.start, sents[0][1])
            else:
                i = 0
                new = (s.start, s.end)
                sents.insert(0, new)
            sents[i] = new
            how = f"widened sentence {i}"
        warnings.append(Problem(file, line, f"{kind}[{k}]", f"span [{s.start}, {s.end}) {s.label} in document {doc.id!r} "
                                f"was not inside one sentence ({where}): {how} to [{new[0]}, {new[1]})", level="warning"))
    if warnings:
        doc.sentences = sents
    return warnings


# --------------------------------------------------------------------------- parsing


def _int_field(obj: dict, key: str, f: str, file: str, line: int, problems: list[Problem]) -> int | None:
    v = obj.get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        got = "missing" if key not in obj else f"{type(v).__name__} {v!r}"
        problems.append(Problem(file, line, f"{f}.{key}", f"must be an integer offset, got {got}"))
        return None
    return v


def _parse_args(s: dict, kind: str, f: str, file: str, line: int, problems: list[Problem]) -> tuple[Arg, ...] | None:
    """A trigger's ``source``/``target`` objects as :class:`Arg`; ``None`` after a problem."""
    present = [r for r in ROLES if r in s]
    if not present:
        return ()
    if kind != "events":
        problems.append(Problem(file, line, f"{f}.{present[0]}", f"only event triggers carry {', '.join(ROLES)}, not {kind}"))
        return None
    out: list[Arg] = []
    ok = True
    for role in present:
        v = s[role]
        if not isinstance(v, dict):
            problems.append(Problem(file, line, f"{f}.{role}", f"must be an object {{start, end}}, got {type(v).__name__}"))
            ok = False
            continue
        a = _int_field(v, "start", f"{f}.{role}", file, line, problems)
        b = _int_field(v, "end", f"{f}.{role}", file, line, problems)
        if a is None or b is None:
            ok = False
            continue
        out.append(Arg(role, a, b))
    return tuple(out) if ok else None


def document_from_dict(obj: Any, file: str, line: int, problems: list[Problem]) -> Document | None:
    """Build a document from parsed JSON, adding structural problems to ``problems``."""
    if not isinstance(obj, dict):
        problems.append(Problem(file, line, "", f"expected a JSON object, got {type(obj).__name__}"))
        return None
    before = len(problems)
    doc_id = obj.get("id")
    if isinstance(doc_id, int) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    if not isinstance(doc_id, str) or not doc_id:
        problems.append(Problem(file, line, "id", "missing or not a non-empty string"))
    text = obj.get("text")
    if not isinstance(text, str):
        problems.append(Problem(file, line, "text", "missing or not a string" if text is None else f"must be a string, got {type(text).__name__}"))
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        problems.append(Problem(file, line, "meta", f"must be an object, got {type(meta).__name__}"))
        meta = {}
    lists: dict[str, list[Span]] = {}
    for kind in SPAN_KINDS:
        raw = obj.get(kind, [])
        lists[kind] = []
        if not isinstance(raw, list):
            problems.append(Problem(file, line, kind, f"must be a list of spans, got {type(raw).__name__}"))
            continue
        for k, s in enumerate(raw):
            f = f"{kind}[{k}]"
            if not isinstance(s, dict):
                problems.append(Problem(file, line, f, f"must be an object with start, end, label; got {type(s).__name__}"))
                continue
            a = _int_field(s, "start", f, file, line, problems)
            b = _int_field(s, "end", f, file, line, problems)
            label = s.get("label")
            if not isinstance(label, str):
                problems.append(Problem(file, line, f"{f}.label", "missing or not a string"))
            args = _parse_args(s, kind, f, file, line, problems)
            if a is not None and b is not None and isinstance(label, str) and args is not None:
                lists[kind].append(Span(a, b, label, args))
    sents: list[tuple[int, int]] = []
    raw_sents = obj.get("sentences", [])
    if not isinstance(raw_sents, list):
        problems.append(Problem(file, line, "sentences", "must be a list of {start, end}"))
    else:
        for k, s in enumerate(raw_sents):
            f = f"sentences[{k}]"
            if not isinstance(s, dict):
                problems.append(Problem(file, line, f, "must be an object with start and end"))
                continue
            a = _int_field(s, "start", f, file, line, problems)
            b = _int_field(s, "end", f, file, line, problems)
            if a is not None and b is not None:
                sents.append((a, b))
    judged = obj.get("judged")
    if judged is not None and (not isinstance(judged, list) or not all(isinstance(x, str) for x in judged)):
        problems.append(Problem(file, line, "judged", f"must be a list of event types or absent, got {judged!r}"[:200]))
    sentence_labels: list[SentenceLabel] = []
    raw_sl = obj.get("sentence_labels", [])
    if not isinstance(raw_sl, list):
        problems.append(Problem(file, line, "sentence_labels", f"must be a list of {{start, end, label, value}}, got {type(raw_sl).__name__}"))
        raw_sl = []
    for k, s in enumerate(raw_sl):
        f = f"sentence_labels[{k}]"
        if not isinstance(s, dict):
            problems.append(Problem(file, line, f, "must be an object with start, end, label, value"))
            continue
        a = _int_field(s, "start", f, file, line, problems)
        b = _int_field(s, "end", f, file, line, problems)
        label, value = s.get("label"), s.get("value")
        if not isinstance(label, str):
            problems.append(Problem(file, line, f"{f}.label", "missing or not a string"))
        if not isinstance(value, bool):
            problems.append(Problem(file, line, f"{f}.value", f"must be true or false, got {value!r}"[:200]))
        if a is not None and b is not None and isinstance(label, str) and isinstance(value, bool):
            sentence_labels.append(SentenceLabel(a, b, label, value))
    if len(problems) > before or not isinstance(text, str):
        return None
    return Document(id=doc_id, text=text, entities=lists["entities"], events=lists["events"], sentences=sents, meta=meta,
                    judged=judged, sentence_labels=sentence_labels)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in parsed JSON (keys too) with its field path: ``text``, ``meta.source``, ``entities[0].label``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if isinstance(k, str):
                yield sub, k
            yield from _strings(v, sub)
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from _strings(v, f"{path}[{k}]")


def has_lone_surrogate(obj: Any) -> bool:
    """Whether any string in parsed JSON holds a lone surrogate (the record cannot be text)."""
    return any(lone_surrogate(s) >= 0 for _, s in _strings(obj, ""))


def record_label(obj: Any) -> str:
    """How a record is named in a message: ``document 'ID'`` where it has an id, else ``the record``."""
    rid = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(rid, (str, int)) and not isinstance(rid, bool) and lone_surrogate(str(rid)) < 0:
        return f"document {str(rid)!r}"
    return "the record"


def not_text_problems(obj: Any, file: str, line: int | None, field_prefix: str = "") -> list[Problem]:
    """Strings in a parsed record that are not text: a lone surrogate is an error, NUL a warning.

    A record with an error must be left out: it cannot be written as UTF-8 nor tokenised. Each
    problem names the field and the record's id, so one bad record is found among thousands.
    """
    problems: list[Problem] = []
    who = record_label(obj)
    for fld, s in _strings(obj, field_prefix):
        i = lone_surrogate(s)
        if i >= 0:
            problems.append(Problem(file, line, fld, f"{who}: {surrogate_message(s, i)}"))
        elif "\x00" in s:
            problems.append(Problem(file, line, fld, f"{who}: {nul_message(s)}", level="warning"))
    return problems


def _may_hold_non_text(line: str) -> bool:
    """Whether a JSON line can decode to a lone surrogate or NUL: only its \\u escapes can (UTF-8 cannot)."""
    return "\\u" in line and ("\\u0000" in line or re.search(r"\\u[dD][89a-fA-F]", line) is not None)


def iter_jsonl_records(path: str | Path, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, parsed_json)`` lazily; undecodable or malformed lines become problems.

    A UTF-8 byte-order mark at the start of the file is accepted. Invalid UTF-8 is reported
    with its byte offset in the file; a file in UTF-16 without a BOM (valid UTF-8 in form, but
    full of ``\\x00``) is refused as a whole. A record holding a lone surrogate is reported and
    left out (every other record still comes); one holding NUL is kept, with a warning.
    """
    file = str(path)
    order = sniff_utf16(path)
    if order:
        problems.append(Problem(file, None, "", utf16_message(order)))
        return
    offset = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line_start = offset
            offset += len(raw)
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
                line_start += 3
            try:
                s = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(Problem(file, lineno, "", f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {line_start + exc.start} of the file"))
                continue
            if not s.strip():
                continue
            try:
                obj = json.loads(s)
            except json.JSONDecodeError as exc:
                problems.append(Problem(file, lineno, "", f"not valid JSON: {exc.msg} (column {exc.colno})"))
                continue
            if _may_hold_non_text(s):
                found = not_text_problems(obj, file, lineno)
                problems += found
                if any(p.level == "error" for p in found):
                    continue
            yield lineno, obj


def read_jsonl(path: str | Path, schema: Schema | None = None, strict: bool = True,
               extend_sentences: bool = False) -> tuple[list[Document], list[Problem]]:
    """Load and validate a corpus file. With ``strict``, raise :class:`CorpusError` on any error.

    With ``extend_sentences``, sentences are joined or widened so that every span lies inside
    one (a warning each), instead of such spans being errors.
    """
    schema = schema or load_schema()
    file = str(path)
    problems: list[Problem] = []
    docs: list[Document] = []
    seen: dict[str, int] = {}
    if not Path(path).is_file():
        problems.append(Problem(file, None, "", "file not found"))
    else:
        for lineno, obj in iter_jsonl_records(path, problems):
            doc = document_from_dict(obj, file, lineno, problems)
            if doc is None:
                continue
            if doc.id in seen:
                problems.append(Problem(file, lineno, "id", f"duplicate id {doc.id!r} (first on line {seen[doc.id]})"))
            else:
                seen[doc.id] = lineno
            if extend_sentences:
                problems += fit_sentences_to_spans(doc, file, lineno)
            problems += validate_document(doc, schema, file, lineno)
            docs.append(doc)
        if not docs and not any(p.level == "error" for p in problems):
            problems.append(Problem(file, None, "", "the file holds no documents", level="warning"))
    if strict and any(p.level == "error" for p in problems):
        raise CorpusError(problems)
    return docs, problems


def write_jsonl(path: str | Path, docs: Iterable[Document], schema: Schema | None = None) -> None:
    """Validate then write documents atomically; refuses to write an invalid corpus."""
    schema = schema or load_schema()
    docs = list(docs)
    problems: list[Problem] = []
    seen: set[str] = set()
    for k, d in enumerate(docs, start=1):
        if d.id in seen:
            problems.append(Problem(str(path), k, "id", f"duplicate id {d.id!r}"))
        seen.add(d.id)
        problems += validate_document(d, schema, str(path), k)
    if any(p.level == "error" for p in problems):
        raise CorpusError(problems)
    atomic_write_text(path, (json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in docs))
