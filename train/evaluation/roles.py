"""Source and target scores: span precision, recall and F1, exact and by overlap, per PLOVER type.

Inputs are plain span lists, one per trigger (the role model's examples, see
``train/features/roles.py``): gold and predicted spans labelled ``SOURCE`` or ``TARGET``. A
predicted span counts as exact when its offsets equal a gold span of the same role; by overlap
when it shares a character with one (each gold span matched at most once).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from train.corpus.document import Span

ROLES = {"SOURCE": "source", "TARGET": "target"}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": n_gold, "predicted": n_pred}


def _matches(gold: Sequence[Span], pred: Sequence[Span], overlap: bool) -> int:
    used: set[int] = set()
    tp = 0
    for p in pred:
        for i, g in enumerate(gold):
            if i in used:
                continue
            if (g.start, g.end) == (p.start, p.end) or (overlap and p.start < g.end and g.start < p.end):
                used.add(i)
                tp += 1
                break
    return tp


def role_scores(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]],
                event_types: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"source": {...}, "target": {...}, "by_type": {TYPE: {"source": ..., "target": ...}}}``.

    Each role has ``precision``, ``recall``, ``f1`` (exact), ``overlap_f1`` (with its own
    ``overlap_precision``/``overlap_recall``), ``support`` and ``predicted``. ``event_types``
    gives each trigger's PLOVER type for the per-type rows.
    """
    counts: Counter = Counter()
    for k, (g, p) in enumerate(zip(gold, pred)):
        keys = [None] + ([event_types[k]] if event_types else [])
        for label, role in ROLES.items():
            gs = [s for s in g if s.label == label]
            ps = [s for s in p if s.label == label]
            for key in keys:
                counts[(key, role, "gold")] += len(gs)
                counts[(key, role, "pred")] += len(ps)
                counts[(key, role, "exact")] += _matches(gs, ps, False)
                counts[(key, role, "overlap")] += _matches(gs, ps, True)

    def block(key: str | None) -> dict[str, Any]:
        out = {}
        for role in ROLES.values():
            n_g, n_p = counts[(key, role, "gold")], counts[(key, role, "pred")]
            row = _prf(counts[(key, role, "exact")], n_p, n_g)
            ov = _prf(counts[(key, role, "overlap")], n_p, n_g)
            row.update({"overlap_precision": ov["precision"], "overlap_recall": ov["recall"], "overlap_f1": ov["f1"]})
            out[role] = row
        return out

    result = block(None)
    if event_types:
        result["by_type"] = {t: block(t) for t in sorted(set(event_types))}
    return result


def render_role_scores(name: str, model: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """A Markdown table: source and target F1 (exact / overlap), model against baseline, overall and per type."""
    def pct(x: float) -> str:
        return f"{100 * x:.1f}"

    lines = [f"### {name}: source and target", "",
             "| | role | precision | recall | F1 | overlap F1 | support |", "|---|---|---:|---:|---:|---:|---:|"]
    for who, res in (("model", model), ("baseline", baseline)):
        if not res:
            continue
        for role in ROLES.values():
            r = res[role]
            lines.append(f"| {who} | {role} | {pct(r['precision'])} | {pct(r['recall'])} | **{pct(r['f1'])}** | "
                         f"{pct(r['overlap_f1'])} | {r['support']} |")
    if model.get("by_type"):
        lines += ["", "| type | source F1 | target F1 | baseline source F1 | baseline target F1 | triggers' sources / targets |",
                  "|---|---:|---:|---:|---:|---:|"]
        for t, r in model["by_type"].items():
            b = (baseline or {}).get("by_type", {}).get(t)
            bs = f"{pct(b['source']['f1'])} | {pct(b['target']['f1'])}" if b else "– | –"
            lines.append(f"| {t} | {pct(r['source']['f1'])} | {pct(r['target']['f1'])} | {bs} | "
                         f"{r['source']['support']} / {r['target']['support']} |")
    return "\n".join(lines)
