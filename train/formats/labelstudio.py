"""Label Studio JSON exports of text tasks with span labels (``<Labels>`` on ``<Text>``).

Shape (Label Studio docs, "Label Studio JSON format of annotated tasks",
https://labelstud.io/guide/task_format and https://labelstud.io/guide/export):
a JSON list of tasks, each ``{"id", "data": {"text": ...}, "annotations": [{"id",
"completed_by", "was_cancelled", "result": [{"id", "from_name", "to_name", "type": "labels",
"value": {"start", "end", "text", "labels": [...]}}]}], "predictions": [...]}``.
Label Studio 0.x wrote ``completions`` where 1.x writes ``annotations`` (docs: "Migrate from
Label Studio 0.x"; the API answered ``completion_count`` before ``annotation_count``).

- Results that are not span labels (``relation``, ``choices``, ``textarea``, ``rating`` ...) are
  skipped and counted; so are predictions and cancelled (skipped) annotations.
- Where a task has several annotations, ``--annotator`` picks the one whose ``completed_by``
  (user id or e-mail) matches; the default is the first, and the summary says so.
- Offsets: Label Studio's front end counted UTF-16 code units before its emoji fix (issues
  #1347 and #1008, front-end pull request #308), so offsets after an emoji could be off by one.
  Each result also stores ``value.text``; offsets are kept when the code-point slice equals it,
  and converted from UTF-16 when that slice does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text
from train.corpus.document import Document, not_text_problems
from train.corpus.schema import Schema
from train.formats.common import ImportReport, SpanCollector, read_json, unique_id

NAME = "labelstudio"
SPAN_TYPES = {"labels"}


def _who(ann: dict) -> set[str]:
    """The names an annotation's author goes by: user id, e-mail, username."""
    names: set[str] = set()
    by = ann.get("completed_by")
    if isinstance(by, dict):
        names |= {str(by[k]) for k in ("id", "email", "username") if by.get(k) is not None}
    elif by is not None:
        names.add(str(by))
    if isinstance(ann.get("created_username"), str):
        names |= {p.strip() for p in ann["created_username"].split(",") if p.strip()}
    return names


def _task_text(task: dict, report: ImportReport, rec: int) -> str | None:
    data = task.get("data")
    if not isinstance(data, dict):
        report.error(rec, "data", "missing or not an object")
        return None
    if "text" in data:
        if isinstance(data["text"], str):
            return data["text"]
        report.error(rec, "data.text", f"must be a string, got {type(data['text']).__name__}")
        return None
    strings = [k for k, v in data.items() if isinstance(v, str) and k not in ("doc_id", "id")]
    if len(strings) == 1:  # a config with value="$content" or similar
        return data[strings[0]]
    report.error(rec, "data.text", "missing: the task has no 'text' field in 'data'")
    return None


def read_tasks(path: str | Path, report: ImportReport) -> list[Any] | None:
    """The export's tasks (a single task object counts as a list of one); None after an error."""
    raw = read_json(path, report)
    if raw is None:
        return None
    tasks = [raw] if isinstance(raw, dict) else raw
    if not isinstance(tasks, list):
        report.error(None, "", f"expected a JSON list of tasks, got {type(raw).__name__}")
        return None
    return tasks


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None, offset_unit: str = "auto",
         extend_sentences: bool = False,
         from_predictions: bool = False) -> tuple[list[Document], ImportReport]:
    """Read a task export; ``from_predictions`` takes the pre-annotations instead of the annotations."""
    report = ImportReport(str(path), NAME)
    tasks = read_tasks(path, report)
    if tasks is None:
        return [], report
    return from_tasks(tasks, report, schema=schema, label_map=label_map, snap=snap, annotator=annotator,
                      offset_unit=offset_unit, extend_sentences=extend_sentences, from_predictions=from_predictions)


def from_tasks(tasks: list[Any], report: ImportReport, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
               snap: bool = False, annotator: str | None = None, offset_unit: str = "auto", extend_sentences: bool = False,
               from_predictions: bool = False) -> tuple[list[Document], ImportReport]:
    """Tasks already loaded (a file's, or an export fetched through the API), named by ``report.file``."""
    path = report.file
    docs: list[Document] = []
    seen: set[str] = set()
    multi = 0
    stem = Path(path).stem
    for k, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            report.error(k, "", f"task {k}: expected an object, got {type(task).__name__}")
            continue
        found = not_text_problems(task, report.file, k)
        report.problems += found
        if any(p.level == "error" for p in found):
            continue
        text = _task_text(task, report, k)
        if text is None:
            continue
        if from_predictions:
            key = "predictions"
        else:
            key = "annotations" if "annotations" in task else "completions" if "completions" in task else None
        anns = task.get(key) if key else None
        if anns is None:
            if from_predictions:
                report.error(k, "predictions", "missing: the task has no pre-annotations")
            else:
                report.error(k, "annotations", "missing (Label Studio 1.x writes 'annotations', 0.x 'completions')")
            continue
        if not isinstance(anns, list):
            report.error(k, key, f"must be a list, got {type(anns).__name__}")
            continue
        preds = task.get("predictions")
        if not from_predictions and isinstance(preds, list) and preds:
            report.skipped["prediction"] += len(preds)
        live = []
        for a in anns:
            if isinstance(a, dict) and (a.get("was_cancelled") or a.get("skipped")):
                report.skipped["cancelled annotation"] += 1
            else:
                live.append(a)
        if not live:
            report.skipped["task without annotations"] += 1
            continue
        if annotator is not None:
            picked = [i for i, a in enumerate(anns) if a in live and isinstance(a, dict) and annotator in _who(a)]
            if not picked:
                report.skipped[f"task not annotated by {annotator}"] += 1
                continue
            idx = picked[0]
        else:
            idx = anns.index(live[0])
        if len(live) > 1:
            multi += 1
            report.skipped["other annotator's annotation"] += len(live) - 1
        ann = anns[idx]
        base = f"{key}[{idx}]"
        if not isinstance(ann, dict):
            report.error(k, base, "must be an object")
            continue
        result = ann.get("result")
        if not isinstance(result, list):
            report.error(k, f"{base}.result", "missing or not a list")
            continue
        data = task["data"]
        doc_id = data.get("doc_id") if isinstance(data.get("doc_id"), str) and data.get("doc_id") else None
        doc_id = unique_id(doc_id or (f"task-{task['id']}" if task.get("id") is not None else f"{stem}-{k}"), seen)
        col = SpanCollector(report, schema, text, k, doc_id, label_map, snap, offset_unit, extend_sentences)
        for r, item in enumerate(result):
            fld = f"{base}.result[{r}]"
            if not isinstance(item, dict):
                report.error(k, fld, "must be an object")
                col.failed = True
                continue
            typ = item.get("type")
            value = item.get("value")
            if typ is not None and not isinstance(typ, str):
                report.error(k, f"{fld}.type", f"must be a string such as 'labels', got {type(typ).__name__}")
                col.failed = True
                continue
            if typ not in SPAN_TYPES:
                report.skipped[f"{typ or 'untyped'} result"] += 1
                continue
            if not isinstance(value, dict):
                report.error(k, f"{fld}.value", "missing or not an object")
                col.failed = True
                continue
            labels = value.get("labels")
            if not isinstance(labels, list) or not labels:
                report.error(k, f"{fld}.value.labels", "missing or not a non-empty list of labels")
                col.failed = True
                continue
            for lab in labels:
                col.add(value.get("start"), value.get("end"), lab, f"{fld}.value", expected=value.get("text"), js_offsets=True)
        meta: dict[str, Any] = {"source": str(path), "task": task.get("id")}
        if isinstance(data.get("meta"), dict):
            meta.update(data["meta"])
        doc = col.build(meta)
        if doc is not None:
            docs.append(doc)
    report.note_annotator(multi, annotator, "task(s) had several annotations", "the first annotation of each task")
    return docs, report


def _results(doc: Document) -> list[dict[str, Any]]:
    out = []
    for kind, name in (("entities", "label"), ("events", "event")):
        for n, s in enumerate(sorted(doc.spans(kind))):
            out.append({
                "id": f"{kind[:3]}{n}",
                "from_name": name,
                "to_name": "text",
                "type": "labels",
                "origin": "manual",
                "value": {"start": s.start, "end": s.end, "text": doc.text[s.start:s.end], "labels": [s.label]},
            })
    return out


def to_tasks(docs: list[Document], *, as_predictions: bool = False, model_version: str = "corpus") -> list[dict[str, Any]]:
    """Tasks for Label Studio's importer; ``as_predictions`` makes the spans pre-annotations to review."""
    tasks = []
    for k, d in enumerate(docs, start=1):
        task: dict[str, Any] = {"id": k, "data": {"text": d.text, "doc_id": d.id}}
        if as_predictions:
            task["annotations"] = []
            task["predictions"] = [{"model_version": model_version, "result": _results(d)}]
        else:
            task["annotations"] = [{"id": k, "result": _results(d), "was_cancelled": False, "ground_truth": False}]
            task["predictions"] = []
        tasks.append(task)
    return tasks


def write(docs: list[Document], path: str | Path, *, schema: Schema | None = None, as_predictions: bool = False) -> None:
    """A Label Studio JSON export (offsets in code points, with ``value.text`` for checking)."""
    text = json.dumps(to_tasks(docs, as_predictions=as_predictions), ensure_ascii=False, indent=1)
    atomic_write_text(path, [text, "\n"])
