"""The sentence splitter's growth row: one long line of quotes and periods at n and 4n copies.

The splitter is meant to be linear in the length of a line, so 4x the text should take about
4x the time; the acceptance bound is 6x (the row's ``ok``).
"""

from __future__ import annotations

from typing import Any

from train.benchmark.measure import best_seconds

UNIT = "«روسيا» وصل الوفد. "
MAX_RATIO = 6.0


def splitter_row(quick: bool = False) -> dict[str, Any]:
    """Best-of-3 seconds of ``split_sentences`` on ``n`` and ``4n`` copies of :data:`UNIT` on one line."""
    from train.corpus.sentences import split_sentences

    n = 2_000 if quick else 16_000
    small, large = UNIT * n, UNIT * (4 * n)
    t_small = best_seconds(lambda: split_sentences(small), 3)
    t_large = best_seconds(lambda: split_sentences(large), 3)
    ratio = t_large / t_small
    return {"name": "sentence_splitter_one_line", "copies": n, "chars": len(small), "seconds_n": t_small,
            "seconds_4n": t_large, "ratio_4n_over_n": ratio, "max_ratio": MAX_RATIO, "ok": ratio <= MAX_RATIO}


def splitter_table(row: dict[str, Any]) -> str:
    """The row as markdown."""
    return ("| sentence splitter, one line | copies n | chars n | seconds n | seconds 4n | 4n / n | bound |\n"
            "|---|---:|---:|---:|---:|---:|---:|\n"
            f"| «روسيا» وصل الوفد. × n | {row['copies']} | {row['chars']} | {row['seconds_n']:.4f} | "
            f"{row['seconds_4n']:.4f} | {row['ratio_4n_over_n']:.2f} | ≤ {row['max_ratio']:.0f} "
            f"({'ok' if row['ok'] else 'NOT LINEAR'}) |")
