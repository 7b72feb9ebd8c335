"""The Label Studio pieces without a server: the labeling config, predictions, the backend's routes."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, SEED, build_random_tagger, load_script, stop_server

from train.corpus.schema import load_schema
from train.formats.labelstudio_config import label_config

pytest.importorskip("flask", reason="the model backend needs the labelstudio extra (flask)")

from train.labelstudio.backend import Backend, BackendError, Models, check_binding, create_app, credentials  # noqa: E402
from train.labelstudio.results import ConfigMismatch, parse_controls, prediction  # noqa: E402

TAGS = ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE", "B-ORG", "I-ORG", "B-DATE", "I-DATE"]
USER, PASS = "ann", "pw-123"


def _auth(user: str = USER, password: str = PASS) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def tagger_dir(tmp_path_factory) -> Path:
    return build_random_tagger(tmp_path_factory.mktemp("tagger") / "m", TAGS, head_scale=40.0)


@pytest.fixture(scope="module")
def client(tagger_dir):
    app = create_app(Backend(Models(ner=str(tagger_dir), device="cpu")), (USER, PASS))
    return app.test_client()


def _texts() -> list[str]:
    return [json.loads(line)["text"][:400] for line in SEED.read_text(encoding="utf-8").splitlines()[:2]]


# --------------------------------------------------------------------------- the labeling config


def test_config_lists_every_schema_label_on_its_control():
    schema = load_schema()
    controls = parse_controls(label_config(schema, choices=True))
    assert {k: v for k, v in controls.labels.items()} == {**{e: ("label", "text") for e in schema.entity_labels},
                                                         **{e: ("event", "text") for e in schema.event_labels}}
    assert set(controls.choices) == set(schema.event_labels)
    only = parse_controls(label_config(schema, events=False))
    assert set(only.labels) == set(schema.entity_labels) and not only.choices


def test_config_needs_something_to_annotate():
    with pytest.raises(ValueError, match="at least one"):
        label_config(load_schema(), entities=False, events=False)


def test_config_escapes_descriptions():
    from train.corpus.schema import Schema

    xml = label_config(Schema({"PERS": 'a "quoted" <name> & co'}, {}), events=False)
    assert parse_controls(xml).labels == {"PERS": ("label", "text")}


@pytest.mark.parametrize("xml, message", [
    ("<View><Labels name='l' toName='t'/>", "not valid XML"),
    ("<View><Labels name='l' toName='t'><Label value='PERS'/></Labels></View>", "no <Text>"),
])
def test_bad_configs_are_one_line(xml, message):
    with pytest.raises(ConfigMismatch, match=message):
        parse_controls(xml)


def test_value_key_follows_the_config():
    xml = "<View><Labels name='ents' toName='body'><Label value='GPE'/></Labels><Text name='body' value='$content'/></View>"
    c = parse_controls(xml)
    assert c.text_key == "content" and c.labels == {"GPE": ("ents", "body")}


# --------------------------------------------------------------------------- predictions


def test_prediction_keeps_only_labels_the_project_has():
    text = "زار حفتر موسكو في 2019."
    rec = {"text": text, "entities": [{"start": 4, "end": 8, "label": "PERS", "score": 0.9},
                                      {"start": 9, "end": 14, "label": "GPE", "score": 0.4}],
           "sentences": [{"start": 0, "end": len(text), "event_types": [{"label": "CONSULT", "score": 0.7}],
                          "triggers": [{"start": 0, "end": 3, "label": "CONSULT", "score": 0.8}]}]}
    xml = ("<View><Labels name='label' toName='text'><Label value='GPE'/></Labels>"
           "<Choices name='event_type' toName='text'><Choice value='CONSULT'/></Choices><Text name='text' value='$text'/></View>")
    pred = prediction(rec, parse_controls(xml), "v1")
    spans = [r for r in pred["result"] if r["type"] == "labels"]
    assert [(r["value"]["text"], r["value"]["labels"]) for r in spans] == [("موسكو", ["GPE"])]
    assert [r["value"]["choices"] for r in pred["result"] if r["type"] == "choices"] == [["CONSULT"]]
    assert pred["score"] == 0.4 and pred["model_version"] == "v1"


# --------------------------------------------------------------------------- the routes


def test_every_route_needs_the_credentials(client):
    for path in ("/health", "/versions", "/training"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=_auth(USER, "nope")).status_code == 401
        assert client.get(path, headers=_auth()).status_code == 200
    resp = client.post("/predict", json={})
    assert resp.status_code == 401 and "Basic" in resp.headers["WWW-Authenticate"]


def test_predict_answers_one_prediction_per_task_with_exact_offsets(client):
    texts = _texts()
    tasks = [{"id": k, "data": {"text": t}} for k, t in enumerate(texts)]
    resp = client.post("/predict", json={"tasks": tasks, "label_config": label_config(load_schema())}, headers=_auth())
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert len(results) == len(tasks)
    regions = [(t, r) for t, res in zip(texts, results) for r in res["result"]]
    assert regions, "the random tagger (large head) tags some words"
    for text, r in regions:
        v = r["value"]
        assert text[v["start"]:v["end"]] == v["text"] and v["text"].strip() == v["text"]


@pytest.mark.parametrize("body, message", [
    ({"label_config": "<View/>"}, "tasks: missing"),
    ({"tasks": [{"data": {"text": "x"}}]}, "label_config: missing"),
    ({"tasks": [{"data": {"body": "x"}}], "label_config": label_config(load_schema())}, "tasks[0].data.text"),
])
def test_predict_refuses_bad_requests_with_one_line(client, body, message):
    resp = client.post("/predict", json=body, headers=_auth())
    assert resp.status_code == 400
    assert message in resp.get_json()["error"]


def test_webhook_without_training_config_says_so(client):
    resp = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}}, headers=_auth())
    assert resp.status_code == 201 and "--train-config" in resp.get_json()["status"]
    resp = client.post("/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 1}}, headers=_auth())
    assert resp.get_json()["status"] == "ignored"


def test_setup_answers_the_model_version(client):
    resp = client.post("/setup", json={"project": "1.1", "schema": label_config(load_schema())}, headers=_auth())
    assert resp.status_code == 200 and resp.get_json()["model_version"].startswith("arabic-ie:")


# --------------------------------------------------------------------------- binding and the command


def test_no_unauthenticated_backend_beyond_this_machine():
    check_binding("127.0.0.1", None, False)
    check_binding("0.0.0.0", (USER, PASS), False)
    with pytest.raises(BackendError, match="basic-auth"):
        check_binding("0.0.0.0", None, False)
    with pytest.raises(BackendError, match="both"):
        credentials(USER, None)


def test_serve_on_a_network_without_auth_is_one_line(capsys, monkeypatch):
    monkeypatch.delenv("ML_BASIC_AUTH_USER", raising=False)
    monkeypatch.delenv("ML_BASIC_AUTH_PASS", raising=False)
    rc = load_script("labelstudio").cli(["serve", "--ner", "models/none", "--host", "0.0.0.0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and "--basic-auth-user" in err[0]


def test_pull_without_a_key_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    rc = load_script("labelstudio").cli(["pull", "--project", "1", "--out", str(tmp_path / "x.jsonl")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and "LABEL_STUDIO_API_KEY" in err[0]
    assert not (tmp_path / "x.jsonl").exists()


def test_config_command_writes_the_file(tmp_path):
    out = tmp_path / "config.xml"
    assert load_script("labelstudio").main(["config", "--choices", "--out", str(out)]) == 0
    assert set(parse_controls(out.read_text(encoding="utf-8")).choices) == set(load_schema().event_labels)


def test_pull_conversion_snaps_and_reports_off_word_spans():
    """An export span that cuts a word is moved to the word's edges and counted; with no snapping it is an error."""
    from train.labelstudio.client import convert_export, has_choices

    text = "وصل حفتر إلى موسكو أمس."
    s = text.index("موسكو")
    task = {"id": 7, "data": {"text": text, "doc_id": "d7"}, "annotations": [{"id": 1, "completed_by": 1, "result": [
        {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": s + 1, "end": s + 5, "text": text[s + 1:s + 5], "labels": ["GPE"]}}]}]}
    docs, report = convert_export([task], load_schema(), "project 3")
    assert [(text[e.start:e.end], e.label) for e in docs[0].entities] == [("موسكو", "GPE")]
    assert report.snapped == 1 and "moved 1 span" in report.summary() and report.summary().startswith("project 3")
    assert not has_choices([task])
    docs, report = convert_export([task], load_schema(), "project 3", snap=False)
    assert not docs and report.errors and str(report.errors[0]).startswith("project 3")


def test_train_every_n_annotations_starts_a_run(tagger_dir, tmp_path):
    """With --train-every 2 the second new annotation starts a run; an empty project is a failed run
    reported on /training, and the backend keeps serving its model."""
    from train.labelstudio.backend import Training

    asked: list[int] = []

    def export(project: int) -> list:
        asked.append(project)
        return []

    training = Training(config=str(tmp_path / "unused.yaml"), runs_dir=tmp_path / "runs", schema=load_schema(),
                        tasks_source=export, every=2)
    backend = Backend(Models(ner=str(tagger_dir), device="cpu"), training)
    app = create_app(backend).test_client()
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 5}, "annotation": {"id": 1}}
    assert app.post("/webhook", json=event).get_json() == {"status": "noted", "new_annotations": 1}
    assert app.post("/webhook", json=event).get_json()["status"] == "started"
    done = backend.wait_training(60)
    assert done["status"] == "failed" and "no annotated tasks" in done["error"] and asked == [5]
    assert app.get("/training").get_json() == {**done, "new_annotations": 0}
    assert app.get("/health").get_json()["model_version"] == backend.models.versions[0]


def test_model_versions_are_short_and_tell_models_apart():
    from train.labelstudio.results import model_version

    a = model_version({"ner": "/very/long/path/" + "x" * 300 + "/runs/a/model", "events": None})
    b = model_version({"ner": "/very/long/path/" + "x" * 300 + "/runs/b/model"})
    assert a != b and len(a) < 80 and a.startswith("arabic-ie:ner=a/model#")
    assert model_version({"ner": "org/camelbert-news-ner"}).startswith("arabic-ie:ner=org/camelbert-news-ner#")


# --------------------------------------------------------------------------- the real backend, as its own process

ARABIC_USER, ARABIC_PASS = "مستخدم", "كلمة-السر"
SERVED_MB, SERVED_CHARS = 8, 20_000


@contextlib.contextmanager
def _real_backend(model: Path, log: Path, *args: str) -> Iterator[str]:
    """``scripts/labelstudio.py serve`` as its own process on a free port of 127.0.0.1 (``--port 0``: the
    port it prints), stopped by its own process id."""
    env = {k: v for k, v in os.environ.items() if k not in ("ML_BASIC_AUTH_USER", "ML_BASIC_AUTH_PASS")}
    cmd = [sys.executable, str(ROOT / "scripts" / "labelstudio.py"), "serve", "--ner", str(model), "--device", "cpu",
           "--port", "0", *args]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env={**env, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 120
        while (m := re.search(r"on http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the backend did not start: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{m.group(1)}"
    finally:
        if proc.poll() is None:
            stop_server(proc)


def _call(url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
          timeout: float = 60) -> tuple[int, dict]:
    """One request on its own connection: the status and the JSON answer."""
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else {}
        except ValueError:  # Werkzeug's own HTML error page
            return resp.status, {"raw": raw.decode("utf-8", "replace")}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(tagger_dir, tmp_path_factory) -> Iterator[str]:
    """The real backend with ASCII credentials and limits of its own (``--max-request-mb``, ``--max-task-chars``)."""
    with _real_backend(tagger_dir, tmp_path_factory.mktemp("served") / "backend.log",
                       "--basic-auth-user", USER, "--basic-auth-pass", PASS,
                       "--max-request-mb", str(SERVED_MB), "--max-task-chars", str(SERVED_CHARS)) as url:
        yield url


@pytest.mark.server
def test_arabic_credentials_work_on_the_real_backend(tagger_dir, tmp_path):
    """Credentials are compared as UTF-8 bytes: an Arabic user name and password let in the right client
    (200), and every wrong pair gets 401, never 500."""
    with _real_backend(tagger_dir, tmp_path / "backend.log",
                       "--basic-auth-user", ARABIC_USER, "--basic-auth-pass", ARABIC_PASS) as url:
        assert _call(url, "GET", "/health", headers=_auth(ARABIC_USER, ARABIC_PASS))[0] == 200
        body = json.dumps({"tasks": [{"id": 1, "data": {"text": _texts()[0]}}],
                           "label_config": label_config(load_schema())}).encode()
        status, answer = _call(url, "POST", "/predict", body, _auth(ARABIC_USER, ARABIC_PASS))
        assert status == 200 and len(answer["results"]) == 1
        for user, password in ((ARABIC_USER, "كلمة"), ("مستخدم2", ARABIC_PASS), (ARABIC_USER, PASS), (USER, PASS)):
            assert _call(url, "GET", "/health", headers=_auth(user, password))[0] == 401, (user, password)
        assert _call(url, "GET", "/health")[0] == 401


@pytest.mark.server
def test_non_ascii_credentials_to_an_ascii_backend_get_401(served):
    for user, password in ((ARABIC_USER, ARABIC_PASS), (USER, ARABIC_PASS), (ARABIC_USER, PASS)):
        assert _call(served, "GET", "/health", headers=_auth(user, password))[0] == 401, (user, password)
    # not base64, not UTF-8 once decoded, no colon: 401 too
    for header in ("Basic ***", "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(), "Basic " + base64.b64encode(b"x").decode()):
        assert _call(served, "GET", "/health", headers={"Authorization": header})[0] == 401, header
    assert _call(served, "GET", "/health", headers=_auth())[0] == 200


def _post_head(url: str, length: int | None) -> socket.socket:
    """A connection that has sent a ``/predict`` request's head only: ``Content-Length: length``, or a chunked
    body when ``length`` is None. The body, if any, is the caller's to send."""
    where = urlsplit(url)
    sock = socket.create_connection((where.hostname, where.port), timeout=60)
    size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    sock.sendall(f"POST /predict HTTP/1.1\r\nHost: {where.netloc}\r\nAuthorization: {_auth()['Authorization']}\r\n"
                 f"Content-Type: application/json\r\n{size}\r\n\r\n".encode())
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict]:
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    return resp.status, json.loads(resp.read())


def _send_in_thread(sock: socket.socket, parts: Iterator[bytes]) -> threading.Thread:
    """Send ``parts`` from another thread, as a client streaming its body does; a server that closes
    the connection ends it."""
    def send() -> None:
        try:
            for part in parts:
                sock.sendall(part)
        except OSError:
            pass

    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


@pytest.mark.server
def test_a_50_mb_body_gets_413_before_it_is_read(served):
    """The size limit is answered from Content-Length, before the body: the first request never sends its
    body, so an answer cannot come from reading it (the issue asks for one within a second; 10 s only
    guards against a hang). The whole 50 MB on the wire, and a chunked body without a length, get 413 too."""
    size = 50 * 2**20
    limit = f"{SERVED_MB * 2**20:,}"
    sock = _post_head(served, size)
    sock.settimeout(10)
    try:
        status, answer = _answer(sock)
    finally:
        sock.close()
    assert status == 413, answer
    assert answer["error"] == f"request body is {size:,} bytes, over the backend's limit of {limit} (--max-request-mb)"

    block = b"x" * 2**20
    sock = _post_head(served, size)
    sender = _send_in_thread(sock, iter([block] * 50))
    try:
        assert _answer(sock)[0] == 413
    finally:
        sender.join(60)
        sock.close()

    sock = _post_head(served, None)
    sender = _send_in_thread(sock, iter([b"%x\r\n%s\r\n" % (len(block), block)] * 50 + [b"0\r\n\r\n"]))
    try:
        status, answer = _answer(sock)
    finally:
        sender.join(60)
        sock.close()
    assert status == 413 and answer["error"] == f"request body is over the backend's limit of {limit} bytes (--max-request-mb)"
    assert _call(served, "GET", "/health", headers=_auth())[0] == 200


@pytest.mark.server
def test_a_task_over_the_text_limit_is_refused_by_name(served):
    config = label_config(load_schema())
    tasks = [{"id": 1, "data": {"text": "زار حفتر موسكو."}}, {"id": 77, "data": {"text": "ا" * (SERVED_CHARS + 1)}}]
    status, answer = _call(served, "POST", "/predict", json.dumps({"tasks": tasks, "label_config": config}).encode(), _auth())
    assert status == 413
    assert answer["error"] == (f"tasks[1] (id 77): data.text is {SERVED_CHARS + 1:,} characters, over the backend's "
                               f"limit of {SERVED_CHARS:,} per task (--max-task-chars)")
    status, answer = _call(served, "POST", "/predict", json.dumps({"tasks": tasks[:1], "label_config": config}).encode(), _auth())
    assert status == 200 and len(answer["results"]) == 1


def _health(url: str) -> dict:
    status, answer = _call(url, "GET", "/health", headers=_auth())
    assert status == 200, answer
    return answer


@pytest.mark.server
def test_a_small_request_is_answered_during_a_large_one(served):
    """A small /predict is answered while a large one's body is still arriving, and while the model works
    through the large one: the large one takes the model a chunk of sentences at a time, in turn with others."""
    config = label_config(load_schema())
    small = json.dumps({"tasks": [{"id": 0, "data": {"text": "زار حفتر موسكو."}}], "label_config": config}).encode()
    text = "زار الوفد موسكو أمس. " * 300  # 300 sentences: a chunk of its own for the model
    large = json.dumps({"tasks": [{"id": k, "data": {"text": text}} for k in range(60)], "label_config": config}).encode()
    assert len(large) < SERVED_MB * 2**20 and len(text) < SERVED_CHARS

    sock = _post_head(served, len(large))
    try:
        sock.sendall(large[: len(large) // 2])
        status, answer = _call(served, "POST", "/predict", small, _auth())
        assert status == 200 and len(answer["results"]) == 1
        sock.sendall(large[len(large) // 2:])
        deadline = time.monotonic() + 60
        while _health(served)["predicting"] < 1:
            assert time.monotonic() < deadline, "the large request never reached the model"
            time.sleep(0.02)
        status, answer = _call(served, "POST", "/predict", small, _auth())
        assert status == 200 and len(answer["results"]) == 1
        # the large one is still with the model: the small one did not wait for it to finish
        assert _health(served)["predicting"] == 1 and not select.select([sock], [], [], 0)[0]
        status, answer = _answer(sock)
        assert status == 200 and len(answer["results"]) == 60
    finally:
        sock.close()
    assert _health(served)["predicting"] == 0


@pytest.mark.parametrize("option, value, message", [
    ("--max-request-mb", "0", "argument --max-request-mb: must be above 0, got 0"),
    ("--max-task-chars", "-5", "argument --max-task-chars: must be above 0, got -5"),
    ("--max-task-chars", "lots", "argument --max-task-chars: expected an integer, got 'lots'"),
])
def test_limits_must_be_above_zero(capsys, option, value, message):
    with pytest.raises(SystemExit) as stop:
        load_script("labelstudio").cli(["serve", "--ner", "models/none", f"{option}={value}"])
    assert stop.value.code == 2 and capsys.readouterr().err.strip().splitlines()[-1].endswith(message)


def test_the_request_limit_is_the_option_given(tagger_dir):
    """``Limits`` is what ``--max-request-mb`` and ``--max-task-chars`` set; a body just over it gets 413."""
    from train.labelstudio.backend import Limits

    app = create_app(Backend(Models(ner=str(tagger_dir), device="cpu"), limits=Limits(request_bytes=1000)), (USER, PASS))
    body = json.dumps({"tasks": [{"data": {"text": "ا" * 300}}], "label_config": label_config(load_schema())})
    resp = app.test_client().post("/predict", data=body, content_type="application/json", headers=_auth())
    assert resp.status_code == 413 and "over the backend's limit of 1,000 (--max-request-mb)" in resp.get_json()["error"]
    assert Limits().request_bytes == 10 * 2**20 and Limits().task_chars == 200_000


@pytest.mark.server
def test_a_lone_surrogate_in_a_task_is_a_400_naming_the_task(served):
    """JSON can spell a lone surrogate (``"\\ud800"``), which is not text: the tokenizer would fail on it
    (a 500). It is refused by task and character; a valid pair (an emoji) is text and is predicted on."""
    config = label_config(load_schema())
    tasks = [{"id": 1, "data": {"text": "زار حفتر موسكو 😀."}}, {"id": 9, "data": {"text": "زار حفتر \ud800 موسكو."}}]
    body = json.dumps({"tasks": tasks, "label_config": config}).encode()
    assert b"\\ud800" in body and b"\\ud83d\\ude00" in body
    status, answer = _call(served, "POST", "/predict", body, _auth())
    assert status == 400
    assert answer["error"] == ("tasks[1] (id 9): data.text holds a lone surrogate U+D800 at character 9, "
                               "which is not text (a UTF-16 pair cut in two?)")
    status, answer = _call(served, "POST", "/predict", json.dumps({"tasks": tasks[:1], "label_config": config}).encode(),
                           _auth())
    assert status == 200 and len(answer["results"]) == 1
