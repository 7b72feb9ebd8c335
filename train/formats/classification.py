"""Sentence (or document) classification exports: Label Studio ``choices`` and doccano text classification.

Both give event types judged for a piece of text, without trigger spans, so they become
``sentence_labels`` (:class:`train.corpus.document.SentenceLabel`) and ``judged: []`` documents:

- the chosen types are "yes";
- the types the project asked about (``judged``, default: every event type of the schema; the
  command line's ``--judged A,B``) and not chosen are "no";
- other types stay unjudged, and training ignores them.

Label Studio (https://labelstud.io/guide/task_format, https://labelstud.io/tags/choices): a
``choices`` result ``{"type": "choices", "value": {"choices": [...]}}``. Without ``start``/``end``
it judges the whole task (the task's text is one classification unit: the document's one
sentence); with ``value.start``/``value.end`` (``perRegion`` choices on a region) it judges that
region, which becomes a sentence of the document. Span ``labels`` results of the same task are
read as by the ``labelstudio`` format. The first live annotation is taken (``--annotator``).

doccano text classification (doccano repository
``backend/data_export/pipeline/examples/text_classification/example.jsonl``;
https://doccano.github.io/doccano/tutorial/): ``{"text", "label": ["A", "B"]}``; the older shape
``{"text", "cats": {"A": 1, "B": 0}}`` names its own judged types (true/1 yes, false/0 no).

Labels go through ``--label-map`` (``null`` drops a label, e.g. a ``NONE`` choice, which then
simply judges every asked type "no"); a label that is neither mapped nor an event type is an
error naming the record and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from train.corpus.document import Document, SentenceLabel, has_lone_surrogate, validate_document
from train.corpus.schema import Schema
from train.corpus.sentences import split_sentences
from train.formats.common import ImportReport, map_label, read_json_lines, unique_id

NAME = "classification"


def _unit(text: str, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """``[start, end)`` without white space at its edges (a sentence never starts on a space)."""
    end = len(text) if end is None else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _verdicts(chosen: Mapping[str, bool], asked: Sequence[str], fld: str, report: ImportReport, rec: int,
              events: set[str], label_map: Mapping[str, str | None] | None) -> dict[str, bool] | None:
    """Type -> yes/no for one unit: the chosen (mapped) types yes, the other asked types no."""
    out: dict[str, bool] = {}
    for k, (raw, value) in enumerate(chosen.items()):
        if not isinstance(raw, str):
            report.error(rec, f"{fld}[{k}]", f"must be a label name, got {raw!r}")
            return None
        lab = map_label(raw, label_map)
        if lab is None:
            report.dropped_labels[raw] += 1
            continue
        if lab not in events:
            report.error(rec, f"{fld}[{k}]" if isinstance(chosen, _Listed) else f"{fld}.{raw}",
                         f"label {raw!r} is not an event type of the schema ({', '.join(sorted(events))}); map it with --label-map")
            return None
        out[lab] = out.get(lab, False) or value
    if not isinstance(chosen, _Listed):
        return out
    return {**dict.fromkeys(asked, False), **out}


class _Listed(dict):
    """Chosen labels from a list (every asked type not in it is a "no")."""


def _breaks_inside(joined: list[tuple[int, int]], plain: list[tuple[int, int]]) -> int:
    """How many of the splitter's breaks the ``joined`` sentences (both lists sorted) took away."""
    n, k = 0, 0
    for a, b in joined:
        while k < len(plain) and plain[k][1] <= a:
            k += 1
        inside = 0
        while k < len(plain) and plain[k][1] <= b:
            inside += a <= plain[k][0]
            k += 1
        n += max(inside - 1, 0)
    return n


def _document(doc_id: str, text: str, units: list[tuple[tuple[int, int], dict[str, bool]]], meta: dict[str, Any],
              schema: Schema, report: ImportReport, rec: int, spans: Document | None = None) -> Document | None:
    sentences = sorted({u for u, _ in units})
    doc = spans or Document(doc_id, text)
    doc.id, doc.meta = doc_id, meta
    if not sentences or sentences == [(0, 0)]:
        return None
    moved = 0
    if len(sentences) == 1 and spans is None:
        doc.sentences = sentences
    else:  # regions judged inside a text: they are its sentences; the splitter fills the rest, around spans
        doc.split_around_spans()
        others = [s for s in doc.sentences if not any(a < s[1] and s[0] < b for a, b in sentences)]
        moved = _breaks_inside(others, [(s.start, s.end) for s in split_sentences(text)])
        doc.sentences = sorted(others + sentences)
    doc.judged = []
    doc.sentence_labels = sorted(SentenceLabel(a, b, lab, v) for (a, b), vs in units for lab, v in vs.items())
    problems = validate_document(doc, schema, report.file, rec)
    report.problems += problems
    if any(p.level == "error" for p in problems):
        return None
    report.documents += 1
    report.sentence_breaks_moved += moved
    report.spans["events"] += len(doc.events)
    report.spans["entities"] += len(doc.entities)
    return doc


def read_doccano(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
                 judged: Sequence[str] | None = None, **_: Any) -> tuple[list[Document], ImportReport]:
    """doccano text-classification JSONL: ``label`` as a list of names, or the older ``cats``."""
    report = ImportReport(str(path), "doccano_classification")
    events = set(schema.labels("events"))
    asked = list(judged) if judged is not None else schema.labels("events")
    docs: list[Document] = []
    seen: set[str] = set()
    for line, obj in read_json_lines(path, report):
        if not isinstance(obj, dict):
            report.error(line, "", f"expected a JSON object, got {type(obj).__name__}")
            continue
        text = obj.get("text", obj.get("data"))
        if not isinstance(text, str):
            report.error(line, "text", "missing or not a string")
            continue
        if "cats" in obj:
            cats = obj["cats"]
            if not isinstance(cats, dict) or not all(isinstance(v, (bool, int, float)) for v in cats.values()):
                report.error(line, "cats", "must be an object of label: true/false (or 1/0)")
                continue
            bad = [k for k, v in cats.items() if not isinstance(v, bool) and v not in (0, 1)]
            if bad:
                report.error(line, f"cats.{bad[0]}", f"must be true/false or 1/0, got {cats[bad[0]]!r}")
                continue
            vs = _verdicts({k: bool(v) for k, v in cats.items()}, asked, "cats", report, line, events, label_map)
        else:
            labels = obj.get("label", obj.get("labels"))
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                report.error(line, "label", "missing or not a list of label names (span lists are the 'doccano' format)")
                continue
            vs = _verdicts(_Listed((x, True) for x in labels), asked, "label", report, line, events, label_map)
        if vs is None:
            continue
        ident = obj.get("doc_id", obj.get("id"))
        doc_id = unique_id(str(ident) if isinstance(ident, (str, int)) and not isinstance(ident, bool) else f"{Path(path).stem}-{line}", seen)
        doc = _document(doc_id, text, [(_unit(text), vs)], {"source": str(path), "line": line}, schema, report, line)
        if doc is None and not _unit(text)[1]:
            report.skipped["empty text"] += 1
        if doc is not None:
            docs.append(doc)
    return docs, report


def read_labelstudio(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
                     annotator: str | None = None, judged: Sequence[str] | None = None, snap: bool = False,
                     **_: Any) -> tuple[list[Document], ImportReport]:
    """Label Studio ``choices`` results, per task or per region (sentence); span labels kept."""
    from train.formats import labelstudio

    report = ImportReport(str(path), "labelstudio_choices")
    tasks = labelstudio.read_tasks(path, report)
    if tasks is None:
        return [], report
    return labelstudio_from_tasks(tasks, report, schema=schema, label_map=label_map, annotator=annotator,
                                  judged=judged, snap=snap)


def labelstudio_from_tasks(tasks: list[Any], report: ImportReport, *, schema: Schema,
                           label_map: Mapping[str, str | None] | None = None, annotator: str | None = None,
                           judged: Sequence[str] | None = None, snap: bool = False) -> tuple[list[Document], ImportReport]:
    """:func:`read_labelstudio` of tasks already loaded (a file's, or an export fetched through the
    API), named by ``report.file``."""
    from train.formats import labelstudio

    path = report.file
    events = set(schema.labels("events"))
    asked = list(judged) if judged is not None else schema.labels("events")
    # The spans (``labels`` results) and the annotator choice, exactly as the labelstudio format reads them.
    span_docs, span_report = labelstudio.from_tasks(tasks, ImportReport(path, labelstudio.NAME), schema=schema,
                                                    label_map=label_map, annotator=annotator, snap=snap)
    report.problems += [p for p in span_report.problems if "result" not in p.field or ".value" in p.field]
    by_task = {d.meta.get("task"): d for d in span_docs}
    docs: list[Document] = []
    seen: set[str] = set()
    for k, task in enumerate(tasks, start=1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict) or has_lone_surrogate(task):
            continue  # reported by the labelstudio reader
        text = labelstudio._task_text(task, ImportReport(str(path)), k)
        key = "annotations" if "annotations" in task else "completions"
        anns = [a for a in task.get(key) or [] if isinstance(a, dict) and not (a.get("was_cancelled") or a.get("skipped"))]
        if annotator is not None:
            anns = [a for a in anns if annotator in labelstudio._who(a)]
        if text is None or not anns:
            continue
        ann = (task.get(key) or []).index(anns[0])
        result = anns[0].get("result")
        if not isinstance(result, list):
            continue
        units: dict[tuple[int, int], dict[str, bool]] = {}
        failed = False
        for r, item in enumerate(result):
            if not isinstance(item, dict) or item.get("type") != "choices":
                continue
            fld = f"{key}[{ann}].result[{r}].value"
            value = item.get("value")
            if not isinstance(value, dict) or not isinstance(value.get("choices"), list):
                report.error(k, f"{fld}.choices", "missing or not a list of choices")
                failed = True
                continue
            if "start" in value or "end" in value:
                a, b = value.get("start"), value.get("end")
                if not (isinstance(a, int) and isinstance(b, int) and 0 <= a < b <= len(text)):
                    report.error(k, f"{fld}.start", f"region [{a!r}, {b!r}) is not inside the text of length {len(text)}")
                    failed = True
                    continue
                unit = _unit(text, a, b)
            else:
                unit = _unit(text)
            vs = _verdicts(_Listed((c, True) for c in value["choices"]), asked, f"{fld}.choices", report, k, events, label_map)
            if vs is None:
                failed = True
                continue
            for lab, v in vs.items():
                units.setdefault(unit, {})[lab] = units.get(unit, {}).get(lab, False) or v
        if failed or not units:
            if not units and not failed:
                report.skipped["task without choices"] += 1
            continue
        data = task["data"]
        doc_id = data.get("doc_id") if isinstance(data.get("doc_id"), str) and data.get("doc_id") else None
        doc_id = unique_id(doc_id or (f"task-{task['id']}" if task.get("id") is not None else f"{Path(path).stem}-{k}"), seen)
        doc = _document(doc_id, text, list(units.items()), {"source": str(path), "task": task.get("id")}, schema, report, k,
                        spans=by_task.get(task.get("id")))
        if doc is not None:
            docs.append(doc)
    return docs, report
