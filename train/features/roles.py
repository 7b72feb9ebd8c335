"""What the role model reads: one trigger's sentence with the trigger marked, and its source and target.

The convention, shared by training and inference: the sentence is cut out of the document and
the trigger wrapped in the marker words ``[`` and ``]``, each set off by one space::

    وصل الوفد إلى ليبيا في زيارة رسمية      (trigger: زيارة)
    وصل الوفد إلى ليبيا في [ زيارة ] رسمية

A trigger ends and starts on a word boundary, so the markers never split a word. ``[`` and ``]``
are in BERT vocabularies (CAMeLBERT's among them) and rare in Arabic news, so no tokens are
added to the tokenizer and any token-classification checkpoint can learn the task. The marked
sentence is tagged with the entity types ``SOURCE`` and ``TARGET`` (IOB2, the NER alignment
path); :class:`RoleExample` maps offsets both ways.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from train.corpus.document import Document, Span
from train.corpus.sentences import split_sentences

OPEN, CLOSE = "[", "]"
ROLE_TYPES = ["SOURCE", "TARGET"]
ROLE_OF_TYPE = {"SOURCE": "source", "TARGET": "target"}


@dataclass(frozen=True)
class RoleExample:
    """One trigger in its sentence: ``text`` is the marked sentence."""

    text: str
    sent_start: int  # the sentence in the original text
    sent_end: int
    trig_start: int  # the trigger in the original text
    trig_end: int

    def to_marked(self, offset: int, end: bool = False) -> int:
        """An original offset inside the sentence → its offset in ``text``.

        The trigger's own edges are ambiguous (before or after a marker): a span's start at the
        trigger's start falls inside the markers, and so does a span's end (``end``) at the
        trigger's end.
        """
        inside = self.trig_start < offset <= self.trig_end if end else self.trig_start <= offset < self.trig_end
        if inside:
            return offset - self.sent_start + len(OPEN) + 1
        if offset <= self.trig_start:
            return offset - self.sent_start
        return offset - self.sent_start + len(OPEN) + len(CLOSE) + 2

    def to_original(self, offset: int) -> int:
        """An offset in ``text`` (outside the markers) → the original text's."""
        a = self.trig_start - self.sent_start
        if offset <= a:
            return offset + self.sent_start
        b = a + len(OPEN) + 1 + (self.trig_end - self.trig_start)
        if offset <= b:
            return offset - len(OPEN) - 1 + self.sent_start
        return offset - len(OPEN) - len(CLOSE) - 2 + self.sent_start

    def in_trigger_markers(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` of ``text`` touches a marker (never a role)."""
        a = self.trig_start - self.sent_start
        b = a + len(OPEN) + 1 + (self.trig_end - self.trig_start) + 1
        return (start < a + len(OPEN) and a < end) or (start < b + len(CLOSE) and b < end)


def mark_trigger(text: str, sentence: tuple[int, int], trigger: tuple[int, int]) -> RoleExample:
    """The sentence ``text[sentence]`` with ``text[trigger]`` wrapped in the markers."""
    s, e = sentence
    a, b = trigger
    if not (s <= a < b <= e):
        raise ValueError(f"trigger [{a}, {b}) is not inside sentence [{s}, {e})")
    marked = f"{text[s:a]}{OPEN} {text[a:b]} {CLOSE}{text[b:e]}"
    return RoleExample(marked, s, e, a, b)


def sentence_of(doc: Document, start: int, end: int) -> tuple[int, int] | None:
    """The document's sentence (stored, else the splitter's) holding ``[start, end)``."""
    sents = doc.sentences or [(x.start, x.end) for x in split_sentences(doc.text)]
    return next(((a, b) for a, b in sents if a <= start and end <= b), None)


def has_roles(doc: Document) -> bool:
    """Whether the document's triggers were annotated for roles (any trigger carries one)."""
    return any(s.args for s in doc.events)


def role_documents(docs: Iterable[Document], only_annotated: bool = True) -> list[Document]:
    """One document per trigger: the marked sentence, with ``SOURCE``/``TARGET`` entities.

    With ``only_annotated``, documents none of whose triggers carries a role are left out: their
    triggers were not annotated for roles, and would teach the model that they have none. A
    role outside the trigger's sentence is left out (validation warns about it); a target that
    overlaps the source is left out too (IOB2 tags are flat).
    """
    out: list[Document] = []
    for d in docs:
        if only_annotated and not has_roles(d):
            continue
        for k, t in enumerate(sorted(d.events)):
            sent = sentence_of(d, t.start, t.end)
            if sent is None:
                continue
            ex = mark_trigger(d.text, sent, (t.start, t.end))
            spans: list[Span] = []
            for label in ROLE_TYPES:
                a = t.arg(ROLE_OF_TYPE[label])
                if a is None or not (sent[0] <= a.start and a.end <= sent[1]):
                    continue
                span = Span(ex.to_marked(a.start), ex.to_marked(a.end, end=True), label)
                if any(span.start < o.end and o.start < span.end for o in spans):
                    continue
                spans.append(span)
            base = baseline_roles(d.text, sent, (t.start, t.end), d.entities)
            out.append(Document(
                id=f"{d.id}#{k}", text=ex.text, entities=spans, sentences=[(0, len(ex.text))],
                meta={"document": d.id, "trigger": [t.start, t.end], "type": t.label, "sentence": list(sent),
                      "baseline": [{"start": ex.to_marked(b.start), "end": ex.to_marked(b.end, end=True), "label": role.upper()}
                                   for role, b in base.items()]},
            ))
    return out


def example_of(doc: Document) -> RoleExample:
    """The :class:`RoleExample` behind a document of :func:`role_documents`."""
    s, e = doc.meta["sentence"]
    a, b = doc.meta["trigger"]
    return RoleExample(doc.text, s, e, a, b)


def baseline_roles(text: str, sentence: tuple[int, int], trigger: tuple[int, int],
                   entities: Sequence[Span], actor_labels: Iterable[str] = ("PERS", "ORG", "NORP", "GPE")) -> dict[str, Span]:
    """The baseline: the sentence's first actor-type entity before the trigger is the source, the first after it the target.

    "First" in text order: the earliest actor of the sentence that ends before the trigger, and
    the nearest one that starts after it.
    """
    actors = sorted(e for e in entities if e.label in set(actor_labels)
                    and sentence[0] <= e.start and e.end <= sentence[1])
    before = [e for e in actors if e.end <= trigger[0]]
    after = [e for e in actors if e.start >= trigger[1]]
    out: dict[str, Span] = {}
    if before:
        out["source"] = before[0]
    if after:
        out["target"] = after[0]
    return out
