"""Export a saved model to ONNX and quantise it to int8, for the ONNX Runtime backend.

Why: on a laptop CPU the int8 dynamically quantised graph is the fastest way to run BERT
(MatMul/Attention/Gather weights in int8, activations quantised per batch on the fly), and
it is a quarter of the size on disk. The export keeps the exact interface of the PyTorch
path: ``input_ids``, ``attention_mask`` (and ``token_type_ids``) as int64 ``(batch, seq)``
in, float32 ``logits`` out, with dynamic batch and sequence axes, so
:class:`train.inference.backends.OnnxBackend` runs it in place of PyTorch.

Files, in the model folder's ``onnx/``, where the Hub's ONNX users (Optimum, transformers.js)
look for them:

* ``onnx/model.onnx``: fp32, the graph as exported, with ONNX Runtime's BERT fusions
  (fused attention, skip-layer-norm, GELU) when they apply;
* ``onnx/model_quantized.onnx``: that graph, dynamically quantised to int8 with
  :func:`onnxruntime.quantization.quantize_dynamic`.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.atomic import atomic_path
from train.inference.backends import (
    FP32_NAME,
    INT8_NAME,
    OnnxBackend,
    OnnxExportError,
    hub_snapshot,
    load_config,
    load_model,
    model_input_names,
    model_task,
    onnx_file,
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
    """Write ``onnx/model.onnx`` (and ``onnx/model_quantized.onnx``) into ``model_dir``.

    With ``check``, the fp32 graph's logits are compared with PyTorch's on a padded batch,
    so a broken export fails here rather than in predictions.
    """
    model_dir = Path(model_dir)
    config = load_config(str(model_dir))
    model = load_model(str(model_dir), model_task(config), config)
    return export_loaded(model, config, model_dir, quantize=quantize, optimize=optimize, check=check)


def export_loaded(model: Any, config: Any, out_dir: str | Path, quantize: bool = True, optimize: bool = True,
                  check: bool = True) -> dict[str, Path]:
    """:func:`export_dir` for a model already loaded, into ``out_dir`` (a Hub model's cache snapshot too)."""
    out_dir = Path(out_dir)
    (out_dir / FP32_NAME).parent.mkdir(parents=True, exist_ok=True)
    out = {"fp32": export_model(model, out_dir / FP32_NAME)}
    if optimize:
        optimize_bert(out["fp32"], config)
    if check:
        diff = check_export(model, out["fp32"])
        if diff > 1e-3:
            raise OnnxExportError(f"{out['fp32']}: ONNX logits differ from PyTorch by {diff:.3g}")
    if quantize:
        out["int8"] = quantize_int8(out["fp32"], out_dir / INT8_NAME)
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



def int8_agreement(model_dir: str | Path, texts: Sequence[str], batch_size: int = 32) -> dict[str, Any]:
    """How often the int8 graph decides as the fp32 graph does, on ``texts`` (one sentence each).

    Token models: the label of every real sub-word token. Sentence classifiers: every (sentence,
    type) decision at the thresholds stored in ``config.json``. Measured at export, so the card
    says what quantisation costs this model, not a model in general.
    """
    from train.features.tokenization import load_tokenizer
    from train.inference.backends import pad_batch
    from train.inference.thresholds import read_thresholds

    model_dir = Path(model_dir)
    config = load_config(str(model_dir))
    tok = load_tokenizer(str(model_dir), allow_lossy=True)
    fp32, int8 = OnnxBackend(model_dir / FP32_NAME, config), OnnxBackend(model_dir / INT8_NAME, config)
    token_model = model_task(config) == "token-classification"
    limit = min(int(getattr(config, "max_position_embeddings", 512) or 512), 512)
    enc = [e for e in tok(list(texts), truncation=True, max_length=limit)["input_ids"] if e]
    order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
    same = total = 0
    thr = None if token_model or not getattr(config, "thresholds", None) else read_thresholds(config)
    labels = [config.id2label[i] for i in range(len(config.id2label))] if thr else []
    for b in range(0, len(order), batch_size):
        rows = [enc[i] for i in order[b : b + batch_size]]
        feats = pad_batch(rows, tok.pad_token_id or 0)
        a, q = fp32(feats), int8(feats)
        if token_model or thr is None or getattr(config, "problem_type", None) == "single_label_classification":
            mask = feats["attention_mask"].astype(bool) if a.ndim == 3 else np.ones(a.shape[0], dtype=bool)
            x, y = a.argmax(-1)[mask], q.argmax(-1)[mask]
        else:
            cut = np.array([thr[lab] for lab in labels], dtype=np.float32)
            x, y = 1 / (1 + np.exp(-a)) >= cut, 1 / (1 + np.exp(-q)) >= cut
        same += int((x == y).sum())
        total += int(x.size)
    return {"unit": "token labels" if token_model else "sentence-type decisions", "compared": total,
            "sentences": len(enc), "agreement": same / total if total else 1.0}


def ensure_onnx(name_or_path: str, allow_pickle: bool = False) -> Path | None:
    """Give a model its ONNX graphs when it has none: in a local folder's ``onnx/``, or, for a Hub
    model, in its snapshot of the Hugging Face cache, where the next run finds them (exported once)."""
    if onnx_file(name_or_path, int8=True) is not None:
        return None
    config = load_config(str(name_or_path))  # a Hub model's config.json is in the cache from here on
    local = Path(name_or_path)
    target = local if local.is_dir() else hub_snapshot(str(name_or_path))
    if target is None:
        raise OnnxExportError(f"{name_or_path}: not in the Hugging Face cache; load it once before --export-onnx")
    model = load_model(str(name_or_path), model_task(config), config, allow_pickle=allow_pickle)
    try:
        export_loaded(model, config, target)
    except OSError as exc:
        raise OnnxExportError(f"{name_or_path}: cannot write its ONNX graphs into {target}: {exc}") from None
    return target / "onnx"
