"""Which numeric precision to run a model in: ``auto``, ``fp32``, ``bf16``, ``fp16`` or ``int8``.

Why: the fastest path depends on the hardware. CPUs with AMX run bfloat16 matrix products on
their tile units (about 2.6x fp32 for a BERT-base forward), GPUs run bf16 or fp16 on tensor
cores; elsewhere the ONNX int8 graph is the fastest path where every model has one (published
with the model, or exported once with ``predict.py --export-onnx``), and fp32 is the safe choice. A CPU
with AVX512-BF16 but no AMX gets fp32: bf16 was measured *slower* than fp32 there (about 0.6-0.75x,
docs/benchmarks.md), so ``auto`` does not pick it; ``--precision bf16`` still can. ``auto`` makes
that choice from the CPU flags and the device; the flags can be forced with the environment
variable ``ARABIC_IE_CPU_FLAGS`` (comma or space separated; empty means none), so the choice
is testable on any machine. No training code is imported here; torch only when needed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
BF16_CPU_FLAGS = ("amx_bf16",)  # the flags that make bf16 faster than fp32
SLOW_BF16_CPU_FLAGS = ("avx512_bf16",)  # bf16 runs, but slower than fp32 (measured)
# Narrower encoders leave AMX's tiles too little work per call: on an AMX CPU, bf16 ran the whole
# pipeline at 3.1x fp32 with hidden 768 (CAMeLBERT-base) and 0.8x with hidden 128 (docs/benchmarks.md).
AMX_MIN_HIDDEN = 512
ENV_FLAGS = "ARABIC_IE_CPU_FLAGS"
CPUINFO = Path("/proc/cpuinfo")


def parse_flags(text: str) -> frozenset[str]:
    """Flags from ``ARABIC_IE_CPU_FLAGS``-style text: comma or space separated, case-insensitive."""
    return frozenset(f.strip().lower() for f in text.replace(",", " ").split() if f.strip())


def cpu_flags(environ: dict[str, str] | None = None, cpuinfo: Path = CPUINFO) -> tuple[frozenset[str], str]:
    """``(flags, source)`` of this CPU: the environment override, Linux ``/proc/cpuinfo``, else torch's own
    detection (``torch.cpu.get_capabilities``, which uses cpuinfo on every OS), else none."""
    env = os.environ if environ is None else environ
    if ENV_FLAGS in env:
        return parse_flags(env[ENV_FLAGS]), ENV_FLAGS
    if sys.platform.startswith("linux"):
        try:
            for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.split(":", 1)[0].strip() in ("flags", "Features"):
                    return parse_flags(line.split(":", 1)[1]), str(cpuinfo)
        except OSError:
            pass
    try:
        import torch

        caps = torch.cpu.get_capabilities()  # type: ignore[attr-defined]
        return frozenset(k.lower() for k, v in caps.items() if v is True), "torch.cpu.get_capabilities"
    except (ImportError, AttributeError, RuntimeError):
        return frozenset(), "unknown"


def cpu_bf16_flag(flags: Iterable[str]) -> str | None:
    """The flag that makes bf16 faster than fp32 on this CPU (AMX), or None."""
    have = set(flags)
    return next((f for f in BF16_CPU_FLAGS if f in have), None)


def choose_auto(device: str, flags: Iterable[str] | None = None, cuda_bf16: bool | None = None,
                int8_graphs: bool = False, hidden_size: int | None = None) -> tuple[str, str]:
    """``(precision, reason)`` for ``auto`` on ``device``: bf16 where AMX or a GPU makes it faster, then
    int8 where every model has an int8 graph (``int8_graphs``), then fp32.

    ``hidden_size``: the widest model's; on a CPU, AMX pays only from :data:`AMX_MIN_HIDDEN` on.
    ``flags`` and ``cuda_bf16`` are read from the machine when None; tests pass them.
    """
    kind = device.split(":", 1)[0]
    if kind == "cuda":
        if cuda_bf16 is None:
            import torch

            cuda_bf16 = bool(torch.cuda.is_bf16_supported())
        return ("bf16", "auto: GPU supports bf16") if cuda_bf16 else ("fp16", "auto: GPU without bf16")
    if kind == "mps":
        return "fp16", "auto: Apple GPU"
    source = ""
    if flags is None:
        flags, source = cpu_flags()
    found = cpu_bf16_flag(flags)
    via = f", from {source}" if source == ENV_FLAGS else ""
    narrow = hidden_size is not None and hidden_size < AMX_MIN_HIDDEN
    if found and not narrow:
        return "bf16", f"auto: CPU has {found}{via}"
    slow = next((f for f in SLOW_BF16_CPU_FLAGS if f in set(flags)), None)
    if found:
        why = f"CPU has {found}, but at hidden size {hidden_size} (< {AMX_MIN_HIDDEN}) bf16 is slower than fp32"
    elif slow:
        why = f"CPU has {slow} but no amx_bf16, where bf16 is slower than fp32"
    else:
        why = "CPU has no amx_bf16"
    if int8_graphs:
        return "int8", f"auto: {why}; every model has an int8 graph (onnx/model_quantized.onnx){via}"
    return "fp32", f"auto: {why}, and not every model has an int8 graph (predict.py --export-onnx makes them){via}"


def check_precision(value: str) -> str:
    """``value`` when it is a known precision, else a ValueError whose message is one clear line."""
    if value not in PRECISIONS:
        raise ValueError(f"unknown precision {value!r}; choose one of {', '.join(PRECISIONS)}")
    return value


def torch_dtype(precision: str):  # -> torch.dtype | None
    """The torch dtype to cast a model to for ``precision``; None keeps fp32."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
