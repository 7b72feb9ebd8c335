"""The machine (CPU, cores, vector extensions, Python) and the library versions a bench run reports."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


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


def versions() -> dict[str, str]:
    """The versions of the libraries measured."""
    import onnxruntime
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "onnxruntime": onnxruntime.__version__}
