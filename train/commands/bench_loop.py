#!/usr/bin/env python
"""Simulated annotation loop: train on sentences chosen by model uncertainty, or at random, round by round.

    python scripts/bench_loop.py [--rounds 5 --start 50 --step 100 --seeds 0 1 2] [--out-dir runs/bench-loop]

The training split is the pool; the first ``--start`` sentences are drawn at random (per seed),
then each round adds ``--step`` sentences, chosen by the previous round's model (most uncertain
first, :mod:`train.inference.uncertainty`) or at random, and the tiny model is trained again from
its base with the project's runner (best epoch on the validation file; test F1 reported). Writes
``active_loop.json`` (all figures, which sentences each round added) and ``active_loop.md``
(rounds × strategy, mean ± sd over the seeds, and per seed) into ``--out-dir``.
The logic: :mod:`train.benchmark.active_loop`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from train.benchmark.paths import SHARED

WOJOOD = SHARED / "data" / "Wojood-sample"


def _rate(value: str) -> float | str:
    """``--learning-rate``: a number or ``auto``, as ``learning_rate`` in a config."""
    from train.training.config import AUTO

    if value.strip().lower() == AUTO:
        return AUTO
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or auto, got {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    from train.benchmark.active_loop import STRATEGIES, LoopSettings, run_loop
    from train.inference.uncertainty import MEASURES

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=str(WOJOOD / "train.txt"), help="CoNLL file: the pool (default: the Wojood sample's train)")
    ap.add_argument("--val", default=str(WOJOOD / "val.txt"), help="CoNLL file that picks each model's best epoch")
    ap.add_argument("--test", default=str(WOJOOD / "test.txt"), help="CoNLL file scored after each round")
    ap.add_argument("--out-dir", default="runs/bench-loop")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--start", type=int, default=50, help="sentences of round 0, drawn at random")
    ap.add_argument("--step", type=int, default=100, help="sentences added per round")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    ap.add_argument("--measure", default="entropy", choices=MEASURES)
    ap.add_argument("--epochs", type=int, default=20, help="at most; early stopping on the validation file")
    ap.add_argument("--learning-rate", type=_rate, default=0.001,
                    help="a number, or auto (learning_rate: auto, by the base model's width); 0.001: at 0.002 one "
                         "training in 33 stayed at val F1 0 (all O) until early stopping")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--patience", type=int, default=6, help="early stopping: epochs without a better val F1")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--conll-layer", type=int, default=0, help="tag column of a nested CoNLL file (0 = first)")
    ap.add_argument("--base", help="base model folder (default: the tiny model, vocabulary from the pool, built into --out-dir)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="another key of the training config (YAML value), e.g. --set warmup_steps=0; repeatable")
    a = ap.parse_args(argv)
    import yaml

    extra = {}
    for kv in a.set:
        key, sep, value = kv.partition("=")
        if not sep:
            raise ValueError(f"--set {kv}: expected KEY=VALUE")
        extra[key] = yaml.safe_load(value)
    settings = LoopSettings(
        Path(a.train), Path(a.val), Path(a.test), Path(a.out_dir), rounds=a.rounds, start=a.start, step=a.step,
        seeds=a.seeds, strategies=a.strategies, measure=a.measure, epochs=a.epochs, learning_rate=a.learning_rate,
        batch_size=a.batch_size, patience=a.patience, threads=a.threads, conll_layer=a.conll_layer,
        base_model=Path(a.base) if a.base else None, extra=extra)
    result = run_loop(settings, say=lambda line: print(line, flush=True))
    out = Path(a.out_dir)
    print((out / "active_loop.md").read_text(encoding="utf-8"))
    print(f"figures: {out / 'active_loop.json'} ({len(json.dumps(result))} bytes); table: {out / 'active_loop.md'}")
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--train", "--out-dir", "--base",
                         takes_value=("--val", "--test", "--rounds", "--start", "--step", "--seeds", "--strategies", "--measure",
                                      "--epochs", "--learning-rate", "--batch-size", "--patience", "--threads",
                                      "--conll-layer", "--set"))


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="bench_loop.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
