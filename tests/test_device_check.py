"""scripts/device_check.sh --cpu: the GPU check's smoke mode runs here and writes what it promises
(no timings asserted: the figures of the real run on a GPU go into docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_device_check_smoke_mode_compares_the_losses_and_the_labels(tmp_path):
    out = tmp_path / "check.json"
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "device_check.sh"), "--cpu", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text(encoding="utf-8"))
    tr, pl = res["training"], res["pipeline"]
    assert res["mode"] == "cpu smoke" and tr["steps"] == 3
    assert len(tr["reference"]["losses"]) == len(tr["accelerated"]["losses"]) == 3
    assert tr["reference"]["precision"] == "fp32" and tr["accelerated"]["precision"] == "bf16"
    # bf16 autocast follows the fp32 loss curve closely: the same batches, the same seed
    assert tr["max_relative_loss_difference"] < 0.05
    assert pl["cpu_fp32"]["precision"] == "fp32" and pl["device_auto"]["precision"] in ("fp32", "bf16", "int8")
    # tiny random models on two documents: the figure is computed, not a quality bar
    assert 0.5 <= pl["agreement_words"] <= 1.0 and pl["cpu_fp32"]["tokens_per_s"] > 0
    assert "agreement_words" in proc.stdout and "losses" in proc.stdout


def test_device_check_without_a_gpu_says_so(tmp_path):
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "device_check.sh")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the full check would run")
    assert proc.returncode == 2 and "torch sees no CUDA device here" in proc.stderr and "--cpu" in proc.stderr
