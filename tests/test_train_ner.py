"""Training NER end to end with the tiny model: it learns, saves a plain-pipeline model, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, SEED, load_script, train_demo

from train.corpus.document import read_jsonl
from train.corpus.text import is_word_boundary

DEMO = ROOT / "configs" / "demo-ner.yaml"


def test_tiny_model_learns_the_seed_corpus(trained_ner_dir: Path):
    m = json.loads((trained_ner_dir / "metrics.json").read_text(encoding="utf-8"))
    assert m["seqeval_mode"] == "strict" and m["seqeval_scheme"] == "IOB2"
    assert m["dev"]["micro"]["f1"] >= 0.95, m["dev"]["micro"]
    assert m["dev"]["micro"]["support"] == 332
    assert set(m["dev"]["per_type"]) >= {"PERS", "ORG", "GPE", "OCC", "DATE"}
    report = (trained_ner_dir / "eval_report.md").read_text(encoding="utf-8")
    assert 'mode="strict"' in report and "confusion" in report and "| gold \\ pred |" in report
    # The run finished: no partial folder, no checkpoints, a complete model directory.
    assert not Path(str(trained_ner_dir) + ".partial").exists()
    assert not list(trained_ner_dir.glob("checkpoint-*"))
    for name in ("model.safetensors", "config.json", "tokenizer.json", "logs.csv", "predictions_dev.jsonl"):
        assert (trained_ner_dir / name).is_file(), name
    assert not list(trained_ner_dir.glob("*.bin")), "a pickle in the model directory"
    assert list(trained_ner_dir.glob("runs/*/events.out.tfevents*")), "TensorBoard log missing"
    # Predictions are a valid corpus file with the same documents.
    docs, problems = read_jsonl(trained_ner_dir / "predictions_dev.jsonl")
    assert [d.id for d in docs] == [d.id for d in read_jsonl(SEED)[0]]
    assert sum(len(d.entities) for d in docs) > 300


def test_plain_pipeline_returns_word_boundary_offsets(trained_ner_dir: Path, seed_docs):
    from transformers import pipeline

    config = json.loads((trained_ner_dir / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"]["0"] == "O" and "B-PERS" in config["label2id"]
    ner = pipeline("token-classification", model=str(trained_ner_dir), aggregation_strategy="first", device="cpu")
    found = 0
    for doc in seed_docs:
        for start, end in doc.sentences:
            text = doc.text[start:end]
            for ent in ner(text):
                found += 1
                a, b = ent["start"], ent["end"]
                assert 0 <= a < b <= len(text)
                assert is_word_boundary(text, a) and is_word_boundary(text, b), (doc.id, text[a:b])
    assert found > 250


def test_span_tagger_matches_gold_on_training_docs(trained_ner_dir: Path, seed_docs):
    from train.inference.tagging import SpanTagger

    tagger = SpanTagger.from_pretrained(trained_ner_dir, max_seq_length=24, overlap=6)  # forces windows
    pred = tagger.predict_documents(seed_docs)
    gold = {(d.id, s) for d in seed_docs for s in d.entities}
    got = {(d.id, s) for d, spans in zip(seed_docs, pred) for s in spans}
    assert len(gold & got) / len(gold) > 0.85
    for d, spans in zip(seed_docs, pred):
        for s in spans:
            assert is_word_boundary(d.text, s.start) and is_word_boundary(d.text, s.end)
    texts = tagger.predict_texts([seed_docs[0].text])
    assert texts[0] == pred[0]


@pytest.mark.slow
def test_leave_one_document_out_report(tiny_model_dir: Path, tmp_path: Path):
    out = train_demo("demo-ner.yaml", tiny_model_dir, tmp_path / "cv", "--max_steps", "30", cross_validation=True)
    report = (out / "cv_report.md").read_text(encoding="utf-8")
    payload = json.loads((out / "cv_metrics.json").read_text(encoding="utf-8"))
    assert payload["summary"]["folds"] == 5 and len(payload["folds"]) == 5
    held = sorted(i for f in payload["folds"] for i in f["held_out"])
    assert held == sorted(d.id for d in read_jsonl(SEED)[0])
    assert "leave_one_document_out" in report
    for t in ("micro", "macro", "PERS", "GPE", "ORG"):
        line = next(x for x in report.splitlines() if x.startswith(f"| {t} |"))
        assert line.count("±") == 3, line
    s = payload["summary"]["per_type"]["GPE"]["f1"]
    assert s["n"] == 5 and s["std"] >= 0
    assert not Path(str(out) + ".partial").exists()


def test_missing_base_model_says_how_to_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    train = load_script("train")
    rc = train.main([str(DEMO), "--model_name_or_path", "CAMeL-Lab/no-such-model-here", "--output_dir", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 3 and "make demo" in err and "local" in err
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.partial").exists()
