"""The inference names the benchmarks measure, imported in this one place.

Light to import: neither module loads torch or ``transformers`` until a model is loaded.
"""

from train.inference.onnx_backend import FP32_NAME, INT8_NAME, OnnxBackend, export_dir, file_mb
from train.inference.predictor import InputDocument, Predictor, TorchBackend, load_config, load_tokenizer

__all__ = ["FP32_NAME", "INT8_NAME", "InputDocument", "OnnxBackend", "Predictor", "TorchBackend", "export_dir",
           "file_mb", "load_config", "load_tokenizer"]
