"""The reports an evaluation writes, and the number formats of their Markdown.

Every evaluation (entity spans, sentence event labels) writes the same two files in its run
folder: ``metrics.json`` (every figure, machine-readable) and ``eval_report.md`` (the same
figures for a reader). Both are written atomically.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text

METRICS_FILE = "metrics.json"
REPORT_FILE = "eval_report.md"


def pct(x: Any) -> str:
    """A fraction as a percentage with one decimal (``0.947`` → ``94.7``); anything else as it is."""
    return f"{100 * float(x):.1f}" if isinstance(x, (int, float)) else str(x)


def fraction(x: Any) -> str:
    """A fraction with three decimals (``—`` for NaN); anything else as it is."""
    if isinstance(x, float):
        return "—" if math.isnan(x) else f"{x:.3f}"
    return str(x)


def write_reports(out_dir: str | Path, metrics: Mapping[str, Any], report_md: str) -> None:
    """``metrics.json`` and ``eval_report.md`` in ``out_dir`` (created if missing), atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / METRICS_FILE, [json.dumps(metrics, ensure_ascii=False, indent=2, default=float) + "\n"])
    atomic_write_text(out / REPORT_FILE, [report_md])


def describe_base_model(record: Mapping[str, Any]) -> str:
    """One phrase naming the encoder behind a figure: ``NAME`` at revision R (commit C), or the local folder."""
    name = record.get("base_model") or "an unrecorded base model"
    if record.get("base_model_revision") or record.get("base_model_commit"):
        commit = record.get("base_model_commit")
        return f"`{name}` at revision `{record.get('base_model_revision')}`" + (f" (commit `{commit}`)" if commit else "")
    return f"`{name}` (a local folder: no Hub revision)"
