"""``task: mlm``: domain-adaptive pretraining, continued masked-language-model training of a BERT.

Unlabelled text in, a base model out (safetensors and the tokenizer with its normaliser) that
the NER, trigger and event configs take as ``model_name_or_path``.

* **Text** (:func:`load_texts`): a folder of ``.txt`` files (recursive), a ``.txt`` file, JSONL
  with a ``text`` field (corpus files included), a CoNLL file (its tokens, tags dropped), or the
  GSR (its sentences); ``FORMAT:PATH`` names the format (``text``, ``jsonl``, ``conll``, ``gsr``).
  ``train_file`` and ``extra_train_files`` are read; ``validation_file`` is the held-out text,
  else ``mlm_holdout`` of the documents (every k-th) is held out.
* **Examples**: each document is split into the project's sentences (stored ones for corpora),
  tokenised, and consecutive sentences are packed into examples of at most ``max_seq_length``
  sub-words; a sentence longer than that is cut between words.
* **Whole-word masking** (:class:`WholeWordMaskCollator`): ``mlm_probability`` of the words are
  chosen, all their sub-words predicted; 80% of the chosen words become ``[MASK]``, 10% random
  sub-words, 10% stay. Words are the fast tokenizer's ``word_ids``. (transformers 5 has no
  ``DataCollatorForWholeWordMask`` any more; ``DataCollatorForLanguageModeling(whole_word_mask=True)``
  guesses words from gaps between offsets, which the diacritics normaliser breaks: a removed
  mark inside a word leaves a gap, and the word would be masked in halves.)
* **Held-out loss**: the held-out examples are masked once, with a fixed seed, so the loss
  before and after training (``metrics.json``: ``eval_loss_before``, ``eval_loss_after``) are
  on the same masked positions.
* **Run folder and resume**: as every task, ``<output_dir>.partial`` and ``--resume``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from train.corpus.sentences import split_sentences
from train.features.alignment import make_windows
from train.folders import walk_files
from train.training.rundir import RunError, finish_run_dir, last_checkpoint, prepare_run_dir
from train.training.trainer_setup import auto_precision, base_model_record, csv_log_callback

log = logging.getLogger(__name__)

TEXT_FORMATS = ("text", "jsonl", "conll", "gsr")


@dataclass
class TextDoc:
    """One unlabelled document: its text and its sentences (character bounds)."""

    text: str
    sentences: list[tuple[int, int]]


def _doc(text: str, sentences: Sequence[tuple[int, int]] | None = None) -> TextDoc | None:
    if not text.strip():
        return None
    bounds = list(sentences) if sentences else [(s.start, s.end) for s in split_sentences(text)]
    return TextDoc(text, bounds)


def text_format(path: str, default: str | None = None) -> tuple[str, str]:
    """``(format, path)``: ``FORMAT:PATH`` names it; else by what the path is."""
    head, sep, rest = path.partition(":")
    if sep and head in TEXT_FORMATS:
        return head, rest
    p = Path(path)
    if p.is_dir():
        return ("text" if walk_files(p, ".txt").files else "gsr"), path
    suffix = p.suffix.lower()
    if suffix == ".txt" and default != "conll":
        return "text", path
    if suffix in (".jsonl", ".json"):
        return "jsonl", path
    if suffix == ".csv":
        return "gsr", path
    return default or "text", path


def load_texts(path: str, default_format: str | None = None) -> list[TextDoc]:
    """The unlabelled documents of one source (see the module docstring for the formats)."""
    fmt, p = text_format(str(path), default_format)
    if not Path(p).exists():
        raise RunError(f"{p}: no such file or folder of text")
    out: list[TextDoc | None] = []
    if fmt == "text":
        files = walk_files(p, ".txt").files if Path(p).is_dir() else [Path(p)]  # linked sub-folders too
        for f in files:
            out.append(_doc(f.read_text(encoding="utf-8-sig", errors="replace")))
    elif fmt == "jsonl":
        with open(p, encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise RunError(f"{p}, line {n}: not JSON ({exc.msg})") from None
                text = rec.get("text") if isinstance(rec, dict) else None
                if not isinstance(text, str):
                    raise RunError(f"{p}, line {n}: no string field 'text'")
                sents = rec.get("sentences") if isinstance(rec.get("sentences"), list) else None
                try:
                    bounds = [(int(a), int(b)) for a, b in sents] if sents else None
                except (TypeError, ValueError):
                    bounds = None
                out.append(_doc(text, bounds))
    elif fmt == "conll":
        from train.formats.conll import read_conll

        out += [_doc(d.text, d.sentences) for d in read_conll(p)]
    else:
        from train.corpus.schema import load_schema
        from train.formats.gsr import read as read_gsr

        docs, _ = read_gsr(p, schema=load_schema(), keep_ambiguous=True)
        out += [_doc(d.text, d.sentences) for d in docs]
    return [d for d in out if d is not None]


# --------------------------------------------------------------------------- examples


def make_examples(tokenizer, docs: Sequence[TextDoc], max_seq_length: int) -> list[dict[str, list[int]]]:
    """Consecutive sentences of each document packed into ``[CLS] ... [SEP]`` examples with word ids."""
    budget = max(1, max_seq_length - 2)
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    out: list[dict[str, list[int]]] = []
    for d in docs:
        pieces = [d.text[a:b] for a, b in d.sentences if d.text[a:b].strip()]
        if not pieces:
            continue
        enc = tokenizer(pieces, add_special_tokens=False, truncation=False, verbose=False)
        ids: list[int] = []
        words: list[int] = []
        next_word = 0

        def flush() -> None:
            nonlocal ids, words
            if ids:
                out.append({"input_ids": [cls_id, *ids, sep_id], "word_ids": [-1, *words, -1]})
            ids, words = [], []

        for k in range(len(pieces)):
            s_ids = enc["input_ids"][k]
            wid = [w for w in enc.word_ids(k)]
            if not s_ids:
                continue
            if len(ids) + len(s_ids) > budget:
                flush()
            if len(s_ids) <= budget:
                base = next_word
                ids += s_ids
                words += [base + (w or 0) for w in wid]
                next_word = base + max((w or 0) for w in wid) + 1
                continue
            # A sentence longer than an example: cut it between words.
            counts = np.bincount(np.asarray([w or 0 for w in wid]))
            first = np.concatenate([[0], np.cumsum(counts)])
            for lo, hi in make_windows(counts.tolist(), budget, 0):
                a, b = int(first[lo]), min(int(first[hi]), int(first[lo]) + budget)
                ids = list(s_ids[a:b])
                words = [next_word + (w or 0) for w in wid[a:b]]
                flush()
            next_word += len(counts)
        flush()
    return out


@dataclass
class WholeWordMaskCollator:
    """Pads, and masks whole words (``word_ids``) for MLM; examples that carry ``labels`` are only padded."""

    tokenizer: Any
    mlm_probability: float = 0.15
    seed: int | None = None

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.special = {i for i in (self.tokenizer.cls_token_id, self.tokenizer.sep_token_id, self.tokenizer.pad_token_id) if i is not None}

    def mask(self, input_ids: Sequence[int], word_ids: Sequence[int]) -> tuple[list[int], list[int]]:
        ids = list(input_ids)
        labels = [-100] * len(ids)
        words = sorted({w for w in word_ids if w >= 0})
        if not words:
            return ids, labels
        chosen = [w for w in words if self.rng.random() < self.mlm_probability]
        if not chosen:
            chosen = [words[int(self.rng.integers(len(words)))]]
        chosen_set = set(chosen)
        mode = {w: self.rng.random() for w in chosen}
        vocab = len(self.tokenizer)
        for p, w in enumerate(word_ids):
            if w in chosen_set and ids[p] not in self.special:
                labels[p] = ids[p]
                if mode[w] < 0.8:
                    ids[p] = self.tokenizer.mask_token_id
                elif mode[w] < 0.9:
                    ids[p] = int(self.rng.integers(vocab))
        return ids, labels

    def __call__(self, examples: Sequence[dict[str, Any]]) -> dict[str, Any]:
        import torch

        rows, labels = [], []
        for ex in examples:
            if "labels" in ex:
                rows.append(list(ex["input_ids"]))
                labels.append(list(ex["labels"]))
            else:
                i, lab = self.mask(ex["input_ids"], ex["word_ids"])
                rows.append(i)
                labels.append(lab)
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        lab = torch.full((len(rows), width), -100, dtype=torch.long)
        att = torch.zeros((len(rows), width), dtype=torch.long)
        for k, (r, la) in enumerate(zip(rows, labels)):
            ids[k, : len(r)] = torch.tensor(r)
            lab[k, : len(la)] = torch.tensor(la)
            att[k, : len(r)] = 1
        return {"input_ids": ids, "attention_mask": att, "labels": lab}


def premask(collator: WholeWordMaskCollator, examples: Sequence[dict[str, Any]]) -> list[dict[str, list[int]]]:
    """Held-out examples masked once (the collator's seeded generator), for comparable losses."""
    out = []
    for ex in examples:
        ids, labels = collator.mask(ex["input_ids"], ex["word_ids"])
        out.append({"input_ids": ids, "labels": labels})
    return out


# --------------------------------------------------------------------------- the run


def run_mlm_from_args(model_args, data_args, training_args, explicit_keys: set[str] = frozenset()) -> dict[str, Any]:
    """Continue MLM pretraining of the base model on unlabelled text; save a base model."""
    from transformers import AutoModelForMaskedLM, Trainer, set_seed

    from train.training.config import resolve_learning_rate
    from train.training.modeling import load_base_tokenizer, resolve_base_model, weights_kwargs

    t0 = time.time()
    output_dir = training_args.output_dir
    mlm_args = getattr(data_args, "extra_args", {}).get("MlmArguments")
    probability = mlm_args.mlm_probability if mlm_args else 0.15
    holdout = mlm_args.mlm_holdout if mlm_args else 0.05
    fmt = data_args.data_format if data_args.data_format != "jsonl" else None
    docs: list[TextDoc] = []
    for src in [data_args.train_file, *(data_args.extra_train_files or [])]:
        docs += load_texts(str(src), fmt)
    if data_args.validation_file:
        held = load_texts(data_args.validation_file, fmt)
    else:
        k = max(2, round(1 / holdout)) if holdout > 0 else 0
        held = [d for i, d in enumerate(docs) if k and i % k == k - 1]
        docs = [d for i, d in enumerate(docs) if not (k and i % k == k - 1)]
    if not docs:
        raise RunError(f"train_file: {data_args.train_file} holds no text to pretrain on")

    part = prepare_run_dir(output_dir, data_args.resume, data_args.overwrite_output)
    args = deepcopy(training_args)
    args.output_dir = str(part)
    args.eval_strategy = "no"  # the held-out loss is measured before and after, on fixed masks
    args.load_best_model_at_end = False
    args.metric_for_best_model = None
    args.remove_unused_columns = False  # the collator reads word_ids
    auto_precision(args, set(explicit_keys))
    if model_args.cpu_threads:
        import torch

        torch.set_num_threads(model_args.cpu_threads)
    tokenizer = load_base_tokenizer(model_args)
    set_seed(args.seed)
    base = resolve_base_model(model_args)
    model = AutoModelForMaskedLM.from_pretrained(base.name, **weights_kwargs(base))
    resolve_learning_rate(args, model.config)  # learning_rate: auto, by the encoder's hidden size
    max_len = min(model_args.max_seq_length, getattr(model.config, "max_position_embeddings", 512) or 512)
    train_ex = make_examples(tokenizer, docs, max_len)
    collator = WholeWordMaskCollator(tokenizer, probability, seed=args.seed)
    eval_ex = premask(WholeWordMaskCollator(tokenizer, probability, seed=12345), make_examples(tokenizer, held, max_len)) if held else None
    trainer = Trainer(model=model, args=args, train_dataset=train_ex, eval_dataset=eval_ex, processing_class=tokenizer,
                      data_collator=collator, callbacks=[csv_log_callback()(part / "logs.csv")])
    resume_from = last_checkpoint(part) if data_args.resume else None
    before = trainer.evaluate()["eval_loss"] if eval_ex and resume_from is None else None
    if before is None and eval_ex and (part / "eval_loss_before.json").is_file():
        before = json.loads((part / "eval_loss_before.json").read_text())["eval_loss_before"]
    elif before is not None:
        (part / "eval_loss_before.json").write_text(json.dumps({"eval_loss_before": before}))
    result = trainer.train(resume_from_checkpoint=resume_from)
    after = trainer.evaluate()["eval_loss"] if eval_ex else None
    trainer.save_model(str(part))  # safetensors + the tokenizer with its normaliser
    if trainer.is_world_process_zero():
        (part / "training_args.bin").unlink(missing_ok=True)
        (part / "eval_loss_before.json").unlink(missing_ok=True)
        (part / "training_args.json").write_text(args.to_json_string(), encoding="utf-8")
        payload = {
            "task": "mlm",
            "whole_word_masking": True,
            "mlm_probability": probability,
            "base_model": model_args.model_name_or_path,
            **base_model_record(base),
            "train_documents": len(docs),
            "train_examples": len(train_ex),
            "train_subwords": sum(len(e["input_ids"]) for e in train_ex),
            "heldout_documents": len(held),
            "heldout_examples": len(eval_ex or []),
            "eval_loss_before": before,
            "eval_loss_after": after,
            "train_runtime_s": round(float(result.metrics.get("train_runtime", 0.0)), 2),
            "total_runtime_s": round(time.time() - t0, 2),
            "epochs_run": trainer.state.epoch,
        }
        (part / "metrics.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
        finish_run_dir(part, output_dir)
        return {"mlm": payload}
    return {}
