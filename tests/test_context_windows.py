"""Context that survives to inference, and long sentences read in windows everywhere (issue 16, item 3).

One tiny classifier is trained with ``context: previous`` and a 24-sub-word window, so that most
seed sentences span several windows. Its own evaluation (``metrics.json``, and the function the
run scores with) must agree with ``scripts/predict.py`` on the same sentences.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SEED, load_script, train_demo

from train.corpus.document import read_jsonl
from train.evaluation.multilabel import multilabel_metrics
from train.features.sentence_examples import SentenceExample, build_sentence_examples
from train.features.windows import CONFIG_KEY, sentence_windows
from train.training.sentence_classification import (
    WindowCollator,
    aggregate_windows,
    encode_examples,
    predict_probabilities,
)

WINDOW = 24


@pytest.fixture(scope="module")
def context_model(tiny_model_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ctx") / "model"
    return train_demo("demo-events.yaml", tiny_model_dir, out, "--context", "previous", "--max_seq_length", str(WINDOW),
                      "--window_overlap", "8", "--max_steps", "40")


@pytest.mark.slow
def test_context_model_scores_the_same_through_predict_py(context_model: Path, tmp_path: Path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    cfg = json.loads((context_model / "config.json").read_text(encoding="utf-8"))
    assert cfg[CONFIG_KEY] == {"context": "previous", "max_length": WINDOW, "window_overlap": 8, "aggregation": "max"}
    docs, _ = read_jsonl(SEED)
    labels = [cfg["id2label"][str(k)] for k in range(len(cfg["id2label"]))]
    examples = build_sentence_examples(docs, context="previous", label_order=labels)
    tok = AutoTokenizer.from_pretrained(context_model)
    assert sum(len(f["windows"]) > 1 for f in encode_examples(examples, tok, None, WINDOW, 8)) > 20  # windows matter here
    model = AutoModelForSequenceClassification.from_pretrained(context_model)
    probs = predict_probabilities(model, tok, examples, WINDOW, 16, overlap=8, context_mode="previous")

    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert load_script("predict").main([str(inp), "--events", str(context_model), "--output", str(out), "--no-progress"]) == 0
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    sents = [s for r in records for s in r["sentences"]]
    assert [(s["start"], s["end"]) for s in sents] == [(e.start, e.end) for e in examples]
    predicted = []
    for row, s in zip(probs, sents):
        got = {t["label"]: t["score"] for t in s["event_types"]}
        want = {lab: float(p) for lab, p in zip(labels, row) if p >= cfg["thresholds"][lab]}
        assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1e-4 for k in got)
        predicted.append(tuple(got))
    assert any(predicted)
    # ... and the decisions give exactly the figures of the training run's own evaluation.
    ours = multilabel_metrics([e.labels for e in examples], predicted, labels)
    theirs = json.loads((context_model / "metrics.json").read_text(encoding="utf-8"))["dev"]
    assert ours["micro"] == theirs["micro"] and ours["per_type"] == theirs["per_type"]
    # Unrounded, the predictor's scores are the run's own, and without the context they are not
    # (so the test catches a predictor that drops it).
    from train.inference.predictor import SentenceClassifier

    clf = SentenceClassifier(str(context_model))
    clf.thresholds = lambda: dict.fromkeys(labels, 0.0)  # report every score

    def scores(with_context: bool) -> np.ndarray:
        rows = []
        for d in docs:
            texts = [d.text[a:b] for a, b in d.sentences]
            ctx = clf.contexts(d.text, d.sentences) if with_context else None
            rows += [[{t["label"]: t["score"] for t in r}[lab] for lab in labels] for r in clf.classify(texts, ctx)]
        return np.array(rows)

    assert np.abs(scores(True) - probs).max() < 1e-5
    assert np.abs(scores(False) - probs).max() > 1e-4


@pytest.mark.slow
def test_a_1000_word_sentence_is_scored_over_all_its_windows(context_model: Path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from train.inference.predictor import SentenceClassifier

    words = ["وصل", "الوفد", "إلى", "موسكو", "لإجراء", "محادثات", "حول", "التعاون", "العسكري", "أمس"]
    text = " ".join(words[k % len(words)] for k in range(999)) + " هاجمت"
    tok = AutoTokenizer.from_pretrained(context_model)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > 1000
    windows = sentence_windows(tok, text, "", WINDOW, 8)
    # Every sub-word of the sentence is in some window; the last one ends the last window.
    body = [w["input_ids"][1 : w["input_ids"].index(tok.sep_token_id)] for w in windows]
    assert all(len(w["input_ids"]) <= WINDOW for w in windows)
    assert body[0] == ids[: len(body[0])] and body[-1] == ids[-len(body[-1]):]
    covered = set()
    pos = 0
    for b in body:
        start = next(i for i in range(max(pos - 8, 0), len(ids)) if ids[i : i + len(b)] == b)
        covered.update(range(start, start + len(b)))
        pos = start + len(b)
    assert covered == set(range(len(ids)))

    # Training: the loss sees each type's maximum over all windows of the sentence.
    model = AutoModelForSequenceClassification.from_pretrained(context_model).eval()
    e = SentenceExample("long", 0, 0, len(text), text, (), context="")
    feats = encode_examples([e], tok, None, WINDOW, 8)
    assert len(feats[0]["windows"]) == len(windows)
    batch = WindowCollator(tok)(feats)
    owner = batch.pop("window_owner")
    with torch.no_grad():
        per_window = model(**batch).logits
        sentence = aggregate_windows(per_window, owner, 1)
    assert torch.equal(sentence[0], per_window.max(dim=0).values)
    assert (per_window.argmax(dim=0) > 0).any()  # the maximum does not always come from the first window

    # Prediction: the predictor reads the same windows and takes the same maximum.
    clf = SentenceClassifier(str(context_model), batch_size=64)
    seen: list[int] = []
    run = clf._run
    clf._run = lambda rows: (seen.append(len(rows)), run(rows))[1]  # count the windows it runs
    clf.thresholds = lambda: dict.fromkeys(clf.id2label.values(), 0.0)  # report every score
    scores = {t["label"]: t["score"] for t in clf.classify([text], [""])[0]}
    assert seen == [len(windows)]
    want = torch.sigmoid(sentence[0]).numpy()
    assert all(abs(scores[clf.id2label[j]] - float(want[j])) < 1e-5 for j in range(len(want)))
