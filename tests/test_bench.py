"""``scripts/bench.py --quick`` as a smoke test: it runs and writes the JSON it promises (no timings asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # trains, exports or benchmarks a model

ROWS = ["pipeline", "pipeline_bs32", "predictor", "predictor_bf16", "predictor_onnx_int8"]


def test_bench_quick_writes_the_figures(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick", "--threads", "1", "--json", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["name"] for r in data["rows"]] == ROWS
    for r in data["rows"]:
        for key in ("tokens_per_s", "docs_per_s", "agreement", "peak_mb"):
            assert isinstance(r[key], (int, float)) and r[key] >= 0, (r["name"], key)
        assert 0.0 <= r["agreement"] <= 1.0
        assert r["tokens_per_s"] > 0 and r["peak_mb"] > 0
    assert data["rows"][0]["agreement"] == 1.0  # row 1 is the reference
    assert data["forward_limit_tokens_per_s"] > 0
    assert data["flops_limit_gflops"] > 0
    tr = data["training"]
    for mode in ("dynamic_grouped", "padded_128"):
        assert tr[mode]["tokens_per_s"] > 0
    agree = data["label_agreement"][0]
    assert 0.0 <= agree["onnx_int8_vs_fp32"] <= 1.0 and agree["int8_mb"] < agree["fp32_mb"]
    assert "| predictor_onnx_int8 |" in proc.stdout and "| predictor_bf16 |" in proc.stdout
    by = {r["name"]: r for r in data["rows"]}
    assert by["predictor"]["agreement_vs_fp32"] == 1.0 and 0.0 <= by["predictor_bf16"]["agreement_vs_fp32"] <= 1.0
    assert 0.0 <= agree["torch_bf16_vs_fp32"] <= 1.0
    # fp32 and bf16 forward limits, measured in turns; the bf16 row against its own limit
    fl = data["forward_limits_interleaved"]
    assert fl["fp32"] > 0 and fl["bf16"] > 0 and abs(fl["bf16_over_fp32"] - fl["bf16"] / fl["fp32"]) < 1e-9
    assert by["predictor_bf16"]["bf16_forward_limit_ratio"] > 0 and "forward limits measured in turns" in proc.stdout
    # the whole pipeline (three models), fp32 and the precision auto chose
    whole = {r["name"]: r for r in data["whole_pipeline"]}
    assert list(whole) == ["pipeline3_fp32", "pipeline3_int8", "pipeline3_auto"]
    for r in whole.values():
        for key in ("docs_per_s", "tokens_per_s", "peak_mb", "seconds"):
            assert isinstance(r[key], (int, float)) and r[key] > 0, (r["name"], key)
    assert whole["pipeline3_fp32"]["precision"] == "fp32"
    assert whole["pipeline3_auto"]["precision"] in ("int8", "bf16", "fp16")  # the graphs are there: never fp32
    assert whole["pipeline3_int8"]["precision"] == "int8"
    # word labels against the fp32 three-model path, over the three models' outputs
    assert whole["pipeline3_fp32"]["agreement_words"] == 1.0
    assert all(0.5 <= r["agreement_words"] <= 1.0 for r in whole.values())
    assert set(whole["pipeline3_int8"]["agreement_words_by_output"]) == {"entities", "triggers", "event_types"}
    assert "profile" in whole["pipeline3_auto"] and whole["pipeline3_auto"]["profile"]["forward"] > 0
    assert "| pipeline3_fp32 |" in proc.stdout and "| pipeline3_int8 |" in proc.stdout and "| pipeline3_auto |" in proc.stdout
    # one profiled pass: each part's share of the time; the forward pass is found, the parts add up to the whole
    prof = whole["pipeline3_fp32"]["profile"]
    parts = ("forward", "tagger_tokenisation", "classifier_windows", "sentence_splitting", "event_records", "other")
    assert all(0.0 <= prof[k] <= 1.0 for k in parts) and prof["forward"] > 0 and prof["tagger_tokenisation"] > 0
    assert abs(sum(prof[k] for k in parts) - 1.0) < 1e-6
    # predict.py's peak resident memory over many documents against a tenth as many
    mem = data["memory"]
    assert mem["quick"] is True and "note" in mem and (mem["small_docs"], mem["large_docs"]) == (20, 200)
    for key in ("peak_rss_mb_small", "peak_rss_mb_large", "ratio"):
        assert isinstance(mem[key], (int, float)) and mem[key] > 0, key
    assert "| predict_memory |" in proc.stdout
