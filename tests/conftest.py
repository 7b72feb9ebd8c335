"""Shared fixtures: paths, the seed corpus, and a tiny local BERT built once per session.

``tiny_model_dir`` is a random-init BERT (2 layers, hidden 128) whose WordPiece vocabulary is
trained on data/seed.jsonl with the project's normaliser (scripts/make_tiny_model.py); any
test that needs a base model offline can use it. ``trained_ner_dir`` is that model fine-tuned
for NER on the seed corpus (configs/demo-ner.yaml), also built once, only when asked for.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
SHARED_DATA = Path(os.environ.get("ARABIC_IE_SHARED_DATA", ROOT.parent / "shared" / "data"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # One pytest worker per core (make test): each worker, and the trainings it starts, on one thread.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def stop_server(proc, timeout: float = 20) -> None:
    """Stop a server a test started, by its own process id: SIGTERM, then SIGKILL after ``timeout`` s."""
    import signal
    import subprocess

    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def kill_when_written(cmd: list[str], marker: Path, env: dict[str, str], timeout: float = 240):
    """Run ``cmd`` in a process group of its own and SIGKILL the whole group (a launcher and its
    ranks too) once ``marker`` exists, e.g. the file a checkpoint writes last: a dead machine or an
    OOM kill, no clean-up handlers. Returns the finished process."""
    import signal
    import subprocess
    import time

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    deadline = time.time() + timeout
    try:
        while not marker.is_file():
            assert proc.poll() is None, f"the run ended before {marker.name} was written: {proc.stderr.read()[-2000:]}"
            assert time.time() < deadline, f"{marker} not written within {timeout:.0f} s"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()
    return proc


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# pytest imports this file as ``conftest``; a second copy under another name (``tests.conftest``)
# would run the set-up below again and move HF_ENDPOINT under the Hub tests' feet.
if __name__ != "conftest" and "conftest" in sys.modules:
    raise ImportError(f"import the test helpers with `from conftest import ...`, not as {__name__!r}")

# Before huggingface_hub is imported (it reads these once): this process's Hub is the stand-in
# (fixture ``hub``, on HUB_PORT), never the real one, and its HF_HOME is fresh: no user token or cache.
HUB_PORT = _free_port()
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{HUB_PORT}"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="arabic-ie-hf-home-")
atexit.register(shutil.rmtree, os.environ["HF_HOME"], True)
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_UPDATE_CHECK"] = "1"
os.environ.pop("HF_TOKEN", None)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# The tests that use one model trained by a session fixture run in one pytest-xdist worker, so
# each of these trainings happens once per run, not once per worker.
TRAINED_FIXTURES = ("trained_ner_dir", "trained_events_dir", "trained_triggers_dir", "trained_ner")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Marks added before every other implementation runs (pytest-xdist reads the group in its own)."""
    for item in items:
        used = [f for f in TRAINED_FIXTURES if f in getattr(item, "fixturenames", ())]
        if used and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(used[0]))
        if used or item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.slow)  # needs a trained model: not in make test-fast
    return (yield)


# Hypothesis profiles for the fuzzers (issue 14): under Hypothesis' default profile each fuzzer
# runs the few dozen examples it asks for (the suite's time budget); `--hypothesis-profile long`
# or ARABIC_IE_HYPOTHESIS_PROFILE=long runs 10,000 examples per fuzzer.
settings.register_profile("long", max_examples=10_000, deadline=None)
if os.environ.get("ARABIC_IE_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["ARABIC_IE_HYPOTHESIS_PROFILE"])


def fuzz_settings(default_examples: int) -> settings:
    """A fuzzer's settings: ``default_examples`` under the default profile, else the loaded profile's count."""
    n = settings.default.max_examples
    if n == settings.get_profile("default").max_examples:
        n = default_examples
    return settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def load_script(name: str):
    """A fresh copy of the command behind ``scripts/<name>.py`` (:mod:`train.commands.<name>`)."""
    spec = importlib.util.spec_from_file_location(f"_script_{name}", ROOT / "train" / "commands" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models run fastest on one thread, and the test machine is shared (module-wide)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def seed_docs():
    from train.corpus.document import read_jsonl

    docs, _ = read_jsonl(SEED)
    return docs


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny random-init BERT + tokenizer (vocabulary from the seed corpus), built once."""
    mk = load_script("make_tiny_model")
    out = tmp_path_factory.mktemp("tiny") / "base"
    return mk.build(out, mk.corpus_texts([str(SEED)]))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir):
    from train.features.tokenization import load_tokenizer

    return load_tokenizer(tiny_model_dir)


@pytest.fixture(scope="session")
def trained_ner_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model trained for NER on the seed corpus with configs/demo-ner.yaml."""
    return train_demo("demo-ner.yaml", tiny_model_dir, tmp_path_factory.mktemp("ner") / "model")


def train_demo(config: str, base: Path, out: Path, *overrides: str, cross_validation: bool = False) -> Path:
    """Train a demo config on the seed corpus, as `make demo` does (dev = train).

    With ``cross_validation``, leave-one-document-out instead of a dev set; ``overrides`` are
    further ``--key value`` pairs.
    """
    train = load_script("train")
    dev = ["--cross_validation", "leave_one_document_out", "--validation_file", "null"] if cross_validation \
        else ["--validation_file", str(SEED)]
    rc = train.main([str(ROOT / "configs" / config), "--model_name_or_path", str(base), "--train_file", str(SEED),
                     *dev, *overrides, "--output_dir", str(out)])
    assert rc == 0
    return out


@pytest.fixture(scope="session")
def trained_events_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model trained as a sentence event classifier with configs/demo-events.yaml."""
    return train_demo("demo-events.yaml", tiny_model_dir, tmp_path_factory.mktemp("events") / "model")


@pytest.fixture(scope="session")
def trained_triggers_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model trained as an event-trigger tagger with configs/demo-triggers.yaml."""
    return train_demo("demo-triggers.yaml", tiny_model_dir, tmp_path_factory.mktemp("triggers") / "model")


def build_random_tagger(out: Path, tags: list[str], head_scale: float = 1.0) -> Path:
    """A one-layer token-classification model with random weights and the project's tokenizer.

    For tests of loading, offsets and spans that need no training; ``head_scale`` > 1 makes the
    argmax vary from word to word, so B-, I- and O all occur.
    """
    import json

    import torch
    from transformers import BertConfig, BertForTokenClassification

    from train.features.tokenization import train_wordpiece

    texts = [json.loads(line)["text"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    tok = train_wordpiece(texts, vocab_size=800)
    tok.model_max_length = 64
    config = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=tok.pad_token_id,
                        id2label=dict(enumerate(tags)), label2id={t: i for i, t in enumerate(tags)})
    torch.manual_seed(0)
    model = BertForTokenClassification(config)
    if head_scale != 1.0:
        with torch.no_grad():
            model.classifier.weight.mul_(head_scale)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


# --------------------------------------------------------------------------- the Hub stand-in

HUB_TOKEN = "hf_standin_write_token"
CAMELBERT = "CAMeL-Lab/bert-base-arabic-camelbert-msa"
GATED = "standin-org/gated-model"


class HubStandin:
    """The running stand-in (tests/hub_standin.py): its URL, request log and environments."""

    def __init__(self, url: str, log: Path, pid: int, main: Path, pr1: Path):
        self.url, self.log, self.pid, self.main, self.pr1 = url, log, pid, main, pr1

    def requests(self, since: int = 0) -> list[dict]:
        import json

        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.is_file() else []
        return [json.loads(line) for line in lines[since:]]

    def mark(self) -> int:
        return len(self.requests())

    def api(self, path: str):
        """GET a JSON API path of the stand-in (None for an HTTP error)."""
        import json
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:  # noqa: S310 - 127.0.0.1 only
                return json.loads(r.read())
        except urllib.error.HTTPError:
            return None

    def file(self, repo: str, path: str, revision: str = "main") -> bytes:
        import urllib.parse
        import urllib.request

        url = f"{self.url}/{repo}/resolve/{urllib.parse.quote(revision, safe='')}/{path}"
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - 127.0.0.1 only
            return r.read()

    def env(self, hf_home: Path, offline: bool = False, token: str | None = None) -> dict[str, str]:
        """A subprocess environment on the stand-in with its own HF_HOME (no token unless given)."""
        env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_TOKEN", "TRANSFORMERS_OFFLINE")}
        env.update(HF_ENDPOINT=self.url, HF_HOME=str(hf_home), HF_HUB_DISABLE_TELEMETRY="1",
                   HF_HUB_DISABLE_UPDATE_CHECK="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1")
        if offline:
            env["HF_HUB_OFFLINE"] = "1"
        if token:
            env["HF_TOKEN"] = token
        return env


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    """The Hub stand-in on 127.0.0.1, serving a tiny CAMeLBERT-shaped repository under its real name
    (``main``: pickles only; ``refs/pr/1``: plus model.safetensors) and a gated copy; stopped by its pid."""
    import json
    import subprocess
    import time

    from hub_standin import build_camelbert_like

    root = tmp_path_factory.mktemp("hub")
    texts = [json.loads(line)["text"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    main, pr1 = build_camelbert_like(root / "repo", texts)
    ready, log = root / "port", root / "requests.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "hub_standin.py"), "--port", str(HUB_PORT), "--ready", str(ready), "--log", str(log),
         "--token", HUB_TOKEN, "--repo", f"{CAMELBERT}@main={main}", "--repo", f"{CAMELBERT}@refs/pr/1={pr1}",
         "--repo", f"{GATED}@main={pr1}", "--gated", GATED],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.is_file():
            if proc.poll() is not None:
                raise RuntimeError(f"the Hub stand-in exited: {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                raise RuntimeError("the Hub stand-in did not start within 30 s")
            time.sleep(0.05)
        from huggingface_hub import constants

        url = f"http://127.0.0.1:{ready.read_text().strip()}"
        assert constants.ENDPOINT == url, "huggingface_hub was imported before conftest set HF_ENDPOINT"
        yield HubStandin(url, log, proc.pid, main, pr1)
    finally:
        stop_server(proc, 10)
