"""The joint entity-and-trigger tagger's measurement (scripts/bench_joint.py) and the scoring it relies on."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, SEED, load_script

from train.corpus.schema import load_schema
from train.training.token_classification import evaluate_documents, joint_documents, joint_task

GSR_FIXTURE = ROOT / "tests" / "fixtures" / "gsr_spans"


class _StubTagger:
    """predict_documents answers fixed spans: scoring is tested without a model."""

    def __init__(self, tokenizer, answers):
        self.tokenizer, self.answers = tokenizer, answers

    def predict_documents(self, docs):
        return self.answers


def test_joint_scores_each_kind_alone(seed_docs, tiny_tokenizer):
    schema = load_schema()
    task = joint_task(schema.labels("entities"), schema.labels("events"))
    docs = joint_documents(seed_docs[:2])
    assert all(not d.events for d in docs)
    assert sum(len(d.entities) for d in docs) == sum(len(d.entities) + len(d.events) for d in seed_docs[:2])

    perfect, _ = evaluate_documents(_StubTagger(tiny_tokenizer, [d.entities for d in docs]), docs, task)
    assert perfect["metrics"]["micro_entities"]["f1"] == 1.0 and perfect["metrics"]["micro_events"]["f1"] == 1.0

    # The triggers left out: entities stay perfect, triggers score 0, and the pooled micro F1 is between.
    ents = set(schema.labels("entities"))
    only_entities = [[s for s in d.entities if s.label in ents] for d in docs]
    res, _ = evaluate_documents(_StubTagger(tiny_tokenizer, only_entities), docs, task)
    m = res["metrics"]
    assert m["micro_entities"]["f1"] == 1.0
    assert m["micro_events"]["f1"] == 0.0 and m["micro_events"]["recall"] == 0.0
    assert 0.0 < m["micro"]["f1"] < 1.0


def test_joint_task_refuses_a_type_name_in_both_lists():
    with pytest.raises(ValueError, match="EVENT"):
        joint_task(["PERS", "EVENT"], ["EVENT", "ASSAULT"])


def test_bench_joint_runs_one_fold_on_a_tiny_model(seed_docs, tiny_model_dir, tmp_path, one_torch_thread, capsys):
    mod = load_script("bench_joint")
    out = tmp_path / "bench"
    rc = mod.main(["--base-model", str(tiny_model_dir), "--train-file", str(SEED), "--gsr", str(GSR_FIXTURE),
                   "--epochs", "1", "--max-folds", "1", "--out", str(out), "--json", str(tmp_path / "r.json")])
    assert rc == 0
    r = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert set(r["summary"]) == {"seed", "seed+gsr"}
    assert r["gsr"]["documents"] > 0 and r["gsr"]["triggers"] > 0 and r["gsr"]["entities"] == 0
    assert r["recipe"]["learning_rate"] == pytest.approx(3e-4)  # learning_rate auto for a hidden-128 encoder
    by = {(x["fold_set"], x["model"]): x for x in r["runs"]}
    assert len(by) == 4
    assert by[("seed+gsr", "joint")]["train_documents"] == 4 + r["gsr"]["documents"]
    assert by[("seed", "joint")]["train_documents"] == 4
    # One label set over both kinds in the joint model; the separate taggers keep their own.
    fold = out / "seed-42" / "fold-0"
    joint_labels = set(json.loads((fold / "joint-seed-gsr" / "config.json").read_text(encoding="utf-8"))["id2label"].values())
    ner_labels = set(json.loads((fold / "ner" / "config.json").read_text(encoding="utf-8"))["id2label"].values())
    assert {"B-PERS", "B-ASSAULT", "I-CONSULT"} <= joint_labels and "B-ASSAULT" not in ner_labels
    assert not list(out.glob("**/model.safetensors"))  # weights removed unless --keep-models
    # The joint run's figures are its own predictions of each kind, as written beside the model.
    lines = (fold / "joint-seed-gsr" / "predictions_test.jsonl").read_text(encoding="utf-8").splitlines()
    ents = set(load_schema().labels("entities"))
    pred = {(s["start"], s["end"], s["label"]) for line in lines if line.strip()
            for s in json.loads(line)["entities"] if s["label"] in ents}
    gold = {(s.start, s.end, s.label) for s in seed_docs[0].entities}
    p = by[("seed+gsr", "joint")]["entity"]["precision"]
    assert p == pytest.approx(len(pred & gold) / len(pred) if pred else 0.0)
    table = capsys.readouterr().out
    assert "| seed+gsr | joint − separate, paired |" in table


def test_bench_joint_without_the_base_model_says_where_it_looked(tmp_path, capsys):
    mod = load_script("bench_joint")
    assert mod.main(["--base-model", str(tmp_path / "absent"), "--no-gsr"]) == 2
    err = capsys.readouterr().err
    assert f"--base-model {tmp_path / 'absent'}: no config.json there" in err
