"""Documents in, entities and events out: the composition behind ``scripts/predict.py``.

A document goes through the project's sentence splitter; every sentence goes to the NER
tagger, the sentence event classifier and the trigger tagger (any subset of the three). The
results come back as one record per document, with offsets into the original text:

``{"id", "text", "entities": [...], "sentences": [...], "events": [...]}``

Documents are streamed: they are read in chunks, the sentences of a whole chunk are batched
together across documents, and each record is yielded as soon as its chunk is done, so memory
stays flat over any number of documents. Long sentences go through windows, never truncation.

The forward pass sits behind :class:`~train.inference.backends.Backend` (PyTorch or ONNX
Runtime); spans come from :mod:`train.inference.tagging`, event records from
:mod:`train.inference.records`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from train.corpus.sentences import split_sentences
from train.features.roles import ROLE_TYPES, mark_trigger
from train.features.windows import CONFIG_KEY, sentence_contexts, sentence_windows
from train.inference.backends import (
    Backend,
    PredictorError,
    TorchBackend,
    default_device,
    load_config,
    load_model,
    make_backend,
    model_task,
    onnx_file,
    pad_batch,
)
from train.inference.precision import check_precision, choose_auto
from train.inference.records import build_events, span_record
from train.inference.tagging import SpanTagger, softmax
from train.inference.thresholds import read_thresholds


@dataclass
class InputDocument:
    """One document to annotate: ``id`` and the exact original ``text``."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _Model:
    """What the taggers and the classifier share: tokenizer, backend, batching."""

    task = ""

    def __init__(self, name_or_path: str, backend: str = "torch", device: str | None = None,
                 batch_size: int = 32, max_length: int | None = None, allow_pickle: bool = False,
                 precision: str = "fp32"):
        self.name = str(name_or_path)
        self.config = load_config(self.name)
        task = model_task(self.config)
        if task != self.task:
            raise PredictorError(f"{self.name}: a {task} model, but a {self.task} model is needed here")
        self.tokenizer = _load_tokenizer(self.name)
        if backend == "torch" and (allow_pickle or precision != "fp32"):  # pickles: torch only
            model = load_model(self.name, self.task, self.config, allow_pickle=allow_pickle)
            self.backend: Backend = TorchBackend(model, device, precision)
        else:
            self.backend = make_backend(backend, self.name, self.task, self.config, device)
        self.batch_size = batch_size
        limit = getattr(self.config, "max_position_embeddings", 512) or 512
        tok_limit = getattr(self.tokenizer, "model_max_length", limit) or limit
        self.max_length = min(max_length or limit, limit, tok_limit if tok_limit < 100_000 else limit)
        self.id2label = {int(k): v for k, v in self.config.id2label.items()}

    def _run(self, rows: list[dict[str, list[int]]]) -> list[np.ndarray]:
        """Forward ``rows`` (encoded inputs) sorted by length, in batches; outputs in input order."""
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]["input_ids"]))
        out: list[np.ndarray] = [np.empty(0)] * len(rows)
        pad_id = self.tokenizer.pad_token_id or 0
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            logits = self.backend(pad_batch([rows[i]["input_ids"] for i in idx], pad_id,
                                            [rows[i].get("token_type_ids") for i in idx]))
            for j, i in enumerate(idx):
                out[i] = logits[j, : len(rows[i]["input_ids"])] if logits.ndim == 3 else logits[j]
        return out


class TokenTagger(_Model):
    """NER or event-trigger tagging through :class:`~train.inference.tagging.SpanTagger` (windows included)."""

    task = "token-classification"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.span_tagger = SpanTagger(self.backend, self.tokenizer, max_seq_length=self.max_length,
                                      batch_size=self.batch_size)

    def tag(self, texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Spans ``{start, end, label, score}`` of each text taken as one sentence."""
        return [spans[0] for spans in self.tag_documents([(t, [(0, len(t))]) for t in texts])]

    def tag_documents(self, docs: Sequence[tuple[str, Sequence[tuple[int, int]]]],
                      sents: list[Any] | None = None) -> list[list[list[dict[str, Any]]]]:
        """For each ``(text, sentence bounds)``: per sentence, spans with offsets into ``text``
        (``sents``: the documents already encoded by a tagger with the same tokenizer)."""
        return self.span_tagger.scored_spans(docs, sents)

    def same_tokenizer(self, other: TokenTagger) -> bool:
        """Whether ``other`` tokenises exactly as this tagger does (then one encoding serves both)."""
        a, b = self.tokenizer, other.tokenizer
        return (a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()
                and (a.cls_token_id, a.sep_token_id, a.pad_token_id) == (b.cls_token_id, b.sep_token_id, b.pad_token_id))


class SentenceClassifier(_Model):
    """Multi-label sentence event types, with the decision thresholds stored in the config."""

    task = "text-classification"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # How the training run built its inputs (train/features/windows.py): its context segment,
        # its window size and overlap; older models: no context, windows of the model's size.
        stored = getattr(self.config, CONFIG_KEY, None) or {}
        self.context = str(stored.get("context", "none"))
        self.window_overlap = int(stored.get("window_overlap", min(64, self.max_length // 4)))
        if kwargs.get("max_length") is None and stored.get("max_length"):
            self.max_length = min(int(stored["max_length"]), self.max_length)

    def contexts(self, text: str, sentences: Sequence[tuple[int, int]]) -> list[str | None]:
        """The context segment of each sentence of a document, as the model was trained with."""
        return sentence_contexts(text, sentences, self.context)

    def thresholds(self) -> dict[str, float]:
        """Per-label decision threshold (:func:`~train.inference.thresholds.read_thresholds`)."""
        return read_thresholds(self.config)

    def classify(self, texts: Sequence[str], contexts: Sequence[str | None] | None = None) -> list[list[dict[str, Any]]]:
        """Event types ``{label, score}`` over their thresholds, per text, best first.

        ``contexts``: the second segment of each text (see :meth:`contexts`); without it a model
        trained with context gets an empty one. A sentence longer than the model's window is read
        in overlapping windows, exactly as in training, and each type takes its highest
        probability over them, so no words are dropped.
        """
        if not texts:
            return []
        thr = self.thresholds()
        out: list[list[dict[str, Any]]] = []
        for p in self.probabilities(texts, contexts):
            found = [{"label": self.id2label[j], "score": float(p[j])} for j in range(len(p))
                     if p[j] >= thr[self.id2label[j]]]
            out.append(sorted(found, key=lambda e: -e["score"]))
        return out

    def probabilities(self, texts: Sequence[str], contexts: Sequence[str | None] | None = None) -> np.ndarray:
        """Each label's probability per text (``len(texts) × labels``): the highest over the text's
        windows, the numbers :meth:`classify` compares with the thresholds (uncertainty reads them too)."""
        if contexts is None:
            contexts = [None if self.context == "none" else ""] * len(texts)
        rows: list[dict[str, list[int]]] = []
        owners: list[int] = []
        for k, (text, ctx) in enumerate(zip(texts, contexts)):
            for w in sentence_windows(self.tokenizer, text, ctx, self.max_length, self.window_overlap, self.context):
                rows.append(w)
                owners.append(k)
        probs = np.zeros((len(texts), len(self.id2label)), dtype=np.float32)
        for row, owner in zip(self._run(rows), owners):
            probs[owner] = np.maximum(probs[owner], self._probabilities(row))
        return probs

    def _probabilities(self, logits: np.ndarray) -> np.ndarray:
        if getattr(self.config, "problem_type", None) == "single_label_classification":
            return softmax(logits)
        return _sigmoid(logits)


class Predictor:
    """Composes the sentence splitter and any subset of the three models."""

    def __init__(self, ner: TokenTagger | None = None, events: SentenceClassifier | None = None,
                 triggers: TokenTagger | None = None, chunk_sentences: int = 256, roles: TokenTagger | None = None):
        if ner is None and events is None and triggers is None:
            raise PredictorError("no model given: pass at least one of --ner, --events, --triggers")
        if roles is not None:
            if triggers is None:
                raise PredictorError("--roles reads each event's trigger: give a trigger tagger (--triggers) too")
            if not set(ROLE_TYPES) <= {lab[2:] for lab in roles.id2label.values() if lab[:2] in ("B-", "I-")}:
                raise PredictorError(f"{roles.name}: not a role model (its labels are not B-/I-SOURCE and B-/I-TARGET)")
        self.ner, self.events, self.triggers, self.roles = ner, events, triggers, roles
        self.chunk_sentences = chunk_sentences
        self._shared_tokens = bool(ner and triggers and ner.same_tokenizer(triggers))
        first = next(m for m in (ner, events, triggers) if m is not None)
        self.precision: str = str(getattr(first.backend, "precision", "fp32"))
        self.precision_reason = "asked for"

    @classmethod
    def from_pretrained(cls, ner: str | None = None, events: str | None = None, triggers: str | None = None,
                        backend: str = "torch", device: str | None = None, batch_size: int = 32,
                        allow_pickle: bool = False, precision: str | None = None, roles: str | None = None,
                        **kwargs: Any) -> Predictor:
        """Load published folders or Hub names (safetensors only unless ``allow_pickle``, no remote code).

        ``precision``: ``fp32`` (the default on the torch backend; other backends run their own
        graph's precision); ``bf16``/``fp16`` (the torch backend with the weights cast);
        ``int8`` (the exported ONNX int8 graph); ``auto``: the fastest the hardware supports
        (:func:`train.inference.precision.choose_auto`), int8 there when every model has an int8
        graph (``predict.py --export-onnx`` gives a model its graphs). The choice and why: ``.precision``, ``.precision_reason``.
        """
        names = [n for n in (ner, events, triggers, roles) if n]
        chosen, reason, backend = resolve_precision(precision, backend, device, models=names)

        def load(kind: type[_Model], name: str | None) -> Any:
            if not name:
                return None
            return kind(name, backend=backend, device=device, batch_size=batch_size, allow_pickle=allow_pickle,
                        precision=chosen if backend == "torch" else "fp32")

        out = cls(load(TokenTagger, ner), load(SentenceClassifier, events), load(TokenTagger, triggers),
                  roles=load(TokenTagger, roles), **kwargs)
        if chosen == "int8" and out.precision != "int8":
            raise PredictorError(f"precision int8 needs onnx/model_quantized.onnx in each model; export it first: "
                                 f"predict.py --export-onnx, or python scripts/export_onnx.py {next(iter(out.models().values()))}")
        if chosen in ("auto", "fp32") and backend != "torch":  # the backend fixed it
            reason = f"--backend {backend}"
        out.precision_reason = reason
        return out

    def models(self) -> dict[str, str]:
        return {k: m.name for k, m in (("ner", self.ner), ("events", self.events), ("triggers", self.triggers),
                                       ("roles", self.roles)) if m}

    def predict(self, docs: Iterable[InputDocument | Mapping[str, Any] | str]) -> Iterator[dict[str, Any]]:
        """Yield one record per document, in input order, reading ``docs`` lazily."""
        for chunk in document_chunks(docs, self.chunk_sentences):
            yield from self.predict_chunk(chunk)

    def predict_one(self, text: str, id: str = "0") -> dict[str, Any]:
        return next(self.predict([InputDocument(id, text)]))

    def predict_chunk(self, chunk: Sequence[tuple[InputDocument, Sequence[tuple[int, int]]]]) -> Iterator[dict[str, Any]]:
        """The records of one chunk of :func:`document_chunks`, in its order.

        The sentences of a chunk are batched together, so a record's numbers depend on the chunk
        it was computed in; an engine that spreads chunks over workers (``ray_engine``) gets the
        single-process records by cutting the same chunks.
        """
        texts = [doc.text[a:b] for doc, sents in chunk for a, b in sents]
        bounds = [(doc.text, sents) for doc, sents in chunk]
        shared = self.shared_encoding(bounds)
        ner = [x for per in self.ner.tag_documents(bounds, shared) for x in per] if self.ner else None
        trig = [x for per in self.triggers.tag_documents(bounds, shared) for x in per] if self.triggers else None
        ctxs = [c for doc, sents in chunk for c in self.events.contexts(doc.text, sents)] if self.events else None
        types = self.events.classify(texts, ctxs) if self.events else None
        k = 0
        records: list[dict[str, Any]] = []
        for doc, sents in chunk:
            entities: list[dict[str, Any]] = []
            sentences: list[dict[str, Any]] = []
            for a, b in sents:
                if ner is not None:
                    entities += [span_record(doc.text, s) for s in ner[k]]
                sent: dict[str, Any] = {"start": a, "end": b}
                if types is not None:
                    sent["event_types"] = [{"label": t["label"], "score": round(t["score"], 4)} for t in types[k]]
                if trig is not None:
                    sent["triggers"] = [span_record(doc.text, s) for s in trig[k]]
                sentences.append(sent)
                k += 1
            events = build_events(doc.text, sentences, entities, have_classifier=types is not None)
            records.append({"id": doc.id, "text": doc.text, "meta": doc.meta, "entities": entities,
                            "sentences": sentences, "events": events})
        if self.roles is not None:
            self._add_roles(records)
        yield from records

    def shared_encoding(self, bounds: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> list[Any] | None:
        """The documents' sentences encoded once for both taggers when they tokenise alike (NER and
        triggers usually share their base model's tokenizer), else None: each tagger encodes its own."""
        return self.ner.span_tagger.encode(bounds) if self.ner and self.triggers and self._shared_tokens else None

    def _add_roles(self, records: list[dict[str, Any]]) -> None:
        """``source`` and ``target`` (a span with its score, or ``None``) on every event with a trigger.

        Each trigger's sentence is marked as the role model was trained (``[ trigger ]``,
        :mod:`train.features.roles`); all of a chunk's triggers go through the model together.
        The best-scoring span of each role is kept, with offsets into the original text.
        """
        todo: list[tuple[str, dict[str, Any], Any]] = []
        for rec in records:
            for ev in rec["events"]:
                t = ev.get("trigger")
                if not t:
                    ev["source"] = ev["target"] = None
                    continue
                s = rec["sentences"][ev["sentence"]]
                todo.append((rec["text"], ev, mark_trigger(rec["text"], (s["start"], s["end"]), (t["start"], t["end"]))))
        found = self.roles.tag([ex.text for _, _, ex in todo]) if todo else []
        for (text, ev, ex), spans in zip(todo, found):
            for label, role in (("SOURCE", "source"), ("TARGET", "target")):
                cands = [sp for sp in spans if sp["label"] == label and not ex.in_trigger_markers(sp["start"], sp["end"])]
                best = max(cands, key=lambda sp: sp["score"]) if cands else None
                ev[role] = None if best is None else span_record(
                    text, {"start": ex.to_original(best["start"]), "end": ex.to_original(best["end"]),
                           "label": label, "score": best["score"]})


Chunk = list[tuple[InputDocument, list[tuple[int, int]]]]


def document_chunks(docs: Iterable[InputDocument | Mapping[str, Any] | str], chunk_sentences: int = 256) -> Iterator[Chunk]:
    """Documents with their sentence bounds, in chunks of at least ``chunk_sentences`` sentences
    (the last one smaller), lazily and in input order: the unit :meth:`Predictor.predict` batches."""
    it = iter(_as_document(d, i) for i, d in enumerate(docs))
    while True:
        chunk: Chunk = []
        n = 0
        for doc in it:
            sents = [(s.start, s.end) for s in split_sentences(doc.text)]
            chunk.append((doc, sents))
            n += len(sents)
            if n >= chunk_sentences:
                break
        if not chunk:
            return
        yield chunk


def resolve_precision(precision: str | None, backend: str = "torch", device: str | None = None,
                      models: Sequence[str] = ()) -> tuple[str, str, str]:
    """``(precision, reason, backend)`` for a requested precision and backend.

    ``models``: the run's models; ``auto`` takes their int8 graphs when every one has one.

    ``bf16``/``fp16``/``fp32`` run on the torch backend; ``int8`` is the ONNX int8 backend.
    A non-torch ``backend`` fixes its own precision, so only ``auto`` (or what it runs) goes with it.
    ``None`` (nothing asked) is fp32 on the torch backend and the graph's own precision on the others.
    """
    if precision is None:
        precision = "fp32" if backend == "torch" else "auto"
    try:
        check_precision(precision)
    except ValueError as exc:
        raise PredictorError(str(exc)) from None
    if backend == "torch":
        if precision == "auto":
            dev = device or default_device()
            graphs = dev == "cpu" and bool(models) and all(onnx_file(m, int8=True) is not None for m in models)
            chosen, reason = choose_auto(dev, int8_graphs=graphs, hidden_size=widest(models))
        else:
            chosen, reason = precision, "asked for"
        return chosen, reason, ("onnx-int8" if chosen == "int8" else "torch")
    fits = (precision == "auto" or (precision == "int8" and backend in ("onnx", "onnx-int8"))
            or (precision == "fp32" and backend == "onnx-fp32"))
    if not fits:
        raise PredictorError(f"precision {precision} does not go with backend {backend}: bf16/fp16/fp32 run on "
                             "--backend torch, int8 on the ONNX int8 graph; give one or the other")
    return precision, "asked for", backend


def widest(models: Sequence[str]) -> int | None:
    """The largest ``hidden_size`` of the models' configs (None when there is none to read)."""
    sizes = []
    for m in models:
        try:
            sizes.append(int(getattr(load_config(m), "hidden_size", 0) or 0))
        except Exception:  # noqa: BLE001 - a config that cannot be read is reported when the model loads
            continue
    return max(sizes) if any(sizes) else None


def _as_document(d: InputDocument | Mapping[str, Any] | str, i: int) -> InputDocument:
    if isinstance(d, InputDocument):
        return d
    if isinstance(d, str):
        return InputDocument(str(i + 1), d)
    return InputDocument(str(d.get("id", i + 1)), d["text"], dict(d.get("meta") or {}))


def peek(it: Iterable[Any], n: int) -> tuple[list[Any], Iterator[Any]]:
    """The first ``n`` items of ``it``, and an iterator that still yields all of them."""
    it = iter(it)
    head = list(itertools.islice(it, n))
    return head, itertools.chain(head, it)


def _load_tokenizer(name: str) -> Any:
    """The project's tokenizer loader, its errors as :class:`PredictorError`.

    ``allow_lossy``: the model was trained with whatever its saved tokenizer does.
    """
    from train.features.tokenization import load_tokenizer

    try:
        return load_tokenizer(name, allow_lossy=True)
    except TypeError:
        raise PredictorError(f"{name}: a fast tokenizer (tokenizer.json) is needed for character offsets") from None
    except (OSError, ValueError) as exc:
        raise PredictorError(f"cannot load the tokenizer of {name!r}: {exc}") from None
