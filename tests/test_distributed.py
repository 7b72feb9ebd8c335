"""When one process is not enough (issue 18): batch inference on Ray, training across processes.

* ``predict.py --engine ray`` on a local Ray instance (``num_cpus=2``, started once for the
  module) writes the same bytes as the single-process path over a slice of the news articles
  (``../shared/news``; the seed corpus when they are absent), and ``--resume`` skips the ids
  already written, as it does in one process.
* ``torchrun --nproc_per_node 2 scripts/train.py CONFIG`` (CPU, gloo) completes, only rank 0
  writes: one final model, one ``metrics.json``, no ``.partial`` left; a second run of the same
  command gives the same test metrics (determinism under DDP).
* A 2-process run killed (SIGKILL to the whole group) after its first checkpoint resumes with
  ``--resume`` from that checkpoint and ends as the uninterrupted run does.

The inputs are small (a few articles, a few training steps of the tiny model): the module adds
about a minute and a half to the suite on two cores.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEED, build_random_tagger, kill_when_written, load_script
from test_robustness_training import ENV, MAX_STEPS, SAVE_STEPS, figures, logged_steps, write_config

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("distributed")]

NEWS = Path(os.environ.get("ARABIC_IE_NEWS", ROOT.parent / "shared" / "news"))
N_ARTICLES = 6
TAGS = ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE", "B-ORG", "I-ORG"]


# --------------------------------------------------------------------------- Ray


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray instance (2 CPUs) for the module, shut down at its end."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install .[ray] (the dev extra has it)")
    from train.inference.ray_engine import RayOptions, init_ray

    init_ray(RayOptions(workers=2, threads_per_worker=1))
    assert ray.cluster_resources().get("CPU") == 2
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def news_slice(tmp_path_factory) -> Path:
    """A folder of a few news articles (``.txt``), or the seed corpus as JSON Lines when absent."""
    files = sorted(NEWS.rglob("*.txt"))[:N_ARTICLES] if NEWS.is_dir() else []
    if not files:
        return SEED
    out = tmp_path_factory.mktemp("news")
    for f in files:
        shutil.copyfile(f, out / f.name)
    return out


@pytest.fixture(scope="module")
def ner_model(tmp_path_factory) -> Path:
    return build_random_tagger(tmp_path_factory.mktemp("ner") / "model", TAGS, head_scale=20.0)


def _predict(*args: str) -> int:
    # small chunks, so that the few articles make several chunks and both actors get some
    return load_script("predict").main(["--no-progress", "--threads", "1", "--batch-size", "8", "--chunk-sentences", "24",
                                        *args])


@pytest.mark.server  # a local Ray instance
def test_ray_engine_writes_the_single_process_records(ray_local, news_slice, ner_model, tmp_path):
    if news_slice == SEED:
        print(f"{NEWS} is absent: the seed corpus stands in for the news articles")
    local, on_ray = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert _predict("--ner", str(ner_model), str(news_slice), "-o", str(local)) == 0
    assert _predict("--ner", str(ner_model), str(news_slice), "-o", str(on_ray), "--engine", "ray",
                    "--workers", "2", "--threads-per-worker", "1") == 0
    want = local.read_bytes()
    assert on_ray.read_bytes() == want
    recs = [json.loads(line) for line in want.decode("utf-8").splitlines()]
    assert len(recs) >= 3 and any(r["entities"] for r in recs)

    # --resume: the ids in FILE.part are skipped, the rest are appended in input order: the file ends as the
    # uninterrupted single-process one.
    lines = want.decode("utf-8").splitlines(keepends=True)
    on_ray.unlink()
    on_ray.with_name(on_ray.name + ".part").write_text("".join(lines[:2]), encoding="utf-8")
    assert _predict("--ner", str(ner_model), str(news_slice), "-o", str(on_ray), "--resume", "--engine", "ray",
                    "--workers", "2") == 0
    assert on_ray.read_bytes() == want
    assert [json.loads(x)["id"] for x in on_ray.read_text(encoding="utf-8").splitlines()] == [r["id"] for r in recs]


def test_ray_engine_without_ray_says_how_to_install(monkeypatch, ner_model, capsys):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    rc = _predict("--ner", str(ner_model), "--text", "نص", "--engine", "ray")
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and "pip install .[ray]" in err[0]


# --------------------------------------------------------------------------- torchrun


def torchrun_cmd(config: Path, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port()),
            str(ROOT / "scripts" / "train.py"), str(config), *overrides]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp: Path, base: Path, out: Path, name: str) -> Path:
    # dev = test = a few seed sentences: the metrics on the test split are what is compared
    return write_config(tmp / f"{name}.yaml", base, out, test_file=str(SEED), per_device_train_batch_size=2)


@pytest.fixture(scope="module")
def ddp_run(tiny_model_dir, tmp_path_factory) -> Path:
    """One uninterrupted 2-process run of the tiny model."""
    root = tmp_path_factory.mktemp("ddp")
    out = root / "a"
    r = subprocess.run(torchrun_cmd(_config(root, tiny_model_dir, out, "a")), capture_output=True, text=True,
                       env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def _finished(out: Path) -> None:
    assert not Path(str(out) + ".partial").exists() and not list(out.glob("checkpoint-*"))
    assert len(list(out.glob("*.safetensors"))) == 1 and (out / "model.safetensors").is_file()
    assert len(list(out.rglob("metrics.json"))) == 1 and (out / "eval_report.md").is_file()


def test_torchrun_trains_on_two_processes_and_rank_0_writes(ddp_run, tiny_model_dir, tmp_path):
    _finished(ddp_run)
    m = figures(ddp_run / "metrics.json")
    assert m["test"]["micro"]["support"] > 0
    # two processes of batch 2: 4 sentences per step; the run's final step is the configured one
    assert logged_steps(ddp_run / "logs.csv", "train_runtime")[-1] == MAX_STEPS

    again = tmp_path / "b"
    r = subprocess.run(torchrun_cmd(_config(tmp_path, tiny_model_dir, again, "b")), capture_output=True, text=True,
                       env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    _finished(again)
    got, want = figures(again / "metrics.json"), m
    for d in (got, want):
        d.pop("best_checkpoint", None)
    assert got["test"] == want["test"] and got["dev"] == want["dev"]
    assert (again / "predictions_test.jsonl").read_bytes() == (ddp_run / "predictions_test.jsonl").read_bytes()


def test_killed_torchrun_run_resumes(ddp_run, tiny_model_dir, tmp_path):
    out, part = tmp_path / "run", tmp_path / "run.partial"
    cfg = _config(tmp_path, tiny_model_dir, out, "c")
    first = part / f"checkpoint-{SAVE_STEPS}" / "trainer_state.json"
    proc = kill_when_written(torchrun_cmd(cfg), first, ENV)  # the launcher and both ranks, no clean-up
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    assert (first.parent / "rng_state_1.pth").is_file()  # two processes trained (one RNG state per rank)
    before = logged_steps(part / "logs.csv", "loss")
    assert before and max(before) < MAX_STEPS

    r = subprocess.run(torchrun_cmd(cfg, "--resume"), capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    _finished(out)
    loss_steps = logged_steps(out / "logs.csv", "loss")
    assert loss_steps.count(1) == 1 and loss_steps.count(SAVE_STEPS) == 1  # resumed after the checkpoint
    assert set(loss_steps) == set(range(1, MAX_STEPS + 1))
    got, want = figures(out / "metrics.json"), figures(ddp_run / "metrics.json")
    assert got["test"] == want["test"]
