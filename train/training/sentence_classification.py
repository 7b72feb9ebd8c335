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

import json
import logging
import math
import pickle
import time
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from train.atomic import atomic_write_text
from train.evaluation.multilabel import multilabel_metrics, render_report
from train.evaluation.reports import write_reports
from train.features.sentence_examples import SentenceExample, target_matrix
from train.features.windows import CONFIG_KEY, sentence_windows
from train.inference.thresholds import NEVER_THRESHOLD
from train.publishing.model_card import build_card, load_metrics
from train.training.config import EventArguments

logger = logging.getLogger(__name__)

MASKED_BIAS = -30.0  # sigmoid(-30) ≈ 1e-13, for output units of untrained types
THRESHOLDS_NOTE = (
    "Predict a label when its sigmoid score >= thresholds[label]. Thresholds were tuned on dev data "
    "(strategy in threshold_strategy); labels in untrained_labels had no training examples, have a "
    "threshold above 1 and are never predicted."
)


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


def judged_counts(examples: Sequence[SentenceExample], labels: Sequence[str]) -> dict[str, int]:
    """Number of training sentences for which each type is known (yes or no)."""
    return {lab: sum(1 for e in examples if e.is_judged(lab)) for lab in labels}


def positive_weights(counts: dict[str, int], n: int | dict[str, int], mode: str, cap: float) -> list[float] | None:
    """Per-type ``pos_weight`` for BCE: negatives/positives (``balanced``) or its root, capped.

    ``n`` is the number of sentences, or per type the number that judged it (partial labels).
    """
    if mode == "none":
        return None
    out: list[float] = []
    for lab, pos in counts.items():
        if pos == 0:
            out.append(1.0)
            continue
        w = ((n[lab] if isinstance(n, dict) else n) - pos) / pos
        w = math.sqrt(w) if mode == "sqrt" else w
        out.append(float(min(max(w, 1.0), cap)))
    return out


# --------------------------------------------------------------------------- thresholds


def apply_thresholds(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Boolean decisions: ``probs >= thresholds`` column by column."""
    return np.asarray(probs) >= np.asarray(thresholds, dtype=np.float64)[None, :]


def _f1(pred: np.ndarray, gold: np.ndarray, mask: np.ndarray | None = None) -> float:
    """F1 over the decisions where ``mask`` is true (the judged pairs; all without a mask)."""
    m = np.ones_like(gold, dtype=bool) if mask is None else mask
    tp = float((pred & gold & m).sum())
    fp = float((pred & ~gold & m).sum())
    fn = float((~pred & gold & m).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def tune_thresholds(
    probs: np.ndarray,
    gold: np.ndarray,
    labels: Sequence[str],
    strategy: str = "per_type",
    untrained: Sequence[str] = (),
    default: float = 0.5,
    grid: Sequence[float] | None = None,
    mask: np.ndarray | None = None,
) -> dict[str, float]:
    """Thresholds that maximise dev F1: micro F1 for ``global``, each type's F1 for ``per_type``.

    Ties go to the value nearest ``default`` (or to the global value, per type), so a
    flat optimum does not drift to an extreme. Types without dev positives keep the global
    value; untrained types get :data:`NEVER_THRESHOLD`. ``mask`` (default: ``gold >= 0``)
    marks the judged pairs; the others count for nothing.
    """
    probs = np.asarray(probs, dtype=np.float64)
    raw = np.asarray(gold, dtype=np.float64)
    mask = (raw >= 0) if mask is None else np.asarray(mask, dtype=bool)
    gold = (raw > 0.5) & mask
    grid = np.round(np.arange(0.05, 0.951, 0.05), 2) if grid is None else np.asarray(grid)
    live = np.array([lab not in set(untrained) for lab in labels])

    def best(score: Callable[[float], float], anchor: float) -> float:
        scored = [(score(t), -abs(t - anchor), t) for t in grid]
        return float(max(scored)[2])

    if live.any() and gold[:, live].any():
        g = best(lambda t: _f1(probs[:, live] >= t, gold[:, live], mask[:, live]), default)
    else:
        g = default
    out: dict[str, float] = {}
    for j, lab in enumerate(labels):
        if not live[j]:
            out[lab] = NEVER_THRESHOLD
        elif strategy == "per_type" and gold[:, j].any():
            out[lab] = best(lambda t, j=j: _f1(probs[:, j] >= t, gold[:, j], mask[:, j]), g)
        else:
            out[lab] = g
    return out


def predict_label_sets(probs: np.ndarray, labels: Sequence[str], thresholds: dict[str, float]) -> list[tuple[str, ...]]:
    decided = apply_thresholds(probs, [thresholds[lab] for lab in labels])
    return [tuple(lab for lab, on in zip(labels, row) if on) for row in decided]


# --------------------------------------------------------------------------- features


def encode_examples(
    examples: Sequence[SentenceExample], tokenizer: Any, labels: Sequence[str] | None, max_length: int,
    overlap: int = 64, context_mode: str = "previous",
) -> list[dict[str, Any]]:
    """One feature per sentence (a plain list, which Trainer accepts as a dataset): its ``windows``.

    A sentence longer than ``max_length`` sub-words is read in overlapping windows
    (:func:`train.features.windows.sentence_windows`), never truncated; :class:`WindowCollator`
    and :func:`aggregate_windows` score it as the maximum over its windows.
    """
    rows = target_matrix(examples, labels) if labels is not None else None
    feats: list[dict[str, Any]] = []
    for k, e in enumerate(examples):
        item: dict[str, Any] = {"windows": sentence_windows(tokenizer, e.text, e.context, max_length, overlap, context_mode)}
        if rows is not None:
            item["labels"] = rows[k]
        feats.append(item)
    return feats


def aggregate_windows(logits: torch.Tensor, owner: torch.Tensor, n: int) -> torch.Tensor:
    """Per-sentence logits: each type's maximum over the sentence's windows (differentiable)."""
    out = torch.full((n, logits.shape[-1]), torch.finfo(logits.dtype).min, dtype=logits.dtype, device=logits.device)
    return out.scatter_reduce(0, owner.to(logits.device)[:, None].expand_as(logits), logits, reduce="amax", include_self=True)


class WindowCollator:
    """Pads the windows of a batch of sentences into one tensor batch, with ``window_owner``."""

    def __init__(self, tokenizer: Any, pad_to_multiple_of: int | None = None):
        from transformers import DataCollatorWithPadding

        self.pad = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_to_multiple_of)

    def __call__(self, feats: Sequence[dict[str, Any]]) -> dict[str, Any]:
        rows = [w for f in feats for w in f["windows"]]
        owner = [i for i, f in enumerate(feats) for _ in f["windows"]]
        out: dict[str, Any] = {}
        if feats and "labels" in feats[0]:  # first, so Trainer counts sentences, not windows
            out["labels"] = torch.tensor([f["labels"] for f in feats], dtype=torch.float32)
        out.update(self.pad(rows))
        out["window_owner"] = torch.tensor(owner, dtype=torch.long)
        return out


@torch.no_grad()
def predict_probabilities(
    model: Any, tokenizer: Any, examples: Sequence[SentenceExample], max_length: int = 256, batch_size: int = 32,
    overlap: int = 64, context_mode: str = "previous",
) -> np.ndarray:
    """Sigmoid scores, one row per example (max over its windows), one column per model label."""
    if not examples:
        return np.zeros((0, model.config.num_labels))
    was_training = model.training
    model.eval()
    collate = WindowCollator(tokenizer)
    feats = encode_examples(examples, tokenizer, None, max_length, overlap, context_mode)
    device = next(model.parameters()).device
    out: list[np.ndarray] = []
    for i in range(0, len(feats), batch_size):
        chunk = feats[i : i + batch_size]
        batch = collate(chunk)
        owner = batch.pop("window_owner")
        logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float()
        out.append(torch.sigmoid(aggregate_windows(logits, owner, len(chunk))).cpu().numpy())
    model.train(was_training)
    return np.concatenate(out)


# --------------------------------------------------------------------------- model


def load_classifier(
    name_or_path: str, labels: Sequence[str], allow_pickle: bool = False, dropout: float | None = None, **load_kwargs: Any
) -> Any:
    """A fresh multi-label head on the base model, with the label names (no remote code).

    ``load_kwargs`` (``train.training.modeling.weights_kwargs``) pin the Hub commit and choose the weights
    file; without them a local folder loads its safetensors, or its pickle if ``allow_pickle``.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification

    kwargs: dict[str, Any] = {"use_safetensors": True, "weights_only": True, **load_kwargs, "trust_remote_code": False}
    if "use_safetensors" not in load_kwargs and allow_pickle:
        kwargs["use_safetensors"] = None  # safetensors still win where both exist
    hub = {k: kwargs[k] for k in ("revision", "token", "cache_dir", "local_files_only") if k in kwargs}
    id2label, label2id = label_maps(labels)
    extra = {} if dropout is None else {"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout}
    config = AutoConfig.from_pretrained(
        name_or_path,
        num_labels=len(labels),
        id2label=id2label,
        label2id=label2id,
        problem_type="multi_label_classification",
        trust_remote_code=False,
        **extra,
        **hub,
    )
    return AutoModelForSequenceClassification.from_pretrained(name_or_path, config=config, ignore_mismatched_sizes=True, **kwargs)


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
        owner = inputs.pop("window_owner")
        logits = aggregate_windows(model(**inputs).logits, owner, labels.shape[0])  # max over each sentence's windows
        pw = self.pos_weight.to(logits.device, logits.dtype) if self.pos_weight is not None else None
        loss = masked_bce(logits, labels, pw)
        return (loss, {"logits": logits}) if return_outputs else loss


def masked_bce(logits: torch.Tensor, targets: torch.Tensor, pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean BCE-with-logits over the judged pairs only: a target of :data:`IGNORE` (< 0) adds nothing.

    With every pair judged this is the plain mean of ``binary_cross_entropy_with_logits``.
    """
    targets = targets.to(logits.dtype)
    judged = targets >= 0
    per = F.binary_cross_entropy_with_logits(logits, targets.clamp(min=0), pos_weight=pos_weight, reduction="none")
    per = torch.where(judged, per, torch.zeros_like(per))
    return per.sum() / judged.sum().clamp(min=1)


def _metrics_fn(labels: Sequence[str], untrained: Sequence[str], threshold: float) -> Callable[[Any], dict[str, float]]:
    """``compute_metrics``: figures at the default threshold, micro F1 at the best global threshold
    and macro F1 at the best per-type thresholds.

    The best checkpoint is chosen by the tuned figure of the run's ``threshold_strategy``
    (``best_macro_f1`` for per_type, ``best_micro_f1`` for global), because the saved model
    is used with tuned thresholds; at a fixed 0.5 an early, under-confident model scores 0
    for many epochs and early stopping would end training before it learns.
    """
    live = [lab not in set(untrained) for lab in labels]

    def compute(eval_pred: Any) -> dict[str, float]:
        logits = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
        probs = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
        raw = np.asarray(eval_pred.label_ids, dtype=np.float64)
        gold, mask = raw > 0.5, raw >= 0
        th = {lab: (threshold if on else NEVER_THRESHOLD) for lab, on in zip(labels, live)}
        gsets = [tuple(lab for lab, g in zip(labels, row) if g) for row in gold]
        judged = [tuple(lab for lab, m in zip(labels, row) if m) for row in mask]
        m = multilabel_metrics(gsets, predict_label_sets(probs, labels, th), labels, judged)
        best = tune_thresholds(probs, raw, labels, "global", untrained, threshold)
        bm = multilabel_metrics(gsets, predict_label_sets(probs, labels, best), labels, judged)
        per = tune_thresholds(probs, raw, labels, "per_type", untrained, threshold)
        pm = multilabel_metrics(gsets, predict_label_sets(probs, labels, per), labels, judged)
        return {
            "best_macro_f1": pm["macro"]["f1"],
            "micro_f1": m["micro"]["f1"],
            "macro_f1": m["macro"]["f1"],
            "subset_accuracy": m["subset_accuracy"],
            "any_event_f1": m["any_event"]["f1"],
            "best_micro_f1": bm["micro"]["f1"],
        }

    return compute


# --------------------------------------------------------------------------- training


def event_arguments(data_args: Any) -> EventArguments:
    """The parsed :class:`EventArguments` of a run (defaults when the config had none)."""
    extra = getattr(data_args, "extra_args", None) or {}
    return extra.get("EventArguments") or EventArguments()


def train_sentence_classifier(
    model_args: Any,
    train_examples: Sequence[SentenceExample],
    dev_examples: Sequence[SentenceExample] | None,
    output_dir: str | Path,
    labels: Sequence[str],
    training_args: Any,
    event_args: EventArguments | None = None,
    test_examples: Sequence[SentenceExample] | None = None,
    early_stopping_patience: int | None = 3,
    resume: bool = False,
    overwrite: bool = True,
    explicit_keys: set[str] = frozenset(),
    notes: Sequence[str] = (),
    tune_scores: tuple[np.ndarray, np.ndarray, str] | None = None,
) -> dict[str, Any]:
    """Fine-tune, tune thresholds on dev, save model + tokenizer + reports; return ``{split: metrics}``.

    ``tune_scores`` (``(probabilities, target matrix, what they are)``, used without dev data): the
    thresholds are tuned on these scores of other models instead of the training sentences, e.g. the
    cross-validation folds' predictions on their held-out documents. With ``test_examples`` the
    run writes its scores on them (``test_scores.json``) for that use.

    ``model_args`` is a ``train.training.config.ModelArguments`` (base model, tokenizer checks,
    ``max_seq_length``); ``training_args`` a ``TrainingArguments`` whose ``output_dir`` is
    replaced: work happens in ``<output_dir>.partial/``, renamed to ``output_dir`` on success;
    with ``resume`` training continues from the last checkpoint there. The best checkpoint
    is chosen by dev macro F1 at per-type thresholds (micro F1 at a global one with ``global``). Without dev data there is no
    early stopping, and thresholds are tuned on the training sentences (the report says so).
    """
    from transformers import EarlyStoppingCallback, set_seed

    from train.training.config import resolve_learning_rate
    from train.training.modeling import (
        load_base_tokenizer,
        refused_pickle,
        resolve_base_model,
        weights_kwargs,
    )
    from train.training.rundir import end_run, finish_run_dir, last_checkpoint, start_run
    from train.training.trainer_setup import auto_precision, base_model_record, csv_log_callback

    t0 = time.time()
    ea = event_args or EventArguments()
    labels = list(labels)
    # Under torchrun / accelerate launch only the main process makes the folder; the others wait for it.
    part = start_run(training_args, output_dir, resume, overwrite)
    counts = training_counts(train_examples, labels)
    untrained = [lab for lab in labels if counts[lab] == 0]
    if untrained:
        logger.warning("event types without training examples (never predicted): %s", ", ".join(untrained))

    if getattr(model_args, "cpu_threads", None):
        torch.set_num_threads(model_args.cpu_threads)
    tokenizer = load_base_tokenizer(model_args)
    set_seed(training_args.seed)
    base = resolve_base_model(model_args)
    try:
        model = load_classifier(base.name, labels, model_args.allow_pickle, ea.dropout, **weights_kwargs(base))
    except pickle.UnpicklingError as exc:
        raise refused_pickle(base, exc) from None
    max_len = min(model_args.max_seq_length, getattr(model.config, "max_position_embeddings", 512) or 512)
    overlap = getattr(model_args, "window_overlap", 64)
    win = {"overlap": overlap, "context_mode": ea.context}
    train_feats = encode_examples(train_examples, tokenizer, labels, max_len, **win)
    dev = list(dev_examples or [])
    dev_feats = encode_examples(dev, tokenizer, labels, max_len, **win) if dev else None

    args = deepcopy(training_args)
    resolve_learning_rate(args, model.config)  # learning_rate: auto, by the encoder's hidden size
    args.output_dir = str(part)
    args.remove_unused_columns = False  # the features are windows, collated by WindowCollator
    callbacks: list[Any] = [csv_log_callback()(part / "logs.csv")]
    if dev:
        if getattr(args.eval_strategy, "value", args.eval_strategy) == "no":
            args.eval_strategy = "epoch"
            args.save_strategy = "epoch"
        args.load_best_model_at_end = True
        # The saved model decides with tuned thresholds: pick the checkpoint on the figure it will be
        # used at. Per type, that is macro F1 at per-type thresholds, so a rare type counts as much as
        # a frequent one (with micro F1, ASSAULT chose the epoch and PROTEST was never looked at).
        args.metric_for_best_model = "eval_best_macro_f1" if ea.threshold_strategy == "per_type" else "eval_best_micro_f1"
        args.greater_is_better = True
        if early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=early_stopping_patience))
    else:
        args.eval_strategy = "no"
        args.load_best_model_at_end = False
        args.metric_for_best_model = None
    auto_precision(args, set(explicit_keys))
    trainer = MultiLabelTrainer(
        model=model,
        args=args,
        train_dataset=train_feats,
        eval_dataset=dev_feats,
        processing_class=tokenizer,
        data_collator=WindowCollator(tokenizer, pad_to_multiple_of=8 if (args.fp16 or args.bf16) else None),
        compute_metrics=_metrics_fn(labels, untrained, ea.default_threshold) if dev else None,
        callbacks=callbacks,
        pos_weight=positive_weights(counts, judged_counts(train_examples, labels), ea.pos_weight, ea.pos_weight_max),
    )
    train_result = trainer.train(resume_from_checkpoint=last_checkpoint(part) if resume else None)
    if not trainer.is_world_process_zero():
        end_run()  # back once rank 0 has evaluated, written and renamed the folder
        return {}
    model = trainer.model

    tune_on = dev if dev else list(train_examples)
    probs = predict_probabilities(model, tokenizer, tune_on, max_len, model_args.inference_batch_size, **win)
    gold = np.array(target_matrix(tune_on, labels), dtype=np.float64).reshape(len(tune_on), len(labels))
    from_scores = tune_scores is not None and not dev
    tune_probs, tune_gold = (tune_scores[0], tune_scores[1]) if from_scores else (probs, gold)
    thresholds = tune_thresholds(tune_probs, tune_gold, labels, ea.threshold_strategy, untrained, ea.default_threshold)
    mask_untrained(model, labels, untrained)
    store_thresholds(model, thresholds, ea.threshold_strategy, untrained)
    # How the predictor must build its inputs to score as this run did (train/features/windows.py).
    setattr(model.config, CONFIG_KEY, {"context": ea.context, "max_length": max_len, "window_overlap": overlap, "aggregation": "max"})

    evaluated_on = "dev" if dev else "train (no dev data given)"
    tuned_on = tune_scores[2] if from_scores else evaluated_on
    splits: dict[str, dict[str, Any]] = {}
    splits["dev"] = multilabel_metrics([e.labels for e in tune_on], predict_label_sets(probs, labels, thresholds), labels,
                                       [e.judged for e in tune_on])
    splits["dev"]["evaluated_on"] = evaluated_on
    if test_examples:
        tp = predict_probabilities(model, tokenizer, test_examples, max_len, model_args.inference_batch_size, **win)
        splits["test"] = multilabel_metrics([e.labels for e in test_examples], predict_label_sets(tp, labels, thresholds), labels,
                                            [e.judged for e in test_examples])
        write_scores(part / SCORES_FILE, labels, tp, target_matrix(test_examples, labels))
    extra = {
        "task": "events",
        "labels": labels,
        "thresholds": thresholds,
        "threshold_strategy": ea.threshold_strategy,
        "thresholds_tuned_on": tuned_on,
        "untrained_labels": untrained,
        "training_counts": counts,
        "train_sentences": len(train_examples),
        "base_model": model_args.model_name_or_path,
        **base_model_record(base),
        "event_arguments": asdict(ea),
        "learning_rate": args.learning_rate,
        "train_runtime_s": round(float(train_result.metrics.get("train_runtime", 0.0)), 2),
        "total_runtime_s": round(time.time() - t0, 2),
        "best_checkpoint": trainer.state.best_model_checkpoint and Path(trainer.state.best_model_checkpoint).name,
        "epochs_run": trainer.state.epoch,
    }
    report_notes = [*notes, f"Thresholds ({ea.threshold_strategy}) tuned on: {tuned_on}."]
    report = "\n".join(
        render_report(m, f"Sentence event classification: {name}", thresholds, untrained, report_notes if name == "dev" else ())
        for name, m in splits.items()
    )
    model.save_pretrained(part)  # safetensors
    tokenizer.save_pretrained(part)
    write_reports(part, {**splits, "run": extra}, report)
    card = build_card(part, metrics=load_metrics(part), base_model=str(model_args.model_name_or_path),
                      name=Path(output_dir).name, repo_id=str(output_dir))
    atomic_write_text(part / "README.md", card)
    finish_run_dir(part, output_dir)
    end_run()
    return splits


SCORES_FILE = "test_scores.json"


def write_scores(path: Path, labels: Sequence[str], probs: np.ndarray, targets: Sequence[Sequence[float]]) -> None:
    """A run's probabilities on its test sentences with their targets (``IGNORE`` where unjudged)."""
    payload = {"labels": list(labels), "probabilities": np.asarray(probs, dtype=float).round(6).tolist(),
               "targets": [list(r) for r in targets]}
    atomic_write_text(path, [json.dumps(payload) + "\n"])


def read_scores(paths: Sequence[Path], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The scores of several runs, stacked: ``(probabilities, targets)`` in the order of ``labels``."""
    probs, targets = [], []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        cols = [data["labels"].index(lab) for lab in labels]
        probs += [[row[c] for c in cols] for row in data["probabilities"]]
        targets += [[row[c] for c in cols] for row in data["targets"]]
    return (np.array(probs, dtype=np.float64).reshape(len(probs), len(labels)),
            np.array(targets, dtype=np.float64).reshape(len(targets), len(labels)))


def out_of_fold_scores(final_dir: Path, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray, str] | None:
    """The cross-validation folds' scores on their held-out sentences (``fold-*/test_scores.json``
    beside the final model's folder), for the final model's thresholds; ``None`` without them."""
    paths = sorted(Path(final_dir).parent.glob(f"fold-*/{SCORES_FILE}"))
    if not paths:
        return None
    probs, targets = read_scores(paths, labels)
    return probs, targets, f"out-of-fold predictions of the {len(paths)} cross-validation folds ({len(probs)} held-out sentences)"


EVENT_SCORING = (
    "multi-label sentence classification: per-type, micro and macro precision/recall/F1 over sentence "
    "labels, subset accuracy, and any-event detection; thresholds as stored in each fold's model"
)


def run_events_from_args(model_args: Any, data_args: Any, training_args: Any, explicit_keys: set[str] = frozenset()) -> dict[str, Any]:
    """The ``events`` task of ``scripts/train.py``: one run, or cross-validation by document."""
    from train.corpus.document import Span as _Span
    from train.features.sentence_examples import SentenceDatasetStats, build_sentence_examples
    from train.training.config import type_list
    from train.training.crossval import run_cross_validation
    from train.training.data import load_docs
    from train.training.rundir import is_main_process
    from train.training.trainer_setup import base_model_fields, final_model_note

    ea = event_arguments(data_args)
    labels = type_list(data_args)
    keep = set(labels)

    def docs_of(path: str | None, limit: int | None) -> list[Any] | None:
        if not path:
            return None
        docs = load_docs(data_args, path, labels, limit)
        for d in docs:  # a config's `labels` may name a subset of the schema's types
            d.events = [_Span(s.start, s.end, s.label) for s in d.events if s.label in keep]
            d.sentence_labels = [j for j in d.sentence_labels if j.label in keep]  # GSR judgements of other types
        return docs

    def examples(docs: Sequence[Any] | None, sample: bool) -> list[SentenceExample]:
        if not docs:
            return []
        stats = SentenceDatasetStats()
        out = build_sentence_examples(
            docs, ea.context, ea.no_event_ratio if sample else None, training_args.seed, labels, stats
        )
        for doc_id, span in stats.crossing_triggers:
            logger.warning("%s: trigger [%d, %d) %s crosses a sentence boundary; no sentence gets it", doc_id, span.start, span.end, span.label)
        return out

    train_docs = docs_of(data_args.train_file, data_args.max_train_sentences) or []
    for extra_path in getattr(data_args, "extra_train_files", None) or []:  # several sources in one run
        train_docs += docs_of(str(extra_path), data_args.max_train_sentences) or []
    dev_docs = docs_of(data_args.validation_file, data_args.max_eval_sentences)
    test_docs = docs_of(data_args.test_file, data_args.max_eval_sentences)
    notes = [
        f"Base model: `{model_args.model_name_or_path}`; task `events` (sentence classifier); seed {training_args.seed}.",
        f"Train: `{data_args.train_file}`{''.join(f' + `{p}`' for p in getattr(data_args, 'extra_train_files', None) or [])} "
        f"({len(train_docs)} documents); context segment: {ea.context}; "
        f"no-event ratio: {ea.no_event_ratio if ea.no_event_ratio is not None else 'all kept'}; pos_weight: {ea.pos_weight}.",
    ]
    common = {
        "labels": labels,
        "event_args": ea,
        "early_stopping_patience": data_args.early_stopping_patience,
        "explicit_keys": explicit_keys,
        "notes": notes,
    }
    if data_args.cross_validation:

        def fold(tr: list[Any], te: list[Any], fold_dir: Path) -> dict[str, Any]:
            res = train_sentence_classifier(
                model_args, examples(tr, True), None, fold_dir, training_args=training_args,
                test_examples=examples(te, False), resume=False, overwrite=True, **common,
            )
            return res.get("test", {})  # empty on the ranks other than 0 (torchrun)

        def final(tr: list[Any], out_dir: Path) -> None:
            # A model tuned on the sentences it was trained on sets its thresholds where it fits them
            # (near 0 or 1 once it has memorised them): the folds' held-out predictions say where it
            # stands on unseen text, whatever the encoder's size.
            oof = out_of_fold_scores(out_dir, labels) if ea.final_thresholds == "out_of_fold" else None
            train_sentence_classifier(model_args, examples(tr, True), None, out_dir, training_args=training_args,
                                      test_examples=examples(test_docs, False), resume=False, overwrite=True,
                                      tune_scores=oof, **common)
            if not is_main_process():
                return
            # Its figures on its own training sentences are a fit, not an evaluation, and stay out of a
            # published card's model-index (the folds' figures go there).
            path = Path(out_dir) / "metrics.json"
            metrics = json.loads(path.read_text(encoding="utf-8"))
            metrics["train_fit"] = metrics.pop("dev")
            atomic_write_text(path, [json.dumps(metrics, ensure_ascii=False, indent=2) + "\n"])

        return run_cross_validation(
            train_docs,
            data_args.cross_validation,
            fold,
            training_args.output_dir,
            data_args.num_folds,
            training_args.seed,
            title="Cross-validation: events (sentence classifier)",
            notes=[*notes, final_model_note(training_args)],
            overwrite=data_args.overwrite_output,
            resume=data_args.resume,
            scoring=EVENT_SCORING,
            train_final=final,
            base_model=base_model_fields(model_args),
        )
    return train_sentence_classifier(
        model_args, examples(train_docs, True), examples(dev_docs, False), training_args.output_dir,
        training_args=training_args, test_examples=examples(test_docs, False),
        resume=data_args.resume, overwrite=data_args.overwrite_output, **common,
    )
