"""Model uncertainty per document (train/inference/uncertainty.py): what to annotate next."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from train.corpus.sentences import split_sentences
from train.inference.predictor import Predictor, SentenceClassifier, TokenTagger
from train.inference.uncertainty import (
    document_uncertainty,
    rank_documents,
    threshold_closeness,
    top_k_mean,
    word_uncertainty,
)


def _gibberish(seed: int, words: int = 30) -> str:
    """Arabic letters in random words: text the model never saw, in its script."""
    rng = random.Random(seed)
    letters = [chr(c) for c in range(0x0628, 0x063B)]
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 8))) for _ in range(words)) + "."


# --------------------------------------------------------------------------- the measures, on numbers


def test_word_measures_on_known_distributions():
    probs = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.4, 0.0]])
    ent = word_uncertainty(probs, "entropy")
    mar = word_uncertainty(probs, "margin")
    assert ent[0] == pytest.approx(0.0, abs=1e-9) and ent[1] == pytest.approx(1.0)
    assert mar[0] == pytest.approx(0.0) and mar[1] == pytest.approx(1.0) and mar[2] == pytest.approx(0.8)
    assert ent[0] < ent[2] < ent[1]


def test_threshold_closeness_is_one_on_a_threshold_and_zero_at_the_far_end():
    thr = [0.5, 0.2]
    probs = np.array([[0.5, 0.9], [1.0, 1.0], [0.0, 0.2], [0.75, 1.0]])
    got = threshold_closeness(probs, thr)
    assert got[0] == pytest.approx(1.0) and got[2] == pytest.approx(1.0)
    assert got[1] == pytest.approx(0.0)
    assert got[3] == pytest.approx(0.5)  # |0.75 − 0.5| / 0.5 = 0.5, the nearer of the two labels


def test_document_score_is_its_most_uncertain_words_not_the_mean():
    sure_long = np.array([0.9] * 5 + [0.0] * 200)
    assert top_k_mean(sure_long) == pytest.approx(0.9)
    assert top_k_mean(np.array([0.2, 0.4])) == pytest.approx(0.3)
    assert top_k_mean(np.zeros(0)) == 0.0


# --------------------------------------------------------------------------- ranking


def test_rank_most_uncertain_first_and_clamped():
    scores = [0.1, 0.9, 0.5, 0.7]
    assert rank_documents(scores, 2) == [1, 3]
    assert rank_documents(scores, 10) == [1, 3, 2, 0]
    assert rank_documents([], 3) == []


def test_random_rank_is_reproducible_by_seed_and_differs_across_seeds():
    scores = [0.0] * 50
    a = rank_documents(scores, 10, "random", seed=1)
    assert a == rank_documents(scores, 10, "random", seed=1)
    assert a != rank_documents(scores, 10, "random", seed=2)
    assert len(set(a)) == 10 and all(0 <= i < 50 for i in a)
    assert sorted(rank_documents(scores, 99, "random", seed=3)) == list(range(50))


@pytest.mark.parametrize("call, words", [
    (lambda: rank_documents([0.1], 1, strategy="best"), "strategy: 'best' is not one of uncertainty, random"),
    (lambda: rank_documents([0.1], -1), "n: must be >= 0"),
    (lambda: rank_documents([float("nan")], 1), "scores: 1 of 1 are NaN"),
    (lambda: word_uncertainty(np.ones((1, 2)), "variance"), "measure: 'variance' is not one of entropy, margin"),
])
def test_bad_arguments_are_one_clear_line(call, words):
    with pytest.raises(ValueError) as exc:
        call()
    assert words in str(exc.value) and "\n" not in str(exc.value)


# --------------------------------------------------------------------------- with a trained tagger


@pytest.fixture(scope="module")
def ner_predictor(trained_ner_dir, one_torch_thread) -> Predictor:
    return Predictor(ner=TokenTagger(str(trained_ner_dir)))


def test_bad_measure_on_a_predictor(ner_predictor):
    with pytest.raises(ValueError, match="^measure: 'top' is not one of entropy, margin$"):
        document_uncertainty(ner_predictor, ["نص"], measure="top")


def test_seen_documents_score_below_gibberish(ner_predictor, seed_docs):
    seen = [d.text for d in seed_docs[:3]]
    unseen = [_gibberish(k) for k in range(3)]
    for measure in ("entropy", "margin"):
        scores = document_uncertainty(ner_predictor, seen + unseen, measure=measure)
        assert len(scores) == 6 and all(0.0 <= s <= 1.0 for s in scores)
        assert max(scores[:3]) < min(scores[3:]), (measure, scores)
        # what to annotate next: the gibberish, before any document the model learnt
        assert set(rank_documents(scores, 3)) == {3, 4, 5}


def test_margin_and_entropy_agree_on_a_clear_case(ner_predictor, seed_docs):
    docs = [seed_docs[0].text, _gibberish(7)]
    ent = document_uncertainty(ner_predictor, docs, "entropy")
    mar = document_uncertainty(ner_predictor, docs, "margin")
    assert (ent[0] < ent[1]) and (mar[0] < mar[1])


def test_inputs_like_predict_and_empty_documents(ner_predictor, seed_docs):
    text = seed_docs[0].text
    as_str = document_uncertainty(ner_predictor, [text, "", "  \n "])
    as_map = document_uncertainty(ner_predictor, [{"id": "a", "text": text}, {"text": ""}, {"text": "  \n "}])
    assert as_str == as_map
    assert as_str[1] == 0.0 and as_str[2] == 0.0 and as_str[0] > 0.0


def test_a_document_scores_the_same_alone_and_among_others(ner_predictor, seed_docs):
    """Chunks batch documents together; a document's score must not depend on its neighbours (beyond float noise)."""
    texts = [d.text for d in seed_docs[:6]]
    together = document_uncertainty(ner_predictor, texts)
    alone = [document_uncertainty(ner_predictor, [t])[0] for t in texts]
    assert np.allclose(together, alone, atol=1e-5)


# --------------------------------------------------------------------------- the event classifier


def _random_classifier(out: Path, tiny_model_dir: Path, labels: list[str]) -> Path:
    """The tiny base as an untrained multi-label sentence classifier (its thresholds set by the test)."""
    from transformers import AutoTokenizer, BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(
        tiny_model_dir, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)}, problem_type="multi_label_classification")
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


def _set_thresholds(folder: Path, thresholds: dict[str, float]) -> None:
    cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    cfg["thresholds"] = thresholds
    (folder / "config.json").write_text(json.dumps(cfg), encoding="utf-8")


def test_event_classifier_uncertainty_is_closeness_to_its_thresholds(tiny_model_dir, tmp_path, one_torch_thread):
    labels = ["ASSAULT", "PROTEST"]
    folder = _random_classifier(tmp_path / "events", tiny_model_dir, labels)
    text = "وقال الوزير إن الجيش سيرد على الهجوم."  # one sentence
    probs = SentenceClassifier(str(folder)).probabilities([text])[0]
    # a threshold exactly on one label's probability: as unsure as it gets
    _set_thresholds(folder, {"ASSAULT": float(probs[0]), "PROTEST": 0.99})
    assert document_uncertainty(Predictor(events=SentenceClassifier(str(folder))), [text])[0] == pytest.approx(1.0, abs=1e-5)
    # thresholds far from both probabilities: less unsure, by the scaled distance of the nearer label
    _set_thresholds(folder, {"ASSAULT": 0.99, "PROTEST": 0.99})
    want = 1.0 - min(abs(float(p) - 0.99) / 0.99 for p in probs)
    got = document_uncertainty(Predictor(events=SentenceClassifier(str(folder))), [text])[0]
    assert got == pytest.approx(want, abs=1e-5) and got < 1.0 - 1e-3


def test_several_models_average_their_scores(trained_ner_dir, tiny_model_dir, tmp_path, one_torch_thread, seed_docs):
    folder = _random_classifier(tmp_path / "events", tiny_model_dir, ["ASSAULT"])
    ner, events = TokenTagger(str(trained_ner_dir)), SentenceClassifier(str(folder))
    texts = [seed_docs[1].text, _gibberish(3)]
    both = document_uncertainty(Predictor(ner=ner, events=events), texts)
    alone = [document_uncertainty(Predictor(ner=ner), texts), document_uncertainty(Predictor(events=events), texts)]
    assert np.allclose(both, np.mean(alone, axis=0), atol=1e-6)


def test_taggers_that_tokenise_alike_share_one_encoding_and_the_same_scores(ner_predictor, seed_docs):
    """NER and triggers with one tokenizer are encoded once per chunk (as the predictor does), and
    the scores are those each tagger gives on its own."""
    ner = ner_predictor.ner
    both = Predictor(ner=ner, triggers=ner)
    texts = [seed_docs[0].text[:600], _gibberish(5)]
    bounds = [(t, [(s.start, s.end) for s in split_sentences(t)]) for t in texts]
    assert both.shared_encoding(bounds) is not None and ner_predictor.shared_encoding(bounds) is None
    assert np.allclose(document_uncertainty(both, texts), document_uncertainty(ner_predictor, texts), atol=1e-6)
