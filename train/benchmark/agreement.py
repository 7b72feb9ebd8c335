"""Agreement between paths: entity spans against a reference row, and token labels across backends."""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.features.tokenization import load_tokenizer
from train.inference.backends import FP32_NAME, INT8_NAME, OnnxBackend, TorchBackend
from train.publishing.onnx_export import file_mb


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


def label_agreement(model_dir: Path, texts: Sequence[str], batch_size: int = 32) -> dict[str, Any]:
    """Token label agreement: ONNX fp32 vs PyTorch, int8 vs fp32, PyTorch bf16 vs fp32, on sorted, padded batches."""
    import torch
    from transformers import AutoModelForTokenClassification

    def load() -> Any:
        return AutoModelForTokenClassification.from_pretrained(str(model_dir), use_safetensors=True,
                                                               trust_remote_code=False).eval()

    tok = load_tokenizer(str(model_dir))
    model = load()
    enc = tok(list(texts), truncation=True, max_length=model.config.max_position_embeddings)["input_ids"]
    order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
    backends = {"torch": TorchBackend(model, "cpu"), "onnx_fp32": OnnxBackend(model_dir / FP32_NAME, model.config),
                "onnx_int8": OnnxBackend(model_dir / INT8_NAME, model.config),
                "torch_bf16": TorchBackend(load(), "cpu", "bf16")}  # its own copy, as predict.py loads it
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
