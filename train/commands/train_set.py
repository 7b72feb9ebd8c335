#!/usr/bin/env python
"""Train the whole model set from one corpus: every task it supports, each from its own config.

    python scripts/train_set.py                                # what `make train` runs
    python scripts/train_set.py --runs runs --tasks ner events --corpus data/seed.jsonl -- --num_train_epochs 3

Each task is ``scripts/train.py configs/<task>.yaml --train_file CORPUS --output_dir RUNS/<task>``
followed by the options after ``--`` (``make train ARGS="..."``), in its own process. Tasks:
``ner`` (entities), ``events`` (sentence event types), ``triggers`` (event triggers) and ``roles``
(source and target of each trigger), the last three when the corpus has events and ``roles`` when
its events have a source or a target. A task whose folder already holds a finished run is kept
(``--overwrite_output`` trains it again). The run says which task and fold it is on, with an
estimate of the time left, and ends with one table: task, cross-validated figure, model folder,
also written to ``RUNS/summary.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from train.atomic import atomic_write_text

TASKS = ("ner", "events", "triggers", "roles")
NEEDS = {"ner": "entities", "events": "events", "triggers": "events", "roles": "events with a source or a target"}
EXIT_USAGE = 2


class TaskResult(NamedTuple):
    task: str
    folder: Path
    status: str  # trained | kept | skipped | failed
    figure: str = "—"
    note: str = ""


def corpus_tasks(corpus: Path) -> dict[str, bool] | None:
    """Which tasks the corpus has data for; ``None`` when it is not a corpus JSONL file that can be
    checked here (another format, or a line that is not a JSON record: every task is tried, and
    train.py says what is missing or reports every bad line with its number)."""
    from train.corpus.document import Problem, iter_jsonl_records

    if corpus.suffix != ".jsonl" or not corpus.is_file():
        return None
    has = {"entities": False, "events": False, "roles": False}
    problems: list[Problem] = []
    for _, doc in iter_jsonl_records(corpus, problems):
        if not isinstance(doc, dict):
            return None
        events = doc.get("events") if isinstance(doc.get("events"), list) else []
        has["entities"] |= bool(doc.get("entities"))
        has["events"] |= bool(events)
        has["roles"] |= any(isinstance(e, dict) and (e.get("source") or e.get("target")) for e in events)
    if any(p.level == "error" for p in problems):
        return None
    return {"ner": has["entities"], "events": has["events"], "triggers": has["events"], "roles": has["roles"]}


def figure(folder: Path) -> str:
    """The run's headline figure: cross-validated micro-F1 (mean ± std), else its dev or test F1."""
    cv = folder / "cv_metrics.json"
    if cv.is_file():
        s = json.loads(cv.read_text(encoding="utf-8"))["summary"]
        f1 = s["micro"]["f1"]
        return f"micro-F1 {100 * f1['mean']:.1f} ± {100 * f1['std']:.1f} ({s['folds']} folds)"
    metrics = folder / "metrics.json"
    if metrics.is_file():
        m = json.loads(metrics.read_text(encoding="utf-8"))
        for split in ("test", "dev"):
            if isinstance(m.get(split), dict) and "micro" in m[split]:
                return f"micro-F1 {100 * m[split]['micro']['f1']:.1f} ({split})"
    return "— (no cross-validation or dev set)"


def finished(folder: Path) -> bool:
    return (folder / "config.json").is_file() and (folder / "metrics.json").is_file() and any(folder.glob("*.safetensors"))


def render_summary(results: list[TaskResult]) -> str:
    lines = ["| task | cross-validated figure | model folder |", "|---|---|---|"]
    for r in results:
        where = str(r.folder) if r.status in ("trained", "kept") else r.status + (f": {r.note}" if r.note else "")
        lines.append(f"| {r.task} | {r.figure} | {where} |")
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="runs", help="the folder of the set: one run folder per task (default: runs)")
    ap.add_argument("--tasks", nargs="+", choices=TASKS, metavar="TASK",
                    help=f"the tasks to train (default: every one the corpus supports of {', '.join(TASKS)})")
    ap.add_argument("--corpus", default="data/seed.jsonl", help="the training corpus of every task (default: data/seed.jsonl)")
    ap.add_argument("--configs", default="configs", help="the folder of the task configs, <task>.yaml (default: configs)")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="after --: options for every task's train.py (make train ARGS=...)")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    extra = args.args[1:] if args.args[:1] == ["--"] else args.args
    if any(a == "--output_dir" or a.startswith("--output_dir=") for a in extra):
        print("train_set.py: --output_dir: each task goes to RUNS/<task>; choose the folder with --runs (make train RUNS=DIR)",
              file=sys.stderr)
        return EXIT_USAGE
    corpus, runs, configs = Path(args.corpus), Path(args.runs), Path(args.configs)
    if not corpus.exists():
        print(f"train_set.py: {corpus}: corpus not found (make train CORPUS=FILE)", file=sys.stderr)
        return EXIT_USAGE
    missing = [t for t in (args.tasks or TASKS) if not (configs / f"{t}.yaml").is_file()]
    if missing:
        print(f"train_set.py: {', '.join(str(configs / f'{t}.yaml') for t in missing)}: config not found", file=sys.stderr)
        return EXIT_USAGE
    supported = corpus_tasks(corpus)
    chosen = list(dict.fromkeys(args.tasks or TASKS))
    if args.tasks and supported is not None:
        lacking = [t for t in chosen if not supported[t]]
        if lacking:
            print(f"train_set.py: {corpus} has no {NEEDS[lacking[0]]} for task {lacking[0]}", file=sys.stderr)
            return EXIT_USAGE
    overwrite = any(a.split("=", 1)[0] == "--overwrite_output" for a in extra)
    results: list[TaskResult] = []
    todo: list[str] = []
    for t in chosen:
        folder = runs / t
        if supported is not None and not supported[t]:
            results.append(TaskResult(t, folder, "skipped", note=f"the corpus has no {NEEDS[t]}"))
        elif finished(folder) and not overwrite:
            results.append(TaskResult(t, folder, "kept", figure(folder), "already trained"))
        else:
            todo.append(t)
    for r in results:
        print(f"train_set.py: {r.task}: {r.status}" + (f" ({r.note}; --overwrite_output trains it again)" if r.status == "kept"
                                                      else f" ({r.note})"), file=sys.stderr)
    rc, started = 0, time.monotonic()
    for i, t in enumerate(todo):
        folder = runs / t
        cmd = [sys.executable, "-m", "train.commands.train", str(configs / f"{t}.yaml"), "--train_file", str(corpus),
               "--extra_train_files", "null", "--output_dir", str(folder), *extra]
        label = f"task {i + 1}/{len(todo)} {t}"
        elapsed = time.monotonic() - started
        eta = f"; about {elapsed / i * (len(todo) - i) / 60:.0f} min left for the set" if i else ""
        print(f"train_set.py: {label}: scripts/train.py {' '.join(cmd[3:])}{eta}", file=sys.stderr, flush=True)
        env = {**os.environ, "ARABIC_IE_PROGRESS_LABEL": label, "ARABIC_IE_TASKS_AFTER": str(len(todo) - i - 1)}
        proc = subprocess.run(cmd, env=env)
        if proc.returncode != 0:
            results.append(TaskResult(t, folder, "failed", note=f"train.py exit {proc.returncode}"))
            rc = proc.returncode
            break
        results.append(TaskResult(t, folder, "trained", figure(folder)))
    order = {t: k for k, t in enumerate(TASKS)}
    results.sort(key=lambda r: order[r.task])
    table = render_summary(results)
    if any(r.status in ("trained", "kept") for r in results):
        runs.mkdir(parents=True, exist_ok=True)
        atomic_write_text(runs / "summary.md", [f"# Model set trained on {corpus}\n\n", table])
    print(f"\n{table}", end="")
    if rc == 0:
        print(f"publish the set: python scripts/publish.py {runs} --out DIR [--push ORG/NAME]")
    return rc


def _subject(argv: list[str]) -> str | None:
    """The corpus and the runs folder, for the one-line failure message."""
    from train.cli import option_values

    opts = option_values(argv[: argv.index("--")] if "--" in argv else argv, "--corpus", "--runs")
    return f"corpus {opts.get('corpus', 'data/seed.jsonl')}, runs {opts.get('runs', 'runs')}"


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="train_set.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
