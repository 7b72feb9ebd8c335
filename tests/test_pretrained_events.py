"""The events recipe learns on a pretrained encoder: ``configs/plover-gsr.yaml`` on ``arabic-bert-tiny-news``.

The tiny random-init models of the other tests cannot generalise, so a recipe that only ever says
"yes" passes with them. This test fine-tunes the small pretrained encoder in ``../shared/models``
(research licence: never copied into the project, so the test skips without it) on part of the
PLOVER GSR's train documents, and scores ASSAULT on the bench's dev documents (the same
document-level split as ``scripts/bench_gsr.py``). The model must beat saying "yes" to every
sentence, the F1 a collapsed model gets, by a wide margin.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_DATA, load_script

TINY_NEWS = Path(os.environ.get("ARABIC_IE_SHARED_MODELS", SHARED_DATA.parent / "models")) / "arabic-bert-tiny-news"
GSR = SHARED_DATA / "PLOVER-Arabic-GSR"
TRAIN_DOCUMENTS = 700  # of the ~2,260 train documents: ~560 judged ASSAULT sentences, ~60 of them yes
MARGIN = 0.20  # F1 points above saying yes to every sentence


@pytest.mark.slow
def test_events_recipe_learns_on_the_small_pretrained_encoder(tmp_path: Path, one_torch_thread):
    if not (TINY_NEWS / "config.json").is_file():
        pytest.skip(f"{TINY_NEWS} is absent (the small pretrained encoder of ../shared/models; research licence, never in the project)")
    if not GSR.is_dir():
        pytest.skip(f"{GSR} is absent (the PLOVER gold standard of ../shared/data)")
    from train.corpus.document import write_jsonl
    from train.corpus.schema import load_schema
    from train.formats.gsr import read as read_gsr

    bench = load_script("bench_gsr")
    docs, report = read_gsr(str(GSR), schema=load_schema())
    assert not report.errors, report.errors[:1]
    train, dev = bench.split_docs(docs, 0.2)
    write_jsonl(tmp_path / "train.jsonl", train[:TRAIN_DOCUMENTS])
    write_jsonl(tmp_path / "dev.jsonl", dev)
    out = tmp_path / "model"
    rc = load_script("train").main([
        str(ROOT / "configs" / "plover-gsr.yaml"), "--model_name_or_path", str(TINY_NEWS), "--model_revision", "main",
        "--train_file", str(tmp_path / "train.jsonl"), "--validation_file", str(tmp_path / "dev.jsonl"),
        "--labels", "[ASSAULT]", "--num_train_epochs", "3", "--max_seq_length", "64",
        "--use_cpu", "true", "--cpu_threads", "1", "--disable_tqdm", "true", "--save_total_limit", "1",
        "--output_dir", str(out),
    ])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["run"]["learning_rate"] == pytest.approx(3e-4)  # learning_rate: auto, hidden size 128
    got = metrics["dev"]["per_type"]["ASSAULT"]
    _, gold = bench.judged_rows(dev, "ASSAULT")
    share = sum(gold) / len(gold)
    say_yes = 2 * share / (1 + share)
    assert got["f1"] >= say_yes + MARGIN, (got, say_yes)
    assert got["recall"] < 1.0 and got["precision"] > 2 * share, got  # not "yes to every sentence"


def test_learning_rate_auto_picks_by_hidden_size():
    from types import SimpleNamespace

    from train.training.config import auto_learning_rate, parse_config, resolve_learning_rate

    assert auto_learning_rate(128) == 3e-4 and auto_learning_rate(512) == 1e-4
    assert auto_learning_rate(768) == 3e-5 and auto_learning_rate(1024) == 2e-5
    _, _, ta = parse_config(ROOT / "configs" / "plover-gsr.yaml", ["--output_dir", "runs/x"])
    assert ta.learning_rate_auto
    resolve_learning_rate(ta, SimpleNamespace(hidden_size=768))  # CAMeLBERT keeps the rate it shipped with
    assert ta.learning_rate == 3e-5
    _, _, fixed = parse_config(ROOT / "configs" / "plover-gsr.yaml", ["--output_dir", "runs/x", "--learning_rate", "5e-5"])
    resolve_learning_rate(fixed, SimpleNamespace(hidden_size=128))  # a number is kept as given
    assert not fixed.learning_rate_auto and fixed.learning_rate == 5e-5


def test_learning_rate_auto_with_a_base_rate_keeps_it_for_base_size_only():
    from types import SimpleNamespace

    import pytest

    from train.training.config import ConfigError, parse_config, resolve_learning_rate

    roles = ROOT / "configs" / "roles.yaml"
    for hidden, want in ((768, 5e-5), (128, 3e-4), (512, 1e-4), (1024, 2e-5)):
        _, _, ta = parse_config(roles, ["--output_dir", "runs/x"])
        assert ta.learning_rate_auto and ta.learning_rate == 5e-5  # before the model is known: the base value
        resolve_learning_rate(ta, SimpleNamespace(hidden_size=hidden))
        assert ta.learning_rate == want, (hidden, ta.learning_rate)
    for bad in ("auto:fast", "auto:-1e-5", "auto:0"):
        with pytest.raises(ConfigError, match="auto:5e-5"):
            parse_config(roles, ["--output_dir", "runs/x", "--learning_rate", bad])
