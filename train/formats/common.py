"""Helpers every importer shares: label mapping, UTF-16 offsets, span checks, the import summary.

Importers turn a tool's records into :class:`~train.corpus.document.Document` objects through a
:class:`SpanCollector`, which routes each label to ``entities`` or ``events`` by the schema,
applies the ``--label-map``, checks offsets and word boundaries (or snaps them with ``--snap``)
and records every problem with the file, the record and the tool's own field name, so a user
can find the bad item in the file they exported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from train.corpus.document import Document, Problem, Span, fit_sentences_to_spans, validate_document
from train.corpus.schema import Schema
from train.corpus.text import is_word_boundary, is_word_char, snap_to_words


class FormatError(ValueError):
    """A file that cannot be read as the format it claims to be (used for whole-file faults)."""


# --------------------------------------------------------------------------- label maps


def load_label_map(path: str | Path) -> dict[str, str | None]:
    """Read a ``--label-map`` YAML file: ``TOOL_LABEL: SCHEMA_LABEL`` or ``TOOL_LABEL: null``."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{p}: label map not found") from None
    except yaml.YAMLError as exc:
        raise FormatError(f"{p}: label map is not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FormatError(f"{p}: a label map must be a mapping of tool label to schema label (or null)")
    out: dict[str, str | None] = {}
    for k, v in raw.items():
        if not isinstance(k, str) or not k:
            raise FormatError(f"{p}: key {k!r}: tool labels must be non-empty strings")
        if v is not None and (not isinstance(v, str) or not v):
            raise FormatError(f"{p}: {k}: must map to a schema label or null, got {v!r}")
        out[k] = v
    return out


def map_label(label: str, label_map: Mapping[str, str | None] | None) -> str | None:
    """The label after ``label_map``; ``None`` means drop it. Unmapped labels pass through."""
    if label_map and label in label_map:
        return label_map[label]
    return label


# --------------------------------------------------------------------------- UTF-16 offsets


def utf16_to_codepoint(text: str, offset: int) -> int:
    """Convert an offset in UTF-16 code units (JavaScript string indices) to a code-point offset.

    Offsets that fall in the middle of a surrogate pair, or beyond the text, are returned as
    ``-1`` so the caller reports them as out of range.
    """
    if offset < 0:
        return -1
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        if units > offset:
            return -1
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text) if units == offset else -1


def codepoint_to_utf16(text: str, offset: int) -> int:
    """Convert a code-point offset into ``text`` to UTF-16 code units (for JavaScript tools)."""
    return offset + sum(1 for ch in text[:offset] if ord(ch) > 0xFFFF)


def has_astral(text: str) -> bool:
    """True when ``text`` has characters outside the BMP, where the two offset systems differ."""
    return any(ord(ch) > 0xFFFF for ch in text)


# --------------------------------------------------------------------------- the summary


@dataclass
class ImportReport:
    """What an import did: counts for the printed summary, and every problem it found."""

    file: str
    fmt: str = ""
    documents: int = 0
    spans: Counter = field(default_factory=Counter)  # kind -> count
    skipped: Counter = field(default_factory=Counter)  # what was skipped -> count
    dropped_labels: Counter = field(default_factory=Counter)  # tool label -> count (label map)
    snapped: int = 0
    utf16: int = 0  # spans whose offsets were read as UTF-16 code units and converted
    sentence_breaks_moved: int = 0  # splitter breaks inside a span, joined with the next sentence
    annotator: str | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    def error(self, record: int | None, fld: str, message: str) -> None:
        self.problems.append(Problem(self.file, record, fld, message))

    def warn(self, record: int | None, fld: str, message: str) -> None:
        self.problems.append(Problem(self.file, record, fld, message, level="warning"))

    def note_annotator(self, multi: int, annotator: str | None, what: str, first: str) -> None:
        """Say whose work was taken where ``multi`` records (``what``) had several; ``first`` is the default."""
        if multi:
            who = f"--annotator {annotator}" if annotator is not None else f"{first} (choose with --annotator)"
            self.annotator = f"{multi} {what}; took {who}"
        elif annotator is not None:
            self.annotator = f"took the work of {annotator}"

    def summary(self) -> str:
        """A few lines for the terminal: documents, spans, skipped items, annotator, snapping."""
        head = f"{self.file}: {self.documents} document(s), {self.spans.get('entities', 0)} entities, {self.spans.get('events', 0)} events"
        lines = [head]
        if self.annotator:
            lines.append(f"  annotator: {self.annotator}")
        if self.snapped:
            lines.append(f"  --snap moved {self.snapped} span(s) to word boundaries")
        if self.utf16:
            lines.append(f"  {self.utf16} span(s) had UTF-16 offsets (JavaScript) and were converted to code points")
        if self.sentence_breaks_moved:
            lines.append(f"  {self.sentence_breaks_moved} sentence break(s) moved to keep spans whole (the source has no "
                         "sentences, and the splitter ended one inside a span, e.g. after an abbreviation)")
        if self.skipped:
            parts = ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items()))
            lines.append(f"  skipped: {parts}")
        if self.dropped_labels:
            parts = ", ".join(f"{k} ×{n}" for k, n in sorted(self.dropped_labels.items()))
            lines.append(f"  dropped by the label map: {parts}")
        lines += [f"  note: {n}" for n in self.notes]
        warnings = [p for p in self.problems if p.level != "error"]
        lines += [f"  {p}" for p in warnings]
        return "\n".join(lines)


# --------------------------------------------------------------------------- building documents


def span_text_hint(text: str, start: int, end: int, width: int = 40) -> str:
    frag = text[start:end]
    return repr(frag if len(frag) <= width else frag[: width - 1] + "…")


@dataclass
class SpanCollector:
    """Collects one document's spans from a tool, checking each against the schema and the text.

    ``record`` is the line (JSONL), task index (JSON) or file name shown in problems; ``fld`` on
    each :meth:`add` is the tool's own field path, e.g. ``annotations[0].result[2].value``.
    """

    report: ImportReport
    schema: Schema
    text: str
    record: int | None
    doc_id: str
    label_map: Mapping[str, str | None] | None = None
    snap: bool = False
    offset_unit: str = "auto"
    extend_sentences: bool = False
    entities: list[Span] = field(default_factory=list)
    events: list[Span] = field(default_factory=list)
    failed: bool = False

    def _err(self, fld: str, msg: str) -> None:
        self.failed = True
        self.report.error(self.record, fld, msg)

    def add(self, start: Any, end: Any, label: Any, fld: str, expected: Any = None, js_offsets: bool = False,
            args: tuple = ()) -> None:
        """Check and add one span; problems name ``fld`` and the document.

        ``args`` (an event trigger's source and target, :class:`~train.corpus.document.Arg`) are
        kept as they are; :meth:`build` validates them with the document.

        With ``js_offsets``, offsets that only make sense as UTF-16 code units are converted
        (see :func:`resolve_offsets`); ``expected`` is the span text the tool stored, if any.
        """
        if js_offsets:
            try:
                start, end, converted = resolve_offsets(self.text, start, end, expected, self.offset_unit)
            except AmbiguousOffsets as exc:
                self._err(fld, f"{exc} (document {self.doc_id!r})")
                return
            self.report.utf16 += converted
        ok = True
        for key, v in (("start", start), ("end", end)):
            if isinstance(v, bool) or not isinstance(v, int):
                got = "missing" if v is None else f"{type(v).__name__} {v!r}"
                self._err(f"{fld}.{key}", f"must be an integer offset, got {got}")
                ok = False
        if not isinstance(label, str) or not label:
            self._err(f"{fld}.label", "missing or not a non-empty string")
            ok = False
        if not ok:
            return
        n = len(self.text)
        if not (0 <= start < end <= n):
            bad = f"{fld}.start" if not (0 <= start <= n) or start >= end else f"{fld}.end"
            self._err(bad, f"offsets [{start}, {end}) are outside the text of document {self.doc_id!r} (length {n})")
            return
        target = map_label(label, self.label_map)
        if target is None:
            self.report.dropped_labels[label] += 1
            return
        kind = self.schema.kind_of(target)
        if kind is None:
            via = f" (mapped from {label!r})" if target != label else ""
            known = ", ".join(self.schema.entity_labels + self.schema.event_labels)
            self._err(f"{fld}.label", f"label {target!r}{via} is not in the schema ({known}); rename or drop it with --label-map")
            return
        if not self._on_words(start, end):
            if not self.snap:
                self._err(
                    fld,
                    f"span [{start}, {end}) {span_text_hint(self.text, start, end)} in document {self.doc_id!r} "
                    "does not sit on whole words; fix it in the tool or pass --snap",
                )
                return
            snapped = snap_to_words(self.text, start, end)
            if snapped is None:
                self._err(fld, f"span [{start}, {end}) {span_text_hint(self.text, start, end)} in document {self.doc_id!r} holds no word")
                return
            self.report.snapped += 1
            self.report.warn(self.record, fld, f"snapped [{start}, {end}) to [{snapped[0]}, {snapped[1]}) {span_text_hint(self.text, *snapped)} in document {self.doc_id!r}")
            start, end = snapped
        span = Span(start, end, target, tuple(args))
        spans = self.entities if kind == "entities" else self.events
        if span in spans:
            self.report.skipped["duplicate span"] += 1
            return
        spans.append(span)

    def _on_words(self, start: int, end: int) -> bool:
        t = self.text
        return (
            is_word_char(t[start]) and is_word_boundary(t, start)
            and is_word_char(t[end - 1]) and is_word_boundary(t, end)
        )

    def build(self, meta: dict[str, Any] | None = None, sentences: list[tuple[int, int]] | None = None) -> Document | None:
        """The document, or ``None`` if it had errors (already reported).

        ``sentences`` are the source's own; a span they cut is an error (or, with
        ``extend_sentences``, a warning). Without them the splitter makes the sentences and
        never cuts a span: each such break moves, and :attr:`ImportReport.sentence_breaks_moved`
        counts it.
        """
        doc = Document(id=self.doc_id, text=self.text, entities=sorted(self.entities), events=sorted(self.events), meta=meta or {})
        moved = 0
        if sentences:
            doc.sentences = list(sentences)
        else:
            moved = doc.split_around_spans()
        problems = fit_sentences_to_spans(doc, self.report.file, self.record) if self.extend_sentences else []
        problems += validate_document(doc, self.schema, self.report.file, self.record)
        errors = [p for p in problems if p.level == "error"]
        self.report.problems += problems
        if self.failed or errors:
            return None
        self.report.documents += 1
        self.report.sentence_breaks_moved += moved
        self.report.spans["entities"] += len(doc.entities)
        self.report.spans["events"] += len(doc.events)
        return doc


def unique_id(base: str, seen: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ... so that ids stay unique within one import."""
    cand, k = base, 1
    while cand in seen:
        k += 1
        cand = f"{base}-{k}"
    seen.add(cand)
    return cand


def check_unique_ids(docs: Iterable[Document], report: ImportReport) -> None:
    seen: dict[str, int] = {}
    for k, d in enumerate(docs, start=1):
        if d.id in seen:
            report.error(k, "id", f"duplicate document id {d.id!r} (first at record {seen[d.id]})")
        else:
            seen[d.id] = k


# --------------------------------------------------------------------------- offsets from JavaScript tools


OFFSET_UNITS = ("auto", "codepoint", "utf16")


class AmbiguousOffsets(ValueError):
    """Offsets that read as two different spans, one in code points and one in UTF-16 code units."""

    def __init__(self, text: str, start: int, end: int, utf16: tuple[int, int]):
        self.codepoint = (start, end)
        self.utf16 = utf16
        super().__init__(
            f"offsets [{start}, {end}) are ambiguous: the text has characters outside the BMP and the export "
            f"stores no span text; as code points they are {span_text_hint(text, start, end)}, as UTF-16 code "
            f"units (a JavaScript front end) {span_text_hint(text, *utf16)} at [{utf16[0]}, {utf16[1]}); "
            "say which with --offset-unit codepoint or --offset-unit utf16"
        )


def resolve_offsets(text: str, start: object, end: object, expected: object = None,
                    unit: str = "auto") -> tuple[object, object, bool]:
    """Read a tool's offsets as code points, or as UTF-16 code units where that is what they are.

    Tools with a JavaScript front end (Label Studio before its emoji fix, brat's client, doccano
    at least up to its 2023 releases, doccano issue #2290) count UTF-16 code units, so every
    character outside the BMP before a span shifts it. ``unit`` ``"codepoint"`` or ``"utf16"``
    says which the export uses. With ``"auto"``, and only where the two readings differ (``text``
    has such characters): a stored span text (``expected``) decides, and where both readings
    match it, code points (the unit Label Studio 1.x and brat's server document); without a
    stored text, the one reading that sits on whole words is taken, and where both do,
    :class:`AmbiguousOffsets` is raised rather than guessing. Returns ``(start, end,
    converted)``; offsets that are not integers are returned unchanged for the caller to report.
    """
    if unit not in OFFSET_UNITS:
        raise ValueError(f"offset unit must be one of {', '.join(OFFSET_UNITS)}, got {unit!r}")
    if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
        return start, end, False
    if unit == "codepoint" or not has_astral(text):
        return start, end, False
    a, b = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
    if unit == "utf16":
        return a, b, (a, b) != (start, end)

    def fits(x: int, y: int) -> bool:
        if not (0 <= x < y <= len(text)):
            return False
        if isinstance(expected, str) and expected:
            return text[x:y] == expected
        return is_word_char(text[x]) and is_word_boundary(text, x) and is_word_char(text[y - 1]) and is_word_boundary(text, y)

    as_codepoints = fits(start, end)
    as_utf16 = (a, b) != (start, end) and a >= 0 and b >= 0 and fits(a, b)
    if as_codepoints and as_utf16 and not (isinstance(expected, str) and expected):
        raise AmbiguousOffsets(text, start, end, (a, b))
    if as_codepoints or not as_utf16:
        return start, end, False
    return a, b, True


def read_json_lines(path: str | Path, report: ImportReport) -> list[tuple[int, Any]]:
    """Every ``(line, object)`` of a JSONL file; undecodable lines become errors in ``report``."""
    from train.corpus.document import iter_jsonl_records

    p = Path(path)
    if not p.is_file():
        report.error(None, "", "file not found")
        return []
    return list(iter_jsonl_records(p, report.problems))


def read_json(path: str | Path, report: ImportReport) -> Any:
    """A whole JSON file, or ``None`` with an error in ``report``."""
    import json

    from train.corpus.text import sniff_utf16, utf16_message

    p = Path(path)
    if not p.is_file():
        report.error(None, "", "file not found")
        return None
    order = sniff_utf16(p)
    if order:
        report.error(None, "", utf16_message(order))
        return None
    try:
        return json.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        report.error(None, "", f"not valid UTF-8 at byte offset {exc.start}")
    except json.JSONDecodeError as exc:
        report.error(exc.lineno, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    return None
