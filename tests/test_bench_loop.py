"""The simulated annotation loop (train/benchmark/active_loop.py, scripts/bench_loop.py) on a made-up corpus."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import pytest
from conftest import load_script

from train.benchmark.active_loop import conll_sentences, markdown, sentence_text, summarise

PEOPLE = ["خالد", "سمير", "ليلى", "هشام", "منى", "عادل"]
PLACES = ["طرابلس", "القاهرة", "عمان", "بغداد", "تونس", "الرباط"]
VERBS = ["زار", "غادر", "وصل", "ترك"]
FILLER = ["أمس", "اليوم", "صباحا", "مساء", "مجددا"]


def _synthetic_conll(path: Path, n: int, seed: int) -> Path:
    """``n`` made-up sentences "PERSON VERB PLACE FILLER ." with IOB2 tags (no corpus text)."""
    rng = random.Random(seed)
    blocks = []
    for _ in range(n):
        rows = [(rng.choice(PEOPLE), "B-PERS"), (rng.choice(VERBS), "O"), (rng.choice(PLACES), "B-GPE")]
        rows += [(rng.choice(FILLER), "O") for _ in range(rng.randint(0, 3))] + [(".", "O")]
        blocks.append("\n".join(f"{w} {t}" for w, t in rows))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def test_pool_sentences_are_the_files_blocks(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("-DOCSTART- O\n\nأ B-PERS\nب O\n\n\nج B-GPE\n", encoding="utf-8")
    sents = conll_sentences(f)
    assert sents == [["أ B-PERS", "ب O"], ["ج B-GPE"]]
    assert [sentence_text(s) for s in sents] == ["أ ب", "ج"]


def test_summary_and_table_from_figures():
    runs = [{"seed": s, "strategy": st, "rounds": [{"round": 0, "train_sentences": 5, "train_tokens": 50, "test_f1": f0},
                                                 {"round": 1, "train_sentences": 10, "train_tokens": n, "test_f1": f1}]}
            for s, st, f0, f1, n in [(0, "uncertainty", 0.1, 0.4, 1000), (1, "uncertainty", 0.3, 0.6, 2000),
                                     (0, "random", 0.1, 0.2, 90), (1, "random", 0.3, 0.2, 110)]]
    summ = summarise(runs)
    row = next(r for r in summ if r["strategy"] == "uncertainty" and r["round"] == 1)
    assert row["test_f1_mean"] == pytest.approx(0.5) and row["test_f1_sd"] == pytest.approx(0.1414, abs=1e-4)
    md = markdown({"settings": {"seeds": [0, 1], "measure": "entropy", "epochs": 3, "learning_rate": 0.002},
                   "pool_sentences": 30, "summary": summ, "trainings": 6, "total_seconds": 60.0})
    assert "| 1 | 10 | 50.0 ± 14.1 | 1,500 | 20.0 ± 0.0 | 100 |" in md
    assert "| 1 | 40.0 | 60.0 | 20.0 | 20.0 |" in md
    # The header says which base model and which rate (auto: the value it stood for).
    md = markdown({"settings": {"seeds": [0, 1], "measure": "entropy", "epochs": 3, "learning_rate": "auto",
                                "learning_rate_resolved": 3e-4}, "base_model": "/x/arabic-bert-tiny-news",
                   "pool_sentences": 30, "summary": summ, "trainings": 6, "total_seconds": 60.0})
    assert "base model `arabic-bert-tiny-news`;" in md and "learning rate auto (0.0003)," in md


def test_learning_rate_takes_a_number_or_auto():
    cmd = load_script("bench_loop")
    assert cmd._rate("auto") == "auto" and cmd._rate(" AUTO ") == "auto" and cmd._rate("3e-4") == 3e-4
    with pytest.raises(argparse.ArgumentTypeError, match="a number or auto"):
        cmd._rate("fast")


@pytest.mark.slow
def test_two_rounds_on_a_synthetic_corpus(tmp_path, one_torch_thread):
    train = _synthetic_conll(tmp_path / "train.txt", 40, 1)
    val = _synthetic_conll(tmp_path / "val.txt", 8, 2)
    test = _synthetic_conll(tmp_path / "test.txt", 8, 3)
    out = tmp_path / "loop"
    cmd = load_script("bench_loop")
    rc = cmd.main(["--train", str(train), "--val", str(val), "--test", str(test), "--out-dir", str(out),
                   "--rounds", "2", "--start", "6", "--step", "5", "--seeds", "7", "--epochs", "2",
                   "--learning-rate", "auto"])
    assert rc == 0
    result = json.loads((out / "active_loop.json").read_text(encoding="utf-8"))
    from train.training.config import auto_learning_rate

    hidden = json.loads((Path(result["base_model"]) / "config.json").read_text(encoding="utf-8"))["hidden_size"]
    assert result["settings"]["learning_rate_resolved"] == auto_learning_rate(hidden)
    assert f"learning rate auto ({auto_learning_rate(hidden):g})" in (out / "active_loop.md").read_text(encoding="utf-8")
    assert result["pool_sentences"] == 40 and result["trainings"] == 1 + 2 * 2
    assert {(r["seed"], r["strategy"]) for r in result["runs"]} == {(7, "uncertainty"), (7, "random")}
    for run in result["runs"]:
        rounds = run["rounds"]
        assert [r["train_sentences"] for r in rounds] == [6, 11, 16]
        assert [r["pool_before"] for r in rounds[1:]] == [34, 29]  # the pool shrinks by --step each round
        pool = conll_sentences(train)
        assert [r["train_tokens"] for r in rounds] == [sum(len(pool[i]) for r2 in rounds[: k + 1] for i in r2["added"])
                                                       for k in range(3)]
        added = [i for r in rounds for i in r["added"]]
        assert len(added) == len(set(added)) == 16 and all(0 <= i < 40 for i in added)
        for r in rounds:
            assert 0.0 <= r["test_f1"] <= 1.0 and 0.0 <= r["dev_f1"] <= 1.0
            assert Path(r["model"], "config.json").is_file()
        # each round trains on exactly what was chosen so far
        last = Path(rounds[-1]["model"]).parent / "train.txt"
        assert len(conll_sentences(last)) == 16
    runs = {r["strategy"]: r for r in result["runs"]}
    assert runs["uncertainty"]["rounds"][0]["added"] == runs["random"]["rounds"][0]["added"]  # round 0 is shared
    assert runs["uncertainty"]["rounds"][1]["mean_added_score"] is not None
    md = (out / "active_loop.md").read_text(encoding="utf-8")
    assert "| round | train sentences | uncertainty F1 | uncertainty tokens | random F1 | random tokens |" in md
    assert "| 2 | 16 |" in md


def test_a_pool_too_small_is_refused_before_training(tmp_path):
    train = _synthetic_conll(tmp_path / "train.txt", 10, 1)
    cmd = load_script("bench_loop")
    with pytest.raises(ValueError, match="10 sentences, but start \\+ rounds × step = 15"):
        cmd.main(["--train", str(train), "--val", str(train), "--test", str(train), "--out-dir", str(tmp_path / "o"),
                  "--rounds", "1", "--start", "5", "--step", "10"])
    assert not (tmp_path / "o" / "base").exists()
    assert cmd.cli(["--train", str(tmp_path / "none.txt"), "--out-dir", str(tmp_path / "o")]) != 0
