"""Token classification at inference: a backend + tokenizer → character spans with scores.

Shared by prediction (:mod:`train.inference.predictor`) and training's evaluation, which
wraps its PyTorch model in :class:`~train.inference.backends.TorchBackend`. Long sentences
go through overlapping word windows, never truncation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.corpus.document import Document, Span
from train.corpus.iob import allowed_transitions, viterbi_iob2
from train.corpus.sentences import split_sentences
from train.corpus.text import snap_to_words
from train.features.alignment import (
    EncodedSentence,
    build_features,
    encode_documents,
    encode_spans_of_text,
    spans_from_tags,
    tags_to_word_spans,
    window_owners,
)
from train.inference.backends import Backend, pad_batch

# How word tags are read from the logits: "viterbi", the most probable valid IOB2 sequence (an
# I-X never follows O or another type); "argmax", each word's own best tag, an orphan I-X then
# read as a new entity. Issue 15: on ANERcorp the orphans were most of the gap in precision to
# run_ner.py's recipe, whose strict scoring drops them.
# The decoding is the model's: training stores it in config.json as ``iob2_decoding``; a model
# without it (trained before issue 15) keeps "argmax", as transformers' pipeline reads it.
DECODINGS = ("viterbi", "argmax")
CONFIG_KEY = "iob2_decoding"


def model_decoding(config: Any) -> str:
    """The decoding a model folder's config asks for (``argmax`` when it says nothing)."""
    d = getattr(config, CONFIG_KEY, None)
    return d if d in DECODINGS else "argmax"


def softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


class SpanTagger:
    """Backend + tokenizer → spans, for documents, sentences or raw texts.

    Windows are sorted by length and batched with padding per batch; each word takes the
    prediction of its first sub-word from the window that owns it (overlaps are split at
    their middle). The logits that choose a word's tag also give its score (their softmax).
    """

    def __init__(self, backend: Backend, tokenizer: Any, max_seq_length: int | None = None, overlap: int = 64,
                 batch_size: int = 32, decoding: str | None = None):
        decoding = decoding or model_decoding(backend.config)
        if decoding not in DECODINGS:
            raise ValueError(f"decoding: {decoding!r} is not one of {', '.join(DECODINGS)}")
        self.decoding = decoding
        self.backend = backend
        self.tokenizer = tokenizer
        id2label = {int(k): v for k, v in backend.config.id2label.items()}
        self.tags = [id2label[i] for i in range(len(id2label))]
        limit = getattr(backend.config, "max_position_embeddings", 512) or 512
        self.max_seq_length = min(max_seq_length or limit, limit)
        self.overlap = overlap
        self.batch_size = batch_size
        self._masks = allowed_transitions(self.tags) if decoding == "viterbi" else None

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu", **kwargs: Any) -> SpanTagger:
        """A PyTorch tagger from a saved model folder (safetensors only, no remote code)."""
        from train.features.tokenization import load_tokenizer
        from train.inference.backends import TorchBackend, load_config, load_model

        config = load_config(str(path))
        backend = TorchBackend(load_model(str(path), "token-classification", config), device)
        return cls(backend, load_tokenizer(path), **kwargs)

    def tag_sentences(self, sents: Sequence[EncodedSentence]) -> list[list[str]]:
        """Word IOB2 tags (as predicted, not repaired) of every sentence."""
        return self.tag_and_score(sents)[0]

    def tag_and_score(self, sents: Sequence[EncodedSentence]) -> tuple[list[list[str]], list[np.ndarray]]:
        """Word IOB2 tags of every sentence, and each word's probability of its tag."""
        word_pred: list[np.ndarray] = []
        word_score: list[np.ndarray] = []
        for probs in self.word_probabilities(sents):
            if self.decoding == "viterbi" and len(probs):
                logp = np.log(np.maximum(probs, 1e-30)).astype(np.float64)
                pred = viterbi_iob2(logp, self.tags, self._masks)
                score = np.exp(logp[np.arange(len(pred)), pred])
            else:
                pred = probs.argmax(axis=-1).astype(np.int64)
                score = probs[np.arange(len(pred)), pred].astype(np.float64)
            word_pred.append(pred)
            word_score.append(score)
        return [[self.tags[k] for k in p] for p in word_pred], word_score

    def word_probabilities(self, sents: Sequence[EncodedSentence]) -> list[np.ndarray]:
        """Each word's distribution over :attr:`tags` (``num_words × len(tags)``, float32), per sentence.

        The softmax of the word's first sub-word in the window that owns it (overlaps split at
        their middle); decoding and uncertainty (:mod:`train.inference.uncertainty`) both read it,
        so they see the same window for every word.
        """
        feats = build_features(sents, self.tokenizer.cls_token_id, self.tokenizer.sep_token_id, self.max_seq_length, self.overlap)
        word_probs = [np.zeros((s.num_words, len(self.tags)), dtype=np.float32) for s in sents]
        by_sent: dict[int, list[tuple[int, int]]] = {}
        for f in feats:
            by_sent.setdefault(f.sentence, []).append((f.word_lo, f.word_hi))
        owners = {s: window_owners(w, sents[s].num_words) for s, w in by_sent.items() if len(w) > 1}
        order = sorted(range(len(feats)), key=lambda i: len(feats[i].input_ids))
        pad = self.tokenizer.pad_token_id or 0
        for idx in self._batches(order, [len(f.input_ids) for f in feats]):
            logits = self.backend(pad_batch([feats[i].input_ids for i in idx], pad))
            for r, i in enumerate(idx):
                f = feats[i]
                s = f.sentence
                probs = softmax(logits[r, f.word_positions])
                own = owners[s][f.word_lo : f.word_hi] == f.window if s in owners else slice(None)
                word_probs[s][f.word_lo : f.word_hi][own] = probs[own]
        return word_probs

    def _batches(self, order: Sequence[int], lengths: Sequence[int], max_waste: float = 0.05) -> Iterator[list[int]]:
        """Consecutive slices of ``order`` (sorted by length) of at most ``batch_size`` windows,
        cut early where padding would exceed ``max_waste`` of the batch: among the few long
        sentences the lengths spread out, and one 104-sub-word window would otherwise pad 31
        windows of 60 (issue 8: padding fell from 17% to 5% of the positions on the news sentences)."""
        b = 0
        while b < len(order):
            n, real = 1, lengths[order[b]]
            while n < self.batch_size and b + n < len(order):
                width = lengths[order[b + n]]
                pads = (n + 1) * width - real - width
                if pads > max(max_waste * (real + width), 32):  # a few pads are cheaper than a batch
                    break
                real += width
                n += 1
            yield list(order[b : b + n])
            b += n

    def predict_documents(self, docs: Sequence[Document]) -> list[list[Span]]:
        """Spans of every document, from its stored sentences (or the project's splitter)."""
        sents = encode_documents(self.tokenizer, docs)
        out: list[list[Span]] = [[] for _ in docs]
        for s, tags in zip(sents, self.tag_sentences(sents)):
            out[s.doc_index] += spans_from_tags(docs[s.doc_index].text, s, tags)
        return out

    def predict_texts(self, texts: Sequence[str], split: bool = True) -> list[list[Span]]:
        """Spans of raw texts (split into sentences by the project's splitter unless ``split`` is off)."""
        sents: list[EncodedSentence] = []
        for i, t in enumerate(texts):
            bounds = [(s.start, s.end) for s in split_sentences(t)] if split else [(0, len(t))]
            sents += encode_spans_of_text(self.tokenizer, t, bounds, doc_index=i)
        out: list[list[Span]] = [[] for _ in texts]
        for s, tags in zip(sents, self.tag_sentences(sents)):
            out[s.doc_index] += spans_from_tags(texts[s.doc_index], s, tags)
        return out

    def encode(self, docs: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> list[EncodedSentence]:
        """The sentences of every ``(text, sentence bounds)``, each document tokenised once."""
        sents: list[EncodedSentence] = []
        for k, (text, bounds) in enumerate(docs):
            sents += encode_spans_of_text(self.tokenizer, text, list(bounds), doc_index=k)
        return sents

    def scored_spans(self, docs: Sequence[tuple[str, Sequence[tuple[int, int]]]],
                     sents: list[EncodedSentence] | None = None) -> list[list[list[dict[str, Any]]]]:
        """For each ``(text, sentence bounds)``: per sentence, spans ``{start, end, label, score}``.

        The sentences of all documents are batched together. ``sents`` is :meth:`encode`'s result
        when another tagger with the same tokenizer already made it (the predictor shares it).
        A span's score is the mean over its words of the probability of the word's tag.
        """
        if sents is None:
            sents = self.encode(docs)
        if not sents:
            return [[[] for _ in bounds] for _, bounds in docs]
        tags, scores = self.tag_and_score(sents)
        out: list[list[list[dict[str, Any]]]] = [[] for _ in docs]
        for sent, tag, score in zip(sents, tags, scores):
            text = docs[sent.doc_index][0]
            spans = []
            for lo, hi, typ in tags_to_word_spans(tag):
                snapped = snap_to_words(text, int(sent.word_starts[lo]), int(sent.word_ends[hi - 1]))
                if snapped is not None:
                    spans.append({"start": snapped[0], "end": snapped[1], "label": typ,
                                  "score": float(score[lo:hi].mean())})
            out[sent.doc_index].append(_no_overlaps(spans))
        # sentences without words (only punctuation) were still encoded; keep one list per bound
        for k, (_, bounds) in enumerate(docs):
            assert len(out[k]) == len(bounds)
        return out


def _no_overlaps(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge spans that snapping to whole words made overlap (same label), else keep the first."""
    out: list[dict[str, Any]] = []
    for sp in sorted(spans, key=lambda x: (x["start"], x["end"])):
        if out and sp["start"] < out[-1]["end"]:
            if sp["label"] == out[-1]["label"]:
                out[-1]["end"] = max(out[-1]["end"], sp["end"])
            continue
        out.append(sp)
    return out
