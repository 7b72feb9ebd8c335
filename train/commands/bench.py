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
* training: tokens/s of ``Trainer`` steps with dynamic padding and length grouping against
  padding to ``max_seq_length`` 128.

The model has random weights and the exact CAMeLBERT-base configuration. A random
classifier head gives near-ties between all 21 labels on every token, which no real tagger
does; so the head reads the encoder's principal directions (as a fine-tuned head does) and
its ``O`` bias is set so that about one word in four is tagged as an entity, as in the seed
corpus. The encoder, where all the computation is, keeps its random weights.

``--quick`` (a smaller model, fewer sentences and steps) is the test suite's smoke test.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[2]

import numpy as np  # noqa: E402  (after the environment above)

from train.atomic import atomic_write_text  # noqa: E402

NEWS = ROOT.parent / "shared" / "news"
SEED = ROOT / "data" / "seed.jsonl"
DEMO_NER = ROOT / "models" / "demo" / "ner"
ROW_NAMES = ("pipeline", "pipeline_bs32", "predictor", "predictor_bf16", "predictor_onnx_int8")
# predictor rows: (backend, precision)
PREDICTOR_ROWS = {"predictor": ("torch", "fp32"), "predictor_bf16": ("torch", "bf16"),
                  "predictor_onnx_int8": ("onnx", "auto")}
ENTITY_WORD_SHARE = 0.25  # share of sub-words the random head tags as entities


# --------------------------------------------------------------------------- inputs


def load_documents(news: Path | None, max_docs: int | None = None) -> tuple[list[tuple[str, str]], str]:
    """``(id, text)`` of every ``.txt`` under ``news`` (sorted), else the seed corpus articles."""
    if news is not None and news.is_dir():
        files = sorted(news.rglob("*.txt"))
        if files:
            docs = [(str(f.relative_to(news)), f.read_text(encoding="utf-8")) for f in files]
            return docs[:max_docs] if max_docs else docs, f"{news} ({len(files)} .txt files)"
    docs = []
    with SEED.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                docs.append((str(d["id"]), d["text"]))
    return docs[:max_docs] if max_docs else docs, f"{SEED.relative_to(ROOT)} (seed corpus)"


def sentences_of(docs: Sequence[tuple[str, str]]) -> list[tuple[int, int, int]]:
    """``(doc index, start, end)`` of every sentence, by the project's splitter."""
    from train.corpus.sentences import split_sentences

    return [(k, s.start, s.end) for k, (_, text) in enumerate(docs) for s in split_sentences(text)]


def limit_documents(docs: list[tuple[str, str]], max_sentences: int | None) -> list[tuple[str, str]]:
    """Whole documents, in order, until ``max_sentences`` sentences are reached."""
    if not max_sentences:
        return docs
    from train.corpus.sentences import split_sentences

    out, n = [], 0
    for d in docs:
        if n >= max_sentences:
            break
        out.append(d)
        n += len(split_sentences(d[1]))
    return out


# --------------------------------------------------------------------------- model


def entity_labels() -> list[str]:
    from train.corpus.schema import load_schema

    return ["O"] + [f"{p}-{t}" for t in load_schema().entity_labels for p in ("B", "I")]


def build_model(out: Path, texts: Sequence[str], quick: bool, seed: int = 0) -> Path:
    """Random-weight CAMeLBERT-base (or a small BERT with ``quick``) + a WordPiece tokenizer."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    from train.features.tokenization import train_wordpiece

    labels = entity_labels()
    size = dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512) if quick else \
        dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    config = BertConfig(vocab_size=30000, max_position_embeddings=512, type_vocab_size=2, **size,
                        num_labels=len(labels), id2label=dict(enumerate(labels)),
                        label2id={lab: i for i, lab in enumerate(labels)})
    torch.manual_seed(seed)
    model = BertForTokenClassification(config).eval()
    tok = train_wordpiece(texts, vocab_size=30000)
    shape_head(model, tok, texts, seed)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def shape_head(model: Any, tok: Any, texts: Sequence[str], seed: int, sample: int = 96) -> None:
    """Point the random head at the encoder's 16 principal directions; tag ~25% as entities."""
    import torch

    rng = np.random.default_rng(seed)
    picks = [texts[i] for i in rng.choice(len(texts), size=min(sample, len(texts)), replace=False)]
    hidden = []
    with torch.inference_mode():
        for t in picks:
            enc = tok(t, return_tensors="pt", truncation=True, max_length=128)
            hidden.append(model.bert(**enc).last_hidden_state[0])
    h = torch.cat(hidden).double()
    mean = h.mean(0)
    _, _, v = torch.linalg.svd(h - mean, full_matrices=False)
    k = min(16, v.shape[0])
    proj = torch.from_numpy(rng.standard_normal((model.config.num_labels, k))).double()
    w = proj @ v[:k]
    z = (h - mean) @ w.T
    w = w * (3.0 / z.std())  # logits of a confident tagger: a few units apart
    b = -(w @ mean)
    logits = h @ w.T + b
    margin = logits[:, 1:].max(1).values - logits[:, 0]
    b[0] += torch.quantile(margin, 1 - ENTITY_WORD_SHARE)
    model.classifier.weight.data.copy_(w.float())
    model.classifier.bias.data.copy_(b.float())


def dense_macs_per_token(config: Any) -> int:
    """Weight multiply-adds per token in the encoder (≈85 M for BERT-base)."""
    h, i, n = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    return n * (4 * h * h + 2 * h * i)


# --------------------------------------------------------------------------- measuring


class PeakMemory:
    """Peak resident memory (MiB) of this process while the block runs, sampled every 10 ms."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()

    def _rss(self) -> float:
        try:
            import psutil

            return psutil.Process().memory_info().rss / 2**20
        except ImportError:  # pragma: no cover - psutil ships with accelerate
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _loop(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        gc.collect()
        self.peak = self._rss()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    with PeakMemory() as mem:
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
    return out, dt, mem.peak


def flops_limit(quick: bool) -> dict[str, float]:
    """GFLOP/s of a large fp32 matrix product (best of several), by PyTorch and by ONNX Runtime.

    The machine's limit is the faster of the two: PyTorch's CPU wheel multiplies with MKL,
    which may not use every vector extension of a non-Intel CPU, while ONNX Runtime's MLAS does.
    """
    import torch

    n = 1024 if quick else 2048
    reps = 3 if quick else 5
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = {"torch_mm": 2 * n**3 / _best_seconds(lambda: torch.mm(a, b), reps) / 1e9}
    try:
        out["onnxruntime_matmul"] = _ort_matmul_gflops(a.numpy(), b.numpy(), reps)
    except Exception as exc:  # noqa: BLE001 - the torch figure stands alone then
        print(f"ONNX Runtime matmul skipped: {exc}", file=sys.stderr)
    out["limit"] = max(out.values())
    return out


def _ort_matmul_gflops(a: np.ndarray, b: np.ndarray, reps: int) -> float:
    import onnxruntime as ort
    from onnx import TensorProto, helper

    n = a.shape[0]
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["C"])], "mm",
                              [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n]),
                               helper.make_tensor_value_info("B", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("C", TensorProto.FLOAT, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = min(model.ir_version, 9)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = _threads()
    sess = ort.InferenceSession(model.SerializeToString(),
                                sess_options=opts, providers=["CPUExecutionProvider"])
    feeds = {"A": np.ascontiguousarray(a), "B": np.ascontiguousarray(b)}
    return 2 * n**3 / _best_seconds(lambda: sess.run(None, feeds), reps) / 1e9


def _best_seconds(fn, reps: int) -> float:
    """Best wall time of ``reps`` calls of ``fn``, after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def forward_limit(model_dir: Path, reps: int) -> float:
    """Tokens/s of a fixed ``bs=32 × seq=64`` forward pass: no tokenisation, no post-processing."""
    import torch
    from transformers import AutoModelForTokenClassification

    model = AutoModelForTokenClassification.from_pretrained(str(model_dir), use_safetensors=True, trust_remote_code=False).eval()
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(5, model.config.vocab_size, (32, 64), generator=gen)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        model(input_ids=ids, attention_mask=mask)
        t = time.perf_counter()
        for _ in range(reps):
            model(input_ids=ids, attention_mask=mask)
        dt = time.perf_counter() - t
    del model
    gc.collect()
    return reps * ids.numel() / dt


def doc_entities_from_pipeline(out: Sequence[Sequence[dict]], sents: Sequence[tuple[int, int, int]],
                               docs: Sequence[tuple[str, str]]) -> set:
    """The pipeline's entities as ``(doc, start, end, label)`` in document offsets, on whole words.

    As in the predictor's parity test: the pipeline's spans are snapped to whole words, and
    spans with no word character (a lone quote or comma) are dropped, because the pipeline's
    offsets stop short of diacritics the normaliser removed, and its word heuristic (sub-word
    length against original length) glues punctuation onto a diacritised word.
    """
    from train.corpus.text import snap_to_words

    got = set()
    for (k, a, _), ents in zip(sents, out):
        text = docs[k][1]
        for e in ents:
            snapped = snap_to_words(text, a + int(e["start"]), a + int(e["end"]))
            if snapped:
                got.add((k, *snapped, e["entity_group"]))
    return got


def in_sentences(ents: set, spans: Sequence[tuple[int, int, int]]) -> set:
    """The entities that lie inside one of the sentences ``(doc, start, end)``."""
    by_doc: dict[int, list[tuple[int, int]]] = {}
    for k, a, b in spans:
        by_doc.setdefault(k, []).append((a, b))
    return {e for e in ents if any(a <= e[1] and e[2] <= b for a, b in by_doc.get(e[0], ()))}


def agreement(ref: set, got: set) -> float:
    """Share of entity spans identical to the reference: |both| / |either| (1.0 when both are empty)."""
    union = ref | got
    return 1.0 if not union else len(ref & got) / len(union)


def run_pipeline(model_dir: Path, texts: list[str], batch_size: int | None) -> list:
    from transformers import pipeline

    pipe = pipeline("token-classification", model=str(model_dir), aggregation_strategy="first", device=-1)
    pipe(texts[:2])  # warm-up outside the clock, as for every row
    kwargs = {"batch_size": batch_size} if batch_size else {}
    return pipe, kwargs


def run_predictor(model_dir: Path, backend: str, precision: str = "fp32", *, docs: Sequence[tuple[str, str]]):
    from train.inference.predictor import InputDocument, Predictor

    pred = Predictor.from_pretrained(ner=str(model_dir), backend=backend, batch_size=32, precision=precision)
    list(pred.predict([InputDocument("warm", docs[0][1][:400])]))
    inputs = [InputDocument(i, t) for i, t in docs]

    def go() -> set:
        got = set()
        for k, rec in enumerate(pred.predict(inputs)):
            for e in rec["entities"]:
                got.add((k, e["start"], e["end"], e["label"]))
        return got
    return go


def label_agreement(model_dir: Path, texts: Sequence[str], batch_size: int = 32) -> dict[str, Any]:
    """Token label agreement: ONNX fp32 vs PyTorch, int8 vs fp32, PyTorch bf16 vs fp32, on sorted, padded batches."""
    import torch
    from transformers import AutoModelForTokenClassification

    from train.inference.onnx_backend import FP32_NAME, INT8_NAME, OnnxBackend, file_mb
    from train.inference.predictor import TorchBackend, load_tokenizer

    def load() -> Any:
        return AutoModelForTokenClassification.from_pretrained(str(model_dir), use_safetensors=True,
                                                               trust_remote_code=False).eval()

    tok = load_tokenizer(str(model_dir))
    model = load()
    enc = tok(list(texts), truncation=True, max_length=model.config.max_position_embeddings)["input_ids"]
    order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
    backends = {"torch": TorchBackend(model, "cpu"), "onnx_fp32": OnnxBackend(model_dir / FP32_NAME, model.config),
                "onnx_int8": OnnxBackend(model_dir / INT8_NAME, model.config),
                "torch_bf16": TorchBackend(load(), "cpu", "bf16")}  # its own copy: .to(bf16) casts in place
    labels: dict[str, list[np.ndarray]] = {k: [] for k in backends}
    seconds = {k: 0.0 for k in backends}
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        width = max(len(enc[i]) for i in idx)
        ids = np.full((len(idx), width), tok.pad_token_id or 0, dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(idx):
            ids[r, : len(enc[i])] = enc[i]
            mask[r, : len(enc[i])] = 1
        feats = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        for k, be in backends.items():
            t = time.perf_counter()
            logits = be(feats)
            seconds[k] += time.perf_counter() - t
            labels[k].append(logits.argmax(-1)[mask.astype(bool)])
    lab = {k: np.concatenate(v) for k, v in labels.items()}
    ntok = sum(len(e) for e in enc)
    del backends, model
    gc.collect()
    torch.set_num_threads(torch.get_num_threads())
    return {
        "model": str(model_dir),
        "tokens": int(ntok),
        "onnx_fp32_vs_torch": float((lab["onnx_fp32"] == lab["torch"]).mean()),
        "onnx_int8_vs_fp32": float((lab["onnx_int8"] == lab["onnx_fp32"]).mean()),
        "onnx_int8_vs_torch": float((lab["onnx_int8"] == lab["torch"]).mean()),
        "torch_bf16_vs_fp32": float((lab["torch_bf16"] == lab["torch"]).mean()),
        "non_o_share_torch": float((lab["torch"] != 0).mean()),
        "forward_tokens_per_s": {k: ntok / s for k, s in seconds.items()},
        "fp32_mb": round(file_mb(model_dir / FP32_NAME), 1),
        "int8_mb": round(file_mb(model_dir / INT8_NAME), 1),
        "safetensors_mb": round((model_dir / "model.safetensors").stat().st_size / 2**20, 1),
    }


# --------------------------------------------------------------------------- training


def training_throughput(model_dir: Path, texts: Sequence[str], steps: int, batch_size: int,
                        max_seq_length: int = 128, seed: int = 0) -> dict[str, Any]:
    """Tokens/s of ``Trainer`` steps: dynamic padding + length grouping vs padding to 128."""
    import torch
    from datasets import Dataset
    from transformers import (
        AutoModelForTokenClassification,
        DataCollatorForTokenClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from train.inference.predictor import load_tokenizer

    tok = load_tokenizer(str(model_dir))
    rng = np.random.default_rng(seed)
    n = min(len(texts), steps * batch_size)
    picks = [texts[i] for i in rng.choice(len(texts), size=n, replace=False)]
    num_labels = len(entity_labels())

    def features(pad_to_max: bool) -> Dataset:
        enc = tok(picks, truncation=True, max_length=max_seq_length,
                  padding="max_length" if pad_to_max else False)
        rows = []
        for k in range(n):
            ids = enc["input_ids"][k]
            real = sum(enc["attention_mask"][k])
            labels = [int(x) for x in rng.integers(0, num_labels, len(ids))]
            for j in range(len(ids)):
                if j == 0 or j >= real - 1:
                    labels[j] = -100
            rows.append({"input_ids": ids, "attention_mask": enc["attention_mask"][k], "labels": labels,
                         "length": int(real)})
        return Dataset.from_list(rows)

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []
            self._t = 0.0

        def on_step_begin(self, args, state, control, **kw):
            self._t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.times.append(time.perf_counter() - self._t)

    class CountingTrainer(Trainer):
        tokens: list[int]

        def training_step(self, model, inputs, num_items_in_batch=None):
            self.tokens.append(int(inputs["attention_mask"].sum()))
            return super().training_step(model, inputs, num_items_in_batch)

    out: dict[str, Any] = {"steps": steps, "batch_size": batch_size, "sentences": n, "max_seq_length": max_seq_length}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        for name, pad_to_max in (("dynamic_grouped", False), ("padded_128", True)):
            torch.manual_seed(seed)
            model = AutoModelForTokenClassification.from_pretrained(str(model_dir), use_safetensors=True, trust_remote_code=False)
            args = TrainingArguments(
                output_dir=str(Path(tmp) / name), per_device_train_batch_size=batch_size, max_steps=steps,
                learning_rate=5e-5, report_to=[], save_strategy="no", logging_strategy="no", seed=seed,
                dataloader_num_workers=0, disable_tqdm=True, use_cpu=True,
                train_sampling_strategy="random" if pad_to_max else "group_by_length",
                length_column_name="length",
            )
            clock = Clock()
            trainer = CountingTrainer(model=model, args=args, train_dataset=features(pad_to_max),
                                      data_collator=DataCollatorForTokenClassification(tok),
                                      callbacks=[clock])
            trainer.tokens = []
            trainer.train()
            # the first step (allocations, warm-up) is left out of the clock
            toks, secs = sum(trainer.tokens[1:]), sum(clock.times[1:])
            out[name] = {"tokens_per_s": toks / secs if secs else 0.0, "steps_timed": len(clock.times) - 1,
                         "real_tokens": toks, "seconds": secs}
            del trainer, model
            gc.collect()
    dyn, pad = out["dynamic_grouped"]["tokens_per_s"], out["padded_128"]["tokens_per_s"]
    out["speedup"] = dyn / pad if pad else 0.0
    return out


# --------------------------------------------------------------------------- trained tiny model


def trained_tiny_model(workdir: Path, given: str | None) -> Path | None:
    """A trained tiny NER model: ``--trained-model``, ``models/demo/ner``, or one trained now."""
    if given:
        return Path(given)
    if (DEMO_NER / "model.safetensors").is_file():
        return DEMO_NER
    make_tiny_model, train_script = load_script("make_tiny_model"), load_script("train")
    if make_tiny_model is None or train_script is None:
        return None
    base = make_tiny_model.build(workdir / "tiny-base", make_tiny_model.corpus_texts([str(SEED)]))
    out = workdir / "tiny-ner"
    rc = train_script.main([str(ROOT / "configs" / "demo-ner.yaml"), "--model_name_or_path", str(base),
                            "--train_file", str(SEED), "--validation_file", str(SEED), "--output_dir", str(out)])
    return out if rc == 0 else None


def load_script(name: str) -> Any:
    """A module from ``scripts/`` (``scripts/train.py`` would clash with the ``train`` package)."""
    import importlib.util

    path = ROOT / "scripts" / f"{name}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def copy_model(src: Path, dst: Path) -> Path:
    """A scratch copy to export into, so that a published folder is left untouched."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json"):
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    return dst


# --------------------------------------------------------------------------- report


def table(result: dict[str, Any]) -> str:
    lim = result["forward_limit_tokens_per_s"]
    base = {r["name"]: r for r in result["rows"]}["pipeline"]["tokens_per_s"]
    lines = [
        "| row | tokens/s | docs/s | × pipeline | / forward limit | % of FLOP limit | agreement | agreement, no diacritics "
        "| peak MiB | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['name']} | {r['tokens_per_s']:.0f} | {r['docs_per_s']:.3f} | {r['tokens_per_s'] / base:.2f} | "
                     f"{r['tokens_per_s'] / lim:.2f} | {100 * r['flops_ratio']:.1f} | {100 * r['agreement']:.2f}% | "
                     f"{100 * r['agreement_clean']:.2f}% | {r['peak_mb']:.0f} | {r['seconds']:.1f} |")
    vs = [f"{r['name']} {100 * r['agreement_vs_fp32']:.2f}%" for r in result["rows"]
          if "agreement_vs_fp32" in r and r["name"] != "predictor"]
    gflops = result["flops_limit_gflops"]
    lines.append(f"| forward limit bs=32×seq=64 (mean of {', '.join(f'{x:.0f}' for x in result['forward_limit_runs'])}) | {lim:.0f} | | {lim / base:.2f} | 1.00 | "
                 f"{100 * lim * result['gflop_per_token'] / gflops:.1f} | | | | |")
    if vs:
        lines.append(f"\nentity spans identical to the fp32 predictor's: {', '.join(vs)}")
    lines.append("")
    by = ", ".join(f"{k} {v:.0f}" for k, v in result["flops_by"].items() if k != "limit")
    lines.append(f"FLOP limit (fp32 {2048 if not result['model']['quick'] else 1024}² matmul, best of {by}): {gflops:.1f} GFLOP/s; model: {result['gflop_per_token'] * 1e3:.1f} MFLOP per token "
                 f"(2 × {result['macs_per_token'] / 1e6:.1f} M multiply-adds)")
    tr = result["training"]
    if tr:
        lines.append("")
        lines.append("| training (Trainer steps) | tokens/s | steps timed |")
        lines.append("|---|---:|---:|")
        for k in ("dynamic_grouped", "padded_128"):
            lines.append(f"| {k} | {tr[k]['tokens_per_s']:.0f} | {tr[k]['steps_timed']} |")
        lines.append(f"\ndynamic padding + length grouping vs padding to {tr['max_seq_length']}: {tr['speedup']:.2f}×")
    for a in result["label_agreement"]:
        lines.append("")
        lines.append(f"labels, {a['name']} ({a['tokens']} sub-words): ONNX fp32 vs torch {100 * a['onnx_fp32_vs_torch']:.3f}%, "
                     f"int8 vs fp32 {100 * a['onnx_int8_vs_fp32']:.3f}%, torch bf16 vs fp32 {100 * a['torch_bf16_vs_fp32']:.3f}%; files: safetensors {a['safetensors_mb']} MiB, "
                     f"model.onnx {a['fp32_mb']} MiB, model.int8.onnx {a['int8_mb']} MiB "
                     f"({a['int8_mb'] / a['fp32_mb']:.2f} of fp32)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke test: small model, few sentences and steps (<2 min)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--news", default=str(NEWS), help="folder of .txt articles (default ../shared/news)")
    ap.add_argument("--max-sentences", type=int, default=None, help="stop adding documents after this many sentences")
    ap.add_argument("--train-steps", type=int, default=None, help="Trainer steps per training mode")
    ap.add_argument("--trained-model", default=None, help="a trained tiny NER model for the label agreement check")
    ap.add_argument("--threads", type=int, default=None, help="torch/ONNX Runtime threads (default: all cores)")
    ap.add_argument("--workdir", default=None, help="keep the bench models here (default: a temporary folder)")
    args = ap.parse_args(argv)

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
        return _run(args, work, docs, sents, texts, all_texts, source, threads, steps)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(args, work: Path, docs, sents, texts, all_texts, source: str, threads: int, steps: int) -> int:
    import onnxruntime
    import torch
    import transformers

    from train.inference.onnx_backend import export_dir
    from train.inference.predictor import load_config, load_tokenizer

    t0 = time.perf_counter()
    print(f"inputs: {len(docs)} documents, {len(texts)} sentences from {source}", file=sys.stderr, flush=True)
    model_dir = build_model(work / "bench-model", all_texts, args.quick)
    config = load_config(str(model_dir))
    tok = load_tokenizer(str(model_dir))
    ntok = sum(len(x) for x in tok(texts)["input_ids"])
    t = time.perf_counter()
    export_dir(model_dir)
    export_s = time.perf_counter() - t
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

    from train.corpus.text import DIACRITICS_RE

    # Sentences without diacritics or tatweel, where the pipeline's word heuristic is exact.
    clean = [(k, a, b) for k, a, b in sents if not DIACRITICS_RE.search(docs[k][1][a:b])]
    rows: list[dict[str, Any]] = []
    ref: set | None = None
    fp32: set | None = None
    for name in ROW_NAMES:
        if name.startswith("pipeline"):
            pipe, kwargs = run_pipeline(model_dir, texts, 32 if name == "pipeline_bs32" else None)
            out, secs, peak = timed(lambda: pipe(texts, **kwargs))  # noqa: B023
            got = doc_entities_from_pipeline(out, sents, docs)
            del pipe
        else:
            if name == "predictor":
                fwd_runs.append(forward_limit(model_dir, reps))
            go = run_predictor(model_dir, *PREDICTOR_ROWS[name], docs=docs)
            got, secs, peak = timed(go)
            del go
            fp32 = got if name == "predictor" else fp32
        gc.collect()
        ref = got if ref is None else ref
        tps = ntok / secs
        rows.append({"name": name, "tokens_per_s": tps, "docs_per_s": len(docs) / secs,
                     "agreement": agreement(ref, got),
                     "agreement_clean": agreement(in_sentences(ref, clean), in_sentences(got, clean)), "peak_mb": peak, "seconds": secs, "entities": len(got),
                     "flops_ratio": tps * gflop_per_token / gflops})
        if fp32 is not None:  # the predictor rows, against the fp32 predictor
            rows[-1]["agreement_vs_fp32"] = agreement(fp32, got)
        print(f"{name}: {tps:.0f} tokens/s, {len(got)} entities", file=sys.stderr, flush=True)

    fwd = float(np.mean(fwd_runs))
    for r in rows:
        r["forward_limit_ratio"] = r["tokens_per_s"] / fwd
    agree = [{"name": "bench model (random encoder)", **label_agreement(model_dir, texts)}]
    trained = None if args.quick and not args.trained_model else trained_tiny_model(work, args.trained_model)
    if trained is not None:
        scratch = copy_model(trained, work / "trained-tiny")
        export_dir(scratch)
        agree.append({"name": f"trained tiny model ({trained})", **label_agreement(scratch, all_texts)})
    print("label agreement done", file=sys.stderr, flush=True)

    training = training_throughput(model_dir, all_texts, steps=steps, batch_size=16 if not args.quick else 8)
    result = {
        "command": "python scripts/bench.py " + " ".join(sys.argv[1:] if argv_is_cli() else []),
        "machine": machine(threads),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "onnxruntime": onnxruntime.__version__},
        "inputs": {"source": source, "documents": len(docs), "sentences": len(texts), "tokens": ntok,
                   "sentences_without_diacritics": len(clean)},
        "model": {"layers": config.num_hidden_layers, "hidden": config.hidden_size, "vocab": config.vocab_size,
                  "labels": config.num_labels, "quick": bool(args.quick)},
        "rows": rows,
        "forward_limit_tokens_per_s": fwd,
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
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


def argv_is_cli() -> bool:
    return Path(sys.argv[0]).name == "bench.py"


def machine(threads: int) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = ""
    try:
        flags = next(x for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith("flags"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": threads, "avx2": " avx2" in flags,
            "avx512": " avx512f" in flags, "python": platform.python_version(), "platform": platform.platform()}


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--news", "--workdir", "--json", "--trained-model")


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="bench.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
