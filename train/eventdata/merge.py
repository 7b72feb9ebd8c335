"""Reports of the same event share one event id: an external merge sort, so memory stays bounded.

Two reports are one event when they have the same type, the same source and target actors and
the same date at the same precision (a report with no date, or with neither actor, stays its own
event: nothing says it is the same). Rows go to sorted run files of ``run_size`` rows in a
temporary folder; the runs are then merged lazily (``heapq.merge``) and equal keys come out
together. Memory holds one run while writing and one row per run while merging; past ``fan_in`` runs they are
merged into one, so at most ``fan_in`` files are ever open, whatever the number of documents; the events come out by date, then type and actors.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_REPORTS = 200  # reports listed on one event (n_reports counts them all)


def event_key(row: dict[str, Any]) -> list[Any] | None:
    """The key reports of one event share, or ``None`` when the row cannot be matched to others."""
    if not row.get("event_date") or not (row.get("source_id") or row.get("target_id")):
        return None
    return [row["type"], row.get("source_id") or "", row.get("target_id") or "", row["event_date"], row["date_precision"]]


def _sort_key(row: dict[str, Any], seq: int) -> list[Any]:
    key = event_key(row)
    if key is None:
        return [row.get("event_date") or "9999", row.get("type") or "", "", "", "", "u", seq]
    return [key[3], key[0], key[1], key[2], key[4], "k", seq]


def _id(parts: list[Any]) -> str:
    return "E-" + hashlib.sha1(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]


class EventMerger:
    """``add`` report rows as they come; ``events()`` yields one merged row per event."""

    def __init__(self, run_size: int = 5000, tmpdir: str | Path | None = None, fan_in: int = 32):
        self.run_size = run_size
        self.fan_in = max(2, fan_in)
        self.spills = 0
        self._dir = tempfile.TemporaryDirectory(prefix="events-", dir=tmpdir)
        self._buffer: list[tuple[list[Any], dict[str, Any]]] = []
        self._runs: list[Path] = []
        self.rows = 0

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append((_sort_key(row, self.rows), row))
        self.rows += 1
        if len(self._buffer) >= self.run_size:
            self._spill()

    @property
    def runs(self) -> int:
        """How many sorted runs were written (for the tests: the merge really spills)."""
        return self.spills

    def _spill(self) -> None:
        self._buffer.sort(key=lambda kv: kv[0])
        path = Path(self._dir.name) / f"run-{len(self._runs):06d}.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for key, row in self._buffer:
                fh.write(json.dumps([key, row], ensure_ascii=False) + "\n")
        self._runs.append(path)
        self._buffer = []
        self.spills += 1
        if len(self._runs) >= self.fan_in:
            self._compact()

    def _compact(self) -> None:
        """Merge the open runs into one, so that merging never holds more than ``fan_in`` files."""
        path = Path(self._dir.name) / f"merged-{self.spills:06d}.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for key, row in heapq.merge(*(self._read(p) for p in self._runs), key=lambda kv: kv[0]):
                fh.write(json.dumps([key, row], ensure_ascii=False) + "\n")
        for p in self._runs:
            p.unlink()
        self._runs = [path]

    @staticmethod
    def _read(path: Path) -> Iterator[tuple[list[Any], dict[str, Any]]]:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                key, row = json.loads(line)
                yield key, row

    def events(self) -> Iterator[dict[str, Any]]:
        """Merged events, one row each, with ``event_id``, ``n_reports`` and ``reports``."""
        if self._buffer:
            self._spill()
        stream = heapq.merge(*(self._read(p) for p in self._runs), key=lambda kv: kv[0])
        current: dict[str, Any] | None = None
        current_key: list[Any] | None = None
        try:
            for key, row in stream:
                group = key[:6] if key[5] == "k" else None
                if current is not None and group is not None and group == current_key:
                    current["n_reports"] += 1
                    if len(current["reports"]) < MAX_REPORTS:
                        current["reports"].append(_report(row))
                    continue
                if current is not None:
                    yield current
                current, current_key = self._start(row, group), group
            if current is not None:
                yield current
        finally:
            self.close()

    @staticmethod
    def _start(row: dict[str, Any], group: list[Any] | None) -> dict[str, Any]:
        ev = dict(row)
        ev["event_id"] = _id(event_key(row) or [row.get("document_id"), row.get("sentence_index"),
                                                   row.get("_trigger_start"), row.get("type")])
        ev["n_reports"] = 1
        ev["reports"] = [_report(row)]
        return ev

    def close(self) -> None:
        self._dir.cleanup()


def _report(row: dict[str, Any]) -> dict[str, Any]:
    return {"document_id": row.get("document_id"), "sentence_index": row.get("sentence_index"),
            "publication_date": row.get("publication_date"), "trigger": row.get("trigger"),
            "sentence": row.get("sentence")}
