"""Multi-label sentence event classification: which PLOVER types does a sentence report?

``AutoModelForSequenceClassification`` with ``problem_type="multi_label_classification"``
(one sigmoid per type), trained with ``Trainer``: best checkpoint by dev micro F1, early
stopping, fixed seed. Optional positive-class weights help rare types.

Decision thresholds are tuned on dev data after training (one global threshold or one per
type) and stored in ``config.json`` as ``thresholds`` (label → probability), so that the
published model carries them and a plain ``pipeline("text-classification", top_k=None)``
user can apply them. Types without training examples are listed in
``config.untrained_labels``, get a threshold above 1 and a masked output unit (zero weights,
bias ``MASKED_BIAS``), so they are never predicted.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from .event_evaluation import multilabel_metrics, render_report, write_reports
from .sentence_dataset import CONTEXT_MODES, SentenceExample, label_matrix

logger = logging.getLogger(__name__)

NEVER_THRESHOLD = 2.0  # above any probability: the type is never predicted
MASKED_BIAS = -30.0  # sigmoid(-30) ≈ 1e-13, for output units of untrained types
THRESHOLDS_NOTE = (
    "Predict a label when its sigmoid score >= thresholds[label]. Thresholds were tuned on dev data "
    "(strategy in threshold_strategy); labels in untrained_labels had no training examples, have a "
    "threshold above 1 and are never predicted."
)


@dataclass
class EventArguments:
    """Options of the sentence event classifier (``task: events``)."""

    context: str = field(
        default="none", metadata={"help": "Second text segment: none, previous (sentence) or headline (first line)."}
    )
    no_event_ratio: float | None = field(
        default=None,
        metadata={"help": "Keep at most this many no-event training sentences per event sentence; null keeps all."},
    )
    pos_weight: str = field(
        default="none", metadata={"help": "Positive-class weights for rare types: none, balanced (neg/pos) or sqrt."}
    )
    pos_weight_max: float = field(default=10.0, metadata={"help": "Upper bound of a positive-class weight."})
    threshold_strategy: str = field(
        default="per_type", metadata={"help": "Tune one global threshold or one per type on dev data: global | per_type."}
    )
    default_threshold: float = field(
        default=0.5, metadata={"help": "Threshold used during training and when a type cannot be tuned."}
    )
    early_stopping_patience: int = field(default=5, metadata={"help": "Evaluations without dev improvement before stopping."})
    max_seq_length: int = field(default=256, metadata={"help": "Sub-words per sentence (+ context); the context is cut first."})

    def __post_init__(self) -> None:
        if self.context not in CONTEXT_MODES:
            raise ValueError(f"context must be one of {CONTEXT_MODES}, got {self.context!r}")
        if self.pos_weight not in ("none", "balanced", "sqrt"):
            raise ValueError(f"pos_weight must be none, balanced or sqrt, got {self.pos_weight!r}")
        if self.threshold_strategy not in ("global", "per_type"):
            raise ValueError(f"threshold_strategy must be global or per_type, got {self.threshold_strategy!r}")


# --------------------------------------------------------------------------- labels and weights


def label_maps(labels: Sequence[str]) -> tuple[dict[int, str], dict[str, int]]:
    id2label = dict(enumerate(labels))
    return id2label, {lab: k for k, lab in id2label.items()}


def training_counts(examples: Sequence[SentenceExample], labels: Sequence[str]) -> dict[str, int]:
    """Number of training sentences carrying each type."""
    counts = dict.fromkeys(labels, 0)
    for e in examples:
        for lab in e.labels:
            counts[lab] += 1
    return counts


def positive_weights(counts: dict[str, int], n: int, mode: str, cap: float) -> list[float] | None:
    """Per-type ``pos_weight`` for BCE: negatives/positives (``balanced``) or its root, capped."""
    if mode == "none":
        return None
    out: list[float] = []
    for pos in counts.values():
        if pos == 0:
            out.append(1.0)
            continue
        w = (n - pos) / pos
        w = math.sqrt(w) if mode == "sqrt" else w
        out.append(float(min(max(w, 1.0), cap)))
    return out


# --------------------------------------------------------------------------- thresholds


def apply_thresholds(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Boolean decisions: ``probs >= thresholds`` column by column."""
    return np.asarray(probs) >= np.asarray(thresholds, dtype=np.float64)[None, :]


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float(np.logical_and(pred, gold).sum())
    fp = float(np.logical_and(pred, ~gold).sum())
    fn = float(np.logical_and(~pred, gold).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def tune_thresholds(
    probs: np.ndarray,
    gold: np.ndarray,
    labels: Sequence[str],
    strategy: str = "per_type",
    untrained: Sequence[str] = (),
    default: float = 0.5,
    grid: Sequence[float] | None = None,
) -> dict[str, float]:
    """Thresholds that maximise dev F1: micro F1 for ``global``, each type's F1 for ``per_type``.

    Ties go to the value nearest ``default`` (or to the global value, per type), so a
    flat optimum does not drift to an extreme. Types without dev positives keep the global
    value; untrained types get :data:`NEVER_THRESHOLD`.
    """
    probs = np.asarray(probs, dtype=np.float64)
    gold = np.asarray(gold) > 0.5
    grid = np.round(np.arange(0.05, 0.951, 0.05), 2) if grid is None else np.asarray(grid)
    live = np.array([lab not in set(untrained) for lab in labels])

    def best(score: Callable[[float], float], anchor: float) -> float:
        scored = [(score(t), -abs(t - anchor), t) for t in grid]
        return float(max(scored)[2])

    if live.any() and gold[:, live].any():
        g = best(lambda t: _f1(probs[:, live] >= t, gold[:, live]), default)
    else:
        g = default
    out: dict[str, float] = {}
    for j, lab in enumerate(labels):
        if not live[j]:
            out[lab] = NEVER_THRESHOLD
        elif strategy == "per_type" and gold[:, j].any():
            out[lab] = best(lambda t, j=j: _f1(probs[:, j] >= t, gold[:, j]), g)
        else:
            out[lab] = g
    return out


def predict_label_sets(probs: np.ndarray, labels: Sequence[str], thresholds: dict[str, float]) -> list[tuple[str, ...]]:
    decided = apply_thresholds(probs, [thresholds[lab] for lab in labels])
    return [tuple(lab for lab, on in zip(labels, row) if on) for row in decided]


# --------------------------------------------------------------------------- features


def encode_examples(
    examples: Sequence[SentenceExample], tokenizer: Any, labels: Sequence[str] | None, max_length: int
) -> list[dict[str, Any]]:
    """Tokenised features (a plain list, which Trainer accepts as a dataset).

    With a context segment the pair is truncated context-first, so the sentence itself
    keeps as much as possible.
    """
    rows = label_matrix(examples, labels) if labels is not None else None
    feats: list[dict[str, Any]] = []
    for k, e in enumerate(examples):
        if e.context is None:
            enc = tokenizer(e.text, truncation=True, max_length=max_length)
        else:
            enc = tokenizer(e.text, e.context, truncation="longest_first", max_length=max_length)
        item = {key: list(v) for key, v in enc.items() if key in ("input_ids", "attention_mask", "token_type_ids")}
        if rows is not None:
            item["labels"] = rows[k]
        feats.append(item)
    return feats


@torch.no_grad()
def predict_probabilities(
    model: Any, tokenizer: Any, examples: Sequence[SentenceExample], max_length: int = 256, batch_size: int = 32
) -> np.ndarray:
    """Sigmoid scores, one row per example, one column per model label."""
    from transformers import DataCollatorWithPadding

    if not examples:
        return np.zeros((0, model.config.num_labels))
    was_training = model.training
    model.eval()
    collate = DataCollatorWithPadding(tokenizer)
    feats = encode_examples(examples, tokenizer, None, max_length)
    device = next(model.parameters()).device
    out: list[np.ndarray] = []
    for i in range(0, len(feats), batch_size):
        batch = {k: v.to(device) for k, v in collate(feats[i : i + batch_size]).items()}
        out.append(torch.sigmoid(model(**batch).logits.float()).cpu().numpy())
    model.train(was_training)
    return np.concatenate(out)


# --------------------------------------------------------------------------- model


def _load_tokenizer(name_or_path: str) -> Any:
    """The project's safe tokenizer loader when present (hamza check, normaliser), else AutoTokenizer."""
    try:
        from .tokenization import load_tokenizer  # type: ignore[attr-defined]
    except ImportError:
        load_tokenizer = None
    if load_tokenizer is not None:
        return load_tokenizer(name_or_path)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=False)


def load_classifier(name_or_path: str, labels: Sequence[str]) -> tuple[Any, Any]:
    """Tokenizer and a fresh multi-label head with the given label names (no remote code)."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    id2label, label2id = label_maps(labels)
    config = AutoConfig.from_pretrained(
        name_or_path,
        num_labels=len(labels),
        id2label=id2label,
        label2id=label2id,
        problem_type="multi_label_classification",
        trust_remote_code=False,
    )
    model = AutoModelForSequenceClassification.from_pretrained(name_or_path, config=config, trust_remote_code=False)
    return _load_tokenizer(name_or_path), model


def mask_untrained(model: Any, labels: Sequence[str], untrained: Sequence[str]) -> None:
    """Zero the output unit of each untrained type and give it a very negative bias."""
    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        return
    idx = [k for k, lab in enumerate(labels) if lab in set(untrained)]
    with torch.no_grad():
        for k in idx:
            head.weight[k].zero_()
            if head.bias is not None:
                head.bias[k] = MASKED_BIAS


def store_thresholds(model: Any, thresholds: dict[str, float], strategy: str, untrained: Sequence[str]) -> None:
    """Write the decision rule into the model config, which ``save_pretrained`` serialises."""
    model.config.thresholds = {lab: float(thresholds[lab]) for lab in model.config.id2label.values()}
    model.config.threshold_strategy = strategy
    model.config.untrained_labels = list(untrained)
    model.config.thresholds_note = THRESHOLDS_NOTE


def read_thresholds(config: Any) -> dict[str, float]:
    """Thresholds from a loaded config; 0.5 for every label if the model carries none."""
    th = getattr(config, "thresholds", None) or {}
    return {lab: float(th.get(lab, 0.5)) for lab in config.id2label.values()}


try:
    from transformers import Trainer as _Trainer
except ImportError:  # pragma: no cover - transformers is a dependency
    _Trainer = object  # type: ignore[assignment,misc]


class MultiLabelTrainer(_Trainer):  # type: ignore[misc,valid-type]
    """``Trainer`` with a BCE loss that takes per-type positive weights."""

    loss_is_scaled_for_ga = False  # a per-batch mean: Trainer divides by accumulation steps

    def __init__(self, *args: Any, pos_weight: Sequence[float] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pos_weight = torch.tensor(pos_weight, dtype=torch.float32) if pos_weight is not None else None

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # noqa: ANN001
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits
        pw = self.pos_weight.to(logits.device, logits.dtype) if self.pos_weight is not None else None
        loss = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype), pos_weight=pw)
        return (loss, outputs) if return_outputs else loss


def _metrics_fn(labels: Sequence[str], untrained: Sequence[str], threshold: float) -> Callable[[Any], dict[str, float]]:
    th = [NEVER_THRESHOLD if lab in set(untrained) else threshold for lab in labels]

    def compute(eval_pred: Any) -> dict[str, float]:
        logits, gold = eval_pred.predictions, eval_pred.label_ids
        logits = logits[0] if isinstance(logits, tuple) else logits
        probs = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
        pred = predict_label_sets(probs, labels, dict(zip(labels, th)))
        gsets = [tuple(lab for lab, g in zip(labels, row) if g > 0.5) for row in gold]
        m = multilabel_metrics(gsets, pred, labels)
        return {k: m[k] for k in ("micro_f1", "macro_f1", "subset_accuracy", "any_event_f1")}

    return compute


# --------------------------------------------------------------------------- training


def _last_checkpoint(path: Path) -> str | None:
    ckpts = sorted(
        (p for p in path.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()),
        key=lambda p: int(p.name.split("-")[-1]),
    )
    return str(ckpts[-1]) if ckpts else None


def finalize_output(partial: Path, output: Path) -> None:
    """Replace ``output`` by the finished ``partial`` directory (old one moved aside first)."""
    for p in partial.glob("checkpoint-*"):
        shutil.rmtree(p, ignore_errors=True)
    old = output.with_name(output.name + ".old")
    if output.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(output, old)
    os.replace(partial, output)
    shutil.rmtree(old, ignore_errors=True)


def model_card(
    labels: Sequence[str],
    thresholds: dict[str, float],
    strategy: str,
    untrained: Sequence[str],
    counts: dict[str, int],
    base: str,
    metrics: dict[str, Any] | None,
) -> str:
    """README.md of the saved classifier: what it predicts, and its decision thresholds."""
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        "language: ar",
        "---",
        "",
        "# Arabic news sentence event classifier (PLOVER types)",
        "",
        f"Fine-tuned from `{base}`: multi-label classification of a sentence into the PLOVER event types it reports.",
        "",
        "```python",
        "from transformers import pipeline",
        'clf = pipeline("text-classification", model=PATH, top_k=None)',
        "th = clf.model.config.thresholds",
        "labels = [s['label'] for s in clf(sentence) if s['score'] >= th[s['label']]]",
        "```",
        "",
        f"## Decision thresholds ({strategy})",
        "",
        "| type | threshold | training sentences |",
        "|---|---|---|",
    ]
    for lab in labels:
        th = "never predicted (no training examples)" if lab in untrained else f"{thresholds[lab]:.2f}"
        lines.append(f"| {lab} | {th} | {counts.get(lab, 0)} |")
    if metrics:
        lines += [
            "",
            "## Evaluation (dev)",
            "",
            f"micro F1 {metrics['micro_f1']:.3f}, macro F1 {metrics['macro_f1']:.3f}, "
            f"subset accuracy {metrics['subset_accuracy']:.3f}, any-event F1 {metrics['any_event_f1']:.3f} "
            f"on {metrics['sentences']} sentences.",
        ]
    return "\n".join(lines) + "\n"


def train_sentence_classifier(
    model_name_or_path: str,
    train_examples: Sequence[SentenceExample],
    dev_examples: Sequence[SentenceExample] | None,
    output_dir: str | Path,
    labels: Sequence[str],
    training_args: Any,
    event_args: EventArguments | None = None,
    resume: bool = False,
    test_examples: Sequence[SentenceExample] | None = None,
) -> dict[str, Any]:
    """Fine-tune, tune thresholds on dev, save model + tokenizer + reports; return the dev metrics.

    ``training_args`` is a ``transformers.TrainingArguments`` whose ``output_dir`` is ignored:
    work happens in ``<output_dir>.partial/``, renamed to ``output_dir`` on success. With
    ``resume``, training continues from the last checkpoint found there. Without dev data,
    thresholds are tuned on the training sentences and there is no early stopping.
    """
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, set_seed

    ea = event_args or EventArguments()
    labels = list(labels)
    output = Path(output_dir)
    partial = output.with_name(output.name + ".partial")
    if partial.exists() and not resume:
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    set_seed(training_args.seed)

    counts = training_counts(train_examples, labels)
    untrained = [lab for lab in labels if counts[lab] == 0]
    if untrained:
        logger.warning("event types without training examples (never predicted): %s", ", ".join(untrained))
    tokenizer, model = load_classifier(model_name_or_path, labels)
    train_feats = encode_examples(train_examples, tokenizer, labels, ea.max_seq_length)
    dev = list(dev_examples) if dev_examples else []
    dev_feats = encode_examples(dev, tokenizer, labels, ea.max_seq_length) if dev else None

    callbacks = []
    if dev_feats:
        strategy = getattr(training_args.eval_strategy, "value", training_args.eval_strategy)
        strategy = "epoch" if strategy == "no" else strategy
        args = dataclasses.replace(
            training_args,
            output_dir=str(partial),
            eval_strategy=strategy,
            save_strategy=strategy,
            load_best_model_at_end=True,
            metric_for_best_model="micro_f1",
            greater_is_better=True,
            save_total_limit=training_args.save_total_limit or 2,
        )
        if ea.early_stopping_patience > 0:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=ea.early_stopping_patience))
    else:
        args = dataclasses.replace(
            training_args, output_dir=str(partial), eval_strategy="no", load_best_model_at_end=False
        )
    trainer = MultiLabelTrainer(
        model=model,
        args=args,
        train_dataset=train_feats,
        eval_dataset=dev_feats,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_metrics_fn(labels, untrained, ea.default_threshold),
        callbacks=callbacks,
        pos_weight=positive_weights(counts, len(train_examples), ea.pos_weight, ea.pos_weight_max),
    )
    ckpt = _last_checkpoint(partial) if resume else None
    if resume and ckpt is None:
        logger.warning("--resume: no checkpoint in %s, starting from the beginning", partial)
    train_result = trainer.train(resume_from_checkpoint=ckpt)
    model = trainer.model

    tune_on = dev if dev else list(train_examples)
    probs = predict_probabilities(model, tokenizer, tune_on, ea.max_seq_length)
    gold = np.array(label_matrix(tune_on, labels)) if tune_on else np.zeros((0, len(labels)))
    thresholds = tune_thresholds(probs, gold, labels, ea.threshold_strategy, untrained, ea.default_threshold)
    mask_untrained(model, labels, untrained)
    store_thresholds(model, thresholds, ea.threshold_strategy, untrained)

    pred = predict_label_sets(probs, labels, thresholds)
    dev_metrics = multilabel_metrics([e.labels for e in tune_on], pred, labels)
    dev_metrics["evaluated_on"] = "dev" if dev else "train (no dev data given)"
    dev_metrics["thresholds"] = thresholds
    dev_metrics["untrained_labels"] = untrained
    dev_metrics["training_counts"] = counts
    dev_metrics["train_runtime_s"] = float(train_result.metrics.get("train_runtime", float("nan")))
    dev_metrics["best_checkpoint"] = trainer.state.best_model_checkpoint
    dev_metrics["event_arguments"] = asdict(ea)
    notes = [f"evaluated on: {dev_metrics['evaluated_on']}", f"thresholds tuned on the same data ({ea.threshold_strategy})"]
    report = render_report(dev_metrics, "Sentence event classification (dev)", thresholds, untrained, notes)
    all_metrics: dict[str, Any] = {"dev": dev_metrics}
    if test_examples:
        tp = predict_probabilities(model, tokenizer, test_examples, ea.max_seq_length)
        test_m = multilabel_metrics([e.labels for e in test_examples], predict_label_sets(tp, labels, thresholds), labels)
        all_metrics["test"] = test_m
        report += "\n" + render_report(test_m, "Sentence event classification (test)", thresholds, untrained)

    model.save_pretrained(partial)  # safetensors by default in transformers 5
    tokenizer.save_pretrained(partial)
    (partial / "README.md").write_text(
        model_card(labels, thresholds, ea.threshold_strategy, untrained, counts, str(model_name_or_path), dev_metrics),
        encoding="utf-8",
    )
    write_reports(partial, all_metrics, report)
    finalize_output(partial, output)
    return all_metrics
