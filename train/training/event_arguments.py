"""Options of the sentence event classifier (``task: events``), parsed with the other run arguments.

Kept in a light module (no torch) so that ``train.training.arguments`` can list the class in its
``ARGUMENT_CLASSES`` without importing the training code. Shared options live elsewhere:
``max_seq_length`` in ``ModelArguments``, ``early_stopping_patience`` in ``DataArguments``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTEXT_MODES = ("none", "previous", "headline")
POS_WEIGHT_MODES = ("none", "balanced", "sqrt")
THRESHOLD_STRATEGIES = ("global", "per_type")


@dataclass
class EventArguments:
    context: str = field(
        default="none",
        metadata={"help": "Second text segment of each sentence: none, previous (sentence) or headline (first line)."},
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
        default="per_type", metadata={"help": "Tune one global threshold or one per type on dev data: global or per_type."}
    )
    dropout: float | None = field(
        default=None,
        metadata={"help": "Override the base model's hidden and attention dropout for fine-tuning (null keeps it)."},
    )
    default_threshold: float = field(
        default=0.5, metadata={"help": "Threshold before tuning, and for types that dev data cannot tune."}
    )

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("context", self.context, CONTEXT_MODES),
            ("pos_weight", self.pos_weight, POS_WEIGHT_MODES),
            ("threshold_strategy", self.threshold_strategy, THRESHOLD_STRATEGIES),
        ):
            if value not in allowed:
                raise ValueError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        if self.no_event_ratio is not None and self.no_event_ratio < 0:
            raise ValueError(f"no_event_ratio: must be >= 0 or null, got {self.no_event_ratio}")
        if not 0.0 < self.default_threshold < 1.0:
            raise ValueError(f"default_threshold: must be between 0 and 1, got {self.default_threshold}")
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout: must be in [0, 1), got {self.dropout}")
        if self.pos_weight_max < 1.0:
            raise ValueError(f"pos_weight_max: must be >= 1, got {self.pos_weight_max}")
