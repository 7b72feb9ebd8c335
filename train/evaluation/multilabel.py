"""Multi-label evaluation of sentence event types, and its Markdown report (written by :mod:`train.evaluation.reports`).

Figures: per-type precision, recall, F1 and support; micro F1 (pooled over all decisions);
macro F1 (mean over the types that occur in the gold labels or in the predictions, so a
type absent from both does not count as a perfect 1.0); subset accuracy (the whole label
set exactly right, the empty set included); and "any event" detection (does the sentence
report at least one event at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from train.evaluation.reports import fraction


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def multilabel_metrics(
    gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], labels: Sequence[str],
    judged: Sequence[Iterable[str] | None] | None = None,
) -> dict[str, Any]:
    """Every figure of the event classifier, from gold and predicted label sets per sentence.

    ``judged`` gives, per sentence, the types known for it (``None``: every type). A type not
    judged for a sentence counts nowhere: not as a false positive, not in subset accuracy or
    any-event detection, which compare the judged types only.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold label sets but {len(pred)} predictions")
    known = [set(labels) if j is None else set(j) for j in (judged if judged is not None else [None] * len(gold))]
    if len(known) != len(gold):
        raise ValueError(f"{len(gold)} gold label sets but {len(known)} judged sets")
    unknown = sorted(({lab for s in gold for lab in s} | {lab for s in pred for lab in s}) - set(labels))
    gold_sets = [set(g) & k for g, k in zip(gold, known)]
    pred_sets = [set(p) & k for p, k in zip(pred, known)]
    per_type: dict[str, dict[str, float]] = {}
    tp_all = fp_all = fn_all = 0
    for lab in labels:
        tp = sum(1 for g, p in zip(gold_sets, pred_sets) if lab in g and lab in p)
        fp = sum(1 for g, p in zip(gold_sets, pred_sets) if lab not in g and lab in p)
        fn = sum(1 for g, p in zip(gold_sets, pred_sets) if lab in g and lab not in p)
        p, r, f = _prf(tp, fp, fn)
        per_type[lab] = {"precision": p, "recall": r, "f1": f, "support": tp + fn, "predicted": tp + fp}
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
    micro_p, micro_r, micro_f = _prf(tp_all, fp_all, fn_all)
    active = [lab for lab in labels if per_type[lab]["support"] or per_type[lab]["predicted"]]

    def _macro(key: str) -> float:
        return sum(per_type[lab][key] for lab in active) / len(active) if active else 0.0

    n = len(gold_sets)
    subset = sum(1 for g, p in zip(gold_sets, pred_sets) if g == p) / n if n else 0.0
    a_tp = sum(1 for g, p in zip(gold_sets, pred_sets) if g and p)
    a_fp = sum(1 for g, p in zip(gold_sets, pred_sets) if not g and p)
    a_fn = sum(1 for g, p in zip(gold_sets, pred_sets) if g and not p)
    any_p, any_r, any_f = _prf(a_tp, a_fp, a_fn)
    if unknown:
        raise ValueError(f"labels outside the label set: {unknown}")
    return {
        "sentences": n,
        "judged": {lab: sum(1 for k in known if lab in k) for lab in labels},
        "event_sentences": a_tp + a_fn,
        "micro": {"precision": micro_p, "recall": micro_r, "f1": micro_f, "support": tp_all + fn_all},
        "macro": {"precision": _macro("precision"), "recall": _macro("recall"), "f1": _macro("f1"), "types": active},
        "subset_accuracy": subset,
        "any_event": {"precision": any_p, "recall": any_r, "f1": any_f, "support": a_tp + a_fn},
        "per_type": per_type,
    }


def render_report(
    metrics: Mapping[str, Any],
    title: str = "Event classification",
    thresholds: Mapping[str, float] | None = None,
    untrained: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> str:
    """A readable Markdown report of :func:`multilabel_metrics` output."""
    lines = [f"# {title}", ""]
    mi, ma, an = metrics["micro"], metrics["macro"], metrics["any_event"]
    lines += [
        f"- sentences: {metrics['sentences']} ({metrics['event_sentences']} with at least one event)",
        f"- micro P / R / F1: {fraction(mi['precision'])} / {fraction(mi['recall'])} / **{fraction(mi['f1'])}** (support {mi['support']})",
        f"- macro P / R / F1: {fraction(ma['precision'])} / {fraction(ma['recall'])} / {fraction(ma['f1'])} (over the {len(ma['types'])} types present in gold or predictions)",
        f"- subset accuracy (exact label set, empty set included): {fraction(metrics['subset_accuracy'])}",
        f"- any-event detection P / R / F1: {fraction(an['precision'])} / {fraction(an['recall'])} / {fraction(an['f1'])} (support {an['support']})",
    ]
    lines += [f"- {n}" for n in notes]
    lines += ["", "| type | precision | recall | F1 | support | predicted | threshold |", "|---|---|---|---|---|---|---|"]
    for lab, row in metrics["per_type"].items():
        th = "—"
        if thresholds is not None and lab in thresholds:
            th = "never (no training examples)" if lab in untrained else f"{thresholds[lab]:.2f}"
        lines.append(
            f"| {lab} | {fraction(row['precision'])} | {fraction(row['recall'])} | {fraction(row['f1'])} | {row['support']} | {row['predicted']} | {th} |"
        )
    if untrained:
        lines += ["", f"Types without training examples (never predicted): {', '.join(untrained)}."]
    return "\n".join(lines) + "\n"

