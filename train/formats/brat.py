"""brat standoff: a folder of ``NAME.txt`` / ``NAME.ann`` pairs.

Format (brat docs, "brat standoff format", https://brat.nlplab.org/standoff.html, and the wiki
page https://github.com/nlplab/brat/wiki/Annotation-Data-Format): text-bound annotations are
``T<n> TAB LABEL START END TAB TEXT``; a discontinuous one lists fragments as
``START END;START END``. Other lines are relations (``R``), events (``E``), attributes
(``A``/``M``), normalizations (``N``), notes (``#``) and equivalences (``*``).

- Event triggers are ``T`` lines too; the schema decides whether a label is an entity or an
  event, so PLOVER types become ``events``. ``E``/``R``/``A``/``N``/``#``/``*`` lines are skipped
  and counted.
- Discontinuous spans are reported with their file, line and fragments and left out, never
  merged into one span.
- Offsets are code points; brat's client counted UTF-16 code units after emoji (brat issue
  #1115), so a span whose stored text only matches as UTF-16 is converted and counted.
- The document id is the file name without ``.txt``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from train.atomic import atomic_write_text
from train.corpus.document import Document
from train.corpus.schema import Schema
from train.corpus.text import utf16_message, utf16_without_bom
from train.formats.common import AmbiguousOffsets, ImportReport, SpanCollector, resolve_offsets

NAME = "brat"
_SKIP = {"R": "relation", "E": "event structure", "A": "attribute", "M": "attribute",
         "N": "normalization", "#": "note", "*": "equivalence"}
_OFFSETS = re.compile(r"^\d+ \d+(;\d+ \d+)*$")
_SAFE = re.compile(r"[^\w.\-]+")


def _read_text(p: Path, report: ImportReport) -> str | None:
    raw = p.read_bytes()
    order = utf16_without_bom(raw[:65536])
    if order:
        report.error(None, "", f"{p.name}: {utf16_message(order)}")
        return None
    try:
        return raw.decode("utf-8")  # bytes, so \r\n stays two characters as brat counts
    except UnicodeDecodeError as exc:
        report.error(None, "", f"{p.name}: not valid UTF-8 at byte offset {exc.start}")
        return None


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None, offset_unit: str = "auto",
         extend_sentences: bool = False) -> tuple[list[Document], ImportReport]:
    folder = Path(path)
    report = ImportReport(str(folder), NAME)
    if not folder.is_dir():
        report.error(None, "", "brat input must be a folder of .txt/.ann pairs")
        return [], report
    if annotator is not None:
        report.notes.append("brat keeps one annotation set per document; --annotator is ignored")
    docs: list[Document] = []
    txts = sorted(folder.glob("*.txt"))
    if not txts:
        report.error(None, "", "no .txt files in the folder")
    for orphan in sorted(folder.glob("*.ann")):
        if not orphan.with_suffix(".txt").exists():
            report.error(None, "", f"{orphan.name}: no matching .txt file")
    for txt in txts:
        text = _read_text(txt, report)
        if text is None:
            continue
        ann = txt.with_suffix(".ann")
        sub = ImportReport(str(ann), NAME)
        col = SpanCollector(sub, schema, text, None, txt.stem, label_map, snap, offset_unit, extend_sentences)
        if not ann.exists():
            sub.warn(None, "", "no .ann file: the document has no annotations")
            lines: list[str] = []
        else:
            content = _read_text(ann, sub)
            lines = content.split("\n") if content is not None else []
            col.failed = content is None
        for lineno, line in enumerate(lines, start=1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            col.record = lineno
            kind = line[0]
            if kind != "T":
                if kind in _SKIP:
                    sub.skipped[_SKIP[kind]] += 1
                else:
                    sub.error(lineno, "id", f"unknown annotation id {line.split(chr(9))[0]!r}; brat ids start with T, R, E, A, M, N, # or *")
                    col.failed = True
                continue
            parts = line.split("\t")
            if len(parts) < 2 or " " not in parts[1]:
                sub.error(lineno, "type and offsets", f"expected 'T<n>\\tLABEL START END\\tTEXT', got {line!r}")
                col.failed = True
                continue
            tid = parts[0]
            label, _, offs = parts[1].partition(" ")
            if not _OFFSETS.match(offs):
                sub.error(lineno, f"{tid}.offsets", f"offsets must be 'START END' (or fragments joined by ';'), got {offs!r}")
                col.failed = True
                continue
            frags = [tuple(int(x) for x in f.split()) for f in offs.split(";")]
            if len(frags) > 1:
                sub.skipped["discontinuous span"] += 1
                sub.warn(lineno, tid, f"discontinuous {label} span {offs} in document {txt.stem!r} was left out (not merged)")
                continue
            stored = "\t".join(parts[2:]) if len(parts) > 2 else None  # the text column may hold a tab
            try:
                a, b, converted = resolve_offsets(text, frags[0][0], frags[0][1], stored, offset_unit)
            except AmbiguousOffsets as exc:
                sub.error(lineno, f"{tid}.offsets", f"{exc} (document {txt.stem!r})")
                col.failed = True
                continue
            sub.utf16 += converted
            if stored is not None and 0 <= a < b <= len(text) and text[a:b].replace("\n", " ") != stored.replace("\n", " "):
                sub.warn(lineno, f"{tid}.text", f"stored text {stored!r} differs from the text at {offs} ({text[a:b]!r}) in document {txt.stem!r}")
            col.add(a, b, label, tid)
        col.record = None
        doc = col.build({"source": str(txt)})
        report.problems += sub.problems
        report.skipped.update(sub.skipped)
        report.dropped_labels.update(sub.dropped_labels)
        report.snapped += sub.snapped
        report.utf16 += sub.utf16
        report.sentence_breaks_moved += sub.sentence_breaks_moved
        if doc is not None:
            report.documents += 1
            report.spans.update(sub.spans)
            docs.append(doc)
    return docs, report


def file_stem(doc_id: str) -> str:
    """A file name for a document id: unsafe characters become ``_``."""
    return _SAFE.sub("_", doc_id) or "doc"


def ann_text(doc: Document) -> str:
    lines = []
    spans = sorted(doc.entities + doc.events)
    for n, s in enumerate(spans, start=1):
        frag = doc.text[s.start:s.end].replace("\r", " ").replace("\n", " ")
        lines.append(f"T{n}\t{s.label} {s.start} {s.end}\t{frag}\n")
    return "".join(lines)


def write(docs: list[Document], path: str | Path, *, schema: Schema | None = None) -> None:
    """One ``.txt``/``.ann`` pair per document in folder ``path``; entities and triggers as ``T`` lines."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder}: brat output must be a folder")
    stems: dict[str, str] = {}
    for d in docs:
        stem = file_stem(d.id)
        if stem in stems:
            raise ValueError(f"{folder}: documents {stems[stem]!r} and {d.id!r} map to the same file name {stem!r}")
        stems[stem] = d.id
    files = [(folder / f"{file_stem(d.id)}.txt", d.text) for d in docs] + [(folder / f"{file_stem(d.id)}.ann", ann_text(d)) for d in docs]
    folder.mkdir(parents=True, exist_ok=True)
    for p, content in files:
        # newline="" semantics: atomic_write_text writes "\n" as is, so offsets stay exact
        atomic_write_text(p, [content])
