"""``compare_run_ner.py``: transformers' run_ner.py recipe beside the project's NER path (issue 15).

    python scripts/compare_run_ner.py compare MODEL CONLL_FILE        # how the two paths differ, no training
    python scripts/compare_run_ner.py train MODEL --train_file F --test_file F --output_dir D [--seed 42 ...]

The recipe and the comparison live in :mod:`train.benchmark.run_ner_recipe`.
"""

from __future__ import annotations

import argparse
import json
import sys

from train.benchmark.run_ner_recipe import compare_paths, run_recipe


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="compare_run_ner.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="count how the two paths differ on one CoNLL file (no training)")
    c.add_argument("model")
    c.add_argument("conll_file")
    c.add_argument("--max_seq_length", type=int, default=256)
    c.add_argument("--window_overlap", type=int, default=64)
    c.add_argument("--limit", type=int, default=None)
    r = sub.add_parser("train", help="train and score the run_ner.py recipe (strict F1 on the file's tokens)")
    r.add_argument("model")
    r.add_argument("--train_file", required=True)
    r.add_argument("--test_file", required=True)
    r.add_argument("--output_dir", required=True)
    r.add_argument("--seed", type=int, default=42)
    r.add_argument("--num_train_epochs", type=float, default=3)
    r.add_argument("--learning_rate", type=float, default=1e-3)
    r.add_argument("--warmup_steps", type=float, default=0.05)
    r.add_argument("--per_device_train_batch_size", type=int, default=16)
    r.add_argument("--max_seq_length", type=int, default=256)
    r.add_argument("--weight_decay", type=float, default=0.0)
    r.add_argument("--cpu_threads", type=int, default=1)
    r.add_argument("--max_train_sentences", type=int, default=None)
    r.add_argument("--max_eval_sentences", type=int, default=None)
    a = ap.parse_args(sys.argv[1:] if argv is None else argv)
    if a.cmd == "compare":
        print(json.dumps(compare_paths(a.model, a.conll_file, a.max_seq_length, a.window_overlap, limit=a.limit),
                         indent=2, ensure_ascii=False))
        return 0
    out = run_recipe(a.model, a.train_file, a.test_file, a.output_dir, seed=a.seed, epochs=a.num_train_epochs,
                     learning_rate=a.learning_rate, warmup=a.warmup_steps, batch_size=a.per_device_train_batch_size,
                     max_seq_length=a.max_seq_length, weight_decay=a.weight_decay, cpu_threads=a.cpu_threads,
                     max_train_sentences=a.max_train_sentences, max_eval_sentences=a.max_eval_sentences)
    print(f"test: micro-F1 {100 * out['test']['micro']['f1']:.1f} (the CoNLL file's tokens); {a.output_dir}/metrics.json")
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv[1:], "--train_file", "--test_file", "--output_dir", positional="model, file" if argv[:1] == ["compare"] else "model",
                         takes_value=("--seed", "--num_train_epochs", "--learning_rate", "--warmup_steps", "--per_device_train_batch_size",
                                      "--max_seq_length", "--weight_decay", "--cpu_threads", "--max_train_sentences",
                                      "--max_eval_sentences", "--window_overlap", "--limit"))


def cli(argv: list[str] | None = None) -> int:
    from train.cli import run_main

    return run_main(main, argv, prog="compare_run_ner.py", subject=_subject)
