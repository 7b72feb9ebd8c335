"""The Arabic PLOVER event gold standard (Open Event Data Alliance, ``arabic_event_gsr``), CSV.

Shape (``../shared/data/PLOVER-Arabic-GSR/PROVENANCE.md``; https://github.com/openeventdata/arabic_event_gsr,
MIT): one sentence a row, with columns ``id`` (``DOC-N`` or ``DOC_N``: document ``DOC``, sentence
``N``), ``text``, ``event_type`` (the one type the annotators were asked about) and ``label``:

- ``yes`` is a positive judgement, ``easy no`` and ``difficult no`` are negative ones;
- ``ambiguous`` is dropped by default (counted); ``keep_ambiguous`` keeps the sentence, with the
  type unjudged, so it still serves as context.

Other columns (``accept``, ``reject``, ``total``, the pandas index) are ignored. A row judges only
its own type: the documents have ``judged: []`` and one ``sentence_labels`` entry per row, so
training and evaluation ignore every other type of the sentence. Sentences of one document (also
across files: a folder holds ``assault_gsr.csv`` and ``protest_gsr.csv``) are joined in sentence
order, one a line, and stored as the document's sentences; their numbers are kept in
``meta.sentence_numbers`` so that a ``previous`` context is empty across a gap.

``read`` takes a CSV file or a folder (its ``*.csv`` files, in name order).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from train.corpus.document import Document, Problem, SentenceLabel
from train.corpus.schema import Schema
from train.corpus.text import sniff_utf16, utf16_message
from train.formats.common import ImportReport, map_label

NAME = "gsr"
POSITIVE = {"yes"}
NEGATIVE = {"easy no", "difficult no"}
AMBIGUOUS = {"ambiguous"}
REQUIRED = ("id", "text", "event_type", "label")
_SENTENCE_ID = re.compile(r"^(?P<doc>.+?)[-_](?P<n>\d+)$")


@dataclass
class _Sentence:
    text: str
    where: str  # file:line of its first row
    verdicts: dict[str, tuple[bool | None, str]] = field(default_factory=dict)  # type -> (value, where)


def gsr_files(path: str | Path, pattern: str, report: ImportReport | None = None, kind: str | None = None) -> list[Path]:
    """The files of a GSR path: the file itself, or a folder's ``pattern`` files in name order.

    With ``report``, an empty folder (``kind`` names the files it lacks) or a missing path is reported
    there, and no file is returned.
    """
    p = Path(path)
    files = sorted(q for q in p.glob(pattern) if q.is_file()) if p.is_dir() else [p]
    if report is not None:
        if p.is_dir() and not files:
            report.error(None, "", f"the folder holds no {kind or pattern} files")
        elif not p.exists():
            report.error(None, "", "file not found")
            return []
    return files


def csv_files(path: str | Path) -> list[Path]:
    """The CSV files of a GSR path: the file itself, or a folder's ``*.csv`` in name order."""
    return gsr_files(path, "*.csv")


def join_sentences(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A document's text from its sentences in order, one per line, and each sentence's bounds in it."""
    bounds: list[tuple[int, int]] = []
    pos = 0
    for t in texts:
        bounds.append((pos, pos + len(t)))
        pos += len(t) + 1
    return "\n".join(texts), bounds


def count_skips(stats: Counter, report: ImportReport) -> None:
    """Move the reader's ``skip:REASON`` counts into the report's ``skipped``."""
    for k, n in sorted(stats.items()):
        if k.startswith("skip:"):
            report.skipped[k[5:]] += n


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None, extend_sentences: bool = False,
         keep_ambiguous: bool = False) -> tuple[list[Document], ImportReport]:
    """Documents with sentence-level judgements from GSR CSV rows; errors name file, line and column."""
    report = ImportReport(str(path), NAME)
    events = set(schema.labels("events"))
    files = gsr_files(path, "*.csv", report, kind=".csv")
    docs: dict[str, dict[int, _Sentence]] = {}
    stats: Counter = Counter()
    for f in files:
        order = sniff_utf16(f)
        if order:
            report.problems.append(Problem(str(f), None, "", utf16_message(order)))
            continue
        try:
            with open(f, encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
                if missing:
                    report.problems.append(Problem(str(f), 1, ",".join(missing),
                                                   f"missing column(s) {', '.join(missing)}; a GSR file has {', '.join(REQUIRED)}"))
                    continue
                start = reader.line_num + 1
                for row in reader:
                    line, start = start, reader.line_num + 1
                    _row(row, f, line, report, docs, stats, events, label_map, keep_ambiguous)
        except UnicodeDecodeError as exc:
            report.problems.append(Problem(str(f), None, "", f"not valid UTF-8: {exc.reason} at byte {exc.start}"))
        except csv.Error as exc:
            report.problems.append(Problem(str(f), None, "", f"not a readable CSV file: {exc}"))
    out: list[Document] = []
    for doc_id, sents in docs.items():
        numbers = sorted(sents)
        text, bounds = join_sentences([sents[n].text for n in numbers])
        labels = [SentenceLabel(a, b, lab, v) for (a, b), n in zip(bounds, numbers)
                  for lab, (v, _) in sorted(sents[n].verdicts.items()) if v is not None]
        out.append(Document(id=doc_id, text=text, sentences=bounds,
                            meta={"source": "PLOVER-Arabic-GSR", "sentence_numbers": numbers},
                            judged=[], sentence_labels=labels))
    report.documents = len(out)
    count_skips(stats, report)
    report.notes.append(f"{sum(len(s) for s in docs.values())} sentence(s); judgements: {stats['yes']} yes, "
                        f"{stats['no']} no" + (f", {stats['unjudged']} ambiguous kept unjudged" if keep_ambiguous else ""))
    return out, report


def _row(row: dict, f: Path, line: int, report: ImportReport, docs: dict[str, dict[int, _Sentence]], stats: Counter,
         events: set[str], label_map: Mapping[str, str | None] | None, keep_ambiguous: bool) -> None:
    where = f"{f}:{line}"

    def err(fld: str, msg: str) -> None:
        report.problems.append(Problem(str(f), line, fld, msg))

    if None in row:  # more cells than columns
        err("", f"{len(row[None])} cell(s) more than the header's columns")
        return
    sid, text, etype, verdict = (row.get(c) for c in REQUIRED)
    if any(v is None for v in (sid, text, etype, verdict)):
        err(next(c for c in REQUIRED if row.get(c) is None), "missing (the row has fewer cells than the header)")
        return
    m = _SENTENCE_ID.match(sid.strip())
    if not m:
        err("id", f"{sid!r} is not a sentence id DOC-N or DOC_N (the document id and the sentence number)")
        return
    if not text.strip():
        err("text", f"sentence {sid!r} has no text")
        return
    v = verdict.strip().lower()
    if v in POSITIVE or v in NEGATIVE:
        value: bool | None = v in POSITIVE
    elif v in AMBIGUOUS:
        if not keep_ambiguous:
            stats["skip:ambiguous row(s)"] += 1
            return
        value = None
    else:
        err("label", f"{verdict!r} is not one of yes, easy no, difficult no, ambiguous")
        return
    mapped = map_label(etype.strip(), label_map)
    if mapped is None:
        report.dropped_labels[etype.strip()] += 1
        return
    if mapped not in events:
        err("event_type", f"{etype!r} is not in the schema's events ({', '.join(sorted(events))}); map it with --label-map")
        return
    doc_id, n = m.group("doc"), int(m.group("n"))
    sents = docs.setdefault(doc_id, {})
    s = sents.get(n)
    if s is None:
        s = sents[n] = _Sentence(text, where)
    elif s.text != text:
        err("text", f"sentence {sid!r} was read before ({s.where}) with a different text")
        return
    if mapped in s.verdicts and s.verdicts[mapped][0] != value:
        err("label", f"sentence {sid!r} is judged {verdict!r} for {mapped} here but differently at {s.verdicts[mapped][1]}")
        return
    if mapped in s.verdicts:
        stats["skip:repeated judgement(s)"] += 1
        return
    s.verdicts[mapped] = (value, where)
    stats["yes" if value else "no" if value is not None else "unjudged"] += 1
