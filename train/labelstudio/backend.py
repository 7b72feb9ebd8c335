"""A Label Studio ML backend serving the project's published models (Flask).

Label Studio (1.x) calls, on the URL given in a project's Model settings:

- ``GET /health``: is the backend up (``{"status": "UP"}``);
- ``POST /setup``: the project's labeling config; answers the ``model_version``;
- ``POST /predict``: ``{"tasks": [...], "label_config": ...}`` → ``{"results": [prediction per task]}``;
- ``POST /webhook``: project events (``START_TRAINING``, ``ANNOTATION_CREATED`` ...), which
  Label Studio sends to ``<url>/webhook`` once the backend is connected;
- ``POST /train``: older Label Studio's training call, with the annotated tasks in the body;
- ``GET /versions``: the model versions this backend has served.

Why not ``label-studio-ml``: the package of that name on PyPI is 1.0.9 (2022), pinned to Flask
1.1 and Werkzeug 2.0, which conflict with everything else here; the maintained backend SDK is
only on GitHub. The protocol is small, so this is a Flask app of its own.

Security: when credentials are given (``--basic-auth-user``/``--basic-auth-pass`` or
``ML_BASIC_AUTH_USER``/``ML_BASIC_AUTH_PASS``), every route needs them. These are what Label
Studio sends when the model connection has "Basic Authentication" turned on; its webhook calls
carry no credentials unless the project's webhook has an ``Authorization`` header (Settings →
Webhooks). The server binds to 127.0.0.1; on any other address it refuses to start without
credentials.

Bounds: a request body over ``--max-request-mb`` (10 MiB) is answered 413 from its Content-Length,
before it is read (a chunked body: once it passes the limit); a task text over ``--max-task-chars``
(200,000 characters) is answered 413 naming the task. Requests are served on threads, each read and
parsed on its own; the model takes one chunk of sentences at a time (:func:`document_chunks`), in the
order requests asked for it, so a large request never keeps a small one waiting until it is done.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from train.atomic import atomic_write_text
from train.corpus.document import write_jsonl
from train.corpus.schema import Schema
from train.formats import labelstudio as ls_format
from train.formats.common import ImportReport
from train.inference.predictor import InputDocument, Predictor, document_chunks
from train.labelstudio.results import (
    ConfigMismatch,
    Controls,
    model_version,
    parse_controls,
    prediction,
    task_text,
)

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
TRAIN_ACTIONS = ("START_TRAINING",)
ANNOTATION_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")


class BackendError(RuntimeError):
    """A backend that cannot start as asked (one line for the command)."""


class TaskRefused(ValueError):
    """A task the backend will not predict on: answered with ``status`` and this one line."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the backend, so that one client cannot take it from the others."""

    request_bytes: int = 10 * 2**20  # --max-request-mb: well above a long article, escaped as JSON
    task_chars: int = 200_000  # --max-task-chars: tens of thousands of words, ten times a long article


class FairLock:
    """A lock handed out in the order it was asked for.

    ``threading.Lock`` lets the thread that releases it take it straight back, so a request that takes
    the model chunk after chunk would still keep a small request waiting until all its chunks were done.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0

    def __enter__(self) -> None:
        with self._cond:
            ticket = self._next
            self._next += 1
            self._cond.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


@dataclass
class Models:
    """The models served: published folders or Hub names, reloaded after training."""

    ner: str | None = None
    events: str | None = None
    triggers: str | None = None
    device: str | None = None
    version: str = ""
    versions: list[str] = field(default_factory=list)

    def load(self) -> Predictor:
        return Predictor.from_pretrained(ner=self.ner, events=self.events, triggers=self.triggers, device=self.device)

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in (("ner", self.ner), ("events", self.events), ("triggers", self.triggers)) if v)

    def version_name(self) -> str:
        return model_version({"ner": self.ner, "events": self.events, "triggers": self.triggers})


@dataclass
class Training:
    """How new annotations become a new NER model: a train config and where runs go.

    ``tasks_source(project_id)`` returns the project's exported tasks (Label Studio JSON); the
    command gives one that exports through the SDK. A run is a separate ``arabic-ie-train``
    process, so a crash or a long run never stops predictions; the new model is served once its
    folder is complete.
    """

    config: str
    runs_dir: Path
    schema: Schema
    tasks_source: Callable[[int], list[Any]] | None = None
    every: int = 0  # train after this many new annotations (0: only on START_TRAINING)
    extra_args: list[str] = field(default_factory=list)


class Backend:
    """The state behind the routes: the loaded predictor, its version, and the training job."""

    def __init__(self, models: Models, training: Training | None = None, limits: Limits | None = None):
        self.models = models
        self.training = training
        self.limits = limits or Limits()
        self.predictor = models.load()
        self.generation = 0
        models.version = models.version or models.version_name()
        models.versions.append(models.version)
        self._predict_lock = FairLock()
        self._count_lock = threading.Lock()
        self.predicting = 0  # /predict requests being worked on (shown on /health)
        self._train_lock = threading.Lock()
        self._train_thread: threading.Thread | None = None
        self.new_annotations = 0
        self.last_training: dict[str, Any] = {"status": "none"}

    # ------------------------------------------------------------------ prediction
    def predict(self, tasks: list[Any], label_config: str) -> list[dict[str, Any]]:
        """One prediction per task. Everything but the model runs outside the lock; the model takes
        the request one chunk at a time, so other requests get their turn between chunks."""
        controls = parse_controls(label_config)
        if not controls.labels and not controls.choices:
            raise ConfigMismatch("label_config: no <Labels> or <Choices> on the text")
        docs = [InputDocument(str(task.get("id", k)), self._task_text(k, task, controls)) for k, task in enumerate(tasks)]
        with self._counted():
            predictor, version = self.predictor, self.models.version  # what an empty request answers
            records: list[dict[str, Any]] = []
            for n, chunk in enumerate(document_chunks(docs, predictor.chunk_sentences)):
                with self._predict_lock:
                    if n == 0:  # every chunk from the same model, even if training swaps it meanwhile
                        predictor, version = self.predictor, self.models.version
                    records += predictor.predict_chunk(chunk)
        return [prediction(rec, controls, version) for rec in records]

    def _task_text(self, k: int, task: Any, controls: Controls) -> str:
        """The task's text, or a one-line refusal naming the task."""
        text = task_text(task, controls) if isinstance(task, Mapping) else None
        if text is None:
            raise ConfigMismatch(f"tasks[{k}].data.{controls.text_key}: missing or not a string")
        if len(text) > self.limits.task_chars:
            raise TaskRefused(f"{_task_name(k, task)}: data.{controls.text_key} is {len(text):,} characters, over the "
                              f"backend's limit of {self.limits.task_chars:,} per task (--max-task-chars)", 413)
        bad = _SURROGATE.search(text)
        if bad is not None:
            raise TaskRefused(f"{_task_name(k, task)}: data.{controls.text_key} holds a lone surrogate "
                              f"U+{ord(bad.group()):04X} at character {bad.start()}, which is not text "
                              "(a UTF-16 pair cut in two?)", 400)
        return text

    @contextmanager
    def _counted(self) -> Iterator[None]:
        with self._count_lock:
            self.predicting += 1
        try:
            yield
        finally:
            with self._count_lock:
                self.predicting -= 1

    # ------------------------------------------------------------------ training
    def on_event(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A webhook event: start training on START_TRAINING, or after ``every`` new annotations."""
        action = str(payload.get("action", ""))
        project = payload.get("project")
        project_id = project.get("id") if isinstance(project, Mapping) else project
        if action in ANNOTATION_ACTIONS:
            self.new_annotations += 1
            if not (self.training and self.training.every and self.new_annotations >= self.training.every):
                return {"status": "noted", "new_annotations": self.new_annotations}
        elif action not in TRAIN_ACTIONS:
            return {"status": "ignored", "action": action}
        if self.training is None:
            return {"status": "training disabled (start the backend with --train-config)"}
        if self.training.tasks_source is None or not isinstance(project_id, int):
            return {"status": "no Label Studio connection to export the project's annotations from"}
        source = self.training.tasks_source
        return self.start_training(lambda: source(project_id))

    def start_training(self, get_tasks: Callable[[], list[Any]]) -> dict[str, Any]:
        with self._train_lock:
            if self._train_thread is not None and self._train_thread.is_alive():
                return {"status": "already training", "job": self.last_training.get("job")}
            self.generation += 1
            job = f"train-{self.generation}-{time.strftime('%Y%m%d-%H%M%S')}"
            self.new_annotations = 0
            self.last_training = {"status": "running", "job": job}
            self._train_thread = threading.Thread(target=self._train, args=(job, get_tasks), daemon=True)
            self._train_thread.start()
        return {"status": "started", "job": job}

    def wait_training(self, timeout: float | None = None) -> dict[str, Any]:
        t = self._train_thread
        if t is not None:
            t.join(timeout)
        return self.last_training

    def _train(self, job: str, get_tasks: Callable[[], list[Any]]) -> None:
        assert self.training is not None
        cfg = self.training
        try:
            tasks = get_tasks()
            run = cfg.runs_dir / job
            run.mkdir(parents=True, exist_ok=True)
            export = run / "labelstudio-export.json"
            atomic_write_text(export, [json.dumps(tasks, ensure_ascii=False)])
            docs, report = ls_format.from_tasks(tasks, ImportReport(str(export), ls_format.NAME), schema=cfg.schema,
                                                snap=True)
            if report.errors:
                raise BackendError("; ".join(str(p) for p in report.errors[:3]))
            if not docs:
                raise BackendError("the project has no annotated tasks to train on")
            corpus = run / "train.jsonl"
            write_jsonl(corpus, docs, cfg.schema)
            out = run / "model"
            cmd = [sys.executable, "-m", "train.commands.train", cfg.config, "--train_file", str(corpus),
                   *_validation_args(cfg.config, corpus), "--output_dir", str(out), "--overwrite_output", "true",
                   *cfg.extra_args]
            done = subprocess.run(cmd, capture_output=True, text=True)
            (run / "train.log").write_text(done.stdout + done.stderr, encoding="utf-8")
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                raise BackendError(f"training failed (exit {done.returncode}): {tail}")
            fresh = Models(ner=str(out), events=self.models.events, triggers=self.models.triggers, device=self.models.device)
            predictor = fresh.load()
            with self._predict_lock:
                self.predictor = predictor
                self.models.ner = str(out)
                self.models.version = self.models.version_name()
                self.models.versions.append(self.models.version)
            self.last_training = {"status": "done", "job": job, "documents": len(docs), "snapped": report.snapped,
                                  "model": str(out), "model_version": self.models.version}
        except Exception as exc:  # reported through /training and the log; the server keeps serving
            log.exception("training %s failed", job)
            self.last_training = {"status": "failed", "job": job, "error": str(exc)}


# JSON may spell any code unit (``"\ud800"``); a valid pair is decoded to one character, so what is left
# in this range is a lone surrogate, which no encoder or tokenizer takes.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _task_name(k: int, task: Mapping[str, Any]) -> str:
    """``tasks[3] (id 17)``: where the task is in the request, and Label Studio's id when it has one."""
    return f"tasks[{k}] (id {task['id']})" if task.get("id") is not None else f"tasks[{k}]"


def _validation_args(config: str, corpus: Path) -> list[str]:
    """A config with cross-validation keeps it; any other selects its epoch on the annotations themselves
    (the config's own dev file belongs to another corpus)."""
    try:
        raw = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        raw = {}  # the training program reports the config's own problems
    if isinstance(raw, dict) and raw.get("cross_validation"):
        return []
    return ["--validation_file", str(corpus)]


def _utf8(value: str) -> bytes:
    """A credential as the bytes a client sends (RFC 7617: UTF-8). ``surrogateescape`` keeps an option
    that was not valid UTF-8 on the command line as its original bytes, so it cannot raise here."""
    return value.encode("utf-8", "surrogateescape")


def _authorised(header: str | None, user: str, password: str) -> bool:
    """Whether ``header`` carries ``user:password``, compared as UTF-8 bytes in constant time.

    ``hmac.compare_digest`` refuses ``str`` with non-ASCII characters, so comparing strings turned an
    Arabic user name, or any non-ASCII credentials a client sent, into a 500; bytes compare whatever
    they hold, and anything that is not valid Basic credentials is simply not authorised."""
    if not header or not header.startswith("Basic "):
        return False
    try:
        got_user, sep, got_pass = base64.b64decode(header[6:].strip()).partition(b":")
    except ValueError:  # binascii.Error, and non-ASCII characters in the header
        return False
    ok_user = hmac.compare_digest(got_user, _utf8(user))
    ok_pass = hmac.compare_digest(got_pass, _utf8(password))
    return bool(sep) and ok_user and ok_pass


def create_app(backend: Backend, basic_auth: tuple[str, str] | None = None) -> Flask:
    """The Flask app: Label Studio's routes over ``backend``, behind basic auth when given."""
    app = Flask("arabic-ie-labelstudio")
    limit = backend.limits.request_bytes

    @app.before_request
    def _check_size() -> Response | None:
        """Refuse a body over the limit from its Content-Length, before reading any of it."""
        size = request.content_length
        if size is not None and size > limit:
            return _error(f"request body is {size:,} bytes, over the backend's limit of {limit:,} (--max-request-mb)", 413)
        return None

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_: RequestEntityTooLarge) -> Response:
        return _error(f"request body is over the backend's limit of {limit:,} bytes (--max-request-mb)", 413)

    @app.before_request
    def _check_auth() -> Response | None:
        if basic_auth and not _authorised(request.headers.get("Authorization"), *basic_auth):
            resp = jsonify({"error": "authentication required"})
            resp.status_code = 401
            resp.headers["WWW-Authenticate"] = 'Basic realm="arabic-ie", charset="UTF-8"'
            return resp
        return None

    def body() -> dict[str, Any]:
        """The JSON object posted, else ``{}``. Read here, not by ``get_json``: Werkzeug's own limit cuts a
        chunked body short at the limit without a word, which would parse as some other error."""
        if not request.is_json:
            return {}
        try:
            data = json.loads(_read_at_most(request.stream, limit))
        except ValueError:  # not JSON, or not UTF-8
            return {}
        return data if isinstance(data, dict) else {}

    @app.get("/")
    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "UP", "model_class": "ArabicNewsIE", "model_version": backend.models.version,
                        "predicting": backend.predicting})

    @app.post("/setup")
    def setup() -> Response:
        data = body()
        if isinstance(data.get("schema"), str):
            try:
                parse_controls(data["schema"])
            except ConfigMismatch as exc:
                return _error(str(exc), 400)
        return jsonify({"model_version": backend.models.version})

    @app.post("/predict")
    def predict() -> Response:
        data = body()
        tasks = data.get("tasks")
        if not isinstance(tasks, list):
            return _error("tasks: missing or not a list", 400)
        if not isinstance(data.get("label_config"), str):
            return _error("label_config: missing", 400)
        try:
            results = backend.predict(tasks, data["label_config"])
        except ConfigMismatch as exc:
            return _error(str(exc), 400)
        except TaskRefused as exc:
            return _error(str(exc), exc.status)
        return jsonify({"results": results, "model_version": backend.models.version})

    @app.post("/webhook")
    def webhook() -> tuple[Response, int]:
        return jsonify(backend.on_event(body())), 201

    @app.post("/train")
    def train() -> tuple[Response, int]:
        data = body()
        tasks = data.get("annotations")
        if backend.training is None:
            return jsonify({"status": "training disabled (start the backend with --train-config)"}), 201
        if not isinstance(tasks, list):
            return _error("annotations: missing or not a list", 400), 400
        return jsonify(backend.start_training(lambda: tasks)), 201

    @app.get("/training")
    def training() -> Response:
        return jsonify({**backend.last_training, "new_annotations": backend.new_annotations})

    @app.route("/versions", methods=["GET", "POST"])
    def versions() -> Response:
        return jsonify({"versions": list(backend.models.versions), "model_version": backend.models.version})

    return app


def _read_at_most(stream: Any, limit: int) -> bytes:
    """The whole body, or :class:`RequestEntityTooLarge` as soon as it passes ``limit`` bytes (a chunked
    body has no Content-Length to refuse it by), so no more than ``limit`` bytes are ever held."""
    buf = bytearray()
    while part := stream.read(min(1 << 16, limit + 1 - len(buf))):
        buf += part
        if len(buf) > limit:
            raise RequestEntityTooLarge()
    return bytes(buf)


def _error(message: str, status: int) -> Response:
    resp = jsonify({"error": message})
    resp.status_code = status
    return resp


def check_binding(host: str, basic_auth: tuple[str, str] | None, allow_unauthenticated: bool) -> None:
    """Refuse to expose an unauthenticated backend beyond this machine."""
    if host not in LOOPBACK and basic_auth is None and not allow_unauthenticated:
        raise BackendError(f"--host {host} exposes the backend beyond this machine: give --basic-auth-user and "
                           "--basic-auth-pass (Label Studio: Model → Basic Authentication), or --allow-unauthenticated")


def credentials(user: str | None, password: str | None) -> tuple[str, str] | None:
    """Basic-auth credentials from the options, else ``ML_BASIC_AUTH_USER``/``ML_BASIC_AUTH_PASS``."""
    user = user or os.environ.get("ML_BASIC_AUTH_USER")
    password = password or os.environ.get("ML_BASIC_AUTH_PASS")
    if bool(user) != bool(password):
        raise BackendError("basic authentication needs both a user and a password")
    return (user, password) if user and password else None
