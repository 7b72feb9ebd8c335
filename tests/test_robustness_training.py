"""Faults in training (issue 9, items 4 and 6): resume after a kill, atomic output, determinism.

* A run killed (SIGKILL) after its first checkpoint leaves no ``output_dir``; ``--resume``
  continues it from ``<output_dir>.partial/checkpoint-N`` to the same final step count as an
  uninterrupted run, and writes ``metrics.json``.
* A run that fails after training started leaves no folder at ``output_dir`` that looks
  complete, and leaves an earlier finished run there untouched.
* The same config and seed on CPU give identical metrics twice (two fresh processes).

The runs use the session's tiny random BERT and a few steps on a few sentences.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import kill_when_written, load_script

pytestmark = pytest.mark.slow  # trains, exports or benchmarks a model

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
MAX_STEPS = 6
SAVE_STEPS = 2
TIMING_KEYS = {"train_runtime_s", "total_runtime_s"}
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1",
       "PYTHONHASHSEED": "random"}


def write_config(path: Path, base: Path, output_dir: Path, **extra) -> Path:
    values = {
        "task": "ner",
        "model_name_or_path": str(base),
        "train_file": str(SEED),
        "validation_file": str(SEED),
        "output_dir": str(output_dir),
        "max_seq_length": 64,
        "window_overlap": 16,
        "max_train_sentences": 12,
        "max_eval_sentences": 3,
        "max_steps": MAX_STEPS,
        "eval_strategy": "steps",
        "eval_steps": SAVE_STEPS,
        "save_strategy": "steps",
        "save_steps": SAVE_STEPS,
        "logging_strategy": "steps",
        "logging_steps": 1,
        "save_total_limit": 2,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 16,
        "learning_rate": 0.001,
        "seed": 7,
        "data_seed": 7,
        "use_cpu": True,
        "disable_tqdm": True,
        "report_to": [],
        "early_stopping_patience": None,
        "dataloader_num_workers": 0,
    }
    values.update(extra)
    path.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def train_cmd(config: Path, *overrides: str) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "train.py"), str(config), *overrides]


def _is_timing(key: str) -> bool:
    return key in TIMING_KEYS or "runtime" in key or "per_second" in key or key.endswith(("_seconds", "_time"))


def _drop_timings(value):
    if isinstance(value, dict):
        return {k: _drop_timings(v) for k, v in value.items() if not _is_timing(k)}
    if isinstance(value, list):
        return [_drop_timings(v) for v in value]
    return value


def figures(metrics_path: Path) -> dict:
    """``metrics.json`` without the wall-clock timings (at any depth)."""
    return _drop_timings(json.loads(metrics_path.read_text(encoding="utf-8")))


def logged_steps(logs_csv: Path, key: str) -> list[int]:
    with open(logs_csv, encoding="utf-8") as fh:
        return [int(r["step"]) for r in csv.DictReader(fh) if r["key"] == key]


def looks_complete(folder: Path) -> bool:
    return folder.exists() and any((folder / n).exists() for n in ("metrics.json", "model.safetensors", "config.json"))


@pytest.fixture(scope="module")
def reference_runs(tiny_model_dir, tmp_path_factory) -> list[Path]:
    """Two uninterrupted runs of one config and seed, each in a fresh process."""
    root = tmp_path_factory.mktemp("reference")
    outs = []
    for name in ("a", "b"):
        out = root / name
        cfg = write_config(root / f"{name}.yaml", tiny_model_dir, out)
        r = subprocess.run(train_cmd(cfg), capture_output=True, text=True, env=ENV, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        outs.append(out)
    return outs


# --------------------------------------------------------------------------- determinism (item 6)


def test_same_config_and_seed_give_identical_metrics(reference_runs):
    a, b = reference_runs
    fa, fb = figures(a / "metrics.json"), figures(b / "metrics.json")
    assert fa["dev"]["micro"]["support"] > 0
    assert fa == fb
    # the predictions and the weights agree too, not only the summary
    assert (a / "predictions_dev.jsonl").read_bytes() == (b / "predictions_dev.jsonl").read_bytes()
    from safetensors.torch import load_file

    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    assert wa.keys() == wb.keys() and all((wa[k] == wb[k]).all() for k in wa)


# --------------------------------------------------------------------------- resume (item 4)


def test_killed_run_resumes_from_its_last_checkpoint(tiny_model_dir, reference_runs, tmp_path):
    out = tmp_path / "run"
    part = tmp_path / "run.partial"
    cfg = write_config(tmp_path / "c.yaml", tiny_model_dir, out)
    first = part / f"checkpoint-{SAVE_STEPS}" / "trainer_state.json"  # written last in a checkpoint
    proc = kill_when_written(train_cmd(cfg), first, ENV)  # no clean-up handlers run: as a dead machine or OOM kill
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not out.exists()  # nothing that looks finished
    steps_before = logged_steps(part / "logs.csv", "loss")
    assert steps_before and max(steps_before) < MAX_STEPS

    r = subprocess.run(train_cmd(cfg, "--resume"), capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / "metrics.json").is_file() and (out / "model.safetensors").is_file()
    assert not part.exists() and not list(out.glob("checkpoint-*"))
    # The final step count is an uninterrupted run's, and the resumed run started after the
    # checkpoint: steps up to it were logged once, by the first process only.
    ref = reference_runs[0]
    final = logged_steps(out / "logs.csv", "train_runtime")
    assert final[-1] == MAX_STEPS == logged_steps(ref / "logs.csv", "train_runtime")[-1]
    loss_steps = logged_steps(out / "logs.csv", "loss")
    assert loss_steps.count(1) == 1 and loss_steps.count(SAVE_STEPS) == 1
    assert set(loss_steps) == set(range(1, MAX_STEPS + 1))
    got, want = figures(out / "metrics.json"), figures(ref / "metrics.json")
    assert got == want, (got, want)
    assert got["epochs_run"] == want["epochs_run"]
    assert got["dev"]["micro"]["support"] == want["dev"]["micro"]["support"]


def test_resume_skips_a_checkpoint_cut_off_while_saving(tmp_path):
    """A kill during a save leaves a checkpoint without trainer_state.json: resume uses the one before."""
    from train.training.rundir import last_checkpoint

    for step, complete in ((2, True), (4, True), (6, False)):
        ck = tmp_path / f"checkpoint-{step}"
        ck.mkdir()
        (ck / "model.safetensors").write_bytes(b"")
        if complete:
            (ck / "trainer_state.json").write_text("{}", encoding="utf-8")
    (tmp_path / "checkpoint-x").mkdir()
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-4")
    assert last_checkpoint(tmp_path / "checkpoint-x") is None


# --------------------------------------------------------------------------- atomic output (item 4)




class Injected(RuntimeError):
    pass


def _fail_at(monkeypatch, where: str, task: str = "ner") -> None:
    """Make the run fail mid-training (``train``) or after the model is saved (``report``)."""
    import transformers

    if task == "events":
        import train.training.sentence_classification as tc
    else:
        import train.training.token_classification as tc

    def boom(*args, **kwargs):
        raise Injected(f"injected failure at {where}")

    if where == "train":
        original = transformers.Trainer.training_step
        calls = {"n": 0}

        def step(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] > 3:
                boom()
            return original(self, *args, **kwargs)

        monkeypatch.setattr(transformers.Trainer, "training_step", step)
    else:
        monkeypatch.setattr(tc, "write_reports", boom)


@pytest.mark.parametrize("task,where", [("ner", "train"), ("ner", "report"), ("events", "train"), ("events", "report")])
def test_failed_run_leaves_nothing_that_looks_complete(tiny_model_dir, tmp_path, monkeypatch, task, where):
    out = tmp_path / "run"
    cfg = write_config(tmp_path / "c.yaml", tiny_model_dir, out, task=task, max_steps=4, eval_steps=4, save_steps=4)
    _fail_at(monkeypatch, where, task)
    with pytest.raises(Injected):
        load_script("train").main([str(cfg)])
    assert not out.exists()
    part = tmp_path / "run.partial"
    assert not (part / "metrics.json").exists() and not (part / "eval_report.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "run.partial"]


def test_failed_rerun_keeps_the_earlier_finished_run(tiny_model_dir, tmp_path, monkeypatch):
    """overwrite_output replaces a finished run only once the new one is complete."""
    out = tmp_path / "run"
    cfg = write_config(tmp_path / "c.yaml", tiny_model_dir, out, max_steps=2, overwrite_output=True)
    train = load_script("train")
    assert train.main([str(cfg)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert "metrics.json" in before and "model.safetensors" in before
    _fail_at(monkeypatch, "report")
    with pytest.raises(Injected):
        train.main([str(cfg), "--learning_rate", "0.01"])
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not (tmp_path / "run.old").exists()
