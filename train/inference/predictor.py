"""Documents in, entities and events out: the composition behind ``scripts/predict.py``.

A document goes through the project's sentence splitter; every sentence goes to the NER
tagger, the sentence event classifier and the trigger tagger (any subset of the three). The
results come back as one record per document, with offsets into the original text:

``{"id", "text", "entities": [...], "sentences": [...], "events": [...]}``

Documents are streamed: they are read in chunks, the sentences of a whole chunk are batched
together across documents, and each record is yielded as soon as its chunk is done, so memory
stays flat over any number of documents. Long sentences go through windows, never truncation.

The forward pass sits behind :class:`Backend`, so that an ONNX Runtime session (issue 8) can
replace PyTorch without touching the rest: register a factory with :func:`register_backend`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

from train.corpus.sentences import split_sentences
from train.features.windows import CONFIG_KEY, sentence_contexts, sentence_windows
from train.inference.precision import check_precision, choose_auto, torch_dtype

# Entity labels by event role. A GPE is an actor ("Russia signed") unless the words before it
# make it a place ("in Moscow"): see :func:`gpe_is_place`.
ACTOR_LABELS = frozenset({"PERS", "ORG", "NORP", "GPE"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
DATE_LABELS = frozenset({"DATE"})
# Arabic prepositions after which a GPE names where something happened.
LOCATIVE_WORDS = frozenset({"في", "فى", "إلى", "الى", "إلي", "من", "بمدينة", "مدينة", "داخل", "خارج", "عبر",
                            "قرب", "نحو", "لدى", "بين", "حول", "شرق", "غرب", "شمال", "جنوب", "وسط", "بعاصمة",
                            "العاصمة", "عاصمة", "وفي", "وإلى", "ومن"})

MODEL_WEIGHTS = "model.safetensors"


class PredictorError(RuntimeError):
    """A model or input that the predictor cannot use; the message says why."""


@dataclass
class InputDocument:
    """One document to annotate: ``id`` and the exact original ``text``."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- backends


class Backend(Protocol):
    """One model's forward pass: a padded batch of encoded inputs in, logits out.

    ``features`` holds ``input_ids``, ``attention_mask`` and (when the model uses them)
    ``token_type_ids`` as int64 arrays of shape ``(batch, seq)``. The result is a float32
    array: ``(batch, seq, labels)`` for token classification, ``(batch, labels)`` for
    sequence classification. Everything else (tokenisation, windows, spans) is shared.
    """

    config: Any
    input_names: tuple[str, ...]

    def __call__(self, features: Mapping[str, np.ndarray]) -> np.ndarray: ...


BackendFactory = Callable[[str, str, Any, "str | None"], Backend]
_BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``--backend NAME`` available. ``factory(model_dir, task, config, device)``.

    ``task`` is ``"token-classification"`` or ``"text-classification"``; ``config`` is the
    model's loaded ``PretrainedConfig`` (labels, thresholds).
    """
    _BACKENDS[name] = factory


def backend_names() -> list[str]:
    """Registered backends, plus ``onnx`` (registered when :mod:`train.inference.onnx_backend` loads)."""
    return sorted(set(_BACKENDS) | {"onnx", "onnx-int8", "onnx-fp32"})


def default_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


class TorchBackend:
    """PyTorch forward pass under ``inference_mode``, on the GPU when there is one.

    ``precision`` ``bf16`` or ``fp16`` casts the weights (half the memory traffic, native
    matrix units where the hardware has them); logits always come back as float32, so the
    softmax and decoding after it stay in full precision.
    """

    def __init__(self, model: Any, device: str | None = None, precision: str = "fp32"):
        import torch

        self.device = device or default_device()
        dtype = torch_dtype(precision)
        self.precision = precision if dtype is not None else "fp32"
        self.model = (model.to(self.device, dtype=dtype) if dtype is not None else model.to(self.device)).eval()
        self.config = model.config
        names = ["input_ids", "attention_mask"]
        if getattr(model.config, "type_vocab_size", 0) and "token_type_ids" in _forward_params(model):
            names.append("token_type_ids")
        self.input_names = tuple(names)
        self._torch = torch

    def __call__(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            batch = {k: torch.as_tensor(features[k], device=self.device) for k in self.input_names if k in features}
            logits = self.model(**batch).logits
            return logits.float().cpu().numpy()


def _forward_params(model: Any) -> set[str]:
    import inspect

    return set(inspect.signature(model.forward).parameters)


def _torch_factory(model_dir: str, task: str, config: Any, device: str | None) -> Backend:
    return TorchBackend(load_model(model_dir, task, config), device)


register_backend("torch", _torch_factory)


# --------------------------------------------------------------------------- loading


def load_model(name_or_path: str, task: str, config: Any = None, allow_pickle: bool = False) -> Any:
    """Load weights from safetensors only (pickles with ``allow_pickle``), never running code shipped with the model."""
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

    cls = AutoModelForTokenClassification if task == "token-classification" else AutoModelForSequenceClassification
    local = Path(name_or_path)
    use_safetensors = True
    if local.is_dir() and not (local / MODEL_WEIGHTS).is_file() and not any(local.glob("model-*.safetensors")):
        pickles = sorted(p.name for p in local.iterdir() if p.suffix in (".bin", ".pt", ".pth"))
        if not (pickles and allow_pickle):
            hint = (f" It holds only pickle weights ({', '.join(pickles)}), which can run arbitrary code when loaded:"
                    " convert them to safetensors, or pass --allow-pickle if you trust the source.") if pickles else ""
            raise PredictorError(f"{name_or_path}: no {MODEL_WEIGHTS} in this folder; only safetensors weights are loaded.{hint}")
        use_safetensors = False
    # Never ask the Hub's conversion service for safetensors behind the user's back.
    os.environ["DISABLE_SAFETENSORS_CONVERSION"] = "1"
    kwargs: dict[str, Any] = {"use_safetensors": use_safetensors, "weights_only": True, "trust_remote_code": False}
    if config is not None:
        kwargs["config"] = config
    try:
        return cls.from_pretrained(str(name_or_path), **kwargs)
    except OSError as exc:
        raise PredictorError(f"cannot load {task} model {name_or_path!r}: {exc}") from None


def load_config(name_or_path: str) -> Any:
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(str(name_or_path), trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise PredictorError(f"cannot load the model configuration of {name_or_path!r}: {exc}") from None


def load_tokenizer(name_or_path: str) -> Any:
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(name_or_path), trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise PredictorError(f"cannot load the tokenizer of {name_or_path!r}: {exc}") from None
    if not getattr(tok, "is_fast", False):
        raise PredictorError(f"{name_or_path}: a fast tokenizer (tokenizer.json) is needed for character offsets")
    return tok


def model_task(config: Any) -> str:
    """``token-classification`` or ``text-classification``, from the saved architecture."""
    arch = " ".join(getattr(config, "architectures", None) or [])
    if "TokenClassification" in arch:
        return "token-classification"
    if "SequenceClassification" in arch:
        return "text-classification"
    raise PredictorError(f"cannot tell the task of a model with architectures {arch or 'unknown'!r}")


# --------------------------------------------------------------------------- models


def _pad(rows: Sequence[Sequence[int]], value: int) -> np.ndarray:
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), value, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


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
        self.tokenizer = load_tokenizer(self.name)
        if backend not in _BACKENDS and backend.startswith("onnx"):
            try:
                from train.inference import onnx_backend  # noqa: F401  (registers the onnx backends)
            except ImportError:
                pass
        if backend not in _BACKENDS:
            hint = " (export it first: scripts/export_onnx.py MODEL_DIR)" if backend == "onnx" else ""
            raise PredictorError(f"backend {backend!r} is not available{hint}; available: {', '.join(sorted(_BACKENDS))}")
        if backend == "torch" and (allow_pickle or precision != "fp32"):  # pickles: torch only
            model = load_model(self.name, self.task, self.config, allow_pickle=allow_pickle)
            self.backend: Backend = TorchBackend(model, device, precision)
        else:
            self.backend = _BACKENDS[backend](self.name, self.task, self.config, device)
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
            feats = {"input_ids": _pad([rows[i]["input_ids"] for i in idx], pad_id),
                     "attention_mask": _pad([[1] * len(rows[i]["input_ids"]) for i in idx], 0)}
            if "token_type_ids" in self.backend.input_names:
                feats["token_type_ids"] = _pad([rows[i].get("token_type_ids") or [0] * len(rows[i]["input_ids"]) for i in idx], 0)
            logits = self.backend(feats)
            for j, i in enumerate(idx):
                out[i] = logits[j, : len(rows[i]["input_ids"])] if logits.ndim == 3 else logits[j]
        return out


class _BackendAsModel:
    """Looks like a PyTorch token-classification model to :class:`SpanTagger`, runs a :class:`Backend`.

    It also keeps the softmax of each window it runs, keyed by the window's sub-word ids, so
    that entity scores come from the very forward pass that chose the tags.
    """

    def __init__(self, backend: Backend):
        self.backend = backend
        self.config = backend.config
        self.probs: dict[bytes, np.ndarray] = {}

    def eval(self) -> _BackendAsModel:
        return self

    def to(self, device: Any) -> _BackendAsModel:
        return self

    def parameters(self) -> Iterator[Any]:
        import torch

        yield torch.zeros(1)  # inputs stay on the CPU; the backend places them itself

    def __call__(self, input_ids: Any, attention_mask: Any, **_: Any) -> Any:
        import torch

        ids = input_ids.cpu().numpy()
        mask = attention_mask.cpu().numpy()
        feats = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        logits = self.backend(feats)
        probs = _softmax(logits)
        for r in range(len(ids)):
            n = int(mask[r].sum())
            self.probs[ids[r, :n].tobytes()] = probs[r, :n]
        return SimpleNamespace(logits=torch.from_numpy(logits))


class TokenTagger(_Model):
    """NER or event-trigger tagging through the NER module's :class:`SpanTagger` (windows included)."""

    task = "token-classification"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        from train.training.token_classification import SpanTagger

        self._shim = _BackendAsModel(self.backend)
        self.span_tagger = SpanTagger(self._shim, self.tokenizer, max_seq_length=self.max_length,
                                      batch_size=self.batch_size)

    def tag(self, texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Spans ``{start, end, label, score}`` of each text taken as one sentence."""
        return [spans[0] for spans in self.tag_documents([(t, [(0, len(t))]) for t in texts])]

    def tag_documents(self, docs: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> list[list[list[dict[str, Any]]]]:
        """For each ``(text, sentence bounds)``: per sentence, spans with offsets into ``text``.

        Each document is tokenised once; the sentences of all documents are batched together.
        An entity's score is the mean over its words of the probability of the word's tag.
        """
        from train.corpus.text import snap_to_words
        from train.features.alignment import (
            build_features,
            encode_spans_of_text,
            tags_to_word_spans,
            window_owners,
        )

        sents = []
        for k, (text, bounds) in enumerate(docs):
            sents += encode_spans_of_text(self.tokenizer, text, list(bounds), doc_index=k)
        if not sents:
            return [[[] for _ in bounds] for _, bounds in docs]
        self._shim.probs.clear()
        tags = self.span_tagger.tag_sentences(sents)
        st = self.span_tagger
        feats = build_features(sents, self.tokenizer.cls_token_id, self.tokenizer.sep_token_id,
                               st.max_seq_length, st.overlap)
        by_sent: dict[int, list[tuple[int, int]]] = {}
        for f in feats:
            by_sent.setdefault(f.sentence, []).append((f.word_lo, f.word_hi))
        scores = [np.zeros(x.num_words, dtype=np.float64) for x in sents]
        for f in feats:
            probs = self._shim.probs[np.asarray(f.input_ids, dtype=np.int64).tobytes()]
            got = probs[f.word_positions].max(axis=-1)
            windows = by_sent[f.sentence]
            if len(windows) > 1:
                own = window_owners(windows, sents[f.sentence].num_words)[f.word_lo : f.word_hi] == f.window
                scores[f.sentence][f.word_lo : f.word_hi][own] = got[own]
            else:
                scores[f.sentence][f.word_lo : f.word_hi] = got
        self._shim.probs.clear()
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


class SentenceClassifier(_Model):
    """Multi-label sentence event types, with the decision thresholds stored in the config."""

    task = "text-classification"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # How the training run built its inputs (train/sentence_inputs.py): its context segment,
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
        """Per-label decision threshold; labels never seen in training are never predicted."""
        cfg = self.config
        labels = [self.id2label[i] for i in sorted(self.id2label)]
        glob = getattr(cfg, "threshold", None)
        per = getattr(cfg, "thresholds", None)
        out: dict[str, float] = {}
        for lab in labels:
            if isinstance(per, Mapping) and lab in per:
                out[lab] = float(per[lab])
            elif isinstance(per, (int, float)):
                out[lab] = float(per)
            elif isinstance(glob, (int, float)):
                out[lab] = float(glob)
            else:
                out[lab] = 0.5
        for lab in getattr(cfg, "untrained_labels", None) or []:
            if lab in out:
                out[lab] = float("inf")
        return out

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
        if contexts is None:
            contexts = [None if self.context == "none" else ""] * len(texts)
        rows: list[dict[str, list[int]]] = []
        owners: list[int] = []
        for k, (text, ctx) in enumerate(zip(texts, contexts)):
            for w in sentence_windows(self.tokenizer, text, ctx, self.max_length, self.window_overlap, self.context):
                rows.append(w)
                owners.append(k)
        logits = self._run(rows)
        probs = np.zeros((len(texts), len(self.id2label)), dtype=np.float32)
        for row, owner in zip(logits, owners):
            probs[owner] = np.maximum(probs[owner], self._probabilities(row))
        out: list[list[dict[str, Any]]] = []
        for p in probs:
            found = [{"label": self.id2label[j], "score": float(p[j])} for j in range(len(p))
                     if p[j] >= thr[self.id2label[j]]]
            out.append(sorted(found, key=lambda e: -e["score"]))
        return out

    def _probabilities(self, logits: np.ndarray) -> np.ndarray:
        if getattr(self.config, "problem_type", None) == "single_label_classification":
            return _softmax(logits)
        return _sigmoid(logits)


# --------------------------------------------------------------------------- records


def _span_record(text: str, span: Mapping[str, Any]) -> dict[str, Any]:
    a, b = int(span["start"]), int(span["end"])
    return {"start": a, "end": b, "label": span["label"], "text": text[a:b], "score": round(float(span["score"]), 4)}


def gpe_is_place(text: str, start: int) -> bool:
    """Whether the GPE at ``start`` follows a locative word ("في", "إلى", ...)."""
    before = text[max(0, start - 30) : start].split()
    return bool(before) and before[-1] in LOCATIVE_WORDS


def group_by_role(text: str, entities: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Entities of one sentence as event arguments: actors, places, dates and others."""
    roles: dict[str, list[dict[str, Any]]] = {"actors": [], "places": [], "dates": [], "others": []}
    for e in entities:
        item = {k: e[k] for k in ("start", "end", "label", "text")}
        lab = e["label"]
        if lab == "GPE":
            roles["places" if gpe_is_place(text, e["start"]) else "actors"].append(item)
        elif lab in ACTOR_LABELS:
            roles["actors"].append(item)
        elif lab in PLACE_LABELS:
            roles["places"].append(item)
        elif lab in DATE_LABELS:
            roles["dates"].append(item)
        else:
            roles["others"].append(item)
    return roles


def build_events(text: str, sentences: list[dict[str, Any]], entities: list[dict[str, Any]],
                 have_classifier: bool) -> list[dict[str, Any]]:
    """One event per predicted type in a sentence, with its best trigger and role-grouped entities.

    With a sentence classifier, its types are the events and a trigger of the same type is
    attached when the tagger found one. With only a trigger tagger, each trigger is an event.
    """
    events: list[dict[str, Any]] = []
    ents = sorted(entities, key=lambda e: e["start"])
    for k, s in enumerate(sentences):
        inside = [e for e in ents if s["start"] <= e["start"] and e["end"] <= s["end"]]
        roles = group_by_role(text, inside)
        if have_classifier:
            found = [(t["label"], t["score"]) for t in s.get("event_types", [])]
            for label, score in found:
                same = [t for t in s.get("triggers", []) if t["label"] == label]
                trig = max(same, key=lambda t: t["score"]) if same else None
                events.append({"type": label, "score": score, "sentence": k,
                               "trigger": dict(trig) if trig else None, **roles})
        else:
            for t in s.get("triggers", []):
                events.append({"type": t["label"], "score": t["score"], "sentence": k, "trigger": dict(t), **roles})
    return events


class Predictor:
    """Composes the sentence splitter and any subset of the three models."""

    def __init__(self, ner: TokenTagger | None = None, events: SentenceClassifier | None = None,
                 triggers: TokenTagger | None = None, chunk_sentences: int = 256):
        if ner is None and events is None and triggers is None:
            raise PredictorError("no model given: pass at least one of --ner, --events, --triggers")
        self.ner, self.events, self.triggers = ner, events, triggers
        self.chunk_sentences = chunk_sentences
        first = next(m for m in (ner, events, triggers) if m is not None)
        self.precision: str = str(getattr(first.backend, "precision", "fp32"))
        self.precision_reason = "asked for"

    @classmethod
    def from_pretrained(cls, ner: str | None = None, events: str | None = None, triggers: str | None = None,
                        backend: str = "torch", device: str | None = None, batch_size: int = 32,
                        allow_pickle: bool = False, precision: str | None = None, **kwargs: Any) -> Predictor:
        """Load published folders or Hub names (safetensors only unless ``allow_pickle``, no remote code).

        ``precision``: ``fp32`` (the default on the torch backend; other backends run their own
        graph's precision); ``bf16``/``fp16`` (the torch backend with the weights cast);
        ``int8`` (the exported ONNX int8 graph); ``auto``: the fastest the hardware supports
        (:func:`train.inference.precision.choose_auto`). The choice and why: ``.precision``, ``.precision_reason``.
        """
        chosen, reason, backend = resolve_precision(precision, backend, device)

        def load(kind: type[_Model], name: str | None) -> Any:
            if not name:
                return None
            return kind(name, backend=backend, device=device, batch_size=batch_size, allow_pickle=allow_pickle,
                        precision=chosen if backend == "torch" else "fp32")

        out = cls(load(TokenTagger, ner), load(SentenceClassifier, events), load(TokenTagger, triggers), **kwargs)
        if chosen == "int8" and out.precision != "int8":
            raise PredictorError(f"precision int8 needs model.int8.onnx beside each model; export it first: "
                                 f"python scripts/export_onnx.py {next(iter(out.models().values()))}")
        if chosen in ("auto", "fp32") and backend != "torch":  # the backend fixed it
            reason = f"--backend {backend}"
        out.precision_reason = reason
        return out

    def models(self) -> dict[str, str]:
        return {k: m.name for k, m in (("ner", self.ner), ("events", self.events), ("triggers", self.triggers)) if m}

    def predict(self, docs: Iterable[InputDocument | Mapping[str, Any] | str]) -> Iterator[dict[str, Any]]:
        """Yield one record per document, in input order, reading ``docs`` lazily."""
        it = iter(_as_document(d, i) for i, d in enumerate(docs))
        while True:
            chunk: list[tuple[InputDocument, list[tuple[int, int]]]] = []
            n = 0
            for doc in it:
                sents = [(s.start, s.end) for s in split_sentences(doc.text)]
                chunk.append((doc, sents))
                n += len(sents)
                if n >= self.chunk_sentences:
                    break
            if not chunk:
                return
            yield from self._predict_chunk(chunk)

    def predict_one(self, text: str, id: str = "0") -> dict[str, Any]:
        return next(self.predict([InputDocument(id, text)]))

    def _predict_chunk(self, chunk: list[tuple[InputDocument, list[tuple[int, int]]]]) -> Iterator[dict[str, Any]]:
        texts = [doc.text[a:b] for doc, sents in chunk for a, b in sents]
        bounds = [(doc.text, sents) for doc, sents in chunk]
        ner = [x for per in self.ner.tag_documents(bounds) for x in per] if self.ner else None
        trig = [x for per in self.triggers.tag_documents(bounds) for x in per] if self.triggers else None
        ctxs = [c for doc, sents in chunk for c in self.events.contexts(doc.text, sents)] if self.events else None
        types = self.events.classify(texts, ctxs) if self.events else None
        k = 0
        for doc, sents in chunk:
            entities: list[dict[str, Any]] = []
            sentences: list[dict[str, Any]] = []
            for a, b in sents:
                if ner is not None:
                    entities += [_span_record(doc.text, s) for s in ner[k]]
                sent: dict[str, Any] = {"start": a, "end": b}
                if types is not None:
                    sent["event_types"] = [{"label": t["label"], "score": round(t["score"], 4)} for t in types[k]]
                if trig is not None:
                    sent["triggers"] = [_span_record(doc.text, s) for s in trig[k]]
                sentences.append(sent)
                k += 1
            events = build_events(doc.text, sentences, entities, have_classifier=types is not None)
            yield {"id": doc.id, "text": doc.text, "meta": doc.meta, "entities": entities,
                   "sentences": sentences, "events": events}


def resolve_precision(precision: str | None, backend: str = "torch", device: str | None = None) -> tuple[str, str, str]:
    """``(precision, reason, backend)`` for a requested precision and backend.

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
            chosen, reason = choose_auto(device or default_device())
        else:
            chosen, reason = precision, "asked for"
        return chosen, reason, ("onnx-int8" if chosen == "int8" else "torch")
    fits = (precision == "auto" or (precision == "int8" and backend in ("onnx", "onnx-int8"))
            or (precision == "fp32" and backend == "onnx-fp32"))
    if not fits:
        raise PredictorError(f"precision {precision} does not go with backend {backend}: bf16/fp16/fp32 run on "
                             "--backend torch, int8 on the ONNX int8 graph; give one or the other")
    return precision, "asked for", backend


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
