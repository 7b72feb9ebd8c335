"""Shared fixtures: paths, the seed corpus, and a tiny local BERT built once per session.

``tiny_model_dir`` is a random-init BERT (2 layers, hidden 128) whose WordPiece vocabulary is
trained on data/seed.jsonl with the project's normaliser (scripts/make_tiny_model.py); any
test that needs a base model offline can use it. ``trained_ner_dir`` is that model fine-tuned
for NER on the seed corpus (configs/demo-ner.yaml), also built once, only when asked for.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
SHARED_DATA = Path(os.environ.get("ARABIC_IE_SHARED_DATA", ROOT.parent / "shared" / "data"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


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
    """Import ``scripts/<name>.py`` as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_script_{name}", ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def seed_docs():
    from train.corpus import read_jsonl

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
    from train.tokenization import load_tokenizer

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

    from train.tokenization import train_wordpiece

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
