"""publish.py: clean folders that load with plain pipelines, cards whose figures match metrics.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import load_script

from train.publishing.model_card import headline_metrics, lookup, read_front_matter

ROOT = Path(__file__).resolve().parent.parent




@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Run folders as scripts/train.py leaves them: model, tokenizer, metrics and clutter."""
    from test_predict import build_tiny_models

    base = tmp_path_factory.mktemp("runs")
    models = build_tiny_models(base / "models")
    out = {}
    ner_metrics = {
        "seqeval_mode": "strict", "seqeval_scheme": "IOB2", "task": "ner", "base_model": "models/demo/base",
        "train_documents": 5,
        "dev": {"micro": {"precision": 0.9123, "recall": 0.8765, "f1": 0.8941, "support": 332},
                "macro": {"precision": 0.71, "recall": 0.65, "f1": 0.6789, "support": 332},
                "per_type": {"PERS": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 58}},
                "confusion": {"PERS": {"PERS": 29}}},
    }
    ev_metrics = {"micro_f1": 0.93, "macro_f1": 0.61, "subset_accuracy": 0.8, "any_event_f1": 0.97,
                  "per_type": {"CONSULT": {"precision": 1.0, "recall": 0.9, "f1": 0.947, "support": 20}}}
    cv = {"micro": {"f1": {"mean": 0.41, "std": 0.12, "n": 5}}}
    for name, metrics in (("ner", ner_metrics), ("events", ev_metrics), ("triggers", ner_metrics)):
        run = base / "runs" / name
        shutil.copytree(models[name], run)
        (run / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
        (run / "eval_report.md").write_text("# report\n", encoding="utf-8")
        (run / "training_args.bin").write_bytes(b"pickle")
        (run / "checkpoint-3").mkdir()
        (run / "checkpoint-3" / "model.safetensors").write_bytes(b"x")
        out[name] = run
    (out["ner"] / "cv_metrics.json").write_text(json.dumps(cv), encoding="utf-8")
    return out


def check_published(folder: Path, run: Path) -> dict:
    """Loads with a plain pipeline; the card parses; its model-index equals the run's figures."""
    from transformers import pipeline

    names = {p.name for p in folder.iterdir()}
    assert {"README.md", "config.json", "model.safetensors", "tokenizer.json"} <= names
    assert not any(n.endswith(".bin") or n.startswith("checkpoint") or n.startswith(".") for n in names)
    card = (folder / "README.md").read_text(encoding="utf-8")
    front = read_front_matter(card)
    for key in ("language", "license", "base_model", "pipeline_tag", "tags", "datasets", "metrics", "model-index"):
        assert front.get(key), key
    assert front["language"] == ["ar"]
    sources = {"metrics.json": json.loads((run / "metrics.json").read_text(encoding="utf-8"))}
    if (run / "cv_metrics.json").is_file():
        sources["cv_metrics.json"] = json.loads((run / "cv_metrics.json").read_text(encoding="utf-8"))
    got = {}
    for result in front["model-index"][0]["results"]:
        for m in result["metrics"]:
            source, path = m["name"].split(":", 1)
            assert m["value"] == lookup(sources[source], path), m
            got[m["name"]] = m["value"]
    want = {f"{s}:{p}": v for s, metrics in sources.items() for p, v in headline_metrics(metrics)}
    assert got == want and got
    task = front["pipeline_tag"]
    kwargs = {"aggregation_strategy": "first"} if task == "token-classification" else {"top_k": None}
    pipe = pipeline(task, model=str(folder), **kwargs)
    pipe("وصل قائد الجيش الليبي خليفة حفتر إلى موسكو.")
    return front


def test_publish_three_models(runs, tmp_path):
    cli = load_script("publish")
    for name, run in runs.items():
        out = tmp_path / "models" / name
        assert cli.main([str(run), "--out", str(out), "--train-file", str(ROOT / "data" / "seed.jsonl")]) == 0
        front = check_published(out, run)
        card = (out / "README.md").read_text(encoding="utf-8")
        assert "## Labels" in card and "## Limitations" in card and "five" in card and "```python" in card
        if name == "events":
            assert front["pipeline_tag"] == "text-classification"
            assert "## Decision thresholds" in card and "| CONSULT | 0.500 |" in card
            assert "| CONSULT | 100.0 | 90.0 | 94.7 | 20 |" in card
        else:
            assert "| PERS | A person's name" in card or "| CONSULT |" in card
        if name == "ner":
            assert "41.0 ± 12.0" in card  # cross-validated mean ± std
            assert "| PERS | 58 |" in card  # training data statistics
    # publishing again replaces the folder as a whole
    assert cli.main([str(runs["ner"]), "--out", str(tmp_path / "models" / "ner")]) == 0
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["events", "ner", "triggers"]


def test_publish_ships_fp32_and_int8_graphs_that_onnxruntime_runs(runs, tmp_path):
    """onnx/model.onnx and onnx/model_quantized.onnx, where Optimum and transformers.js look; the card says
    how to load them and how often int8 agrees with fp32, measured at export; --no-onnx leaves them out."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    cli = load_script("publish")
    for name in ("ner", "events"):
        out = tmp_path / name
        assert cli.main([str(runs[name]), "--out", str(out)]) == 0
        assert (out / "onnx" / "model.onnx").is_file() and (out / "onnx" / "model_quantized.onnx").is_file()
        card = (out / "README.md").read_text(encoding="utf-8")
        assert "## ONNX" in card and 'subfolder="onnx", file_name="model_quantized.onnx"' in card
        share = float(card.split("The int8 graph agrees with fp32 on ")[1].split("%")[0])
        assert 50.0 <= share <= 100.0 and "sentences of `seed.jsonl`, measured at export" in card
    tok = AutoTokenizer.from_pretrained(str(tmp_path / "ner"))
    feats = tok(["وصل قائد الجيش الليبي خليفة حفتر إلى موسكو."], return_tensors="np")
    feeds = {k: v.astype(np.int64) for k, v in feats.items()}
    feeds.setdefault("token_type_ids", np.zeros_like(feeds["input_ids"]))
    model = AutoModelForTokenClassification.from_pretrained(str(tmp_path / "ner")).eval()
    with torch.inference_mode():
        ref = model(**{k: torch.as_tensor(v) for k, v in feeds.items() if k != "token_type_ids"}).logits.numpy()
    for graph in ("model.onnx", "model_quantized.onnx"):
        sess = ort.InferenceSession(str(tmp_path / "ner" / "onnx" / graph), providers=["CPUExecutionProvider"])
        got = sess.run(["logits"], {i.name: feeds[i.name] for i in sess.get_inputs()})[0]
        assert got.shape == ref.shape
        if graph == "model.onnx":
            assert np.abs(got - ref).max() < 1e-3
    assert cli.main([str(runs["ner"]), "--out", str(tmp_path / "plain"), "--no-onnx"]) == 0
    assert not (tmp_path / "plain" / "onnx").exists() and "## ONNX" not in (tmp_path / "plain" / "README.md").read_text(encoding="utf-8")


def test_int8_agreement_sentences_skip_lines_that_are_not_records(tmp_path):
    """The corpus only lends sentences to the int8 measurement: a bad line is left out, never an error."""
    from train.commands.publish import agreement_texts

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(b"\xef\xbb\xbf" + b"\n".join([
        json.dumps({"id": "a", "text": "وصل حفتر. التقى شويغو."}, ensure_ascii=False).encode("utf-8"),
        b"{not json", b"[1, 2]", b'{"id": "b", "text": 7}', b"\xff not utf-8", b"", b'{"id": "c"}',
        json.dumps({"id": "d", "text": "عاد إلى بنغازي."}, ensure_ascii=False).encode("utf-8")]) + b"\n")
    assert agreement_texts(str(corpus)) == ["وصل حفتر.", "التقى شويغو.", "عاد إلى بنغازي."]
    assert agreement_texts(str(corpus), limit=2) == ["وصل حفتر.", "التقى شويغو."]
    corpus.write_bytes(b"{not json\n")
    assert agreement_texts(str(corpus)) == ["وصل قائد الجيش الليبي خليفة حفتر إلى موسكو يوم الثلاثاء."]


def test_push_without_token_writes_nothing(runs, tmp_path, monkeypatch, capsys):
    cli = load_script("publish")
    monkeypatch.setattr(cli, "hub_token", lambda: None)
    out = tmp_path / "pushed"
    rc = cli.main([str(runs["ner"]), "--out", str(out), "--push", "someone/model"])
    assert rc != 0 and "token" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_bad_run_dir_writes_nothing(runs, tmp_path, capsys):
    cli = load_script("publish")
    bad = tmp_path / "bad"
    shutil.copytree(runs["ner"], bad)
    (bad / "model.safetensors").unlink()
    out = tmp_path / "out"
    assert cli.main([str(bad), "--out", str(out)]) == 1
    assert "safetensors" in capsys.readouterr().err
    assert not out.exists() and not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_a_set_publishes_every_member_or_none(runs, tmp_path, capsys):
    """A set folder (ner, events, triggers) goes to OUT/<task> with cards that link the others; a member
    without metrics.json stops the set before any folder is written."""
    cli = load_script("publish")
    out = tmp_path / "set"
    assert cli.main([str(runs["ner"].parent), "--out", str(out), "--no-onnx"]) == 0
    err = capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["events", "ner", "triggers"]
    for name, run in runs.items():
        assert f"publish.py: {run} -> {out / name}" in err
        check_published(out / name, run)
    assert f"predict.py --models {out} article.txt" in err
    bad = tmp_path / "bad"
    shutil.copytree(runs["ner"].parent, bad)
    (bad / "triggers" / "metrics.json").unlink()
    capsys.readouterr()  # the pipelines' loading bars
    assert cli.main([str(bad), "--out", str(tmp_path / "bad-out"), "--no-onnx"]) == 1
    err = capsys.readouterr().err
    assert f"{bad / 'triggers'}: no metrics.json" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad-out").exists()


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xdist_group(f"trained_{n}_dir"))
                                  for n in ("ner", "events", "triggers")])
def test_demo_runs_publish_to_folders_that_load_plainly(name, request, tmp_path):
    """What `make demo` does, on real training runs: publish each, then check folder and card."""
    cli = load_script("publish")
    run = request.getfixturevalue(f"trained_{name}_dir")
    assert cli.main([str(run), "--out", str(tmp_path / name), "--train-file", str(ROOT / "data" / "seed.jsonl")]) == 0
    front = check_published(tmp_path / name, run)
    assert front["pipeline_tag"] == ("text-classification" if name == "events" else "token-classification")


def test_demo_trigger_tagger_learns(trained_triggers_dir):
    """The trigger tagger (the NER code path over `events`) fits the seed triggers."""
    m = json.loads((trained_triggers_dir / "metrics.json").read_text(encoding="utf-8"))
    assert m["dev"]["micro"]["f1"] >= 0.9
