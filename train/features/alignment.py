"""Spans ↔ word-level IOB2 ↔ sub-word labels, and word windows for long sentences.

Words are the fast tokenizer's own pre-tokenisation (``word_ids`` and offsets), the grouping
that ``pipeline("token-classification", aggregation_strategy="first")`` uses on text without
diacritics. Word offsets are fixed up to cover leading/trailing diacritics and tatweel (which
the normaliser removes), so every span built from words slices the original text on word
boundaries.

The way back from word tags repairs an ``I-X`` that follows no ``B-X``/``I-X`` by starting a
new entity, as seqeval's default mode does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from train.corpus.document import Document, Span
from train.corpus.iob import tags_to_word_spans
from train.corpus.sentences import split_sentences
from train.corpus.text import DIACRITICS_RE, snap_to_words

IGNORE_INDEX = -100


def tag_names(types: Sequence[str]) -> list[str]:
    """IOB2 tag inventory: ``O`` then ``B-X``, ``I-X`` for each type, in schema order."""
    out = ["O"]
    for t in types:
        out += [f"B-{t}", f"I-{t}"]
    return out


@dataclass
class EncodedSentence:
    """One sentence after tokenisation: its sub-words and words, offsets absolute in ``text``."""

    doc_index: int
    start: int  # sentence start in the document text
    end: int
    token_ids: np.ndarray  # sub-word ids, no special tokens
    token_word: np.ndarray  # word index of every sub-word
    word_starts: np.ndarray  # absolute character offsets of each word
    word_ends: np.ndarray
    word_first_token: np.ndarray  # index of each word's first sub-word

    @property
    def num_words(self) -> int:
        return len(self.word_starts)

    def word_token_counts(self) -> np.ndarray:
        return np.diff(np.append(self.word_first_token, len(self.token_ids)))


def _expand_marks(text: str, start: int, end: int, floor: int) -> tuple[int, int]:
    """Widen a word over diacritics/tatweel that the normaliser left out of its offsets.

    Only a word that starts (ends) on a word character takes marks before (after) it, and
    never past ``floor`` (the previous word's end): punctuation after ``رئيساً`` stays ``:``.
    """
    from train.corpus.text import is_word_char

    if start < end and is_word_char(text[start]):
        while start > floor and DIACRITICS_RE.match(text[start - 1]):
            start -= 1
    if start < end and is_word_char(text[end - 1]):
        while end < len(text) and DIACRITICS_RE.match(text[end]):
            end += 1
    return start, end


def encode_spans_of_text(tokenizer, text: str, bounds: Sequence[tuple[int, int]], doc_index: int = 0) -> list[EncodedSentence]:
    """Tokenise each ``text[a:b]`` (one batched call) into an :class:`EncodedSentence`."""
    pieces = [text[a:b] for a, b in bounds]
    if not pieces:
        return []
    enc = tokenizer(pieces, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    out: list[EncodedSentence] = []
    for k, (a, b) in enumerate(bounds):
        ids = np.asarray(enc["input_ids"][k], dtype=np.int64)
        offs = np.asarray(enc["offset_mapping"][k], dtype=np.int64).reshape(-1, 2)
        wids = np.asarray([-1 if w is None else w for w in enc.word_ids(k)], dtype=np.int64)
        keep = wids >= 0
        ids, offs, wids = ids[keep], offs[keep], wids[keep]
        if len(ids):
            # Renumber words 0..n-1 in order of appearance.
            new_word = np.concatenate([[True], wids[1:] != wids[:-1]])
            token_word = np.cumsum(new_word) - 1
            first = np.flatnonzero(new_word)
            # Sub-word offsets may not be monotone across removed characters; take the hull.
            starts = np.minimum.reduceat(offs[:, 0], first) + a
            ends = np.maximum.reduceat(offs[:, 1], first) + a
            if DIACRITICS_RE.search(pieces[k]) is None:
                # No marks in the sentence, so nothing to widen: the same as the loop below, at numpy speed.
                ends = np.minimum(ends, b)
                starts = np.maximum(starts, np.concatenate([[a], ends[:-1]]))
            else:
                prev = a
                for i in range(len(starts)):
                    s, e = _expand_marks(text, max(int(starts[i]), prev), int(ends[i]), prev)
                    starts[i], ends[i] = s, min(e, b)
                    prev = int(ends[i])
        else:
            token_word = np.zeros(0, dtype=np.int64)
            first = np.zeros(0, dtype=np.int64)
            starts = np.zeros(0, dtype=np.int64)
            ends = np.zeros(0, dtype=np.int64)
        out.append(EncodedSentence(doc_index, a, b, ids, token_word, starts, ends, first))
    return out


def document_sentences(doc: Document) -> list[tuple[int, int]]:
    """The document's stored sentences, or the project's splitter when none are stored."""
    if doc.sentences:
        return list(doc.sentences)
    return [(s.start, s.end) for s in split_sentences(doc.text)]


def encode_documents(tokenizer, docs: Sequence[Document]) -> list[EncodedSentence]:
    """Every sentence of every document, in order."""
    out: list[EncodedSentence] = []
    for i, doc in enumerate(docs):
        out += encode_spans_of_text(tokenizer, doc.text, document_sentences(doc), doc_index=i)
    return out


# --------------------------------------------------------------------------- spans <-> tags


def word_tags(sent: EncodedSentence, spans: Sequence[Span]) -> list[str]:
    """IOB2 tag of every word: a word inside a span gets B- (first) or I-; others O."""
    tags = ["O"] * sent.num_words
    if not sent.num_words:
        return tags
    for sp in sorted(spans):
        if sp.end <= sent.start or sp.start >= sent.end:
            continue
        # words overlapping [sp.start, sp.end)
        lo = int(np.searchsorted(sent.word_ends, sp.start, side="right"))
        hi = int(np.searchsorted(sent.word_starts, sp.end, side="left"))
        for w in range(lo, hi):
            tags[w] = ("B-" if w == lo else "I-") + sp.label
    return tags


def spans_from_tags(text: str, sent: EncodedSentence, tags: Sequence[str]) -> list[Span]:
    """Character spans of the entities in word ``tags``, on word boundaries of ``text``.

    Snapping to whole words can make two runs overlap, where the tokenizer splits one word
    of the schema in two (CJK characters, letters glued by a format character): a run of the
    same type is merged into the previous span, one of another type is dropped.
    """
    out: list[Span] = []
    for lo, hi, typ in tags_to_word_spans(tags):
        snapped = snap_to_words(text, int(sent.word_starts[lo]), int(sent.word_ends[hi - 1]))
        if snapped is None:
            continue
        if out and snapped[0] < out[-1].end:
            if typ == out[-1].label:
                out[-1] = Span(out[-1].start, max(out[-1].end, snapped[1]), typ)
            continue
        out.append(Span(snapped[0], snapped[1], typ))
    return out


# --------------------------------------------------------------------------- windows and features


def make_windows(token_counts: Sequence[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Split words into windows ``[lo, hi)`` of at most ``budget`` sub-words.

    Consecutive windows share up to ``overlap`` sub-words of whole words. Every word is in
    some window; a single word longer than the budget gets a window of its own (truncated
    to its first sub-words, so its first sub-word, which carries its label, is kept).
    """
    n = len(token_counts)
    if n == 0:
        return []
    budget = max(1, budget)
    windows: list[tuple[int, int]] = []
    lo = 0
    while lo < n:
        hi, used = lo, 0
        while hi < n and (used + token_counts[hi] <= budget or hi == lo):
            used += token_counts[hi]
            hi += 1
        windows.append((lo, hi))
        if hi >= n:
            break
        nxt, back = hi, 0
        while nxt - 1 > lo and back + token_counts[nxt - 1] <= overlap:
            back += token_counts[nxt - 1]
            nxt -= 1
        lo = nxt
    return windows


def window_owners(windows: Sequence[tuple[int, int]], num_words: int) -> np.ndarray:
    """Which window decides each word: the overlap is split at its middle."""
    owner = np.zeros(num_words, dtype=np.int64)
    for k, (lo, hi) in enumerate(windows):
        start = lo if k == 0 else (lo + windows[k - 1][1] + 1) // 2
        owner[start:hi] = k
    return owner


@dataclass
class Feature:
    """One model input: a window of a sentence, with the positions of its words' first sub-words."""

    sentence: int  # index into the encoded sentences
    window: int
    word_lo: int
    word_hi: int
    input_ids: list[int]
    word_positions: np.ndarray  # position in input_ids of each word's first sub-word
    labels: list[int] | None = None


def build_features(
    sents: Sequence[EncodedSentence],
    cls_id: int,
    sep_id: int,
    max_seq_length: int,
    overlap: int = 64,
    word_label_ids: Sequence[Sequence[int]] | None = None,
    label_all_subwords: bool = False,
    b_to_i: dict[int, int] | None = None,
) -> list[Feature]:
    """Model inputs for every window of every sentence (labels when ``word_label_ids`` is given).

    With ``label_all_subwords``, continuation sub-words get the word's label with B- turned
    into I- (``b_to_i``); otherwise they get -100.
    """
    budget = max(1, max_seq_length - 2)
    overlap = min(overlap, budget // 2)
    feats: list[Feature] = []
    for si, sent in enumerate(sents):
        counts = sent.word_token_counts()
        for wk, (lo, hi) in enumerate(make_windows(counts.tolist(), budget, overlap)):
            t0 = int(sent.word_first_token[lo])
            t1 = int(sent.word_first_token[hi]) if hi < sent.num_words else len(sent.token_ids)
            t1 = min(t1, t0 + budget)
            ids = [cls_id, *sent.token_ids[t0:t1].tolist(), sep_id]
            positions = sent.word_first_token[lo:hi] - t0 + 1
            labels = None
            if word_label_ids is not None:
                wl = word_label_ids[si]
                lab = np.full(len(ids), IGNORE_INDEX, dtype=np.int64)
                if label_all_subwords:
                    tw = sent.token_word[t0:t1]
                    vals = np.asarray([wl[w] for w in tw], dtype=np.int64)
                    if b_to_i:
                        vals = np.asarray([b_to_i.get(int(v), int(v)) for v in vals], dtype=np.int64)
                    lab[1 : 1 + len(tw)] = vals
                lab[positions] = np.asarray(wl[lo:hi], dtype=np.int64)
                labels = lab.tolist()
            feats.append(Feature(si, wk, lo, hi, ids, positions, labels))
    return feats
