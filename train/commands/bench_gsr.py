#!/usr/bin/env python
"""Benchmark on the Arabic PLOVER gold standard: the tiny model from scratch against TF-IDF + logistic regression.

    python scripts/bench_gsr.py [--gsr ../shared/data/PLOVER-Arabic-GSR] [--out runs/bench-gsr] [--epochs 2]

One run, on one document-level split of the GSR files (a document goes to dev when the MD5 of
its id falls in the last ``--dev-share`` of the range; never by sentence):

1. the baseline a user would otherwise pick: per type, scikit-learn TF-IDF over word 1–2-grams
   and character 2–5-grams (``char_wb``) with a class-balanced logistic regression, trained on
   the train sentences judged for that type, its threshold tuned on dev like the classifier's;
2. the tiny random-init BERT (``scripts/make_tiny_model.py``, vocabulary from the train split),
   trained with ``configs/plover-gsr.yaml`` through ``scripts/train.py`` (GSR only);
3. the same, trained on the seed corpus and the GSR train split together (``extra_train_files``);
4. with ``--base-model PATH``: that pretrained encoder (e.g. ``../shared/models/arabic-bert-tiny-news``)
   fine-tuned with ``configs/plover-gsr.yaml`` as shipped, only the base model changed (plus the
   dev split, the output folder and the CPU settings every row shares).

Every figure is ASSAULT / PROTEST precision, recall and F1 on dev, over the sentences judged for
the type (``ambiguous`` dropped). Thresholds are tuned on dev for all three, so the figures are
optimistic in the same way. scikit-learn is a benchmark-only dependency:
``pip install -e '.[bench]'`` (or ``pip install 'scikit-learn>=1.4'``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from train.benchmark.paths import ROOT, SHARED
from train.benchmark.report import write_json
from train.formats.gsr import read as read_gsr

TYPES = ("ASSAULT", "PROTEST")


def split_docs(docs: list, dev_share: float) -> tuple[list, list]:
    """Train/dev by document: the MD5 of the document id, so the split is stable and never by sentence."""
    def is_dev(doc_id: str) -> bool:
        return int(hashlib.md5(doc_id.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF >= 1 - dev_share

    return [d for d in docs if not is_dev(d.id)], [d for d in docs if is_dev(d.id)]


def judged_rows(docs: list, label: str) -> tuple[list[str], list[int]]:
    texts, gold = [], []
    for d in docs:
        for j in d.sentence_labels:
            if j.label == label:
                texts.append(d.text[j.start : j.end])
                gold.append(int(j.value))
    return texts, gold


def baseline(train: list, dev: list) -> dict[str, dict[str, float]]:
    """TF-IDF word + character n-grams, logistic regression per type; threshold tuned on dev."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    from train.training.sentence_classification import tune_thresholds

    out: dict[str, dict[str, float]] = {}
    for lab in TYPES:
        xt, yt = judged_rows(train, lab)
        xd, yd = judged_rows(dev, lab)
        model = make_pipeline(
            make_union(TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
            LogisticRegression(class_weight="balanced", max_iter=2000, C=4.0),
        )
        model.fit(xt, yt)
        p = model.predict_proba(xd)[:, 1]
        th = tune_thresholds(p[:, None], np.array(yd, dtype=float)[:, None], [lab])[lab]
        pred = p >= th
        gold = np.array(yd, dtype=bool)
        tp, fp, fn = int((pred & gold).sum()), int((pred & ~gold).sum()), int((~pred & gold).sum())
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        out[lab] = {"precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                    "support": tp + fn, "judged": len(yd), "threshold": th}
    return out


def run(cmd: list[str]) -> float:
    print("$", " ".join(cmd), flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gsr", default=str(SHARED / "data" / "PLOVER-Arabic-GSR"))
    ap.add_argument("--out", default="runs/bench-gsr")
    ap.add_argument("--dev-share", type=float, default=0.2)
    ap.add_argument("--epochs", type=float, default=2)
    ap.add_argument("--max-seq-length", type=int, default=64)
    ap.add_argument("--skip-seed", action="store_true", help="leave out the seed + GSR run")
    ap.add_argument("--base-model", default=None, metavar="PATH",
                    help="also fine-tune this pretrained encoder (a local folder) with the shipped config")
    ap.add_argument("--skip-random", action="store_true", help="leave out the random-init tiny rows")
    ap.add_argument("--cpu-threads", type=int, default=2)
    a = ap.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("bench_gsr.py: scikit-learn is missing; install the benchmark extra: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    from train.corpus.document import write_jsonl
    from train.corpus.schema import load_schema

    docs, report = read_gsr(a.gsr, schema=load_schema())
    if report.errors:
        print(report.errors[0], file=sys.stderr)
        return 1
    train, dev = split_docs(docs, a.dev_share)
    out = ROOT / a.out
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "train.jsonl", train)
    write_jsonl(out / "dev.jsonl", dev)
    split = {lab: {"train": sum(judged_rows(train, lab)[1]), "train_judged": len(judged_rows(train, lab)[1]),
                   "dev": sum(judged_rows(dev, lab)[1]), "dev_judged": len(judged_rows(dev, lab)[1])} for lab in TYPES}
    print(f"split: {len(train)} train / {len(dev)} dev documents; {json.dumps(split)}", flush=True)
    results: dict[str, dict] = {"split": {"train_documents": len(train), "dev_documents": len(dev), **split}}
    t0 = time.time()
    results["tfidf_logreg"] = baseline(train, dev)
    results["tfidf_logreg"]["runtime_s"] = round(time.time() - t0, 1)
    py = sys.executable
    shared = ["--validation_file", str(out / "dev.jsonl"), "--use_cpu", "true", "--cpu_threads", str(a.cpu_threads),
              "--disable_tqdm", "true", "--overwrite_output", "true", "--save_total_limit", "1"]
    runs: dict[str, list[str]] = {}
    if not a.skip_random:
        tiny = out / "tiny-base"
        run([py, "scripts/make_tiny_model.py", str(tiny), "--corpus", str(out / "train.jsonl"), "--corpus", "data/seed.jsonl"])
        common = ["--model_name_or_path", str(tiny), "--model_revision", "main", *shared,
                  "--max_seq_length", str(a.max_seq_length), "--num_train_epochs", str(a.epochs), "--learning_rate", "0.001",
                  "--warmup_steps", "0", "--early_stopping_patience", "3"]
        runs["tiny_gsr"] = common
        if not a.skip_seed:
            runs["tiny_seed_gsr"] = [*common, "--extra_train_files", "[data/seed.jsonl]"]
    if a.base_model:
        base = Path(a.base_model).expanduser()
        if not (base / "config.json").is_file():
            print(f"bench_gsr.py: --base-model {a.base_model}: no config.json there (a local model folder is needed)",
                  file=sys.stderr)
            return 2
        # The shipped config as a user runs it: only the base model (and its revision: a folder has none) changes.
        runs["pretrained_gsr"] = ["--model_name_or_path", str(base.resolve()), "--model_revision", "main", *shared]
    for name, extra in runs.items():
        secs = run([py, "scripts/train.py", "configs/plover-gsr.yaml", "--train_file", str(out / "train.jsonl"),
                    "--output_dir", str(out / name), *extra])
        m = json.loads((out / name / "metrics.json").read_text(encoding="utf-8"))
        results[name] = {lab: m["dev"]["per_type"][lab] for lab in TYPES}
        results[name]["runtime_s"] = round(secs, 1)
        results[name]["base_model"] = m.get("run", {}).get("base_model")
    write_json(out / "results.json", results)
    print("\n| model | train | ASSAULT P / R / F1 | PROTEST P / R / F1 | wall time |\n|---|---|---|---|---:|")
    names = {"tfidf_logreg": ("TF-IDF word+char n-grams, logistic regression", "GSR train"),
             "tiny_gsr": ("tiny BERT, random init", "GSR train"), "tiny_seed_gsr": ("tiny BERT, random init", "seed + GSR train"),
             "pretrained_gsr": (f"`{Path(a.base_model).name if a.base_model else ''}`, shipped config", "GSR train")}
    for key, (model, data) in names.items():
        if key not in results:
            continue
        r = results[key]
        cells = [f"{100 * r[lab]['precision']:.1f} / {100 * r[lab]['recall']:.1f} / **{100 * r[lab]['f1']:.1f}**" for lab in TYPES]
        print(f"| {model} | {data} | {cells[0]} | {cells[1]} | {r['runtime_s']:.0f} s |")
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--gsr", "--out", takes_value=("--dev-share", "--epochs", "--max-seq-length", "--base-model", "--cpu-threads"))


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="bench_gsr.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
