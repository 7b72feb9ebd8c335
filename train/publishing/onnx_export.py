"""Export a saved model to ONNX and quantise it to int8, for the ONNX Runtime backend.

Why: on a laptop CPU the int8 dynamically quantised graph is the fastest way to run BERT
(MatMul/Attention/Gather weights in int8, activations quantised per batch on the fly), and
it is a quarter of the size on disk. The export keeps the exact interface of the PyTorch
path: ``input_ids``, ``attention_mask`` (and ``token_type_ids``) as int64 ``(batch, seq)``
in, float32 ``logits`` out, with dynamic batch and sequence axes, so
:class:`train.inference.backends.OnnxBackend` runs it in place of PyTorch.

Files, beside the model's ``model.safetensors``:

* ``model.onnx``: fp32, the graph as exported, with ONNX Runtime's BERT fusions
  (fused attention, skip-layer-norm, GELU) when they apply;
* ``model.int8.onnx``: that graph, dynamically quantised to int8 with
  :func:`onnxruntime.quantization.quantize_dynamic`.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from train.atomic import atomic_path
from train.inference.backends import (
    FP32_NAME,
    INT8_NAME,
    OnnxBackend,
    OnnxExportError,
    load_config,
    load_model,
    model_input_names,
    model_task,
)

OPSET = 17

log = logging.getLogger(__name__)


def _example_inputs(model: Any, input_names: tuple[str, ...]) -> dict[str, Any]:
    """A padded two-row batch. The padding matters: traced on a batch without padding,
    transformers may skip building the attention mask, and the graph would ignore it."""
    import torch

    vocab = int(getattr(model.config, "vocab_size", 100))
    ids = torch.randint(min(5, vocab - 1), vocab, (2, 8), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    pad = getattr(model.config, "pad_token_id", 0) or 0
    ids[1, 5:] = pad
    feats = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    return {k: feats[k] for k in input_names}


def export_model(model: Any, path: str | Path, opset: int = OPSET) -> Path:
    """Export a loaded transformers classification model to ``path`` (fp32, dynamic axes).

    Uses the TorchScript exporter (``dynamo=False``): it needs no extra dependency and
    handles BERT's dynamic batch and sequence axes; the result is checked against PyTorch.
    """
    import torch

    path = Path(path)
    model = model.eval().float().to("cpu")
    names = model_input_names(model)
    example = _example_inputs(model, names)
    axes = {k: {0: "batch", 1: "sequence"} for k in names}
    axes["logits"] = {0: "batch", 1: "sequence"} if example["input_ids"].ndim == 2 and _is_token_model(model) else {0: "batch"}
    with atomic_path(path) as tmp, warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (), str(tmp), kwargs=example, input_names=list(names), output_names=["logits"],
            dynamic_axes=axes, opset_version=opset, do_constant_folding=True, dynamo=False,
        )
    return path


def _is_token_model(model: Any) -> bool:
    return "TokenClassification" in type(model).__name__


def optimize_bert(path: str | Path, config: Any) -> bool:
    """Apply ONNX Runtime's BERT fusions in place (attention, layer norm, GELU).

    Returns False, leaving the file as it was, when the fusions fail or do not apply.
    """
    path = Path(path)
    if getattr(config, "model_type", "") not in {"bert", "roberta", "electra", "distilbert"}:
        return False
    try:
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError:  # pragma: no cover - depends on the onnxruntime build
        return False
    try:
        with atomic_path(path) as tmp, _quiet():
            opt = optimize_model(str(path), model_type="bert", num_heads=int(config.num_attention_heads),
                                 hidden_size=int(config.hidden_size), opt_level=0)
            opt.save_model_to_file(str(tmp))
    except Exception as exc:  # noqa: BLE001 - an optimiser failure must not lose the export
        log.warning("ONNX Runtime BERT fusions skipped: %s", exc)
        return False
    return True


def quantize_int8(fp32_path: str | Path, int8_path: str | Path, per_channel: bool = True) -> Path:
    """Dynamic int8 quantisation: weights of MatMul, Attention and Gather (embeddings) in int8."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8_path = Path(int8_path)
    with atomic_path(int8_path) as tmp, _quiet():
        quantize_dynamic(str(fp32_path), str(tmp), weight_type=QuantType.QInt8, per_channel=per_channel,
                         # the fused graph's com.microsoft ops defeat ONNX shape inference
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    return int8_path


@contextlib.contextmanager
def _quiet():
    """Silence the optimiser's and quantiser's chatter (they log through the root logger)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def export_dir(model_dir: str | Path, quantize: bool = True, optimize: bool = True,
               check: bool = True) -> dict[str, Path]:
    """Write ``model.onnx`` (and ``model.int8.onnx``) beside the model in ``model_dir``.

    With ``check``, the fp32 graph's logits are compared with PyTorch's on a padded batch,
    so a broken export fails here rather than in predictions.
    """
    model_dir = Path(model_dir)
    config = load_config(str(model_dir))
    model = load_model(str(model_dir), model_task(config), config)
    out = {"fp32": export_model(model, model_dir / FP32_NAME)}
    if optimize:
        optimize_bert(out["fp32"], config)
    if check:
        diff = check_export(model, out["fp32"])
        if diff > 1e-3:
            raise OnnxExportError(f"{out['fp32']}: ONNX logits differ from PyTorch by {diff:.3g}")
    if quantize:
        out["int8"] = quantize_int8(out["fp32"], model_dir / INT8_NAME)
    return out


def check_export(model: Any, path: str | Path) -> float:
    """Largest absolute logit difference between PyTorch and ONNX Runtime on a padded batch."""
    import torch

    names = model_input_names(model)
    gen = torch.Generator().manual_seed(0)
    vocab = int(model.config.vocab_size)
    ids = torch.randint(5, vocab, (3, 13), generator=gen)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    mask[2, 4:] = 0
    feats = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    feats = {k: feats[k] for k in names}
    with torch.inference_mode():
        ref = model(**feats).logits.float().numpy()
    got = OnnxBackend(path, model.config)({k: v.numpy() for k, v in feats.items()})
    if ref.ndim == 3:  # compare real tokens only; padded positions are never read
        m = mask.numpy().astype(bool)
        return float(np.abs(ref[m] - got[m]).max())
    return float(np.abs(ref - got).max())


def file_mb(path: str | Path) -> float:
    """Size on disk in MiB, with any external-data files beside the graph."""
    path = Path(path)
    size = path.stat().st_size
    data = path.with_name(path.name + ".data")
    if data.is_file():
        size += data.stat().st_size
    return size / 2**20

