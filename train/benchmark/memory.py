"""Peak resident memory of ``scripts/predict.py`` streaming many documents against fewer.

The bench documents are repeated under new ids into a temporary JSON Lines file, and
``predict.py`` (a child process, as a user runs it) annotates them into a temporary JSONL file
with one small NER model. Each run's peak is the child's maximum resident set size, read by a
fresh helper process with ``getrusage(RUSAGE_CHILDREN)``, so that nothing else counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from train.benchmark.paths import ROOT

# Runs argv[1:] and prints the peak RSS of that child (and its own children) in MiB.
_HELPER = r"""
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(rc, kb / 2**20 if sys.platform == "darwin" else kb / 1024)
"""


def build_memory_model(out: Path, tokenizer_dir: Path, seed: int = 2) -> Path:
    """A one-layer, hidden-64 NER model on the bench tokenizer: the memory row measures streaming, not the model."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    from train.benchmark.models import entity_labels
    from train.benchmark.pipeline import _copy_tokenizer
    from train.features.tokenization import load_tokenizer

    labels = entity_labels()
    tok = load_tokenizer(str(tokenizer_dir))
    config = BertConfig(vocab_size=len(tok), hidden_size=64, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=512, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)})
    torch.manual_seed(seed)
    BertForTokenClassification(config).eval().save_pretrained(out)
    _copy_tokenizer(tokenizer_dir, out)
    return out


def write_repeated(path: Path, docs: Sequence[tuple[str, str]], n: int) -> None:
    """``n`` JSON Lines documents: ``docs`` in turn, each copy under a new id."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            doc_id, text = docs[i % len(docs)]
            fh.write(json.dumps({"id": f"{doc_id}#{i // len(docs)}", "text": text}, ensure_ascii=False) + "\n")


def predict_peak(model_dir: Path, inputs: Path, output: Path, threads: int) -> tuple[float, float]:
    """``(peak RSS MiB, seconds)`` of one ``scripts/predict.py`` run over ``inputs``."""
    cmd = [sys.executable, str(ROOT / "scripts" / "predict.py"), str(inputs), "--ner", str(model_dir),
           "--output", str(output), "--no-progress", "--threads", str(threads)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _HELPER, *cmd], env=env, capture_output=True, text=True, check=True)
    secs = time.perf_counter() - t
    rc, peak = out.stdout.split()
    if int(rc) != 0:
        raise RuntimeError(f"predict.py exited with {rc}: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return float(peak), secs


def memory_row(model_dir: Path, docs: Sequence[tuple[str, str]], threads: int, quick: bool) -> dict[str, Any]:
    """Peak RSS of ``predict.py`` over many documents and over a tenth as many, and their ratio."""
    small, large = (20, 200) if quick else (1000, 10000)
    row: dict[str, Any] = {"name": "predict_memory", "model": "NER only, 1 layer, hidden 64", "quick": bool(quick)}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for n in (small, large):
            src, dst = Path(tmp) / f"in-{n}.jsonl", Path(tmp) / f"out-{n}.jsonl"
            write_repeated(src, docs, n)
            peak, secs = predict_peak(model_dir, src, dst, threads)
            with dst.open(encoding="utf-8") as fh:
                written = sum(1 for line in fh if line.strip())
            if written != n:
                raise RuntimeError(f"predict.py wrote {written} records for {n} documents")
            row[f"docs_{n}"] = {"documents": n, "peak_rss_mb": peak, "seconds": secs, "docs_per_s": n / secs}
            print(f"predict.py over {n} documents: peak RSS {peak:.0f} MiB, {secs:.0f} s", file=sys.stderr, flush=True)
    row.update(small_docs=small, large_docs=large, peak_rss_mb_small=row[f"docs_{small}"]["peak_rss_mb"],
               peak_rss_mb_large=row[f"docs_{large}"]["peak_rss_mb"])
    row["ratio"] = row["peak_rss_mb_large"] / row["peak_rss_mb_small"]
    if quick:
        row["note"] = f"--quick: {large} against {small} documents, not 10,000 against 1,000"
    return row
