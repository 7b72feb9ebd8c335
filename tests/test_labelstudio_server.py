"""Label Studio in the loop, against a real Label Studio server (the PyPI package, dev extra).

One server for the whole module: SQLite in a fresh data folder, on a free port of 127.0.0.1,
started by ``label_studio`` and stopped by its process id. The model backend
(``scripts/labelstudio.py serve``) runs as its own process too, with basic auth. The tasks are
seed articles, one with diacritics and one with emoji before its entities, so offsets in Label
Studio's units are checked where its users report them wrong.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SEED, _free_port, load_script, stop_server

from train.corpus.document import read_jsonl
from train.corpus.schema import load_schema
from train.formats.labelstudio_config import label_config

pytest.importorskip("label_studio", reason="Label Studio is in the dev extra (make setup installs it)")
pytest.importorskip("label_studio_sdk", reason="the Label Studio SDK is in the labelstudio extra")

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]

LEGACY_TOKEN = "arabic-ie-test-legacy-token-0123456789"
EMOJI_PREFIX = "🇱🇾🤝🇷🇺\n\n"  # astral characters: 5 code points, 9 UTF-16 code units, before every entity
DIACRITICS = "\u064e"  # fatha, after the first letter of every word
ML_USER, ML_PASS = "annotators", "s3cret-pass"
START_TIMEOUT = 420  # a cold start runs every migration; on two busy cores that has taken over a minute


def _plain_doc() -> dict:
    return json.loads(SEED.read_text(encoding="utf-8").splitlines()[1])


def _with_diacritics(text: str) -> tuple[str, list[int]]:
    """The text with a fatha after each word's first Arabic letter, and where each old offset went."""
    out, where = [], []
    prev_space = True
    for ch in text:
        where.append(sum(len(x) for x in out))
        out.append(ch)
        if prev_space and "\u0621" <= ch <= "\u064a":
            out.append(DIACRITICS)
        prev_space = ch.isspace()
    where.append(sum(len(x) for x in out))
    return "".join(out), where


@dataclass
class Server:
    url: str
    pid: int
    log: Path
    pat: str

    def client(self, key: str | None = None):
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=self.url, api_key=key or self.pat)


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited ({proc.returncode}): {log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(1)


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    """A fresh Label Studio 1.23 on 127.0.0.1 (SQLite), with an admin and a personal access token."""
    data = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    log = data / "server.log"
    env = {**os.environ,
           "LABEL_STUDIO_BASE_DATA_DIR": str(data), "HOME": str(data),
           # the model backend and its webhook are on this machine: allow local addresses
           "ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false",
           # nothing leaves the machine: no error reports, no version check, no analytics
           "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "", "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false"}
    cmd = [str(Path(sys.executable).parent / "label-studio"), "start", "--no-browser", "--data-dir", str(data),
           "--internal-host", "127.0.0.1", "--port", str(port), "--username", "admin@example.com",
           "--password", "admin-pass-123", "--user-token", LEGACY_TOKEN, "--enable-legacy-api-token"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=data)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(f"{url}/health", proc, log, START_TIMEOUT)
        from label_studio_sdk import LabelStudio

        # The legacy token only bootstraps: push and pull below use a personal access token (JWT).
        pat = LabelStudio(base_url=url, api_key=LEGACY_TOKEN).tokens.create().token
        yield Server(url, proc.pid, log, pat)
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> dict[str, dict]:
    """Three Arabic articles with their gold entities: plain, with diacritics, with emoji first."""
    doc = _plain_doc()
    plain = doc["text"]
    ents = [(e["start"], e["end"], e["label"]) for e in doc["entities"]]
    marked, where = _with_diacritics(plain)
    shift = len(EMOJI_PREFIX)
    out = {
        "plain": {"text": plain, "entities": ents},
        "diacritics": {"text": marked, "entities": [(where[a], where[b], lab) for a, b, lab in ents]},
        "emoji": {"text": EMOJI_PREFIX + plain, "entities": [(a + shift, b + shift, lab) for a, b, lab in ents]},
    }
    for name, art in out.items():  # the same entities, whatever the offsets became
        assert [art["text"][a:b].replace(DIACRITICS, "") for a, b, _ in art["entities"]] == [plain[a:b] for a, b, _ in ents], name
    assert len(EMOJI_PREFIX.encode("utf-16-le")) // 2 > shift  # UTF-16 and code points disagree after it
    folder = tmp_path_factory.mktemp("articles")
    for name, art in out.items():
        art["path"] = folder / f"{name}.txt"
        art["path"].write_text(art["text"], encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def backend(label_studio, trained_ner_dir, tiny_model_dir, tmp_path_factory):
    """The model backend: the trained tiny NER model, basic auth, and a tiny training config."""
    work = tmp_path_factory.mktemp("backend")
    cfg = work / "train.yaml"
    base = (ROOT / "configs" / "demo-ner.yaml").read_text(encoding="utf-8")
    cfg.write_text(base + f"\nmodel_name_or_path: {tiny_model_dir}\nnum_train_epochs: 2\n", encoding="utf-8")
    port = _free_port()
    log = work / "backend.log"
    cmd = [sys.executable, str(ROOT / "scripts" / "labelstudio.py"), "serve", "--ner", str(trained_ner_dir), "--port", str(port),
           "--basic-auth-user", ML_USER, "--basic-auth-pass", ML_PASS, "--train-config", str(cfg),
           "--runs-dir", str(work / "runs"), "--url", label_studio.url, "--api-key", label_studio.pat]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(f"{url}/health", proc, log, 120, headers=_auth_header())
        yield {"url": url, "log": log, "runs": work / "runs"}
    finally:
        stop_server(proc)


def _auth_header(user: str = ML_USER, password: str = ML_PASS) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _get_json(url: str, headers: dict | None = None) -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as r:
        return json.loads(r.read())


def _project(ls, title: str, **kw) -> int:
    return ls.projects.create(title=title, label_config=label_config(load_schema(), **kw)).id


def _import(ls, project: int, articles: dict) -> dict[str, int]:
    tasks = [{"text": art["text"], "doc_id": name} for name, art in articles.items()]
    ids = ls.projects.import_tasks(project, request=tasks, return_task_ids=True).task_ids
    return dict(zip(articles, ids))


def test_generated_config_makes_a_project(label_studio):
    """Label Studio accepts the generated config, and keeps every schema label on its control."""
    from train.labelstudio.results import parse_controls

    ls = label_studio.client()
    schema = load_schema()
    pid = _project(ls, "config check", choices=True)
    stored = ls.projects.get(pid).label_config
    controls = parse_controls(stored)
    assert {k: v[0] for k, v in controls.labels.items()} == {**{e: "label" for e in schema.entity_labels},
                                                            **{e: "event" for e in schema.event_labels}}
    assert set(controls.choices) == set(schema.event_labels)
    assert controls.text_key == "text"
    assert "direction: rtl" in stored


def test_backend_refuses_requests_without_its_credentials(backend):
    for headers in ({}, _auth_header(ML_USER, "wrong")):
        with pytest.raises(urllib.error.HTTPError) as err:
            _get_json(f"{backend['url']}/health", headers)
        assert err.value.code == 401
    assert _get_json(f"{backend['url']}/health", _auth_header())["status"] == "UP"


def test_backend_predictions_slice_the_task_text(label_studio, backend, articles):
    """Connected in Label Studio, the backend's predictions come back with exact offsets."""
    ls = label_studio.client()
    pid = _project(ls, "backend predictions")
    tasks = _import(ls, pid, articles)
    ml = ls.ml.create(project=pid, url=backend["url"], title="arabic-ie", auth_method="BASIC_AUTH",
                      basic_auth_user=ML_USER, basic_auth_pass=ML_PASS)
    assert ls.ml.get(ml.id).state == "CO", ls.ml.get(ml.id)  # connected: health and setup passed, with auth
    # the Data Manager's "Retrieve Predictions" action: Label Studio posts the tasks to /predict
    ls.actions.create(id="retrieve_tasks_predictions", project=pid, selected_items={"all": True, "excluded": []})
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for name, tid in tasks.items():
        preds = ls.predictions.list(task=tid)
        assert len(preds) == 1, f"{name}: {len(preds)} predictions"
        text = articles[name]["text"]
        got = []
        for r in preds[0].result:
            v = r["value"]
            assert text[v["start"]:v["end"]] == v["text"], (name, v)
            assert 0 < r["score"] <= 1
            got.append((v["start"], v["end"], v["labels"][0]))
        spans[name] = sorted(got)
    assert spans["plain"], "the trained model predicts entities on an article it was trained on"
    shift = len(EMOJI_PREFIX)
    assert spans["emoji"] == [(a + shift, b + shift, lab) for a, b, lab in spans["plain"]]
    marked = articles["diacritics"]["text"]
    assert [(marked[a:b].replace(DIACRITICS, ""), lab) for a, b, lab in spans["diacritics"]] == \
           [(articles["plain"]["text"][a:b], lab) for a, b, lab in spans["plain"]]


def test_push_imports_the_most_uncertain_articles_with_predictions(label_studio, trained_ner_dir, articles, tmp_path):
    """push ranks the new articles as the uncertainty module does, imports the top N with
    predictions that slice their text, and a second push takes the next ones, never a task twice."""
    from train.commands.predict import iter_inputs
    from train.inference.predictor import Predictor
    from train.inference.uncertainty import document_uncertainty, rank_documents

    pool = tmp_path / "pool"
    pool.mkdir()
    for k, line in enumerate(SEED.read_text(encoding="utf-8").splitlines()):
        words = json.loads(line)["text"].split()
        (pool / f"seed-{k}.txt").write_text(" ".join(words[:120]), encoding="utf-8")
        (pool / f"shuffled-{k}.txt").write_text(" ".join(words[:120][::-1]), encoding="utf-8")
    paths = [str(pool), str(articles["emoji"]["path"])]
    docs = list(iter_inputs(paths, []))
    scores = document_uncertainty(Predictor.from_pretrained(ner=str(trained_ner_dir), device="cpu"), docs)
    order = rank_documents(scores, len(docs))
    assert len(set(scores)) > 1

    ls = label_studio.client()
    pid = _project(ls, "push ranked")
    push = ["push", "--project", str(pid), "--ner", str(trained_ner_dir), "--device", "cpu", "--rank", "uncertainty",
            "--n", "3", *paths, "--url", label_studio.url, "--api-key", label_studio.pat]
    assert load_script("labelstudio").main(push) == 0
    tasks = list(ls.tasks.list(project=pid, fields="all"))
    assert sorted(t.data["doc_id"] for t in tasks) == sorted(docs[i].id for i in order[:3])
    pushed = {t.data["doc_id"] for t in tasks}
    assert min(s for d, s in zip(docs, scores) if d.id in pushed) >= max(s for d, s in zip(docs, scores) if d.id not in pushed)
    text_of = {d.id: d.text for d in docs}
    for t in tasks:
        assert t.data["text"] == text_of[t.data["doc_id"]]
        assert t.data["uncertainty"] == pytest.approx(scores[[d.id for d in docs].index(t.data["doc_id"])], abs=1e-5)
        preds = ls.predictions.list(task=t.id)
        assert len(preds) == 1
        for r in preds[0].result:
            assert t.data["text"][r["value"]["start"]:r["value"]["end"]] == r["value"]["text"]

    assert load_script("labelstudio").main(push) == 0  # the next three: the first three are in the project
    ids = [t.data["doc_id"] for t in ls.tasks.list(project=pid, fields="all")]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(ids) == sorted(docs[i].id for i in order[:6])


@pytest.fixture(scope="module")
def round_trip(label_studio, articles, tmp_path_factory) -> dict:
    """Annotations made through the API at known offsets, then ``pull`` (Label Studio's export)."""
    ls = label_studio.client()
    pid = _project(ls, "round trip")
    tasks = _import(ls, pid, articles)
    for name, tid in tasks.items():
        text = articles[name]["text"]
        result = [{"from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": a, "end": b, "text": text[a:b], "labels": [lab]}} for a, b, lab in articles[name]["entities"]]
        ls.annotations.create(tid, result=result)
    work = tmp_path_factory.mktemp("pull")
    out, raw = work / "pulled.jsonl", work / "export.json"
    rc = load_script("labelstudio").main(["pull", "--project", str(pid), "--out", str(out), "--export", str(raw),
                                          "--url", label_studio.url, "--api-key", label_studio.pat])
    return {"rc": rc, "out": out, "raw": raw, "project": pid}


def test_annotations_round_trip_through_label_studio_export(round_trip, articles):
    """The pulled spans are exactly the ones annotated, on plain, diacritised and emoji text."""
    assert round_trip["rc"] == 0
    export = json.loads(round_trip["raw"].read_text(encoding="utf-8"))
    assert {t["data"]["doc_id"] for t in export} == set(articles)
    assert all(t["annotations"][0]["completed_by"] for t in export)  # Label Studio's own export
    docs, problems = read_jsonl(round_trip["out"], load_schema())
    assert not [p for p in problems if p.level == "error"]
    by_id = {d.id: d for d in docs}
    assert set(by_id) == set(articles)
    for name, art in articles.items():
        doc = by_id[name]
        assert doc.text == art["text"]
        assert sorted((s.start, s.end, s.label) for s in doc.entities) == sorted(art["entities"]), name


def test_pull_keeps_event_type_choices_beside_the_spans(label_studio, articles, tmp_path):
    """With ``config --choices``, a task's chosen event types come back as judged labels, its spans kept;
    a task annotated with spans only keeps its spans."""
    ls = label_studio.client()
    pid = _project(ls, "choices", choices=True)
    picked = {"plain": articles["plain"], "emoji": articles["emoji"]}
    tasks = _import(ls, pid, picked)
    for name, tid in tasks.items():
        text = picked[name]["text"]
        result = [{"from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": a, "end": b, "text": text[a:b], "labels": [lab]}} for a, b, lab in picked[name]["entities"]]
        if name == "plain":
            result.append({"from_name": "event_type", "to_name": "text", "type": "choices",
                           "value": {"choices": ["CONSULT", "COOPERATE"]}})
        ls.annotations.create(tid, result=result)
    out = tmp_path / "pulled.jsonl"
    assert load_script("labelstudio").main(["pull", "--project", str(pid), "--out", str(out),
                                            "--url", label_studio.url, "--api-key", label_studio.pat]) == 0
    docs = {d.id: d for d in read_jsonl(out, load_schema())[0]}
    for name in picked:
        assert sorted((s.start, s.end, s.label) for s in docs[name].entities) == sorted(picked[name]["entities"])
    yes = {lab.label for lab in docs["plain"].sentence_labels if lab.value}
    no = {lab.label for lab in docs["plain"].sentence_labels if not lab.value}
    assert yes == {"CONSULT", "COOPERATE"} and no == set(load_schema().event_labels) - yes
    assert not docs["emoji"].sentence_labels


def test_train_on_the_pulled_file(round_trip, tiny_model_dir, tmp_path):
    assert round_trip["rc"] == 0
    out = tmp_path / "model"
    pulled = str(round_trip["out"])
    rc = load_script("train").main([str(ROOT / "configs" / "demo-ner.yaml"), "--model_name_or_path", str(tiny_model_dir),
                                    "--train_file", pulled, "--validation_file", pulled,
                                    "--num_train_epochs", "2", "--output_dir", str(out)])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["train_documents"] == 3  # the three pulled articles
    assert metrics["dev"]["micro"]["support"] == 3 * len(_plain_doc()["entities"])  # every pulled span was a gold span
    assert (out / "model.safetensors").is_file()


def test_annotation_webhooks_reach_the_backend_with_its_credentials(label_studio, backend, articles):
    """Connecting the backend makes Label Studio add a project webhook to ``<url>/webhook``; with the
    backend's basic auth as the webhook's Authorization header (docs/labelstudio.md), each new annotation reaches it."""
    ls = label_studio.client()
    pid = _project(ls, "webhooks")
    tid = _import(ls, pid, {"plain": articles["plain"]})["plain"]
    ls.ml.create(project=pid, url=backend["url"], title="arabic-ie", auth_method="BASIC_AUTH",
                 basic_auth_user=ML_USER, basic_auth_pass=ML_PASS)
    hooks = [h for h in ls.webhooks.list(project=str(pid)) if h.url == backend["url"] + "/webhook"]
    assert len(hooks) == 1, "Label Studio made the ML backend's webhook"
    ls.webhooks.update(hooks[0].id, headers=_auth_header())
    seen = _get_json(f"{backend['url']}/training", _auth_header())["new_annotations"]
    text = articles["plain"]["text"]
    a, b, lab = articles["plain"]["entities"][0]
    ls.annotations.create(tid, result=[{"from_name": "label", "to_name": "text", "type": "labels",
                                        "value": {"start": a, "end": b, "text": text[a:b], "labels": [lab]}}])
    deadline = time.monotonic() + 30
    now = seen
    while now == seen and time.monotonic() < deadline:
        time.sleep(0.5)
        now = _get_json(f"{backend['url']}/training", _auth_header())["new_annotations"]
    assert now == seen + 1


def test_start_training_in_label_studio_trains_the_backend(label_studio, backend, round_trip):
    """Label Studio's Start Training (a START_TRAINING webhook) trains a new model on the project's
    annotations, exported by the backend through the SDK, and the backend then serves it."""
    assert round_trip["rc"] == 0
    ls = label_studio.client()
    before = _get_json(f"{backend['url']}/health", _auth_header())["model_version"]
    ml = ls.ml.create(project=round_trip["project"], url=backend["url"], title="arabic-ie", auth_method="BASIC_AUTH",
                      basic_auth_user=ML_USER, basic_auth_pass=ML_PASS)
    ls.ml.train(ml.id)
    deadline = time.monotonic() + 300
    status = _get_json(f"{backend['url']}/training", _auth_header())
    while status.get("status") in ("running", "none") and time.monotonic() < deadline:
        time.sleep(2)
        status = _get_json(f"{backend['url']}/training", _auth_header())
    assert status["status"] == "done", (status, backend["log"].read_text(errors="replace")[-3000:])
    assert status["documents"] == 3
    assert (Path(status["model"]) / "model.safetensors").is_file()
    after = _get_json(f"{backend['url']}/health", _auth_header())["model_version"]
    assert after == status["model_version"] != before
    versions = _get_json(f"{backend['url']}/versions", _auth_header())["versions"]
    assert versions[-2:] == [before, after]
