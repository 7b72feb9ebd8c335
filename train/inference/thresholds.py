"""The sentence event classifier's decision thresholds, as stored in its ``config.json``.

Training writes them (``thresholds``: label → probability, ``untrained_labels``) and
prediction reads them; both go through :func:`read_thresholds`, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NEVER_THRESHOLD = 2.0  # above any probability: the type is never predicted
DEFAULT_THRESHOLD = 0.5


def read_thresholds(config: Any) -> dict[str, float]:
    """Per-label decision threshold; labels never seen in training are never predicted.

    ``thresholds`` may be a mapping or one number; a label it lacks takes ``threshold`` (one
    number), else 0.5. An untrained label's threshold is at least :data:`NEVER_THRESHOLD`.
    """
    id2label = {int(k): v for k, v in config.id2label.items()}
    glob = getattr(config, "threshold", None)
    per = getattr(config, "thresholds", None)
    out: dict[str, float] = {}
    for lab in (id2label[i] for i in sorted(id2label)):
        if isinstance(per, Mapping) and lab in per:
            out[lab] = float(per[lab])
        elif isinstance(per, (int, float)):
            out[lab] = float(per)
        elif isinstance(glob, (int, float)):
            out[lab] = float(glob)
        else:
            out[lab] = DEFAULT_THRESHOLD
    for lab in getattr(config, "untrained_labels", None) or []:
        if lab in out:
            out[lab] = max(out[lab], NEVER_THRESHOLD)
    return out
