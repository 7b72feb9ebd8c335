"""Prodigy annotations exported with ``prodigy db-out`` (JSONL), import only.

Shape (Prodigy docs, "Annotation interfaces", https://prodi.gy/docs/api-interfaces, ``ner`` and
``ner_manual``): ``{"text", "spans": [{"start", "end", "label", "token_start", "token_end"}],
"answer": "accept" | "reject" | "ignore", "_input_hash", "_task_hash", "_annotator_id",
"_session_id", "meta"}``.

- Only ``accept`` answers are kept; ``reject`` and ``ignore`` are counted.
- Several accepted answers on one input (same ``_input_hash``, e.g. one per annotator in a
  multi-session project): ``--annotator`` picks the one whose ``_annotator_id`` or
  ``_session_id`` matches; the default is the first, and the summary says so.
- ``relations`` (rel.manual) and ``accept`` choice lists (textcat) are skipped and counted.
- Offsets are code points: Prodigy computes them in Python with spaCy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from train.corpus.document import Document
from train.corpus.schema import Schema
from train.formats.common import ImportReport, SpanCollector, read_json_lines, unique_id

NAME = "prodigy"


def _names(obj: dict) -> set[str]:
    names = {str(obj[k]) for k in ("_annotator_id", "_session_id") if obj.get(k) is not None}
    sid = obj.get("_session_id")
    if isinstance(sid, str) and "-" in sid:  # "dataset-name": the named session
        names.add(sid.rsplit("-", 1)[1])
    return names


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None,
         extend_sentences: bool = False) -> tuple[list[Document], ImportReport]:
    report = ImportReport(str(path), NAME)
    stem = Path(path).stem
    records = []
    for line, obj in read_json_lines(path, report):
        if not isinstance(obj, dict):
            report.error(line, "", f"expected a JSON object, got {type(obj).__name__}")
            continue
        answer = obj.get("answer")
        if answer is None:
            report.error(line, "answer", "missing: export annotations with 'prodigy db-out', not the input stream")
            continue
        if answer != "accept":
            report.skipped[f"{answer} answer"] += 1
            continue
        records.append((line, obj))
    # Group accepted answers by input; pick one per input.
    groups: dict[Any, list[tuple[int, dict]]] = {}
    for line, obj in records:
        key = obj.get("_input_hash", ("line", line))
        if isinstance(key, (list, dict)):  # JSON's unhashable values: not a hash Prodigy writes
            report.error(line, "_input_hash", f"must be an integer or a string, got {type(key).__name__}")
            continue
        groups.setdefault(key, []).append((line, obj))
    multi = 0
    docs: list[Document] = []
    seen: set[str] = set()
    for group in groups.values():
        if annotator is not None:
            chosen = [g for g in group if annotator in _names(g[1])]
            if not chosen:
                report.skipped[f"input not annotated by {annotator}"] += 1
                continue
        else:
            chosen = group
        if len(group) > 1:
            multi += 1
            report.skipped["other annotator's answer"] += len(group) - 1
        line, obj = chosen[0]
        text = obj.get("text")
        if not isinstance(text, str):
            report.error(line, "text", "missing or not a string")
            continue
        meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
        base = meta.get("doc_id") or meta.get("id") or f"{stem}-{line}"
        doc_id = unique_id(str(base), seen)
        col = SpanCollector(report, schema, text, line, doc_id, label_map, snap, extend_sentences=extend_sentences)
        spans = obj.get("spans", [])
        if not isinstance(spans, list):
            report.error(line, "spans", f"must be a list, got {type(spans).__name__}")
            continue
        for k, s in enumerate(spans):
            fld = f"spans[{k}]"
            if not isinstance(s, dict):
                report.error(line, fld, "must be an object with start, end, label")
                col.failed = True
                continue
            col.add(s.get("start"), s.get("end"), s.get("label"), fld)
        if isinstance(obj.get("relations"), list) and obj["relations"]:
            report.skipped["relation"] += len(obj["relations"])
        if isinstance(obj.get("accept"), list) and obj["accept"]:
            report.skipped["choice"] += len(obj["accept"])
        doc = col.build({"source": str(path), "line": line, **{k: v for k, v in meta.items() if k != "doc_id"}})
        if doc is not None:
            docs.append(doc)
    report.note_annotator(multi, annotator, "input(s) had several accepted answers", "the first accepted answer of each input")
    return docs, report
