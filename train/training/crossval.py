"""Cross-validation by document: one model per fold, mean ± standard deviation of every figure.

Five articles cannot be honestly split once. ``leave_one_document_out`` holds out each
document in turn; ``k_fold`` deals the documents (shuffled with the seed) into k folds.
The fold runner is a callable, so any task that returns seqeval-shaped metrics
(``micro``/``macro``/``per_type``) can use it: NER, event triggers, or others.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text, replace_dir
from train.corpus.document import Document
from train.evaluation.reports import describe_base_model
from train.training.rundir import end_run, is_main_process, start_run

FIGURES = ("precision", "recall", "f1")

# Set by scripts/train_set.py for each task it runs: where this run stands in the set.
PROGRESS_LABEL = "ARABIC_IE_PROGRESS_LABEL"  # e.g. "task 2/4 events"
TASKS_AFTER = "ARABIC_IE_TASKS_AFTER"  # how many tasks of the set come after this one


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    return f"{seconds:.0f} s" if seconds < 90 else f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


class FoldProgress:
    """One line per fold on stderr, with an estimate of the time left from the folds done so far.

    A long cross-validation is otherwise silent between Trainer logs; the estimate is the mean
    fold time times the folds left, the final model counted as a fold on all documents, and,
    inside ``make train``, the same again for each task of the set still to come.
    """

    def __init__(self, num_folds: int, num_docs: int, enabled: bool = True) -> None:
        self.num_folds, self.num_docs, self.enabled = num_folds, num_docs, enabled
        self.label = os.environ.get(PROGRESS_LABEL, "")
        try:
            self.tasks_after = max(0, int(os.environ.get(TASKS_AFTER, "0")))
        except ValueError:
            self.tasks_after = 0
        self.times: list[float] = []
        self._start: float | None = None

    def _say(self, what: str) -> None:
        if self.enabled:
            prefix = f"[{self.label}] " if self.label else ""
            print(f"{prefix}{what}{self._eta()}", file=sys.stderr, flush=True)

    def _eta(self) -> str:
        if not self.times:
            return ""
        fold = sum(self.times) / len(self.times)
        left = fold * (self.num_folds - len(self.times) + 1)
        text = f"; about {_duration(left)} left"
        if self.tasks_after:
            whole = fold * (self.num_folds + 1)
            text += f" for this task, {_duration(left + self.tasks_after * whole)} for the set"
        return text

    def start_fold(self, k: int, held_out: Sequence[str]) -> None:
        self._start = time.monotonic()
        ids = ", ".join(held_out[:3]) + (f" and {len(held_out) - 3} more" if len(held_out) > 3 else "")
        self._say(f"fold {k + 1}/{self.num_folds}: held out {ids}")

    def start_final(self) -> None:
        self._start = time.monotonic()
        self._say(f"final model on all {self.num_docs} documents")

    def done(self, resumed: bool = False) -> None:
        if self._start is not None and not resumed:
            self.times.append(time.monotonic() - self._start)
        self._start = None


def document_folds(num_docs: int, method: str, num_folds: int = 5, seed: int = 42) -> list[list[int]]:
    """Held-out document indices of each fold."""
    if num_docs < 2:
        raise ValueError(f"cross-validation needs at least 2 documents, got {num_docs}")
    if method == "leave_one_document_out":
        return [[i] for i in range(num_docs)]
    if method == "k_fold":
        if num_folds > num_docs:
            raise ValueError(f"num_folds={num_folds} is more than the {num_docs} documents")
        order = list(range(num_docs))
        random.Random(seed).shuffle(order)
        return [sorted(order[k::num_folds]) for k in range(num_folds)]
    raise ValueError(f"unknown cross_validation {method!r}")


def mean_std(xs: Sequence[float]) -> dict[str, float]:
    """Mean and sample standard deviation (0 for one value)."""
    n = len(xs)
    mean = sum(xs) / n if n else 0.0
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "n": n}


def summarize(fold_metrics: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and sample standard deviation over folds of micro, macro and per-type figures.

    A type with no gold and no predicted entity in a fold is left out of that fold's mean.
    """
    out: dict[str, Any] = {"folds": len(fold_metrics)}
    for avg in ("micro", "macro"):
        out[avg] = {f: mean_std([m[avg][f] for m in fold_metrics]) for f in FIGURES}
    types: list[str] = []
    for m in fold_metrics:
        types += [t for t in m.get("per_type", {}) if t not in types]
    per: dict[str, Any] = {}
    for t in types:
        rows = [m["per_type"][t] for m in fold_metrics if t in m.get("per_type", {})]
        rows = [r for r in rows if r.get("support", 0) or r.get("precision", 0)]
        if not rows:
            continue  # never in any held-out fold, never predicted: no figure to report
        per[t] = {f: mean_std([r[f] for r in rows]) for f in FIGURES}
        per[t]["support"] = sum(r.get("support", 0) for r in rows)
    out["per_type"] = per
    # Further figures a task reports (subset accuracy, any-event P/R/F1): numbers, or dicts of P/R/F1.
    first = fold_metrics[0] if fold_metrics else {}
    other: dict[str, Any] = {}
    for key, val in first.items():
        if key in ("micro", "macro", "per_type") or not all(key in m for m in fold_metrics):
            continue
        if isinstance(val, float):
            other[key] = mean_std([m[key] for m in fold_metrics])
        elif isinstance(val, dict) and all(f in val for f in FIGURES):
            other[key] = {f: mean_std([m[key][f] for m in fold_metrics]) for f in FIGURES}
    if other:
        out["other"] = other
    return out


def _ms(d: dict[str, float]) -> str:
    return f"{100 * d['mean']:.1f} ± {100 * d['std']:.1f}"


def render_cv_report(
    summary: dict[str, Any], method: str, fold_ids: Sequence[Sequence[str]], title: str, notes: Sequence[str] = (), scoring: str | None = None,
    base_model: Mapping[str, Any] | None = None,
) -> str:
    from train.evaluation.spans import MODE_NOTE

    lines = [
        f"# {title}",
        "",
        f"Cross-validation: `{method}`, {summary['folds']} folds; each fold's model is evaluated on its held-out documents.",
        f"Scoring: {scoring or MODE_NOTE}. Figures are percentages, mean ± sample standard deviation over folds.",
        "",
        *([f"- Figures produced by fine-tuning {describe_base_model(base_model)}."] if base_model else []),
        *[f"- {n}" for n in notes],
        "",
        "| figure | precision | recall | F1 |",
        "|---|---:|---:|---:|",
    ]
    for avg in ("micro", "macro"):
        s = summary[avg]
        lines.append(f"| {avg} | {_ms(s['precision'])} | {_ms(s['recall'])} | {_ms(s['f1'])} |")
    for key, s in summary.get("other", {}).items():
        if "mean" in s:
            lines.append(f"| {key} | | | {_ms(s)} |")
        else:
            lines.append(f"| {key} | {_ms(s['precision'])} | {_ms(s['recall'])} | {_ms(s['f1'])} |")
    lines += ["", "Per type (folds where the type occurs):", "", "| type | precision | recall | F1 | gold support (all folds) |", "|---|---:|---:|---:|---:|"]
    for t, s in summary["per_type"].items():
        lines.append(f"| {t} | {_ms(s['precision'])} | {_ms(s['recall'])} | {_ms(s['f1'])} | {s['support']} |")
    lines += ["", "Held-out documents per fold:", ""]
    lines += [f"- fold {k}: {', '.join(ids)}" for k, ids in enumerate(fold_ids)]
    lines.append("")
    return "\n".join(lines)


def run_cross_validation(
    docs: Sequence[Document],
    method: str,
    train_fold: Callable[[list[Document], list[Document], Path], dict[str, Any]],
    output_dir: str | Path,
    num_folds: int = 5,
    seed: int = 42,
    title: str = "Cross-validation",
    notes: Sequence[str] = (),
    overwrite: bool = False,
    resume: bool = False,
    scoring: str | None = None,
    train_final: Callable[[list[Document], Path], Any] | None = None,
    base_model: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train one model per fold with ``train_fold(train_docs, test_docs, fold_dir)``.

    ``train_fold`` returns the held-out metrics (``micro``, ``macro``, ``per_type``). Then
    ``train_final(all_docs, dir)`` trains the model to use and publish, on every document; its
    files are moved to the top of ``output_dir``, beside the report, so that the run folder is
    a model folder (``scripts/publish.py output_dir``). The whole run lives in
    ``<output_dir>.partial`` until every fold and the final model are done, then is renamed.
    Writes ``cv_metrics.json`` and ``cv_report.md``; both name ``base_model`` (``base_model``,
    ``base_model_revision``, ``base_model_commit`` as in ``metrics.json``), so every figure says
    which encoder produced it.

    Under torchrun every process trains every fold; only the main process (rank 0) writes and
    renames the folders and gets the metrics; the others return ``{}``.
    """
    main = is_main_process()
    part = start_run(None, output_dir, resume, overwrite)
    folds = document_folds(len(docs), method, num_folds, seed)
    progress = FoldProgress(len(folds), len(docs), enabled=main)
    fold_metrics, fold_ids = [], []
    for k, held in enumerate(folds):
        test = [docs[i] for i in held]
        train = [d for i, d in enumerate(docs) if i not in set(held)]
        fold_dir = part / f"fold-{k}"
        done = fold_dir / "metrics.json"
        if resume and done.is_file():
            m = json.loads(done.read_text(encoding="utf-8"))["test"]
        else:
            progress.start_fold(k, [d.id for d in test])
            m = train_fold(train, test, fold_dir)
            progress.done()
        fold_metrics.append(m)
        fold_ids.append([d.id for d in test])
    if not main:
        if train_final is not None:
            _final_model(docs, train_final, part, resume, move=False)
        end_run()
        return {}
    summary = summarize(fold_metrics)
    payload = {"method": method, **dict(base_model or {}), "folds": [{"held_out": ids, "metrics": m} for ids, m in zip(fold_ids, fold_metrics)], "summary": summary}
    if train_final is not None:
        progress.start_final()
        _final_model(docs, train_final, part, resume)
        progress.done()
        payload["final_model"] = {"documents": len(docs), "folder": "output_dir (model.safetensors, metrics.json)"}
    atomic_write_text(part / "cv_metrics.json", [json.dumps(payload, ensure_ascii=False, indent=2) + "\n"])
    atomic_write_text(part / "cv_report.md", [render_cv_report(summary, method, fold_ids, title, notes, scoring, base_model)])
    replace_dir(part, output_dir)
    end_run()
    return payload


def _final_model(docs: Sequence[Document], train_final: Callable[[list[Document], Path], Any], part: Path, resume: bool,
                 move: bool = True) -> None:
    """Train the all-documents model in ``part/final`` and move its files up into ``part``
    (``move=False``: a torchrun rank other than 0, which trains but leaves the files to rank 0)."""
    if resume and (part / "metrics.json").is_file() and not (part / "final").exists():
        return  # done and moved by the run being resumed
    final_dir = part / "final"
    if not (resume and (final_dir / "metrics.json").is_file()):
        train_final(list(docs), final_dir)
    if not move:
        return
    for p in final_dir.iterdir():
        dst = part / p.name
        if dst.is_dir():
            shutil.rmtree(dst)
        elif dst.exists():
            dst.unlink()
        os.replace(p, dst)
    final_dir.rmdir()
