"""How unsure the models are of a document: which documents to annotate next (active learning).

Every model of a :class:`~train.inference.predictor.Predictor` gives a number in [0, 1] per unit:

* the token taggers (``ner``, ``triggers``), per word, from the word's tag distribution
  (:meth:`~train.inference.tagging.SpanTagger.word_probabilities`, the numbers decoding reads):
  ``entropy``, its entropy divided by ``log(number of tags)``; ``margin``, ``1 − (top1 − top2)``;
* the sentence event classifier, per sentence: ``1 − min over labels of |p − thr| / max(thr, 1 − thr)``,
  1 when some label sits on its decision threshold, 0 when every label is as far from it as it can be.
  Its outputs are independent yes/no decisions, so the threshold, not 0.5 or a distribution, is
  where it is unsure; both measures read it this way.

A document's score per model is the mean of its ``TOP_K`` highest units (all of them when it has
fewer): the plain mean would let the many sure ``O`` words of a long document drown the few words
it is unsure of, and would rank a long document by its average rather than by what an annotator
would have to fix; the single maximum is one stray word's noise. The price: a longer document
has more words to draw its top ``TOP_K`` from, so it tends to rank higher and costs more to
annotate (the loop benchmark, docs/benchmarks.md, counts tokens for that). With several models the
document's score is the mean of theirs, so each task counts alike. Documents are cut into
sentences by the project's splitter, in the chunks :meth:`Predictor.predict` uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from train.inference.predictor import (
    InputDocument,
    Predictor,
    SentenceClassifier,
    TokenTagger,
    document_chunks,
)

MEASURES = ("entropy", "margin")
STRATEGIES = ("uncertainty", "random")
TOP_K = 5  # words (or sentences) whose uncertainty stands for the document


def word_uncertainty(probs: np.ndarray, measure: str = "entropy") -> np.ndarray:
    """Per word (rows of ``probs``, distributions over tags), uncertainty in [0, 1]."""
    _check(measure, MEASURES, "measure")
    if probs.shape[0] == 0:
        return np.zeros(0)
    p = probs.astype(np.float64)
    if measure == "entropy":
        if p.shape[1] < 2:
            return np.zeros(len(p))
        h = -(p * np.log(np.maximum(p, 1e-12))).sum(axis=1)
        return np.clip(h / np.log(p.shape[1]), 0.0, 1.0)
    top = np.sort(p, axis=1)[:, ::-1]
    second = top[:, 1] if p.shape[1] > 1 else 0.0
    return np.clip(1.0 - (top[:, 0] - second), 0.0, 1.0)


def threshold_closeness(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Per sentence (rows of ``probs``, one column per label), 1 − the smallest scaled distance to a threshold."""
    if probs.shape[0] == 0 or probs.shape[1] == 0:
        return np.zeros(probs.shape[0])
    thr = np.asarray(thresholds, dtype=np.float64)
    dist = np.abs(probs.astype(np.float64) - thr) / np.maximum(thr, 1.0 - thr)
    return np.clip(1.0 - dist.min(axis=1), 0.0, 1.0)


def top_k_mean(values: np.ndarray, k: int = TOP_K) -> float:
    """Mean of the ``k`` largest values (0.0 for none): the document's score (see the module's docstring)."""
    if len(values) == 0:
        return 0.0
    return float(np.sort(values)[::-1][:k].mean())


def document_uncertainty(predictor: Predictor, docs: Sequence[InputDocument | Mapping[str, Any] | str],
                         measure: str = "entropy") -> list[float]:
    """One score per document, higher = more uncertain.

    ``measure``: ``entropy`` or ``margin`` for the token taggers (the event classifier always reads
    its distance to the thresholds). A document without words scores 0.0: nothing to annotate.
    """
    _check(measure, MEASURES, "measure")
    taggers = [m for m in (predictor.ner, predictor.triggers) if m is not None]
    scores: list[float] = []
    for chunk in document_chunks(docs, predictor.chunk_sentences):
        bounds = [(doc.text, sents) for doc, sents in chunk]
        shared = predictor.shared_encoding(bounds)
        per_model = [_tagger_scores(t, bounds, measure, shared) for t in taggers]
        if predictor.events is not None:
            per_model.append(_classifier_scores(predictor.events, bounds))
        scores += [float(np.mean(col)) for col in zip(*per_model)]
    return scores


def rank_documents(scores: Sequence[float], n: int, strategy: str = "uncertainty", seed: int = 0) -> list[int]:
    """Indices of the n documents to annotate next: most uncertain first, or a seeded random sample (strategy="random").

    Ties keep input order; ``n`` beyond the pool is clamped to its size.
    """
    _check(strategy, STRATEGIES, "strategy")
    if n < 0:
        raise ValueError(f"n: must be >= 0, got {n}")
    s = np.asarray(scores, dtype=np.float64)
    if np.isnan(s).any():
        raise ValueError(f"scores: {int(np.isnan(s).sum())} of {len(s)} are NaN")
    n = min(n, len(s))
    if strategy == "random":
        return [int(i) for i in np.random.default_rng(seed).permutation(len(s))[:n]]
    return [int(i) for i in np.argsort(-s, kind="stable")[:n]]


def _tagger_scores(tagger: TokenTagger, bounds: list[tuple[str, list[tuple[int, int]]]], measure: str,
                   shared: list[Any] | None = None) -> list[float]:
    """Per document of the chunk, the top-k mean of its words' uncertainty (``shared``: the
    chunk already encoded for both taggers, :meth:`Predictor.shared_encoding`)."""
    st = tagger.span_tagger
    sents = shared if shared is not None else st.encode(bounds)
    words: list[list[np.ndarray]] = [[] for _ in bounds]
    for sent, probs in zip(sents, st.word_probabilities(sents)):
        words[sent.doc_index].append(word_uncertainty(probs, measure))
    return [top_k_mean(np.concatenate(w) if w else np.zeros(0)) for w in words]


def _classifier_scores(clf: SentenceClassifier, bounds: list[tuple[str, list[tuple[int, int]]]]) -> list[float]:
    """Per document of the chunk, the top-k mean of its sentences' closeness to the thresholds."""
    texts = [text[a:b] for text, sents in bounds for a, b in sents]
    ctxs = [c for text, sents in bounds for c in clf.contexts(text, sents)]
    thr = clf.thresholds()
    labels = [clf.id2label[j] for j in range(len(clf.id2label))]
    close = threshold_closeness(clf.probabilities(texts, ctxs), [thr[lab] for lab in labels]) if texts else np.zeros(0)
    out: list[float] = []
    k = 0
    for _, sents in bounds:
        out.append(top_k_mean(close[k : k + len(sents)]))
        k += len(sents)
    return out


def _check(value: str, allowed: Iterable[str], what: str) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{what}: {value!r} is not one of {', '.join(allowed)}")
