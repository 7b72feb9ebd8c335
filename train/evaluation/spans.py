"""Entity-level evaluation with seqeval in strict IOB2 mode, and the reports it writes.

Gold and predicted spans are turned into word-level IOB2 tags over the same words (the
tokenizer's pre-tokenisation), then scored by ``seqeval`` with ``mode="strict",
scheme=IOB2``: an entity counts only when its type and both boundaries match. The
predictions are valid IOB2 by construction (orphan ``I-`` already repaired into entities).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from train.corpus.document import Span
from train.evaluation import reports
from train.evaluation.reports import pct

SEQEVAL_MODE = "strict"
SEQEVAL_SCHEME = "IOB2"
MODE_NOTE = 'seqeval classification_report(mode="strict", scheme=IOB2): exact type and boundaries'


def _f(x: Any) -> float:
    return float(x) if x is not None and not (isinstance(x, float) and math.isnan(x)) else 0.0


def _row(r: dict[str, Any]) -> dict[str, Any]:
    """One row of seqeval's report in this project's names."""
    return {
        "precision": _f(r.get("precision")),
        "recall": _f(r.get("recall")),
        "f1": _f(r.get("f1-score")),
        "support": int(r.get("support", 0)),
    }


def seqeval_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], types: Sequence[str] = ()) -> dict[str, Any]:
    """Micro, macro and per-type precision/recall/F1/support of IOB2 tag sequences."""
    gold = [list(g) for g in gold]
    pred = [list(p) for p in pred]
    if not any(t != "O" for s in gold for t in s) and not any(t != "O" for s in pred for t in s):
        rep: dict[str, Any] = {}
    else:
        rep = classification_report(gold, pred, mode=SEQEVAL_MODE, scheme=IOB2, output_dict=True, zero_division=0)
    out: dict[str, Any] = {"seqeval_mode": SEQEVAL_MODE, "seqeval_scheme": SEQEVAL_SCHEME}
    for key, name in (("micro avg", "micro"), ("macro avg", "macro")):
        out[name] = _row(rep.get(key, {}))
    out["per_type"] = {t: _row(rep.get(t, {})) for t in list(types) + sorted(k for k in rep if k not in types and "avg" not in k)}
    return out


def type_confusion(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> dict[str, dict[str, int]]:
    """Gold type (rows) × predicted type (columns) over entities, per document.

    Same boundaries: the pair counts in its cell. Overlapping with other boundaries: the pair
    counts in its cell too, and in ``boundary`` errors. ``O`` column: a gold entity with no
    overlapping prediction (missed); ``O`` row: a prediction overlapping no gold entity.
    """
    table: dict[str, Counter] = {}
    boundary = Counter()
    for g_spans, p_spans in zip(gold, pred):
        used: set[int] = set()
        exact = {(p.start, p.end): k for k, p in enumerate(p_spans)}
        for g in g_spans:
            k = exact.get((g.start, g.end))
            if k is None:
                k = next((j for j, p in enumerate(p_spans) if j not in used and p.start < g.end and g.start < p.end), None)
                if k is not None:
                    boundary[g.label] += 1
            if k is None:
                table.setdefault(g.label, Counter())["O"] += 1
            else:
                used.add(k)
                table.setdefault(g.label, Counter())[p_spans[k].label] += 1
        for j, p in enumerate(p_spans):
            if j not in used:
                table.setdefault("O", Counter())[p.label] += 1
    out = {row: dict(c) for row, c in table.items()}
    out["_boundary_errors"] = dict(boundary)
    return out


def render_split(name: str, m: dict[str, Any], confusion: dict[str, dict[str, int]] | None, types: Sequence[str]) -> str:
    lines = [f"## {name}", ""]
    mi, ma = m["micro"], m["macro"]
    lines += [
        "| figure | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
        f"| micro | {pct(mi['precision'])} | {pct(mi['recall'])} | **{pct(mi['f1'])}** | {mi['support']} |",
        f"| macro | {pct(ma['precision'])} | {pct(ma['recall'])} | {pct(ma['f1'])} | {ma['support']} |",
    ]
    for t, r in m["per_type"].items():
        lines.append(f"| {t} | {pct(r['precision'])} | {pct(r['recall'])} | {pct(r['f1'])} | {r['support']} |")
    if confusion is not None:
        cols = [t for t in types] + ["O"]
        rows = [t for t in types if t in confusion] + [t for t in confusion if t not in types and not t.startswith("_")]
        lines += ["", f"Entity-type confusion ({name}): rows gold, columns predicted; `O` = missed / spurious.", ""]
        lines.append("| gold \\ pred | " + " | ".join(cols) + " |")
        lines.append("|---|" + "---:|" * len(cols))
        for r in rows:
            lines.append(f"| {r} | " + " | ".join(str(confusion.get(r, {}).get(c, 0) or "") for c in cols) + " |")
        b = confusion.get("_boundary_errors", {})
        if b:
            lines += ["", "Overlapping but with other boundaries (counted above, wrong under strict matching): "
                      + ", ".join(f"{k} {v}" for k, v in sorted(b.items()))]
    lines.append("")
    return "\n".join(lines)


def render_report(title: str, splits: dict[str, dict[str, Any]], types: Sequence[str], notes: Sequence[str] = ()) -> str:
    lines = [f"# {title}", "", f"Scoring: {MODE_NOTE}. Figures are percentages.", ""]
    lines += [f"- {n}" for n in notes]
    if notes:
        lines.append("")
    for name, s in splits.items():
        lines.append(render_split(name, s["metrics"], s.get("confusion"), types))
        own = s["metrics"].get(SCORED_ON_CONLL)
        if own:
            lines.append(f"Above: {UNITS_NOTE[SCORED_ON_WORDS]}. Below: the same predictions {UNITS_NOTE[SCORED_ON_CONLL]}.\n")
            lines.append(render_split(f"{name}, on the CoNLL file's tokens", own, None, types))
    return "\n".join(lines)


def write_reports(out_dir: str | Path, title: str, splits: dict[str, dict[str, Any]], types: Sequence[str], notes: Sequence[str] = (),
                  extra: dict | None = None, sections: Sequence[str] = ()) -> None:
    """``metrics.json`` and ``eval_report.md`` of the splits in ``out_dir`` (atomic writes);
    ``sections``: more markdown after the tag-level report (the roles task's source and target tables)."""
    payload = {"seqeval_mode": SEQEVAL_MODE, "seqeval_scheme": SEQEVAL_SCHEME, **(extra or {})}
    for name, s in splits.items():
        payload[name] = {**s["metrics"], "confusion": s.get("confusion")}
    md = render_report(title, splits, types, notes)
    if sections:
        md = md.rstrip("\n") + "\n\n" + "\n\n".join(sections) + "\n"
    reports.write_reports(out_dir, payload, md)


SCORED_ON_WORDS = "tokenizer_words"
SCORED_ON_CONLL = "conll_tokens"
UNITS_NOTE = {
    SCORED_ON_WORDS: "over the tokenizer's words (its pre-tokenisation of the text)",
    SCORED_ON_CONLL: "over the CoNLL file's own tokens and tags (the units published CoNLL figures use)",
}


def token_tags(offsets: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    """IOB2 tags of tokens at character ``offsets`` from ``spans``: a token overlapping a span
    takes its type, ``B-`` on the span's first such token. A token already tagged keeps its tag."""
    tags = ["O"] * len(offsets)
    for sp in sorted(spans):
        first = True
        for k, (a, b) in enumerate(offsets):
            if b <= sp.start or a >= sp.end or a == b:
                continue
            if tags[k] == "O":
                tags[k] = ("B-" if first else "I-") + sp.label
            first = False
    return tags
