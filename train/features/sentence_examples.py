"""Sentence examples for event classification: one example per stored corpus sentence.

A sentence's label set is the set of event types of the triggers that lie inside it (the
annotation schema's rule) plus the types that a sentence-level judgement marks "yes"; a
sentence without either has the empty set, which is a valid label. Which types are *known*
for a sentence is ``judged``: every type for a fully annotated document (``None``), else the
document's ``judged`` types, the types of its triggers and the types judged at the sentence
level. Unjudged (sentence, type) pairs are ignored by the loss, the metrics and the
threshold tuning (:data:`IGNORE` in the target matrix). The sentence boundaries are the ones stored with the corpus, so training,
evaluation and inference agree on them.

Options:

- ``context``: ``"none"``, ``"previous"`` (the previous sentence of the same document) or
  ``"headline"`` (the document's first line) as a second text segment. Sentences of the
  headline itself get an empty context, so that the model never sees a sentence twice.
- ``no_event_ratio``: keep at most this many no-event sentences per event sentence
  (``None`` keeps them all). The sample is drawn with ``seed`` and is deterministic;
  kept examples stay in corpus order. Applied to training data only: evaluation always
  sees every sentence.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from train.corpus.document import Document, Span
from train.features.windows import CONTEXT_MODES, headline_span, sentence_contexts


@dataclass(frozen=True)
class SentenceExample:
    """One sentence with its label set; offsets point into its document's text."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    labels: tuple[str, ...]
    context: str | None = None
    triggers: tuple[Span, ...] = field(default=(), compare=False)
    # Types known for this sentence (positive or negative); None: every type.
    judged: tuple[str, ...] | None = None

    @property
    def has_event(self) -> bool:
        return bool(self.labels)

    def is_judged(self, label: str) -> bool:
        return self.judged is None or label in self.judged


@dataclass
class SentenceDatasetStats:
    """What building the examples found, reported so that silent losses are visible."""

    documents: int = 0
    sentences: int = 0
    event_sentences: int = 0
    kept_no_event: int = 0
    dropped_no_event: int = 0
    # Triggers that cross a sentence boundary: counted, and labelled on no sentence.
    crossing_triggers: list[tuple[str, Span]] = field(default_factory=list)
    # Triggers outside every stored sentence (e.g. documents stored without sentences).
    orphan_triggers: list[tuple[str, Span]] = field(default_factory=list)
    label_counts: Counter = field(default_factory=Counter)


def headline(text: str) -> str:
    """The document's first non-blank line, stripped."""
    a, b = headline_span(text)
    return text[a:b].strip()


def label_set(sentence: tuple[int, int], triggers: Iterable[Span], order: Sequence[str] | None = None) -> tuple[str, ...]:
    """Types of the triggers that lie wholly inside ``sentence``, without repeats.

    Ordered as in ``order`` (the schema's event types) when given, else alphabetically.
    """
    a, b = sentence
    found = {t.label for t in triggers if a <= t.start and t.end <= b}
    if order is None:
        return tuple(sorted(found))
    rank = {lab: k for k, lab in enumerate(order)}
    return tuple(sorted(found, key=lambda lab: (rank.get(lab, len(rank)), lab)))


def document_examples(
    doc: Document,
    context: str = "none",
    label_order: Sequence[str] | None = None,
    stats: SentenceDatasetStats | None = None,
) -> list[SentenceExample]:
    """Every stored sentence of one document as an example (no sampling)."""
    if context not in CONTEXT_MODES:
        raise ValueError(f"context must be one of {CONTEXT_MODES}, got {context!r}")
    sentences = list(doc.sentences)
    if not sentences and doc.text.strip():
        # A document stored without sentences: use the project's one splitter.
        sentences = [(s[0], s[1]) for s in Document(doc.id, doc.text).with_sentences().sentences]
    triggers = sorted(doc.events)
    numbers = doc.meta.get("sentence_numbers")
    if not (isinstance(numbers, list) and len(numbers) == len(sentences)):
        numbers = None
    # The same contexts as the predictor builds (train/features/windows.py); the GSR numbers its
    # sentences, so a gap gives an empty "previous" context.
    contexts = sentence_contexts(doc.text, sentences, context, numbers)
    out: list[SentenceExample] = []
    for k, (a, b) in enumerate(sentences):
        inside = tuple(t for t in triggers if a <= t.start and t.end <= b)
        verdicts = [j for j in doc.sentence_labels if (j.start, j.end) == (a, b)]
        yes = [Span(a, b, j.label) for j in verdicts if j.value]
        judged: tuple[str, ...] | None = None
        if doc.judged is not None:
            judged = label_set((a, b), [*inside, *(Span(a, b, j.label) for j in verdicts), *(Span(a, b, t) for t in doc.judged)], label_order)
        ctx = contexts[k]
        out.append(
            SentenceExample(
                doc_id=doc.id,
                index=k,
                start=a,
                end=b,
                text=doc.text[a:b],
                labels=label_set((a, b), [*inside, *yes], label_order),
                context=ctx,
                triggers=inside,
                judged=judged,
            )
        )
    if stats is not None:
        stats.documents += 1
        for t in triggers:
            if any(a <= t.start and t.end <= b for a, b in sentences):
                continue
            if any(t.start < b and a < t.end for a, b in sentences):
                stats.crossing_triggers.append((doc.id, t))
            else:
                stats.orphan_triggers.append((doc.id, t))
    return out


def build_sentence_examples(
    docs: Iterable[Document],
    context: str = "none",
    no_event_ratio: float | None = None,
    seed: int = 42,
    label_order: Sequence[str] | None = None,
    stats: SentenceDatasetStats | None = None,
) -> list[SentenceExample]:
    """Sentence examples of a corpus, with optional deterministic down-sampling of no-event ones."""
    if no_event_ratio is not None and no_event_ratio < 0:
        raise ValueError(f"no_event_ratio must be >= 0 or None, got {no_event_ratio}")
    stats = stats if stats is not None else SentenceDatasetStats()
    examples: list[SentenceExample] = []
    for doc in docs:
        examples += document_examples(doc, context=context, label_order=label_order, stats=stats)
    positives = [k for k, e in enumerate(examples) if e.has_event]
    negatives = [k for k, e in enumerate(examples) if not e.has_event]
    keep = set(range(len(examples)))
    if no_event_ratio is not None:
        budget = int(round(no_event_ratio * len(positives)))
        if budget < len(negatives):
            chosen = set(random.Random(seed).sample(negatives, budget))
            keep = set(positives) | chosen
    kept = [e for k, e in enumerate(examples) if k in keep]
    stats.sentences += len(examples)
    stats.event_sentences += len(positives)
    stats.kept_no_event += sum(1 for e in kept if not e.has_event)
    stats.dropped_no_event += len(examples) - len(kept)
    for e in kept:
        stats.label_counts.update(e.labels)
    return kept


IGNORE = -100.0  # target of an unjudged (sentence, type) pair: no loss, no metric, no threshold


def target_matrix(examples: Sequence[SentenceExample], labels: Sequence[str]) -> list[list[float]]:
    """:func:`label_matrix` with :data:`IGNORE` where the type was not judged for the sentence."""
    rows = label_matrix(examples, labels)
    for e, row in zip(examples, rows):
        if e.judged is not None:
            for j, lab in enumerate(labels):
                if lab not in e.judged:
                    row[j] = IGNORE
    return rows


def label_matrix(examples: Sequence[SentenceExample], labels: Sequence[str]) -> list[list[float]]:
    """Multi-hot rows (floats, as BCE-with-logits expects) in the order of ``labels``."""
    index = {lab: k for k, lab in enumerate(labels)}
    rows: list[list[float]] = []
    for e in examples:
        row = [0.0] * len(labels)
        for lab in e.labels:
            if lab not in index:
                raise KeyError(f"{e.doc_id} sentence {e.index}: label {lab!r} is not among the model's labels")
            row[index[lab]] = 1.0
        rows.append(row)
    return rows
