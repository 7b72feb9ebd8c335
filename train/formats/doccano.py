"""doccano sequence-labelling exports (JSONL), in every shape doccano has written.

Shapes read (doccano repository, ``backend/data_export/pipeline/examples/sequence_labeling/
example.jsonl`` and ``backend/data_import/pipeline/examples/relation_extraction/example.jsonl``;
docs: https://doccano.github.io/doccano/tutorial/):

- doccano 1.x and later: ``{"id", "text", "label": [[start, end, "LABEL"], ...]}``;
- older releases: the text under ``data`` and the spans under ``labels``;
- projects with relations: ``"entities": [{"id", "start_offset", "end_offset", "label"}]`` and
  ``"relations": [{"from_id", "to_id", "type"}]`` (relations are skipped and counted).

Offsets: doccano's JavaScript front end has counted UTF-16 code units (pull request #99, and
issue #2290 for releases up to 2023), while Python code counts code points, and doccano stores
no span text to tell them apart. So a span that only sits on whole words as UTF-16 is converted
and counted, and one that sits on whole words both ways, at different places, is an error that
names the record and field: ``--offset-unit codepoint`` or ``utf16`` decides (never a guess).
doccano exports one file per user when collaboration is off, so ``--annotator`` does not apply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text
from train.corpus.document import Document
from train.corpus.schema import Schema
from train.formats.common import ImportReport, SpanCollector, read_json_lines, unique_id

NAME = "doccano"


def _doc_id(obj: dict, line: int, stem: str) -> str:
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    for v in (obj.get("doc_id"), meta.get("doc_id"), obj.get("id")):
        if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v):
            return str(v)
    return f"{stem}-{line}"


def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None, offset_unit: str = "auto",
         extend_sentences: bool = False) -> tuple[list[Document], ImportReport]:
    report = ImportReport(str(path), NAME)
    if annotator is not None:
        report.notes.append("doccano exports one file per annotator; --annotator is ignored")
    docs: list[Document] = []
    seen: set[str] = set()
    stem = Path(path).stem
    for line, obj in read_json_lines(path, report):
        if not isinstance(obj, dict):
            report.error(line, "", f"expected a JSON object, got {type(obj).__name__}")
            continue
        text_key = "text" if "text" in obj else "data" if "data" in obj else None
        text = obj.get(text_key) if text_key else None
        if not isinstance(text, str):
            report.error(line, text_key or "text", "missing or not a string (doccano writes the text under 'text', older versions under 'data')")
            continue
        doc_id = unique_id(_doc_id(obj, line, stem), seen)
        col = SpanCollector(report, schema, text, line, doc_id, label_map, snap, offset_unit, extend_sentences)
        found = False
        for key in ("label", "labels"):
            spans = obj.get(key)
            if spans is None:
                continue
            found = True
            if not isinstance(spans, list):
                report.error(line, key, f"must be a list of [start, end, label], got {type(spans).__name__}")
                col.failed = True
                continue
            for k, item in enumerate(spans):
                fld = f"{key}[{k}]"
                if isinstance(item, str):  # a text-classification category, not a span
                    report.skipped["document category"] += 1
                    continue
                if not isinstance(item, list) or len(item) != 3:
                    report.error(line, fld, f"must be [start, end, label], got {json.dumps(item, ensure_ascii=False)}")
                    col.failed = True
                    continue
                col.add(item[0], item[1], item[2], fld, js_offsets=True)
        ents = obj.get("entities")
        if ents is not None:
            found = True
            if not isinstance(ents, list):
                report.error(line, "entities", "must be a list of {start_offset, end_offset, label}")
                col.failed = True
            else:
                for k, e in enumerate(ents):
                    fld = f"entities[{k}]"
                    if not isinstance(e, dict):
                        report.error(line, fld, "must be an object with start_offset, end_offset, label")
                        col.failed = True
                        continue
                    col.add(e.get("start_offset"), e.get("end_offset"), e.get("label"), fld, js_offsets=True)
        if not found:
            report.error(line, "label", "no spans: expected 'label' (or the older 'labels', or 'entities')")
            continue
        for key, what in (("relations", "relation"), ("Comments", "comment"), ("comments", "comment"), ("cats", "document category")):
            v = obj.get(key)
            if isinstance(v, list) and v:
                report.skipped[what] += len(v)
        meta: dict[str, Any] = {"source": str(path), "line": line}
        if isinstance(obj.get("meta"), dict):
            meta.update({k: v for k, v in obj["meta"].items() if k != "doc_id"})
        doc = col.build(meta)
        if doc is not None:
            docs.append(doc)
    return docs, report


def to_record(doc: Document) -> dict[str, Any]:
    spans = sorted(doc.entities + doc.events)
    return {"doc_id": doc.id, "text": doc.text, "label": [[s.start, s.end, s.label] for s in spans]}


def write(docs: list[Document], path: str | Path, *, schema: Schema | None = None) -> None:
    """doccano's current JSONL shape; entities and event triggers together under ``label``."""
    atomic_write_text(path, [json.dumps(to_record(d), ensure_ascii=False) + "\n" for d in docs])
