"""The machine's limits: the FLOP limit (a large fp32 matrix product) and the model's forward limit."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import numpy as np

from train.benchmark.measure import best_seconds


def flops_limit(quick: bool) -> dict[str, float]:
    """GFLOP/s of a large fp32 matrix product (best of several), by PyTorch and by ONNX Runtime.

    The machine's limit is the faster of the two: PyTorch's CPU wheel multiplies with MKL,
    which may not use every vector extension of a non-Intel CPU, while ONNX Runtime's MLAS does.
    """
    import torch

    n = 1024 if quick else 2048
    reps = 3 if quick else 5
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = {"torch_mm": 2 * n**3 / best_seconds(lambda: torch.mm(a, b), reps) / 1e9}
    try:
        out["onnxruntime_matmul"] = ort_matmul_gflops(a.numpy(), b.numpy(), reps)
    except Exception as exc:  # noqa: BLE001 - the torch figure stands alone then
        print(f"ONNX Runtime matmul skipped: {exc}", file=sys.stderr)
    out["limit"] = max(out.values())
    return out


def ort_matmul_gflops(a: np.ndarray, b: np.ndarray, reps: int) -> float:
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
    opts.intra_op_num_threads = threads()
    sess = ort.InferenceSession(model.SerializeToString(),
                                sess_options=opts, providers=["CPUExecutionProvider"])
    feeds = {"A": np.ascontiguousarray(a), "B": np.ascontiguousarray(b)}
    return 2 * n**3 / best_seconds(lambda: sess.run(None, feeds), reps) / 1e9


def threads() -> int:
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


def forward_limits(model_dir: Path, reps: int) -> dict[str, float]:
    """Tokens/s of the ``bs=32 × seq=64`` forward pass in fp32 and in bf16 (the model cast).

    The two are measured in turns, ``reps`` times each, and each keeps its best time, so that
    one sample slowed by another job cannot set a limit, and load weighs on both alike.
    """
    import torch
    from transformers import AutoModelForTokenClassification

    def load(dtype: torch.dtype):
        return AutoModelForTokenClassification.from_pretrained(
            str(model_dir), use_safetensors=True, trust_remote_code=False).eval().to(dtype=dtype)

    models = {"fp32": load(torch.float32), "bf16": load(torch.bfloat16)}
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(5, models["fp32"].config.vocab_size, (32, 64), generator=gen)
    mask = torch.ones_like(ids)
    best = {name: float("inf") for name in models}
    with torch.inference_mode():
        for model in models.values():
            model(input_ids=ids, attention_mask=mask)  # warm-up
        for _ in range(reps):
            for name, model in models.items():
                t = time.perf_counter()
                model(input_ids=ids, attention_mask=mask)
                best[name] = min(best[name], time.perf_counter() - t)
    del models
    gc.collect()
    out = {name: ids.numel() / secs for name, secs in best.items()}
    out["bf16_over_fp32"] = out["bf16"] / out["fp32"]
    return out
