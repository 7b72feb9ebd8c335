"""One model's forward pass behind one small interface: PyTorch or ONNX Runtime.

A :class:`Backend` takes a padded batch of int64 features and returns float32 logits;
tokenisation, windows and spans (:mod:`train.inference.tagging`) are shared, so changing
the backend changes nothing else. ``--backend NAME`` picks a factory from the registry
(:func:`register_backend`): ``torch``, ``onnx`` (the int8 graph when present, else fp32),
``onnx-int8`` and ``onnx-fp32``. Model loading is here too, safetensors only and never
running code shipped with a model. Exporting ONNX files is publishing
(:mod:`train.publishing.onnx_export`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from train.inference.precision import torch_dtype

MODEL_WEIGHTS = "model.safetensors"
# Where the Hub's ONNX users (Optimum's ORTModelFor..., transformers.js) look for the graphs.
FP32_NAME = "onnx/model.onnx"
INT8_NAME = "onnx/model_quantized.onnx"


class PredictorError(RuntimeError):
    """A model or input that the predictor cannot use; the message says why."""


class OnnxExportError(RuntimeError):
    """A model that cannot be exported, or an ONNX file that cannot be used."""


class Backend(Protocol):
    """One model's forward pass: a padded batch of encoded inputs in, logits out.

    ``features`` holds ``input_ids``, ``attention_mask`` and (when the model uses them)
    ``token_type_ids`` as int64 arrays of shape ``(batch, seq)``; other keys are ignored. The
    result is a float32 array: ``(batch, seq, labels)`` for token classification,
    ``(batch, labels)`` for sequence classification.
    """

    config: Any
    input_names: tuple[str, ...]

    def __call__(self, features: Mapping[str, np.ndarray]) -> np.ndarray: ...


BackendFactory = Callable[[str, str, Any, "str | None"], Backend]
_BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``--backend NAME`` available. ``factory(model_dir, task, config, device)``.

    ``task`` is ``"token-classification"`` or ``"text-classification"``; ``config`` is the
    model's loaded ``PretrainedConfig`` (labels, thresholds).
    """
    _BACKENDS[name] = factory


def backend_names() -> list[str]:
    return sorted(_BACKENDS)


def make_backend(name: str, model_dir: str, task: str, config: Any, device: str | None = None) -> Backend:
    """The registered backend ``name`` for a model folder; :class:`PredictorError` when unknown."""
    if name not in _BACKENDS:
        hint = " (export it first: scripts/export_onnx.py MODEL_DIR)" if name == "onnx" else ""
        raise PredictorError(f"backend {name!r} is not available{hint}; available: {', '.join(backend_names())}")
    return _BACKENDS[name](model_dir, task, config, device)


def pad_batch(input_ids: Sequence[Sequence[int]], pad_id: int,
              token_type_ids: Sequence[Sequence[int] | None] | None = None) -> dict[str, np.ndarray]:
    """The features of a batch as every backend takes them: padded to the longest row, int64."""
    width = max(len(r) for r in input_ids)
    ids = np.full((len(input_ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(input_ids), width), dtype=np.int64)
    types = np.zeros((len(input_ids), width), dtype=np.int64)
    for i, row in enumerate(input_ids):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
        if token_type_ids is not None and token_type_ids[i]:
            types[i, : len(row)] = token_type_ids[i]
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


# --------------------------------------------------------------------------- loading


def load_model(name_or_path: str, task: str, config: Any = None, allow_pickle: bool = False) -> Any:
    """Load weights from safetensors only (pickles with ``allow_pickle``), never running code shipped with the model."""
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

    cls = AutoModelForTokenClassification if task == "token-classification" else AutoModelForSequenceClassification
    local = Path(name_or_path)
    use_safetensors = True
    if local.is_dir() and not (local / MODEL_WEIGHTS).is_file() and not any(local.glob("model-*.safetensors")):
        pickles = sorted(p.name for p in local.iterdir() if p.suffix in (".bin", ".pt", ".pth"))
        if not (pickles and allow_pickle):
            hint = (f" It holds only pickle weights ({', '.join(pickles)}), which can run arbitrary code when loaded:"
                    " convert them to safetensors, or pass --allow-pickle if you trust the source.") if pickles else ""
            raise PredictorError(f"{name_or_path}: no {MODEL_WEIGHTS} in this folder; only safetensors weights are loaded.{hint}")
        use_safetensors = False
    # Never ask the Hub's conversion service for safetensors behind the user's back.
    os.environ["DISABLE_SAFETENSORS_CONVERSION"] = "1"
    kwargs: dict[str, Any] = {"use_safetensors": use_safetensors, "weights_only": True, "trust_remote_code": False}
    if config is not None:
        kwargs["config"] = config
    try:
        return cls.from_pretrained(str(name_or_path), **kwargs)
    except OSError as exc:
        raise PredictorError(f"cannot load {task} model {name_or_path!r}: {exc}") from None


def load_config(name_or_path: str) -> Any:
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(str(name_or_path), trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise PredictorError(f"cannot load the model configuration of {name_or_path!r}: {exc}") from None


def model_task(config: Any) -> str:
    """``token-classification`` or ``text-classification``, from the saved architecture."""
    arch = " ".join(getattr(config, "architectures", None) or [])
    if "TokenClassification" in arch:
        return "token-classification"
    if "SequenceClassification" in arch:
        return "text-classification"
    raise PredictorError(f"cannot tell the task of a model with architectures {arch or 'unknown'!r}")


def model_input_names(model: Any) -> tuple[str, ...]:
    """The inputs a transformers model takes: ``token_type_ids`` only when it has and accepts them."""
    import inspect

    names = ["input_ids", "attention_mask"]
    if getattr(model.config, "type_vocab_size", 0) and "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")
    return tuple(names)


# --------------------------------------------------------------------------- torch


def default_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


class TorchBackend:
    """PyTorch forward pass under ``inference_mode``, on the GPU when there is one.

    ``precision`` ``bf16`` or ``fp16`` casts the weights (half the memory traffic, native
    matrix units where the hardware has them); logits always come back as float32, so the
    softmax and decoding after it stay in full precision. ``torch.autocast`` instead (fp32
    residual stream) flipped fewer labels but re-casts every weight at each call under
    ``inference_mode``: several times slower over the pipeline's many small batches
    (docs/benchmarks.md).
    """

    def __init__(self, model: Any, device: str | None = None, precision: str = "fp32"):
        import torch

        self.device = device or default_device()
        dtype = torch_dtype(precision)
        self.precision = precision if dtype is not None else "fp32"
        self.model = (model.to(self.device, dtype=dtype) if dtype is not None else model.to(self.device)).eval()
        self.config = model.config
        self.input_names = model_input_names(model)
        self._torch = torch

    def __call__(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            batch = {k: torch.as_tensor(features[k], device=self.device) for k in self.input_names if k in features}
            logits = self.model(**batch).logits
            return logits.float().cpu().numpy()


def _torch_factory(model_dir: str, task: str, config: Any, device: str | None) -> Backend:
    return TorchBackend(load_model(model_dir, task, config), device)


# --------------------------------------------------------------------------- ONNX Runtime


def default_threads() -> int:
    """All physical cores, as torch uses them (``torch.get_num_threads``) when torch is loaded."""
    try:
        import torch

        return max(1, torch.get_num_threads())
    except ImportError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


class OnnxBackend:
    """An ONNX Runtime session: the fastest CPU path, above all the int8 graph.

    ``backend(features) -> logits``: int64 ``(batch, seq)`` arrays in, float32 logits out,
    exactly what :class:`TorchBackend` returns.
    """

    def __init__(self, path: str | Path, config: Any = None, threads: int | None = None):
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise OnnxExportError(f"{self.path}: no ONNX model here; export one with scripts/export_onnx.py MODEL_DIR")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.input_names = tuple(i.name for i in self.session.get_inputs())
        self.config = config
        self.precision = "int8" if self.path.name == Path(INT8_NAME).name else "fp32"

    def __call__(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        feeds = {}
        for name in self.input_names:
            if name in features:
                feeds[name] = np.ascontiguousarray(features[name], dtype=np.int64)
            elif name == "token_type_ids":
                feeds[name] = np.zeros_like(np.asarray(features["input_ids"], dtype=np.int64))
            else:
                raise OnnxExportError(f"{self.path}: the model needs input {name!r}")
        return self.session.run(["logits"], feeds)[0].astype(np.float32, copy=False)


def hub_snapshot(repo_id: str) -> Path | None:
    """The local snapshot folder of a Hub model (its config.json cached), where a cached export lives."""
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, "config.json")
    return Path(cached).parent if isinstance(cached, str) else None


def _hub_file(repo_id: str, filename: str) -> Path | None:
    """``filename`` of a Hub model: from the cache (an export cached there included), else downloaded;
    None when the repository has no such file."""
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    snap = hub_snapshot(repo_id)
    if snap is not None and (snap / filename).is_file():
        return snap / filename
    if constants.HF_HUB_OFFLINE:
        return None
    try:
        return Path(hf_hub_download(repo_id, filename))
    except (EntryNotFoundError, LocalEntryNotFoundError):
        return None


def onnx_file(name_or_path: str | Path, int8: bool = True) -> Path | None:
    """The ONNX graph of a local folder or a Hub model: ``onnx/model_quantized.onnx`` when ``int8``,
    else ``onnx/model.onnx``; None when there is none."""
    name = INT8_NAME if int8 else FP32_NAME
    local = Path(name_or_path)
    if local.is_dir():
        return local / name if (local / name).is_file() else None
    return _hub_file(str(name_or_path), name)


def onnx_path(model_dir: str | Path, int8: bool = True) -> Path:
    """The ONNX file to run for a model: int8 when asked for and present, else fp32."""
    found = (onnx_file(model_dir, int8=True) if int8 else None) or onnx_file(model_dir, int8=False)
    if found is None:
        raise OnnxExportError(f"{model_dir}: no {FP32_NAME} or {INT8_NAME}; export it: "
                              f"python scripts/export_onnx.py {model_dir}, or run predict.py with --export-onnx")
    return found


def _onnx_factory(int8: bool) -> BackendFactory:
    def make(model_dir: str, task: str, config: Any, device: str | None) -> OnnxBackend:
        try:
            return OnnxBackend(onnx_path(model_dir, int8=int8), config)
        except OnnxExportError as exc:
            raise PredictorError(str(exc)) from None
    return make


register_backend("torch", _torch_factory)
register_backend("onnx", _onnx_factory(int8=True))
register_backend("onnx-int8", _onnx_factory(int8=True))
register_backend("onnx-fp32", _onnx_factory(int8=False))
