"""`make train` fine-tunes the model set from CAMeLBERT by its Hub name; the set is published and run back by one name.

Everything runs against the Hub stand-in (tests/hub_standin.py, fixture ``hub``): a tiny model under
the real name ``CAMeL-Lab/bert-base-arabic-camelbert-msa`` whose ``main`` holds pickles only and whose
``refs/pr/1`` adds ``model.safetensors``, as on the Hub. ``make train`` runs as a subprocess with
``HF_ENDPOINT`` and a fresh ``HF_HOME``; the rest runs in this process (conftest points its
``HF_ENDPOINT`` at the stand-in), online only inside :func:`online`, with a fresh cache where a fresh
``HF_HOME`` is asked for: a training stack imported once instead of once per command keeps this
module quick. One `make train` of the whole set (ner, events, triggers, roles) is shared by the
acceptance tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import CAMELBERT, GATED, HUB_TOKEN, ROOT, SEED, load_script

# One stand-in and one pair of runs for the whole module: all its tests on one pytest-xdist worker.
pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.xdist_group("hub")]

# Small and quick: the shipped config by name, capped (5 documents = 5 folds + the final model).
QUICK = "--max_seq_length 128 --per_device_train_batch_size 16 --use_cpu true --report_to none --disable_tqdm true --cpu_threads 1"
TEXTS = ["وصل قائد الجيش الليبي خليفة حفتر إلى موسكو يوم الثلاثاء.", "التقى وزير الدفاع الروسي سيرغي شويغو بحفتر في موسكو."]


def _run(cmd: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _bin_requests(requests: list[dict]) -> list[dict]:
    return [r for r in requests if r["path"].endswith((".bin", ".h5", ".msgpack"))]


SET_ARGS = f"--num_train_epochs 1 --cross_validation k_fold --num_folds 2 {QUICK}"
SET = ("ner", "events", "triggers", "roles")
ORG_NAME = "standin-org/camelbert"


def _make_train(hub, home: Path, runs: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    mark = hub.mark()
    proc = _run(["make", "--no-print-directory", "train", f"RUNS={runs}", f"ARGS={SET_ARGS}"], hub.env(home), timeout=600)
    return proc, hub.requests(mark)


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory) -> Path:
    """The training runs' HF_HOME: empty at first, warm after the first run."""
    return tmp_path_factory.mktemp("hf-home-train")


@pytest.fixture(scope="module")
def set_run(hub, hf_home, tmp_path_factory):
    """`make train RUNS=DIR ARGS="--num_train_epochs 1 ..."` by the Hub name, cold cache: the whole set."""
    runs = tmp_path_factory.mktemp("runs") / "set"
    proc, requests = _make_train(hub, hf_home, runs)
    return runs, proc, requests


@pytest.fixture(scope="module")
def ner_run(set_run):
    runs, proc, requests = set_run
    return runs / "ner", proc, requests


@contextmanager
def online(token: str | None = None, cache: Path | None = None) -> Iterator[None]:
    """This process on the stand-in with the network on (conftest sets HF_HUB_OFFLINE=1): no token
    unless given, and ``cache`` as its Hub cache (a fresh HF_HOME) when given."""
    from huggingface_hub import constants

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(constants, "HF_HUB_OFFLINE", False)
        mp.delenv("HF_HUB_OFFLINE", raising=False)
        mp.setattr(constants, "HF_TOKEN_PATH", str(Path(constants.HF_HOME) / "no-token-here"))
        if token:
            mp.setenv("HF_TOKEN", token)
        else:
            mp.delenv("HF_TOKEN", raising=False)
        if cache is not None:
            mp.setattr(constants, "HF_HUB_CACHE", str(cache))
        yield


@pytest.fixture(scope="module")
def published(hub, set_run, tmp_path_factory):
    """The set published to folders and pushed to the stand-in with a token (publish.py RUNS --push ORG/NAME)."""
    runs, proc, _ = set_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    root = tmp_path_factory.mktemp("published") / "set"
    publish = load_script("publish")
    mark = hub.mark()
    with online(token=HUB_TOKEN):
        assert publish.main([str(runs), "--out", str(root), "--push", ORG_NAME]) == 0
    return {t: (root / t, f"{ORG_NAME}-{t}") for t in SET}, hub.requests(mark)


# --------------------------------------------------------------------------- make train by name


def test_make_train_trains_the_set_with_progress_and_a_summary(set_run):
    runs, proc, _ = set_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    for task in SET:
        for name in ("cv_report.md", "cv_metrics.json", "model.safetensors", "config.json", "tokenizer.json", "metrics.json"):
            assert (runs / task / name).is_file(), (task, name)
        assert len(list((runs / task).glob("fold-*"))) == 2 and not list((runs / task).glob("*.bin"))
        assert f"[task {SET.index(task) + 1}/4 {task}] fold 1/2: held out" in proc.stderr
        assert f"[task {SET.index(task) + 1}/4 {task}] final model on all 5 documents; about" in proc.stderr
    assert "for the set" in proc.stderr  # the estimate covers the tasks still to come
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "micro-F1" in line]
    assert [r.split("|")[1].strip() for r in rows] == list(SET)
    assert all(f"| {runs / t} |" in r for t, r in zip(SET, rows)) and all("± " in r and "(2 folds)" in r for r in rows)
    assert (runs / "summary.md").read_text(encoding="utf-8").count("micro-F1") == 4
    assert f"scripts/publish.py {runs} --out DIR" in proc.stdout


def test_make_train_by_name_writes_report_and_final_model_without_pickles(hub, ner_run):
    out, proc, requests = ner_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    pr1 = hub.api(f"/api/models/{CAMELBERT}/revision/refs%2Fpr%2F1")["sha"]
    assert metrics["base_model"] == CAMELBERT and metrics["base_model_revision"] == "refs/pr/1"
    assert metrics["base_model_commit"] == pr1 and metrics["train_documents"] == 5
    assert json.loads((out / "cv_metrics.json").read_text(encoding="utf-8"))["final_model"]["documents"] == 5
    assert "train_fit" in json.loads((out.parent / "events" / "metrics.json").read_text(encoding="utf-8"))  # thresholds fit on its training data
    assert "Final model: trained on all documents for the configured num_train_epochs 1" in (out / "cv_report.md").read_text(encoding="utf-8")
    # The weights came from the pinned commit's safetensors; no pickle was asked for, no conversion looked up.
    gets = [r["path"] for r in requests if r["method"] == "GET" and r["status"] == 200]
    assert f"/{CAMELBERT}/resolve/{pr1}/model.safetensors" in gets
    resolved = [r["path"].split("/resolve/", 1)[1] for r in requests if "/resolve/" in r["path"]]
    assert {"config.json", "vocab.txt", "tokenizer_config.json", "model.safetensors"} <= {p.rsplit("/", 1)[1] for p in resolved}
    assert all(p.startswith((f"{pr1}/", "refs/pr/1/")) for p in resolved)  # tokenizer, config, weights: one commit
    assert _bin_requests(requests) == []
    assert not [r for r in requests if "/discussions" in r["path"] or "/commits/" in r["path"]]
    assert f"base model: {CAMELBERT} at revision refs/pr/1" in proc.stderr


def test_train_offline_on_the_warm_cache(hub, hf_home, ner_run, tmp_path, capsys):
    """The same command (configs/ner.yaml, same overrides) with HF_HUB_OFFLINE=1, as conftest sets it,
    on the cache the `make train` run filled."""
    from huggingface_hub import constants

    assert ner_run[1].returncode == 0 and constants.HF_HUB_OFFLINE
    mark = hub.mark()
    rc = load_script("train").main(["configs/ner.yaml", "--num_train_epochs", "1", "--output_dir", str(tmp_path / "offline"),
                                    "--cache_dir", str(hf_home / "hub"), *QUICK.split()])
    err = capsys.readouterr().err
    assert rc == 0, err[-3000:]
    assert hub.requests(mark) == []  # not one request reached the Hub
    assert "from the cache" in err
    assert (tmp_path / "offline" / "model.safetensors").is_file() and (tmp_path / "offline" / "cv_report.md").is_file()
    commit = json.loads((tmp_path / "offline" / "metrics.json").read_text(encoding="utf-8"))["base_model_commit"]
    assert commit == json.loads((ner_run[0] / "metrics.json").read_text(encoding="utf-8"))["base_model_commit"]


# --------------------------------------------------------------------------- publish and load back by name


def test_publish_push_uploads_with_the_cross_validated_figures(hub, published):
    out, requests = published
    assert [r["path"] for r in requests if r["method"] == "POST" and r["path"].endswith("/commit/main")] == [
        f"/api/models/{ORG_NAME}-{t}/commit/main" for t in SET]
    assert all(r["auth"] for r in requests if r["method"] == "POST")
    for kind in SET:
        folder, repo = out[kind]
        files = {s["rfilename"] for s in hub.api(f"/api/models/{repo}")["siblings"]}
        assert {"model.safetensors", "config.json", "tokenizer.json", "README.md", "cv_metrics.json"} <= files
        assert not any(f.endswith(".bin") for f in files)
        card = hub.file(repo, "README.md").decode("utf-8")
        assert card == (folder / "README.md").read_text(encoding="utf-8")
        assert "name: cv_metrics.json:summary.micro.f1.mean" in card  # model-index: the cross-validated figures
        assert "name: metrics.json:" not in card  # and no figure measured on the training documents
        assert hub.file(repo, "model.safetensors") == (folder / "model.safetensors").read_bytes()
        # The card links the other models of the set and shows the one command that runs it.
        assert f"python scripts/predict.py --models {ORG_NAME} article.txt" in card
        assert all(f"[{ORG_NAME}-{t}](https://huggingface.co/{ORG_NAME}-{t})" in card for t in SET if t != kind)
        assert f"- {kind}: this model" in card


def test_publish_push_without_a_token_creates_nothing(hub, ner_run, tmp_path):
    mark = hub.mark()
    p = _run([sys.executable, "scripts/publish.py", str(ner_run[0]), "--out", str(tmp_path / "pub"),
              "--push", "standin-org/never"], hub.env(tmp_path / "home"))
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "hf auth login" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "pub").exists()
    # Nothing about the repository it would have pushed, and nothing written. (Reads of other
    # repositories can still arrive from this worker's earlier loads: one was seen in a CI run.)
    sent = [r for r in hub.requests(mark) if "standin-org/never" in r["path"] or r["method"] != "GET"]
    assert sent == [] and hub.api("/api/models/standin-org/never") is None


def _tag(model: str, texts: list[str], **kw) -> list:
    from transformers import pipeline

    return [[{k: (round(float(v), 5) if k == "score" else v) for k, v in e.items()} for e in out]
            for out in pipeline("token-classification", model=model, **kw)(texts)]


def _classify(model: str, texts: list[str]) -> list:
    from transformers import pipeline

    return [sorted((s["label"], round(s["score"], 5)) for s in out) for out in pipeline("text-classification", model=model, top_k=None)(texts)]


def _predict(flag: str, model: str, out: Path) -> list[dict]:
    predict = load_script("predict")
    assert predict.main([flag, model, "--no-progress", "--output", str(out), *sum((["--text", t] for t in TEXTS), [])]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _predict_set(models: str, out: Path) -> list[dict]:
    predict = load_script("predict")
    assert predict.main(["--models", models, "--no-progress", "--output", str(out), *sum((["--text", t] for t in TEXTS), [])]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_predict_runs_the_published_set_by_its_hub_prefix(hub, published, tmp_path):
    """`predict.py --models ORG/NAME` with a fresh cache: entities, sentence event types, and events with
    source and target, as from the published folder; the NER model loads with a plain pipeline by name."""
    out, _ = published
    folder = out["ner"][0].parent
    mark = hub.mark()
    with online(cache=tmp_path / "fresh-hf-home" / "hub"):
        by_name = _predict_set(ORG_NAME, tmp_path / "by-name.jsonl")
        tags = _tag(f"{ORG_NAME}-ner", TEXTS, aggregation_strategy="first")
    by_folder = _predict_set(str(folder), tmp_path / "by-folder.jsonl")
    assert by_name == by_folder and [r["text"] for r in by_name] == TEXTS
    for rec in by_name:
        assert set(rec) >= {"entities", "sentences", "events"} and rec["sentences"]
        assert all("event_types" in s and "triggers" in s for s in rec["sentences"])  # sentence event types, triggers
        assert all("source" in e and "target" in e for e in rec["events"])
    assert any(rec["entities"] for rec in by_name) and any(rec["events"] for rec in by_name)
    assert len(tags) == len(TEXTS)
    got = {r["path"].split("/resolve/")[0].lstrip("/") for r in hub.requests(mark)
           if r["method"] == "GET" and r["path"].endswith("/model.safetensors")}
    assert got >= {f"{ORG_NAME}-{t}" for t in SET}


def test_auto_runs_the_hub_models_int8_graphs_on_a_cpu_without_amx(hub, published, tmp_path, monkeypatch):
    """The set's onnx/model_quantized.onnx, pushed by publish.py, fetched from the stand-in into a fresh
    cache and run by `--precision auto` where bf16 does not pay; the records are the fp32 ones, or nearly."""
    from train.inference.precision import ENV_FLAGS

    monkeypatch.setenv(ENV_FLAGS, "avx2 fma")
    predict = load_script("predict")
    mark = hub.mark()
    with online(cache=tmp_path / "fresh-hf-home" / "hub"):
        out = tmp_path / "int8.jsonl"
        assert predict.main(["--models", ORG_NAME, "--precision", "auto", "--device", "cpu", "--no-progress",
                             "--output", str(out), "--format", "corpus", *sum((["--text", t] for t in TEXTS), [])]) == 0
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["meta"]["precision"] for r in recs} == {"int8"} and [r["text"] for r in recs] == TEXTS
    fetched = {r["path"].split("/resolve/")[0].lstrip("/") for r in hub.requests(mark)
               if r["method"] == "GET" and r["path"].endswith("/onnx/model_quantized.onnx") and r["status"] == 200}
    assert fetched == {f"{ORG_NAME}-{t}" for t in SET}


def test_published_models_load_by_name_like_the_local_folders(hub, published, tmp_path):
    out, _ = published
    (ner_dir, ner_repo), (ev_dir, ev_repo) = out["ner"], out["events"]
    res = {}
    mark = hub.mark()
    with online(cache=tmp_path / "fresh-hf-home" / "hub"):
        for where, ner, ev in (("folder", str(ner_dir), str(ev_dir)), ("hub", ner_repo, ev_repo)):
            res[where] = {"first": _tag(ner, TEXTS, aggregation_strategy="first"), "tokens": _tag(ner, TEXTS, ignore_labels=[]),
                          "events": _classify(ev, TEXTS), "predict": _predict("--ner", ner, tmp_path / f"ner-{where}.jsonl"),
                          "predict_events": _predict("--events", ev, tmp_path / f"ev-{where}.jsonl")}
    assert res["hub"] == res["folder"]
    local = res["folder"]
    assert all(tokens for tokens in local["tokens"])  # every word's tag and score: the comparison is not empty
    assert all(len(labels) > 0 for labels in local["events"])
    assert [r["text"] for r in local["predict"]] == TEXTS and [r["text"] for r in local["predict_events"]] == TEXTS
    requests = hub.requests(mark)
    for repo in (ner_repo, ev_repo):  # fetched from the stand-in into the fresh cache
        assert any(r["method"] == "GET" and r["path"].startswith(f"/{repo}/resolve/") and r["path"].endswith("/model.safetensors")
                   for r in requests)
    assert _bin_requests(requests) == []


# --------------------------------------------------------------------------- one line for each Hub failure


@pytest.fixture
def online_now(hub):
    with online():
        yield hub


def _train_fails(tmp_path, capsys, *overrides: str, started: bool = False) -> str:
    """train.py fails with exit 3 and one line; nothing at output_dir (nor, when it failed before
    training started, a ``.partial`` folder)."""
    train = load_script("train")
    out = tmp_path / "run"
    rc = train.main([str(ROOT / "configs" / "ner.yaml"), "--output_dir", str(out), "--cache_dir", str(tmp_path / "cache"),
                     "--train_file", str(SEED), *overrides])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert not out.exists() and (started or not Path(f"{out}.partial").exists())
    return err


def test_repository_not_found_is_one_line(online_now, tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, "--model_name_or_path", "standin-org/no-such-model")
    assert "'standin-org/no-such-model' (revision refs/pr/1)" in err and "no such repository" in err
    assert "hf auth login" in err


def test_revision_not_found_is_one_line(online_now, tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, "--model_revision", "refs/pr/99")
    assert f"'{CAMELBERT}' (revision refs/pr/99)" in err and "no revision 'refs/pr/99'" in err and "model_revision" in err


def test_refused_token_is_one_line(online_now, tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, "--token", "hf_not_a_valid_token")
    assert f"'{CAMELBERT}' (revision refs/pr/1)" in err and "HTTP 401" in err and "HF_TOKEN" in err
    assert "hf_not_a_valid_token" not in err  # never echo a secret


def test_gated_repository_is_one_line(online_now, tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, "--model_name_or_path", GATED, "--model_revision", "main")
    assert f"'{GATED}' (revision main)" in err and "gated" in err and f"{online_now.url}/{GATED}" in err


def test_offline_without_cache_is_one_line(online_now, tmp_path, capsys, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    mark = online_now.mark()
    err = _train_fails(tmp_path, capsys)
    assert f"'{CAMELBERT}' (revision refs/pr/1)" in err and "HF_HUB_OFFLINE is set" in err and "without HF_HUB_OFFLINE" in err
    assert online_now.requests(mark) == []


def test_network_error_is_one_line(online_now, tmp_path, capsys, monkeypatch):
    import socket

    from huggingface_hub import constants

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", dead)
    err = _train_fails(tmp_path, capsys)
    assert f"'{CAMELBERT}' (revision refs/pr/1)" in err and f"cannot reach {dead}" in err and "network" in err


# --------------------------------------------------------------------------- pickles


def test_pickle_only_hub_revision_names_the_conversion_branch(online_now, tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, "--model_revision", "main")
    assert "only pickle weights (pytorch_model.bin)" in err and "model_revision: refs/pr/1" in err
    assert f"hf download {CAMELBERT} --revision refs/pr/1 --local-dir DIR" in err and "allow_pickle" in err


def test_pickle_only_folder_is_refused_with_the_download_command(hub, tmp_path, capsys):
    folder = tmp_path / "camelbert"
    shutil.copytree(hub.main, folder)  # what `hf download` of main gives: pickles only
    err = _train_fails(tmp_path, capsys, "--model_name_or_path", str(folder))
    assert f"hf download {CAMELBERT} --revision refs/pr/1 --local-dir {folder}" in err
    assert "huggingface-cli" not in err and "allow_pickle" in err


def test_allow_pickle_with_both_files_loads_the_safetensors(hub, tmp_path):
    import torch
    from safetensors.torch import load_file

    from train.training.config import ModelArguments
    from train.training.modeling import load_token_model
    from train.training.sentence_classification import load_classifier

    both = tmp_path / "both"
    shutil.copytree(hub.pr1, both)
    (both / "pytorch_model.bin").write_bytes(b"not a pickle: reading it would fail")
    want = load_file(str(both / "model.safetensors"))["bert.embeddings.word_embeddings.weight"]
    model = load_token_model(ModelArguments(model_name_or_path=str(both), allow_pickle=True), ["O", "B-PERS", "I-PERS"])
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, want)
    clf = load_classifier(str(both), ["MEET", "FIGHT"], allow_pickle=True)
    assert torch.equal(clf.bert.embeddings.word_embeddings.weight, want)


def test_allowed_pickle_is_read_weights_only(hub, tmp_path, capsys):
    """A pickle that would run code is refused by torch's weights-only loader: one line, nothing run."""
    import os

    import torch

    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    folder = tmp_path / "evil"
    shutil.copytree(hub.main, folder)
    weights = torch.load(folder / "pytorch_model.bin", weights_only=True)
    torch.save({**weights, "payload": Payload()}, folder / "pytorch_model.bin")
    err = _train_fails(tmp_path, capsys, "--model_name_or_path", str(folder), "--allow_pickle", "true",
                       "--cross_validation", "null", "--max_steps", "1", *QUICK.split(), started=True)
    assert "weights-only loader refused" in err and "safetensors" in err
    assert not marker.exists()
