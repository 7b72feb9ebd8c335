"""Training throughput: ``Trainer`` steps with dynamic padding and length grouping against padding to 128."""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.benchmark.models import entity_labels
from train.features.tokenization import load_tokenizer


def training_throughput(model_dir: Path, texts: Sequence[str], steps: int, batch_size: int,
                        max_seq_length: int = 128, seed: int = 0) -> dict[str, Any]:
    """Tokens/s of ``Trainer`` steps: dynamic padding + length grouping vs padding to 128."""
    import torch
    from datasets import Dataset
    from transformers import (
        AutoModelForTokenClassification,
        DataCollatorForTokenClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    tok = load_tokenizer(str(model_dir))
    rng = np.random.default_rng(seed)
    n = min(len(texts), steps * batch_size)
    picks = [texts[i] for i in rng.choice(len(texts), size=n, replace=False)]
    num_labels = len(entity_labels())

    def features(pad_to_max: bool) -> Dataset:
        enc = tok(picks, truncation=True, max_length=max_seq_length,
                  padding="max_length" if pad_to_max else False)
        rows = []
        for k in range(n):
            ids = enc["input_ids"][k]
            real = sum(enc["attention_mask"][k])
            labels = [int(x) for x in rng.integers(0, num_labels, len(ids))]
            for j in range(len(ids)):
                if j == 0 or j >= real - 1:
                    labels[j] = -100
            rows.append({"input_ids": ids, "attention_mask": enc["attention_mask"][k], "labels": labels,
                         "length": int(real)})
        return Dataset.from_list(rows)

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []
            self._t = 0.0

        def on_step_begin(self, args, state, control, **kw):
            self._t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.times.append(time.perf_counter() - self._t)

    class CountingTrainer(Trainer):
        tokens: list[int]

        def training_step(self, model, inputs, num_items_in_batch=None):
            self.tokens.append(int(inputs["attention_mask"].sum()))
            return super().training_step(model, inputs, num_items_in_batch)

    out: dict[str, Any] = {"steps": steps, "batch_size": batch_size, "sentences": n, "max_seq_length": max_seq_length}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        for name, pad_to_max in (("dynamic_grouped", False), ("padded_128", True)):
            torch.manual_seed(seed)
            model = AutoModelForTokenClassification.from_pretrained(str(model_dir), use_safetensors=True, trust_remote_code=False)
            args = TrainingArguments(
                output_dir=str(Path(tmp) / name), per_device_train_batch_size=batch_size, max_steps=steps,
                learning_rate=5e-5, report_to=[], save_strategy="no", logging_strategy="no", seed=seed,
                dataloader_num_workers=0, disable_tqdm=True, use_cpu=True,
                train_sampling_strategy="random" if pad_to_max else "group_by_length",
                length_column_name="length",
            )
            clock = Clock()
            trainer = CountingTrainer(model=model, args=args, train_dataset=features(pad_to_max),
                                      data_collator=DataCollatorForTokenClassification(tok),
                                      callbacks=[clock])
            trainer.tokens = []
            trainer.train()
            # the first step (allocations, warm-up) is left out of the clock
            toks, secs = sum(trainer.tokens[1:]), sum(clock.times[1:])
            out[name] = {"tokens_per_s": toks / secs if secs else 0.0, "steps_timed": len(clock.times) - 1,
                         "real_tokens": toks, "seconds": secs}
            del trainer, model
            gc.collect()
    dyn, pad = out["dynamic_grouped"]["tokens_per_s"], out["padded_128"]["tokens_per_s"]
    out["speedup"] = dyn / pad if pad else 0.0
    return out
