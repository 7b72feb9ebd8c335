"""The Arabic PLOVER gold standard's event spans (``*_spans.json``): triggers with source and target.

Shape (``../shared/data/PLOVER-Arabic-GSR/PROVENANCE.md``; https://github.com/openeventdata/arabic_event_gsr,
MIT): a JSON list with one record per accepted sentence::

    {"source": "AAW_ARB_20080228.0080-10",          # the sentence id of the CSV files, DOC-N
     "text": "…the sentence…", "event_type": "ASSAULT",
     "spans": [{"verb": ["اغتيال"], "source_actor": ["إسرائيل"], "target_actor": ["عماد", "مغنيّة"],
                "source_role": {"main": "ISR", "role": "None"}, "target_role": {…}}, …],
     "source_gold": "…", "verb_gold": "…", "target_gold": "…", "_id": "…"}

``spans`` holds one entry per annotator (usually three, with no names), each a coded event whose
parts are lists of the sentence's tokens. Those tokens are the white-space words with punctuation
split off (``«أورال»`` is ``«``, ``أورال``, ``»``), so the reader splits the sentence the same way
and looks for each list there:

- a list is placed where its tokens occur in a row; failing that, in order with at most
  :data:`MAX_GAP` other words between them (the span then covers those words too, a warning);
  punctuation at either edge is left out, so every span sits on whole words;
- where a list occurs more than once, the occurrence nearest the verb is taken (the verb itself,
  where it occurs more than once, the occurrence nearest the actors' own unique occurrences);
- a list that cannot be placed is reported (a warning naming the record and field) and left out:
  a verb that cannot be placed drops its entry, an actor only that role.

The annotators' entries then become triggers: entries whose verbs overlap are one event, whose
trigger is the verb span most annotators gave (ties: the shorter, then the first), and whose
source and target are each the span most of those annotators gave. Each trigger carries
``source`` and ``target`` (:class:`~train.corpus.document.Arg`); the actor codes stay in
``meta.roles``, one item per trigger in the order of ``events``::

    {"trigger": [start, end], "source_role": {"main": "ISR", "role": "None"}, "target_role": {…},
     "annotations": 3, "votes": 2}

Sentences of one document are joined in sentence order, one a line, as the CSV reader
(:mod:`train.formats.gsr`) does; each document has ``judged: []`` and a ``yes`` sentence label
for the record's type, since only that type was asked about. ``read`` takes a spans file or a
folder (its ``*_spans.json`` files, in name order).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from train.corpus.document import Arg, Document, Problem, SentenceLabel, Span, validate_document
from train.corpus.schema import Schema
from train.corpus.text import is_word_char, sniff_utf16, strip_diacritics, utf16_message
from train.formats.common import ImportReport, map_label
from train.formats.gsr import _SENTENCE_ID, count_skips, gsr_files, join_sentences

NAME = "gsr_spans"
PARTS = (("verb", "trigger"), ("source_actor", "source"), ("target_actor", "target"))
# The most words a token list may skip between its own tokens and still be placed as one span.
MAX_GAP = 2


def spans_files(path: str | Path) -> list[Path]:
    """The spans files of a GSR path: the file itself, or a folder's ``*_spans.json`` in name order."""
    return gsr_files(path, "*_spans.json")


def tokens(text: str) -> list[tuple[int, int]]:
    """The sentence split as the GSR tokens are: runs of word characters, and each other non-space character."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif is_word_char(text[i]):
            j = i
            while j < n and is_word_char(text[j]):
                j += 1
            out.append((i, j))
            i = j
        else:
            out.append((i, i + 1))
            i += 1
    return out


def _key(s: str) -> str:
    return strip_diacritics(s)


def occurrences(text: str, words: list[str], toks: list[tuple[int, int]] | None = None) -> list[tuple[int, int, int]]:
    """Every placement of the token list ``words`` in ``text``: ``(start, end, skipped words)``.

    Spans are trimmed of punctuation at their edges; placements in a row (``skipped`` 0) come
    first when there are any, else those that skip at most :data:`MAX_GAP` words.
    """
    toks = tokens(text) if toks is None else toks
    want = [_key(text_of) for w in words for a, b in tokens(w) for text_of in (w[a:b],)]
    if not want:
        return []
    have = [_key(text[a:b]) for a, b in toks]
    found: list[tuple[int, int, int]] = []
    for i in range(len(toks)):
        if have[i] != want[0]:
            continue
        j, skipped, ok = i, 0, True
        for w in want[1:]:
            k = j + 1
            while k < len(toks) and have[k] != w and skipped + (k - j) <= MAX_GAP:
                k += 1
            if k >= len(toks) or have[k] != w:
                ok = False
                break
            skipped += k - j - 1
            j = k
        if not ok or skipped > MAX_GAP:
            continue
        inner = [t for t in toks[i : j + 1] if is_word_char(text[t[0]])]
        if inner:
            found.append((inner[0][0], inner[-1][1], skipped))
    if any(s == 0 for *_, s in found):
        found = [f for f in found if f[2] == 0]
    return sorted(set(found))


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


@dataclass
class _Entry:
    """One annotator's coded event, placed."""

    trigger: tuple[int, int]
    source: tuple[int, int] | None
    target: tuple[int, int] | None
    source_role: Any
    target_role: Any


@dataclass
class _Sentence:
    text: str
    where: str
    labels: set[str]
    events: list[tuple[Span, dict[str, Any]]] = field(default_factory=list)


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None,
         extend_sentences: bool = False) -> tuple[list[Document], ImportReport]:
    """Documents with triggers carrying source and target from GSR spans files; problems name record and field."""
    report = ImportReport(str(path), NAME)
    events = set(schema.labels("events"))
    files = gsr_files(path, "*_spans.json", report)
    docs: dict[str, dict[int, _Sentence]] = {}
    stats: Counter = Counter()
    for f in files:
        order = sniff_utf16(f)
        if order:
            report.problems.append(Problem(str(f), None, "", utf16_message(order)))
            continue
        try:
            records = json.loads(f.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            report.problems.append(Problem(str(f), None, "", f"not valid UTF-8 at byte offset {exc.start}"))
            continue
        except json.JSONDecodeError as exc:
            report.problems.append(Problem(str(f), exc.lineno, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"))
            continue
        if not isinstance(records, list):
            report.problems.append(Problem(str(f), None, "", f"a spans file is a JSON list of records, got {type(records).__name__}"))
            continue
        for k, rec in enumerate(records):
            _record(rec, f, k, report, docs, stats, events, label_map)
    out: list[Document] = []
    for doc_id, sents in docs.items():
        numbers = sorted(sents)
        text, bounds = join_sentences([sents[n].text for n in numbers])
        spans: list[Span] = []
        roles: list[dict[str, Any]] = []
        for n, (pos, _) in zip(numbers, bounds):
            for span, meta in sents[n].events:
                moved = Span(span.start + pos, span.end + pos, span.label,
                             tuple(Arg(a.role, a.start + pos, a.end + pos) for a in span.args))
                spans.append(moved)
                roles.append({**meta, "trigger": [moved.start, moved.end]})
        labels = sorted(SentenceLabel(a, b, lab, True) for (a, b), n in zip(bounds, numbers) for lab in sents[n].labels)
        order = sorted(range(len(spans)), key=lambda i: spans[i])
        doc = Document(id=doc_id, text=text, events=[spans[i] for i in order], sentences=bounds,
                       meta={"source": "PLOVER-Arabic-GSR", "sentence_numbers": numbers, "roles": [roles[i] for i in order]},
                       judged=[], sentence_labels=labels)
        problems = validate_document(doc, schema, str(path), None)
        report.problems += problems
        if any(q.level == "error" for q in problems):
            continue
        out.append(doc)
    report.documents = len(out)
    report.spans["events"] = sum(len(d.events) for d in out)
    count_skips(stats, report)
    n_src = sum(1 for d in out for s in d.events if s.arg("source"))
    n_tgt = sum(1 for d in out for s in d.events if s.arg("target"))
    report.notes.append(f"{stats['records']} record(s), {stats['entries']} annotator entries; "
                        f"{report.spans['events']} trigger(s), {n_src} with a source, {n_tgt} with a target")
    if stats["unplaced"]:
        report.notes.append(f"{stats['unplaced']} token list(s) could not be placed in their sentence (warnings below)")
    if stats["head only"]:
        report.notes.append(f"{stats['head only']} verb(s) too far apart to be one span were placed as their first word (warnings below)")
    if stats["own document"]:
        report.notes.append(f"{stats['own document']} record(s) name no sentence id of their own (an outlet, or an id "
                            "already read with another text) and are documents of their own, under their _id")
    if stats["widened"]:
        report.notes.append(f"{stats['widened']} token list(s) were placed across words they skip (warnings below)")
    return out, report


def _place(text: str, toks: list[tuple[int, int]], words: Any, near: list[tuple[int, int]], fld: str,
           report: ImportReport, file: Path, k: int, stats: Counter, head: bool = False) -> tuple[int, int] | None:
    """One token list as a span, the occurrence nearest ``near``; ``None`` (reported) if it has none.

    With ``head`` (verbs), a list that cannot be placed whole falls back to its first word, which
    is the verb of a split phrase (تعرض … لاعتداءات, تفجير … وقتل); a warning says so.
    """
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        report.problems.append(Problem(str(file), k, fld, f"must be a list of token strings, got {words!r}"[:200]))
        stats["unplaced"] += 1
        return None
    if not words:
        return None
    occ = occurrences(text, words, toks)
    first = next((w for w in words if any(is_word_char(c) for c in w)), None)
    if not occ and head and len(words) > 1 and first is not None:
        occ = occurrences(text, [first], toks)
        if occ:
            report.problems.append(Problem(str(file), k, fld, f"the tokens {' '.join(words)!r} are too far apart to be one span; "
                                           f"placed their first word {first!r} only", level="warning"))
            stats["head only"] += 1
    if not occ:
        report.problems.append(Problem(str(file), k, fld, f"the tokens {' '.join(words)!r} do not occur in the sentence "
                                       f"(in a row, or in order with at most {MAX_GAP} word(s) between); left out", level="warning"))
        stats["unplaced"] += 1
        return None
    if near:
        best = min(occ, key=lambda o: (min(_distance(o[:2], x) for x in near), o[0]))
    else:
        best = occ[0]
    if best[2]:
        report.problems.append(Problem(str(file), k, fld, f"the tokens {' '.join(words)!r} are not in a row; the span "
                                       f"[{best[0]}, {best[1]}) {text[best[0]:best[1]]!r} also covers {best[2]} word(s) between them",
                                       level="warning"))
        stats["widened"] += 1
    return best[0], best[1]


def _record(rec: Any, f: Path, k: int, report: ImportReport, docs: dict[str, dict[int, _Sentence]], stats: Counter,
            events: set[str], label_map: Mapping[str, str | None] | None) -> None:
    file = str(f)

    def err(fld: str, msg: str) -> None:
        report.problems.append(Problem(file, k, fld, msg))

    where = f"[{k}]"
    if not isinstance(rec, dict):
        err(where, f"must be an object, got {type(rec).__name__}")
        return
    sid, text, etype, entries = rec.get("source"), rec.get("text"), rec.get("event_type"), rec.get("spans")
    for name, v, typ in (("source", sid, str), ("text", text, str), ("event_type", etype, str), ("spans", entries, list)):
        if not isinstance(v, typ):
            err(f"{where}.{name}", "missing" if v is None else f"must be a {typ.__name__}, got {type(v).__name__}")
            return
    m = _SENTENCE_ID.match(sid.strip())
    rid = rec.get("_id")
    if m:
        doc_id, n = m.group("doc"), int(m.group("n"))
    elif isinstance(rid, str) and rid:
        # A few records name their outlet ("Ad Dustour (Arabic)") instead of a sentence id: the
        # record is then a document of its own, under its ``_id``.
        doc_id, n = rid, 0
        stats["own document"] += 1
    else:
        err(f"{where}.source", f"{sid!r} is not a sentence id DOC-N or DOC_N (the document id and the sentence number), "
                               "and the record has no _id")
        return
    if not text.strip():
        err(f"{where}.text", f"sentence {sid!r} has no text")
        return
    label = map_label(etype.strip(), label_map)
    if label is None:
        report.dropped_labels[etype.strip()] += 1
        return
    if label not in events:
        err(f"{where}.event_type", f"{etype!r} is not in the schema's events ({', '.join(sorted(events))}); map it with --label-map")
        return
    stats["records"] += 1
    toks = tokens(text)
    placed: list[_Entry] = []
    for j, e in enumerate(entries):
        fld = f"{where}.spans[{j}]"
        if not isinstance(e, dict):
            err(fld, f"must be an object, got {type(e).__name__}")
            continue
        stats["entries"] += 1
        verb = e.get("verb")
        if not verb:
            stats["skip:entries without a verb"] += 1
            continue
        # The actors' unique occurrences locate a verb that occurs more than once.
        anchors = []
        for key in ("source_actor", "target_actor"):
            words = e.get(key)
            if isinstance(words, list) and words and all(isinstance(w, str) for w in words):
                occ = occurrences(text, words, toks)
                if len(occ) == 1:
                    anchors.append(occ[0][:2])
        trig = _place(text, toks, verb, anchors, f"{fld}.verb", report, f, k, stats, head=True)
        if trig is None:
            stats["skip:entries whose verb could not be placed"] += 1
            continue
        roles: dict[str, tuple[int, int] | None] = {}
        for key, role in PARTS[1:]:
            words = e.get(key)
            span = _place(text, toks, words, [trig], f"{fld}.{key}", report, f, k, stats) if words else None
            if span == trig:
                report.problems.append(Problem(file, k, f"{fld}.{key}", f"is the verb itself ({text[span[0]:span[1]]!r}); left out",
                                               level="warning"))
                span = None
            roles[role] = span
        placed.append(_Entry(trig, roles["source"], roles["target"], e.get("source_role"), e.get("target_role")))
    seen = docs.get(doc_id, {}).get(n)
    if seen is not None and seen.text != text and isinstance(rid, str) and rid and rid not in docs:
        # The same sentence id with another text: a stale id in the source (protest_spans.json
        # repeats AAW_ARB_20081218.0032-2 for several unrelated sentences). The record becomes a
        # document of its own under its _id.
        report.problems.append(Problem(file, k, f"{where}.source", f"sentence {sid!r} was read before ({seen.where}) with a "
                                       f"different text; this record becomes document {rid!r}", level="warning"))
        doc_id, n = rid, 0
        stats["own document"] += 1
    sents = docs.setdefault(doc_id, {})
    s = sents.get(n)
    if s is None:
        s = sents[n] = _Sentence(text, f"{file}:[{k}]", {label})
    elif s.text != text:
        err(f"{where}.text", f"sentence {sid!r} was read before ({s.where}) with a different text")
        return
    s.labels.add(label)
    for group in _groups(placed):
        span, meta = _vote(group, label)
        if any(span.start < o.end and o.start < span.end for o, _ in s.events):
            if any((o.start, o.end, o.label) == (span.start, span.end, span.label) for o, _ in s.events):
                stats["skip:repeated events"] += 1
            else:
                report.problems.append(Problem(file, k, where, f"the trigger [{span.start}, {span.end}) "
                                               f"{text[span.start:span.end]!r} overlaps one read before for sentence {sid!r}; left out",
                                               level="warning"))
                stats["skip:overlapping triggers"] += 1
            continue
        s.events.append((span, meta))


def _groups(entries: list[_Entry]) -> list[list[_Entry]]:
    """Entries whose verb spans overlap, joined (transitively) into one event each, in text order."""
    groups: list[list[_Entry]] = []
    for e in sorted(entries, key=lambda e: e.trigger):
        if groups and any(e.trigger[0] < x.trigger[1] for x in groups[-1]):
            groups[-1].append(e)
        else:
            groups.append([e])
    return groups


def _most(values: list[Any]) -> tuple[Any, int]:
    """The value most entries gave (ties: the first given), and how many gave it."""
    counts = Counter(json.dumps(v, sort_keys=True) for v in values)
    best = max(values, key=lambda v: counts[json.dumps(v, sort_keys=True)])
    return best, counts[json.dumps(best, sort_keys=True)]


def _vote(group: list[_Entry], label: str) -> tuple[Span, dict[str, Any]]:
    votes = Counter(e.trigger for e in group)
    trig = min(votes, key=lambda t: (-votes[t], t[1] - t[0], t[0]))
    args: list[Arg] = []
    meta: dict[str, Any] = {"annotations": len(group), "votes": votes[trig]}
    for role in ("source", "target"):
        given = [(getattr(e, role), getattr(e, f"{role}_role")) for e in group if getattr(e, role) is not None]
        if not given:
            continue
        span, _ = _most([sp for sp, _ in given])
        code, _ = _most([c for sp, c in given if sp == span])
        args.append(Arg(role, span[0], span[1]))
        meta[f"{role}_role"] = code
    return Span(trig[0], trig[1], label, tuple(args)), meta
