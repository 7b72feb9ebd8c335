"""The reference recipe of transformers' ``run_ner.py``, re-stated for comparison (issue 15).

Not vendored code: this is the recipe as its documentation describes it, written here in a
few functions so that the project's path and the reference path can be run and inspected on
the same sentences, with the same base model and the same ``TrainingArguments``:

* each CoNLL sentence is one example, its tokens passed pre-split (``is_split_into_words``);
* the first sub-word of each CoNLL token carries the token's tag, every other position -100;
* a sentence longer than ``max_seq_length`` sub-words is truncated (its tail is not trained
  on, and predicts nothing: those tokens are scored as ``O``);
* ``DataCollatorForTokenClassification`` pads per batch; ``Trainer`` trains (linear schedule);
* the score is strict IOB2 seqeval over the file's own tokens.

:func:`compare_paths` lines the project's features up with the recipe's on the same file
(sub-words, labelled positions, labels, windows, sentence boundaries), which is how the cause
of the gap was found (see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IGNORE = -100


@dataclass
class ConllSentence:
    tokens: list[str]
    tags: list[str]  # IOB2, after the label filter


def read_sentences(path: str | Path, labels: Sequence[str] | None = None) -> list[ConllSentence]:
    """Sentences of a CoNLL file as the recipe sees them: one per blank-line block, tags in IOB2."""
    from train.formats.conll import read_conll_token_tags

    return [ConllSentence(t, g) for t, g in read_conll_token_tags(path, labels=labels)]


def label_list(sents: Sequence[ConllSentence]) -> list[str]:
    """The recipe's label inventory: every tag seen in training, sorted."""
    return sorted({t for s in sents for t in s.tags})


def encode(tokenizer, sents: Sequence[ConllSentence], label2id: dict[str, int] | None, max_len: int) -> list[dict[str, Any]]:
    """Pre-split tokens → sub-words, truncated at ``max_len``; labels on each token's first sub-word."""
    enc = tokenizer([s.tokens for s in sents], is_split_into_words=True, truncation=True, max_length=max_len)
    out = []
    for k, s in enumerate(sents):
        wids = enc.word_ids(k)
        item: dict[str, Any] = {"input_ids": enc["input_ids"][k], "word_ids": wids}
        if label2id is not None:
            labels, prev = [], None
            for w in wids:
                labels.append(IGNORE if w is None or w == prev else label2id[s.tags[w]])
                if w is not None:
                    prev = w
            item["labels"] = labels
        out.append(item)
    return out


def predict_tags(model, tokenizer, sents: Sequence[ConllSentence], id2label: dict[int, str], max_len: int, batch_size: int = 32) -> list[list[str]]:
    """Each token's tag from its first sub-word's argmax; tokens cut off by truncation are ``O``."""
    import torch
    from transformers import DataCollatorWithPadding

    items = encode(tokenizer, sents, None, max_len)
    collate = DataCollatorWithPadding(tokenizer)
    model.eval()
    out: list[list[str]] = []
    with torch.inference_mode():
        for b in range(0, len(items), batch_size):
            chunk = items[b : b + batch_size]
            batch = collate([{"input_ids": it["input_ids"]} for it in chunk])
            batch = {k: v.to(model.device) for k, v in batch.items()}
            pred = model(**batch).logits.argmax(-1).cpu().numpy()
            for row, it, s in zip(pred, chunk, sents[b : b + batch_size]):
                tags = ["O"] * len(s.tokens)
                seen = set()
                for pos, w in enumerate(it["word_ids"]):
                    if w is not None and w not in seen:
                        seen.add(w)
                        tags[w] = id2label[int(row[pos])]
                out.append(tags)
    return out


def run_recipe(model_path: str, train_file: str, test_file: str, output_dir: str, *, seed: int = 42, epochs: float = 3,
               learning_rate: float = 1e-3, warmup: float = 0.05, batch_size: int = 16, max_seq_length: int = 256,
               weight_decay: float = 0.0, cpu_threads: int | None = 1, max_train_sentences: int | None = None,
               max_eval_sentences: int | None = None) -> dict[str, Any]:
    """Train and score the recipe; writes ``metrics.json`` into ``output_dir`` and returns it."""
    import torch
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    from train.evaluation.spans import seqeval_metrics

    t0 = time.time()
    if cpu_threads:
        torch.set_num_threads(cpu_threads)
    train = read_sentences(train_file)[:max_train_sentences]
    test = read_sentences(test_file)[:max_eval_sentences]
    labels = label_list(train)
    label2id = {t: i for i, t in enumerate(labels)}
    id2label = dict(enumerate(labels))
    tokenizer = AutoTokenizer.from_pretrained(model_path)  # the saved tokenizer.json: its normaliser included
    set_seed(seed)
    model = AutoModelForTokenClassification.from_pretrained(model_path, num_labels=len(labels), id2label=id2label,
                                                            label2id=label2id, use_safetensors=True)
    feats = [{"input_ids": f["input_ids"], "labels": f["labels"]} for f in encode(tokenizer, train, label2id, max_seq_length)]
    args = TrainingArguments(output_dir=output_dir, seed=seed, num_train_epochs=epochs, learning_rate=learning_rate,
                             warmup_steps=warmup, per_device_train_batch_size=batch_size, weight_decay=weight_decay,
                             save_strategy="no", eval_strategy="no", logging_strategy="epoch", report_to=[],
                             use_cpu=not torch.cuda.is_available(), disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=feats, processing_class=tokenizer,
                      data_collator=DataCollatorForTokenClassification(tokenizer))
    result = trainer.train()
    pred = predict_tags(trainer.model, tokenizer, test, id2label, max_seq_length)
    types = sorted({t[2:] for t in labels if t != "O"})
    metrics = seqeval_metrics([s.tags for s in test], pred, types)
    payload = {
        "recipe": "run_ner.py (re-stated): pre-split CoNLL tokens, is_split_into_words, first sub-word labelled, "
                  "truncation at max_seq_length, DataCollatorForTokenClassification, Trainer",
        "scored_on": "conll_tokens",
        "seed": seed, "train_sentences": len(train), "train_examples": len(feats),
        "truncated_train_sentences": sum(1 for s, f in zip(train, feats) if len({w for w in f.get("labels", []) if w != IGNORE}) and
                                         sum(1 for x in f["labels"] if x != IGNORE) < len(s.tokens)),
        "train_runtime_s": round(float(result.metrics.get("train_runtime", 0.0)), 2),
        "total_runtime_s": round(time.time() - t0, 2),
        "test": metrics,
    }
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    (Path(output_dir) / "metrics.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return payload


# --------------------------------------------------------------------------- side by side


def compare_paths(model_path: str, conll_file: str, max_seq_length: int = 256, window_overlap: int = 64,
                  sentences_per_doc: int = 20, limit: int | None = None) -> dict[str, Any]:
    """The project's features and the recipe's on the same CoNLL sentences, counted.

    Sentence boundaries: whether the project's sentences are the file's. Sub-words: whether
    the concatenated input ids agree. Labelled positions: how many, where they differ, and
    which tags the extra (or missing) ones carry.
    """
    from train.features.alignment import encode_documents
    from train.features.tokenization import load_tokenizer
    from train.formats.conll import read_conll
    from train.training.token_classification import TokenTask, make_features

    tokenizer = load_tokenizer(model_path)
    sents = read_sentences(conll_file)[:limit]
    types = sorted({t[2:] for s in sents for t in s.tags if t != "O"})
    docs = read_conll(conll_file, labels=types, sentences_per_doc=sentences_per_doc)
    task = TokenTask("entities", types)
    proj_sents = encode_documents(tokenizer, docs)[: len(sents)]
    feats = make_features(tokenizer, docs, task, max_seq_length, window_overlap)
    labels = label_list(sents)
    rec_full = encode(tokenizer, sents, {t: i for i, t in enumerate(labels)}, 100_000)
    report: Counter = Counter()
    extra_tags: Counter = Counter()
    diff_examples: list[dict[str, Any]] = []
    # Sentence boundaries: the project's stored sentences, in file order, against the file's.
    for s, ps, r in zip(sents, proj_sents, rec_full):
        report["sentences"] += 1
        text = " ".join(s.tokens)
        doc = docs[ps.doc_index]
        if doc.text[ps.start : ps.end] != text:
            report["sentence_text_differs"] += 1
        if ps.token_ids.tolist() != r["input_ids"][1:-1]:
            report["subwords_differ"] += 1
        report["conll_tokens"] += len(s.tokens)
        report["project_words"] += ps.num_words
        report["subwords"] += len(ps.token_ids)
        if len(ps.token_ids) + 2 > max_seq_length:
            report["sentences_over_max_len"] += 1
            report["subwords_cut_by_truncation"] += len(ps.token_ids) + 2 - max_seq_length
    # Labelled positions and labels, over the full (untruncated) sentences.
    rl = {t: i for i, t in enumerate(labels)}
    ri = {i: t for t, i in rl.items()}
    from train.training.token_classification import gold_word_tags

    proj_tags = gold_word_tags(docs, proj_sents, task)
    for k, (ps, r) in enumerate(zip(proj_sents, rec_full)):
        rec_pos = {p - 1: ri[v] for p, v in enumerate(r["labels"]) if v != IGNORE}
        proj_pos = {int(ps.word_first_token[w]): proj_tags[k][w] for w in range(ps.num_words)}
        report["recipe_labelled"] += len(rec_pos)
        report["project_labelled"] += len(proj_pos)
        for p in set(proj_pos) - set(rec_pos):
            extra_tags[proj_pos[p]] += 1
        report["recipe_only_positions"] += len(set(rec_pos) - set(proj_pos))
        for p in set(proj_pos) & set(rec_pos):
            if proj_pos[p] != rec_pos[p]:
                report["same_position_other_tag"] += 1
                if len(diff_examples) < 8:
                    tok = tokenizer.convert_ids_to_tokens(int(ps.token_ids[p]))
                    diff_examples.append({"sentence": k, "subword": tok, "project": proj_pos[p], "recipe": rec_pos[p]})
    report["train_windows_project"] = len(feats)
    return {"counts": dict(report), "project_extra_positions_by_tag": dict(extra_tags), "label_differences": diff_examples}
