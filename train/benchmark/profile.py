"""Where the whole pipeline's time goes: each part's share of one profiled run (``cProfile``).

Parts are the functions that own one job, measured by cumulative time: the model forward pass
(every backend call), tokenisation and alignment of the taggers' sentences, the event
classifier's windows, the sentence splitter, and the event records. What is left is
batching, decoding and Python overhead. Shares are within one run, so load from other jobs
weighs on all parts alike.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from typing import Any

# part -> (module path suffix, function name); cumulative times of functions that never call each other
PARTS: dict[str, tuple[str, str]] = {
    "forward": ("train/inference/backends.py", "__call__"),
    "tagger_tokenisation": ("train/features/alignment.py", "encode_spans_of_text"),
    "classifier_windows": ("train/features/windows.py", "sentence_windows"),
    "sentence_splitting": ("train/corpus/sentences.py", "split_sentences"),
    "event_records": ("train/inference/records.py", "build_events"),
}


def profile_shares(run: Callable[[], Any]) -> dict[str, float]:
    """Run ``run`` once under cProfile; each part's share of the total wall time, and ``other``."""
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = sum(tt for (_, _, tt, _, _) in stats.values())
    shares: dict[str, float] = {}
    for part, (suffix, name) in PARTS.items():
        ct = sum(v[3] for (file, _, func), v in stats.items() if func == name and file.replace("\\", "/").endswith(suffix))
        shares[part] = ct / total if total else 0.0
    shares["other"] = max(0.0, 1.0 - sum(shares.values()))
    shares["profiled_seconds"] = total
    return shares
