"""Training accepts converted files directly: doccano export → corpus JSONL → tiny NER model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FX = ROOT / "tests" / "fixtures" / "formats"

pytestmark = pytest.mark.slow


def test_convert_doccano_then_train_tiny_ner(tiny_model_dir, tmp_path):
    model_dir = tiny_model_dir
    corpus = tmp_path / "from_doccano.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "corpus.py"), "convert", "--from", "doccano", "--to", "jsonl",
                        str(FX / "doccano.jsonl"), str(corpus)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    config = tmp_path / "ner.yaml"
    out = tmp_path / "run"
    config.write_text(yaml.safe_dump({
        "task": "ner", "model_name_or_path": str(model_dir), "train_file": str(corpus), "validation_file": str(corpus),
        "output_dir": str(out), "max_seq_length": 64, "num_train_epochs": 1, "per_device_train_batch_size": 2,
        "per_device_eval_batch_size": 2, "learning_rate": 0.001, "seed": 1, "use_cpu": True, "disable_tqdm": True,
        "overwrite_output": True, "save_total_limit": 1,
    }), encoding="utf-8")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), str(config), "--report_to", "none"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert any(out.rglob("config.json")), "no model was saved"
