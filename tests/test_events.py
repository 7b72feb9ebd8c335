"""Event models: multi-label metrics, thresholds, the classifier trained on the seed corpus,
its plain-pipeline loading, and leave-one-document-out cross-validation of both event models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEED, train_demo

from train.corpus.schema import load_schema
from train.evaluation.multilabel import multilabel_metrics, render_report
from train.inference.thresholds import NEVER_THRESHOLD, read_thresholds
from train.training.config import EventArguments
from train.training.sentence_classification import (
    positive_weights,
    predict_label_sets,
    tune_thresholds,
)

EVENT_TYPES = load_schema().event_labels
DEMO_EVENTS = ROOT / "configs" / "demo-events.yaml"
DEMO_TRIGGERS = ROOT / "configs" / "demo-triggers.yaml"


# --------------------------------------------------------------------------- metrics


def test_multilabel_metrics_by_hand():
    labels = ["A", "B", "C"]
    gold = [{"A"}, {"A", "B"}, set(), set(), {"C"}]
    pred = [{"A"}, {"A"}, {"B"}, set(), set()]
    m = multilabel_metrics(gold, pred, labels)
    # A: tp 2; B: fn 1, fp 1; C: fn 1  -> micro tp 2, fp 1, fn 2
    assert m["micro"]["precision"] == pytest.approx(2 / 3)
    assert m["micro"]["recall"] == pytest.approx(2 / 4)
    assert m["micro"]["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert m["per_type"]["A"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "predicted": 2}
    assert m["per_type"]["B"]["support"] == 1 and m["per_type"]["B"]["f1"] == 0.0
    assert m["macro"]["f1"] == pytest.approx(1 / 3) and m["macro"]["types"] == labels
    assert m["subset_accuracy"] == pytest.approx(2 / 5)  # sentence 0 and the empty sentence 3
    # any event: gold has events in 0, 1, 4; predictions in 0, 1, 2
    assert m["any_event"]["precision"] == pytest.approx(2 / 3) and m["any_event"]["recall"] == pytest.approx(2 / 3)
    assert m["sentences"] == 5 and m["event_sentences"] == 3
    report = render_report(m, thresholds={"A": 0.5, "B": 0.4, "C": 2.0}, untrained=["C"])
    assert "| A | 1.000 | 1.000 | 1.000 | 2 | 2 | 0.50 |" in report
    assert "never (no training examples)" in report and "subset accuracy" in report
    with pytest.raises(ValueError, match="Z"):
        multilabel_metrics([{"Z"}], [set()], labels)


def test_macro_ignores_types_absent_from_gold_and_predictions():
    m = multilabel_metrics([{"A"}], [{"A"}], ["A", "B"])
    assert m["macro"]["f1"] == 1.0 and m["macro"]["types"] == ["A"]
    assert multilabel_metrics([set()], [set()], ["A"])["subset_accuracy"] == 1.0


def test_thresholds_global_per_type_and_untrained():
    labels = ["A", "B", "C"]
    probs = np.array([[0.9, 0.30, 0.9], [0.8, 0.10, 0.9], [0.2, 0.25, 0.9], [0.1, 0.05, 0.9]])
    gold = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]])
    per = tune_thresholds(probs, gold, labels, "per_type", untrained=["C"])
    assert per["C"] == NEVER_THRESHOLD > 1.0
    assert 0.2 < per["A"] <= 0.8 and 0.1 < per["B"] <= 0.25
    pred = predict_label_sets(probs, labels, per)
    assert pred == [("A", "B"), ("A",), ("B",), ()]
    glob = tune_thresholds(probs, gold, labels, "global", untrained=["C"])
    assert glob["A"] == glob["B"] and glob["C"] == NEVER_THRESHOLD
    assert all("C" not in p for p in predict_label_sets(np.ones((3, 3)), labels, glob))


def test_positive_weights():
    counts = {"A": 10, "B": 1, "C": 0}
    assert positive_weights(counts, 100, "none", 10.0) is None
    assert positive_weights(counts, 100, "balanced", 10.0) == [9.0, 10.0, 1.0]
    w = positive_weights(counts, 100, "sqrt", 20.0)
    assert w[0] == pytest.approx(3.0) and w[1] == pytest.approx(99**0.5) and w[2] == 1.0


def test_event_arguments_reject_bad_values():
    with pytest.raises(ValueError, match="context"):
        EventArguments(context="paragraph")
    with pytest.raises(ValueError, match="threshold_strategy"):
        EventArguments(threshold_strategy="best")
    with pytest.raises(ValueError, match="no_event_ratio"):
        EventArguments(no_event_ratio=-1.0)


def test_config_takes_event_options_and_rejects_bad_ones(tmp_path):
    from train.training.config import ConfigError, parse_config
    from train.training.sentence_classification import event_arguments

    _, data_args, _ = parse_config(DEMO_EVENTS, ["--context", "headline", "--no_event_ratio", "1.5", "--output_dir", str(tmp_path / "o")])
    ea = event_arguments(data_args)
    assert (ea.context, ea.no_event_ratio, ea.pos_weight) == ("headline", 1.5, "balanced")
    with pytest.raises(ConfigError, match="pos_weight"):
        parse_config(DEMO_EVENTS, ["--pos_weight", "heavy", "--output_dir", str(tmp_path / "o")])


# --------------------------------------------------------------------------- training on the seed corpus


@pytest.mark.slow
def test_classifier_learns_the_seed_sentences(trained_events_dir: Path):
    m = json.loads((trained_events_dir / "metrics.json").read_text(encoding="utf-8"))
    dev = m["dev"]
    assert dev["sentences"] == 99
    assert dev["micro"]["f1"] >= 0.9, dev["micro"]
    assert m["run"]["untrained_labels"] == [t for t in EVENT_TYPES if m["run"]["training_counts"][t] == 0]
    report = (trained_events_dir / "eval_report.md").read_text(encoding="utf-8")
    assert "| CONSULT |" in report and "any-event" in report
    assert not Path(str(trained_events_dir) + ".partial").exists()
    assert not list(trained_events_dir.glob("checkpoint-*"))


@pytest.mark.slow
def test_saved_classifier_loads_in_a_plain_pipeline(trained_events_dir: Path, seed_docs):
    from transformers import pipeline

    assert (trained_events_dir / "model.safetensors").is_file()
    assert not list(trained_events_dir.glob("*.bin"))
    clf = pipeline("text-classification", model=str(trained_events_dir), top_k=None)
    config = clf.model.config
    assert list(config.id2label.values()) == EVENT_TYPES
    assert config.problem_type == "multi_label_classification"
    th = config.thresholds
    assert set(th) == set(EVENT_TYPES) and config.threshold_strategy in ("global", "per_type")
    assert th == read_thresholds(config)
    untrained = config.untrained_labels
    assert untrained and all(th[t] > 1.0 for t in untrained)
    assert all(0.0 < th[t] < 1.0 for t in EVENT_TYPES if t not in untrained)

    doc = next(d for d in seed_docs if d.id == "001_489a01e6ae37d6d1")
    sentences = [doc.text[a:b] for a, b in doc.sentences]
    scores = clf(sentences)
    assert len(scores) == len(sentences) and {s["label"] for s in scores[0]} == set(EVENT_TYPES)
    assert all(0.0 <= s["score"] <= 1.0 for row in scores for s in row)
    predicted = [{s["label"] for s in row if s["score"] >= th[s["label"]]} for row in scores]
    assert not any(p & set(untrained) for p in predicted)
    card = (trained_events_dir / "README.md").read_text(encoding="utf-8")
    assert "thresholds" in card and all(f"| {t} |" in card for t in EVENT_TYPES)
    evaluation = card.split("## Evaluation", 1)[1]
    base = json.loads((trained_events_dir / "metrics.json").read_text(encoding="utf-8"))["run"]["base_model"]
    assert f"Figures in `metrics.json` produced by fine-tuning `{base}` (a local folder" in evaluation


# --------------------------------------------------------------------------- cross-validation


def _check_cv(out: Path, figures: tuple[str, ...]) -> dict:
    from train.corpus.document import read_jsonl

    report = (out / "cv_report.md").read_text(encoding="utf-8")
    payload = json.loads((out / "cv_metrics.json").read_text(encoding="utf-8"))
    assert payload["method"] == "leave_one_document_out"
    assert payload["summary"]["folds"] == 5 and len(payload["folds"]) == 5
    held = sorted(i for f in payload["folds"] for i in f["held_out"])
    assert held == sorted(d.id for d in read_jsonl(SEED)[0])
    for t in figures:
        line = next(x for x in report.splitlines() if x.startswith(f"| {t} |"))
        assert "±" in line, line
    assert not Path(str(out) + ".partial").exists()
    # Where the figures come from: the base model in both files (a local folder: no Hub revision).
    assert payload["base_model"] and "base_model_revision" not in payload
    assert f"Figures produced by fine-tuning `{payload['base_model']}` (a local folder" in report
    return payload


@pytest.mark.slow
def test_leave_one_document_out_classifier(tiny_model_dir: Path, tmp_path: Path):
    out = train_demo("demo-events.yaml", tiny_model_dir, tmp_path / "cv-events", "--max_steps", "10",
                     "--final_thresholds", "out_of_fold", cross_validation=True)
    payload = _check_cv(out, ("micro", "macro", "subset_accuracy", "any_event", "CONSULT"))
    s = payload["summary"]
    assert s["micro"]["f1"]["n"] == 5 and s["micro"]["f1"]["std"] >= 0
    assert s["other"]["subset_accuracy"]["n"] == 5
    assert "multi-label sentence classification" in (out / "cv_report.md").read_text(encoding="utf-8")
    # With final_thresholds: out_of_fold the final model's thresholds come from the folds' held-out
    # predictions, not from its own training sentences: tuning on the five folds' scores gives exactly them.
    from train.training.sentence_classification import read_scores, tune_thresholds

    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    labels = metrics["run"]["labels"]
    assert metrics["run"]["thresholds_tuned_on"].startswith("out-of-fold predictions of the 5 cross-validation folds")
    probs, targets = read_scores(sorted(out.glob("fold-*/test_scores.json")), labels)
    assert len(probs) == metrics["run"]["train_sentences"]  # every sentence held out once
    untrained = metrics["run"]["untrained_labels"]
    assert metrics["run"]["thresholds"] == tune_thresholds(probs, targets, labels, "per_type", untrained)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["thresholds"] == pytest.approx(metrics["run"]["thresholds"])


@pytest.mark.slow
def test_final_thresholds_train_tunes_on_the_training_sentences(tiny_model_dir: Path, tmp_path: Path):
    """The default: the final model's own training sentences."""
    out = train_demo("demo-events.yaml", tiny_model_dir, tmp_path / "cv-events", "--max_steps", "4", cross_validation=True)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["run"]["thresholds_tuned_on"] == "train (no dev data given)"


@pytest.mark.slow
def test_leave_one_document_out_trigger_tagger(tiny_model_dir: Path, tmp_path: Path):
    out = train_demo("demo-triggers.yaml", tiny_model_dir, tmp_path / "cv-triggers", "--max_steps", "10", cross_validation=True)
    payload = _check_cv(out, ("micro", "macro"))
    fold = json.loads((out / "fold-0" / "metrics.json").read_text(encoding="utf-8"))
    assert fold["test"]["per_type"] and set(fold["test"]["per_type"]) <= set(EVENT_TYPES), fold["test"]["per_type"]
    assert set(payload["summary"]["per_type"]) <= set(EVENT_TYPES)
