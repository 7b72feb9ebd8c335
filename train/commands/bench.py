#!/usr/bin/env python
"""Inference and training throughput, side by side with the plain ``transformers`` pipeline.

One run, on the same inputs (the sentences of ``../shared/news/``, or of ``data/seed.jsonl``
when that is absent), measures:

* inference, in sub-word tokens/s and documents/s with peak memory, for
  ``pipeline(..., aggregation_strategy="first")`` with batch size 1 and 32, the project's
  predictor (PyTorch fp32, and bf16: the model cast, logits back to fp32) and its ONNX Runtime
  int8 path; and for each, the share of entity spans identical to the first pipeline's, and
  for the predictor rows to the fp32 predictor's;
* the fixed-shape forward limit (``bs=32 × seq=64``, no tokenisation, no post-processing)
  and the FLOP limit of the machine (a large fp32 matrix product), each row's ratio to it;
* label agreement of ONNX fp32 vs PyTorch, int8 vs fp32 and PyTorch bf16 vs fp32, on this
  model and on a trained tiny model, and the ONNX file sizes;
* the whole pipeline of ``predict.py`` (entities, sentence event types and triggers: three
  models), in documents/s and tokens/s, with ``--precision fp32``, ``int8`` and ``auto``
  (:mod:`train.benchmark.pipeline`), on random-weight stand-ins or, with ``--pipeline-models``,
  on a trained set (every model of it, roles included), and the peak resident memory of ``scripts/predict.py``
  streaming 10,000 documents against 1,000 (:mod:`train.benchmark.memory`);
* training: tokens/s of ``Trainer`` steps with dynamic padding and length grouping against
  padding to ``max_seq_length`` 128.

The model has random weights and the exact CAMeLBERT-base configuration, with a head shaped
to tag about one word in four as an entity (:mod:`train.benchmark.models`). Each part of the
run is a module of :mod:`train.benchmark`; this command parses the options and runs them in order.

``--quick`` (a smaller model, fewer sentences and steps, 200 against 20 documents for the
memory row) is the test suite's smoke test; ``--only-new-rows`` runs only the whole-pipeline
and memory rows (and the sentence splitter's growth row); ``--only-splitter`` runs only that row,
without building a model.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# Read by huggingface_hub and tokenizers when they are first imported, which the imports below do.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from train.benchmark.agreement import label_agreement  # noqa: E402
from train.benchmark.data import clean_sentences, limit_documents, load_documents, sentences_of  # noqa: E402
from train.benchmark.limits import flops_limit, forward_limit, forward_limits  # noqa: E402
from train.benchmark.machine import machine, versions  # noqa: E402
from train.benchmark.memory import build_memory_model, memory_row  # noqa: E402
from train.benchmark.models import (  # noqa: E402
    build_model,
    dense_macs_per_token,
    export_timed,
    exported_copy,
    trained_tiny_model,
)
from train.benchmark.paths import NEWS  # noqa: E402
from train.benchmark.pipeline import build_pipeline_models, pipeline_rows, set_models  # noqa: E402
from train.benchmark.report import new_rows_table, table, write_json  # noqa: E402
from train.benchmark.rows import measure_rows  # noqa: E402
from train.benchmark.splitter import splitter_row, splitter_table  # noqa: E402
from train.benchmark.training_speed import training_throughput  # noqa: E402
from train.features.tokenization import load_tokenizer  # noqa: E402
from train.inference.backends import load_config  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke test: small model, few sentences and steps (<2 min)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--news", default=str(NEWS), help="folder of .txt articles (default ../shared/news)")
    ap.add_argument("--max-sentences", type=int, default=None, help="stop adding documents after this many sentences")
    ap.add_argument("--train-steps", type=int, default=None, help="Trainer steps per training mode")
    ap.add_argument("--trained-model", default=None, help="a trained tiny NER model for the label agreement check")
    ap.add_argument("--threads", type=int, default=None, help="torch/ONNX Runtime threads (default: all cores)")
    ap.add_argument("--only-new-rows", action="store_true",
                    help="only the whole-pipeline (three models) and predict.py memory rows")
    ap.add_argument("--pipeline-models", metavar="DIR|ORG/NAME", default=None,
                    help="run the whole-pipeline rows on this trained model set (as predict.py --models) "
                         "instead of the random-weight stand-ins")
    ap.add_argument("--only-memory", action="store_true", help="only the predict.py memory row (10,000 against 1,000 documents)")
    ap.add_argument("--only-splitter", action="store_true",
                    help="only the sentence splitter's growth row (one long line, n against 4n copies; no model)")
    ap.add_argument("--workdir", default=None, help="keep the bench models here (default: a temporary folder)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = ap.parse_args(argv)

    if args.only_splitter:
        return _splitter_only(args, argv)
    import torch

    threads = args.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    max_sentences = args.max_sentences or (16 if args.quick else None)
    steps = args.train_steps or (3 if args.quick else 16)
    all_docs, source = load_documents(Path(args.news) if args.news else None)
    docs = limit_documents(all_docs, max_sentences)
    sents = sentences_of(docs)
    texts = [docs[k][1][a:b] for k, a, b in sents]
    all_texts = [all_docs[k][1][a:b] for k, a, b in sentences_of(all_docs)]

    tmp = None
    if args.workdir:
        work = Path(args.workdir)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-")
        work = Path(tmp.name)
    try:
        return _run(args, argv, work, docs, sents, texts, all_texts, source, threads, steps)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(args, argv: list[str], work: Path, docs, sents, texts, all_texts, source: str, threads: int, steps: int) -> int:
    t0 = time.perf_counter()
    print(f"inputs: {len(docs)} documents, {len(texts)} sentences from {source}", file=sys.stderr, flush=True)
    model_dir = build_model(work / "bench-model", all_texts, args.quick)
    config = load_config(str(model_dir))
    tok = load_tokenizer(str(model_dir))
    ntok = sum(len(x) for x in tok(texts)["input_ids"])
    if args.only_new_rows or args.only_memory:
        return _new_rows_only(args, argv, work, model_dir, config, docs, texts, all_texts, source, threads, ntok, t0)
    export_s = export_timed(model_dir)
    print(f"model built and exported ({export_s:.0f} s export); {ntok} sub-word tokens", file=sys.stderr, flush=True)

    macs = dense_macs_per_token(config)
    gflop_per_token = 2 * macs / 1e9
    flops = flops_limit(args.quick)
    gflops = flops["limit"]
    reps = 2 if args.quick else 6
    # Measured twice, at the start and next to the predictor rows: the mean is the limit, so
    # that load from other jobs on a shared machine weighs on both sides alike.
    fwd_runs = [forward_limit(model_dir, reps)]
    print(f"FLOP limit {gflops:.1f} GFLOP/s; forward limit {fwd_runs[0]:.0f} tokens/s", file=sys.stderr, flush=True)

    clean = clean_sentences(docs, sents)
    rows = measure_rows(model_dir, docs, sents, texts, ntok, clean, gflop_per_token=gflop_per_token, gflops=gflops,
                        before_predictor=lambda: fwd_runs.append(forward_limit(model_dir, reps)))
    fwd = float(np.mean(fwd_runs))
    for r in rows:
        r["forward_limit_ratio"] = r["tokens_per_s"] / fwd
    # fp32 and bf16 forward limits measured in turns (best of each): the bf16 row against its own limit
    limits = forward_limits(model_dir, reps)
    print(f"forward limits, interleaved: fp32 {limits['fp32']:.0f}, bf16 {limits['bf16']:.0f} tokens/s",
          file=sys.stderr, flush=True)
    for r in rows:
        if r["name"] == "predictor_bf16":
            r["bf16_forward_limit_ratio"] = r["tokens_per_s"] / limits["bf16"]
    agree = [{"name": "bench model (random encoder)", **label_agreement(model_dir, texts)}]
    trained = None if args.quick and not args.trained_model else trained_tiny_model(work, args.trained_model)
    if trained is not None:
        scratch = exported_copy(trained, work / "trained-tiny")
        agree.append({"name": f"trained tiny model ({trained})", **label_agreement(scratch, all_texts)})
    print("label agreement done", file=sys.stderr, flush=True)

    whole, memory = _new_rows(args, work, model_dir, docs, all_texts, threads, ntok)
    training = training_throughput(model_dir, all_texts, steps=steps, batch_size=16 if not args.quick else 8)
    result = {
        "command": "python scripts/bench.py " + " ".join(argv),
        "machine": machine(threads),
        "versions": versions(),
        "inputs": {"source": source, "documents": len(docs), "sentences": len(texts), "tokens": ntok,
                   "sentences_without_diacritics": len(clean)},
        "model": {"layers": config.num_hidden_layers, "hidden": config.hidden_size, "vocab": config.vocab_size,
                  "labels": config.num_labels, "quick": bool(args.quick)},
        "rows": rows,
        "whole_pipeline": whole,
        "memory": memory,
        "splitter": splitter_row(args.quick),
        "forward_limit_tokens_per_s": fwd,
        "forward_limits_interleaved": limits,
        "forward_limit_runs": fwd_runs,
        "flops_limit_gflops": gflops,
        "flops_by": flops,
        "macs_per_token": macs,
        "gflop_per_token": gflop_per_token,
        "label_agreement": agree,
        "onnx_export_seconds": export_s,
        "training": training,
        "seconds": time.perf_counter() - t0,
    }
    print(table(result))
    print(new_rows_table(result))
    print(splitter_table(result["splitter"]))
    if args.json:
        write_json(args.json, result)
    return 0


QUICK_PROFILE_DOCS = 4  # --quick profiles the pipeline over this many documents


def _new_rows(args, work: Path, model_dir: Path, docs, all_texts, threads: int, ntok: int) -> tuple[list, dict]:
    """The whole-pipeline rows (three models, fp32 and auto) and the predict.py memory row."""
    whole = []
    if not args.only_memory:
        if args.pipeline_models:
            dirs = set_models(args.pipeline_models, work)
            tok = load_tokenizer(str(next(iter(dirs.values()))))  # the set's own sub-words, not the stand-ins'
            ntok = sum(len(x) for x in tok([d[1] for d in docs])["input_ids"])
        else:
            dirs = build_pipeline_models(model_dir, work, all_texts)
        whole = pipeline_rows(dirs, docs, ntok, profile_docs=QUICK_PROFILE_DOCS if args.quick else None)
    memory = memory_row(build_memory_model(work / "memory-model", model_dir), docs, threads, args.quick)
    return whole, memory


def _new_rows_only(args, argv: list[str], work: Path, model_dir: Path, config, docs, texts, all_texts, source: str,
                   threads: int, ntok: int, t0: float) -> int:
    whole, memory = _new_rows(args, work, model_dir, docs, all_texts, threads, ntok)
    result = {
        "command": "python scripts/bench.py " + " ".join(argv),
        "machine": machine(threads),
        "versions": versions(),
        "inputs": {"source": source, "documents": len(docs), "sentences": len(texts), "tokens": ntok},
        "model": {"layers": config.num_hidden_layers, "hidden": config.hidden_size, "vocab": config.vocab_size,
                  "labels": config.num_labels, "quick": bool(args.quick)},
        "whole_pipeline": whole,
        "memory": memory,
        "splitter": splitter_row(args.quick),
        "seconds": time.perf_counter() - t0,
    }
    print(new_rows_table(result))
    print(splitter_table(result["splitter"]))
    if args.json:
        write_json(args.json, result)
    return 0


def _splitter_only(args, argv: list[str]) -> int:
    row = splitter_row(args.quick)
    print(splitter_table(row))
    if args.json:
        write_json(args.json, {"command": "python scripts/bench.py " + " ".join(argv), "machine": machine(1),
                               "versions": versions(), "splitter": row})
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--news", "--workdir", "--json", "--trained-model")


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="bench.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
