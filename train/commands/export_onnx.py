#!/usr/bin/env python
"""Export a saved model to ONNX: ``onnx/model.onnx`` (fp32) and ``onnx/model_quantized.onnx`` (int8) in its folder.

    python scripts/export_onnx.py MODEL_DIR [MODEL_DIR ...] [--no-int8] [--no-optimize]

The fp32 graph is checked against PyTorch on a padded batch before anything is quantised.
Then ``predict.py --backend onnx`` runs the int8 graph (``--backend onnx-fp32`` the fp32 one).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Export a token or sequence classification model to ONNX (+ int8).")
    ap.add_argument("model_dirs", nargs="+", metavar="MODEL_DIR", help="a folder with model.safetensors and config.json")
    ap.add_argument("--no-int8", action="store_true", help="write onnx/model.onnx only")
    ap.add_argument("--no-optimize", action="store_true", help="skip ONNX Runtime's BERT fusions")
    args = ap.parse_args(argv)

    from train.inference.backends import PredictorError
    from train.publishing.onnx_export import OnnxExportError, export_dir, file_mb

    for d in args.model_dirs:
        if not Path(d).is_dir():
            print(f"error: {d}: not a folder", file=sys.stderr)
            return 2
        try:
            out = export_dir(d, quantize=not args.no_int8, optimize=not args.no_optimize)
        except (OnnxExportError, PredictorError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for kind, path in out.items():
            print(f"{path}\t{kind}\t{file_mb(path):.1f} MiB")
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, positional="model")


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="export_onnx.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
