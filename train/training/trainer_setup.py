"""What both Trainer runners (tagging and sentence events) set up the same way.

The CSV log beside TensorBoard's, the precision on a GPU, the base model's provenance in the
metrics, and the note on the cross-validation's final model.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def csv_log_callback():
    """The ``TrainerCallback`` class that logs to ``logs.csv`` (transformers is imported only here)."""
    from transformers import TrainerCallback

    class CSVLogCallback(TrainerCallback):
        """Every logged value as a row ``step, epoch, key, value`` in ``logs.csv``."""

        def __init__(self, path: Path):
            self.path = path

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not logs:
                return
            new = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                if new:
                    w.writerow(["step", "epoch", "key", "value"])
                for k, v in logs.items():
                    if isinstance(v, (int, float)):
                        w.writerow([state.global_step, state.epoch, k, v])

    return CSVLogCallback


def auto_precision(training_args, explicit: set[str]) -> None:
    """bf16 (or fp16) on a GPU that supports it, unless the config chose."""
    import torch

    if "bf16" in explicit or "fp16" in explicit or training_args.use_cpu or not torch.cuda.is_available():
        return
    if torch.cuda.is_bf16_supported():
        training_args.bf16 = True
    else:
        training_args.fp16 = True


def base_model_record(base) -> dict[str, Any]:
    """The Hub revision and commit a run's base model came from (nothing for a local folder)."""
    return {} if base.is_local else {"base_model_revision": base.revision, "base_model_commit": base.commit}


def base_model_fields(model_args) -> dict[str, Any]:
    """``base_model`` and, for a Hub model, its revision and commit: the fields a run's figures carry."""
    from train.training.modeling import resolve_base_model

    return {"base_model": model_args.model_name_or_path, **base_model_record(resolve_base_model(model_args))}


def final_model_note(training_args) -> str:
    """How long the cross-validation's final model (all documents) trains, for its report. The
    folds have no dev set, so no best epoch is chosen in them: the final model trains for the
    configured schedule, as each fold did."""
    steps = training_args.max_steps if training_args.max_steps and training_args.max_steps > 0 else None
    schedule = f"max_steps {steps}" if steps else f"num_train_epochs {training_args.num_train_epochs:g}"
    return (f"Final model: trained on all documents for the configured {schedule}, as each fold was "
            "(the folds have no dev set to choose a best epoch); it is the model saved beside this report.")
