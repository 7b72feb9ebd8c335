"""Token classification over a document span list (``entities`` for NER, ``events`` for triggers).

Three parts:

* :func:`make_features`: documents → word IOB2 → sub-word labels in word windows;
* :func:`evaluate_documents`: the trained model's spans, through inference's
  :class:`~train.inference.tagging.SpanTagger` (the predictor's own code), scored with seqeval;
* :func:`run_token_task`: train with ``Trainer`` (best checkpoint by dev entity F1, early
  stopping, TensorBoard + CSV logs), evaluate, write model, reports and predictions. It
  trains into ``<output_dir>.partial`` and renames it to ``<output_dir>`` only at the end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.corpus.document import Document, Span, write_jsonl
from train.corpus.schema import Schema, load_schema
from train.evaluation.roles import render_role_scores, role_scores
from train.evaluation.spans import (
    SCORED_ON_CONLL,
    SCORED_ON_WORDS,
    seqeval_metrics,
    token_tags,
    type_confusion,
    write_reports,
)
from train.features.alignment import (
    IGNORE_INDEX,
    EncodedSentence,
    build_features,
    document_sentences,
    encode_documents,
    tag_names,
    word_tags,
)
from train.features.roles import role_documents
from train.inference.backends import TorchBackend
from train.inference.tagging import SpanTagger
from train.training.data import load_docs
from train.training.rundir import RunError, end_run, finish_run_dir, last_checkpoint, start_run
from train.training.trainer_setup import (
    auto_precision,
    base_model_fields,
    base_model_record,
    csv_log_callback,
    final_model_note,
)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- features


@dataclass
class TokenTask:
    """What a token task learns: the span list it reads and the types in it.

    ``roles``: the examples are :func:`~train.features.roles.role_documents` (one marked
    sentence per trigger, ``SOURCE``/``TARGET`` entities), scored with source and target F1 and
    against the baseline too.
    """

    span_kind: str  # "entities" or "events"
    types: list[str]
    roles: bool = False
    # A joint tagger's types by the span list each came from ({"entities": [...], "events": [...]}):
    # it learns them all over ``span_kind``, and its evaluation scores each group on its own too.
    groups: dict[str, list[str]] | None = None

    @property
    def tags(self) -> list[str]:
        return tag_names(self.types)

    @property
    def tag2id(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tags)}

    def b_to_i(self) -> dict[int, int]:
        t2i = self.tag2id
        return {t2i[f"B-{t}"]: t2i[f"I-{t}"] for t in self.types}


def joint_task(entity_types: Sequence[str], event_types: Sequence[str]) -> TokenTask:
    """One tagger for entities and triggers: the union of both label sets over the ``entities`` list.

    The schema keeps the two kinds of span apart (a trigger never overlaps an entity), so one IOB2
    sequence holds both; :func:`joint_documents` puts the triggers into that list.
    """
    clash = sorted(set(entity_types) & set(event_types))
    if clash:
        raise ValueError(f"a joint tagger needs distinct entity and event type names; both have {', '.join(clash)}")
    return TokenTask("entities", [*entity_types, *event_types],
                     groups={"entities": list(entity_types), "events": list(event_types)})


def joint_documents(docs: Sequence[Document]) -> list[Document]:
    """Copies of ``docs`` whose ``entities`` list also holds their triggers (``events``), for :func:`joint_task`.

    A document without entities (the GSR's, which carry only triggers) gets none: its words are
    ``O`` for every entity type, as they would be for a user training on it.
    """
    out = []
    for d in docs:
        c = deepcopy(d)
        c.entities, c.events = sorted([*d.entities, *d.events]), []
        out.append(c)
    return out


def group_metrics(gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]], task: TokenTask) -> dict[str, Any]:
    """``micro_<group>`` P/R/F1 of a joint task's groups, each scored as its own tagger would be:
    tags of the other groups' types read as O."""
    def only(seqs: Sequence[Sequence[str]], keep: set[str]) -> list[list[str]]:
        return [[t if t != "O" and t[2:] in keep else "O" for t in s] for s in seqs]

    out: dict[str, Any] = {}
    for name, types in (task.groups or {}).items():
        m = seqeval_metrics(only(gold_tags, set(types)), only(pred_tags, set(types)), types)
        out[f"micro_{name}"] = {f: m["micro"][f] for f in ("precision", "recall", "f1")}
    return out


def gold_word_tags(docs: Sequence[Document], sents: Sequence[EncodedSentence], task: TokenTask) -> list[list[str]]:
    """Word IOB2 tags of every encoded sentence; types outside the task become O."""
    keep = set(task.types)
    out = []
    for s in sents:
        spans = [sp for sp in docs[s.doc_index].spans(task.span_kind) if sp.label in keep]
        out.append(word_tags(s, spans))
    return out


def make_features(
    tokenizer, docs: Sequence[Document], task: TokenTask, max_seq_length: int, overlap: int, label_all_subwords: bool = False
) -> list[dict[str, list[int]]]:
    """Training/dev inputs: one dict (``input_ids``, ``labels``) per word window."""
    sents = encode_documents(tokenizer, docs)
    t2i = task.tag2id
    word_ids = [[t2i[t] for t in tags] for tags in gold_word_tags(docs, sents, task)]
    feats = build_features(
        sents,
        tokenizer.cls_token_id,
        tokenizer.sep_token_id,
        max_seq_length,
        overlap,
        word_label_ids=word_ids,
        label_all_subwords=label_all_subwords,
        b_to_i=task.b_to_i(),
    )
    return [{"input_ids": f.input_ids, "labels": f.labels} for f in feats]


# --------------------------------------------------------------------------- evaluation


def evaluate_documents(tagger: SpanTagger, docs: Sequence[Document], task: TokenTask) -> tuple[dict[str, Any], list[list[Span]]]:
    """Strict IOB2 seqeval metrics and the predicted spans of ``docs``."""
    pred = tagger.predict_documents(docs)
    sents = encode_documents(tagger.tokenizer, docs)
    gold_tags = gold_word_tags(docs, sents, task)
    pred_tags = [word_tags(s, pred[s.doc_index]) for s in sents]
    metrics = {**seqeval_metrics(gold_tags, pred_tags, task.types), **group_metrics(gold_tags, pred_tags, task),
               "scored_on": SCORED_ON_WORDS}
    keep = set(task.types)
    gold_spans = [[sp for sp in d.spans(task.span_kind) if sp.label in keep] for d in docs]
    return {"metrics": metrics, "confusion": type_confusion(gold_spans, pred)}, pred


@dataclass
class ConllSource:
    """Where a split's documents came from, when that was a CoNLL file: scored on its tokens too."""

    path: str
    layer: int = 0
    label_map: dict[str, Any] | None = None


def conll_token_metrics(source: ConllSource, docs: Sequence[Document], pred: Sequence[Sequence[Span]],
                        task: TokenTask) -> dict[str, Any]:
    """Strict IOB2 seqeval over the CoNLL file's own tokens: gold is the file's tags, predicted
    tags come from the predicted spans (a token overlapping a span takes its type).

    ``docs`` were read from ``source`` by :func:`train.formats.conll.read_conll` (possibly cut
    short by ``max_eval_sentences``): their sentences, in order, are the file's.
    """
    from train.formats.conll import read_conll_token_tags, token_offsets

    file_sents = read_conll_token_tags(source.path, layer=source.layer, label_map=source.label_map, labels=task.types)
    gold: list[list[str]] = []
    predicted: list[list[str]] = []
    k = 0
    for di, d in enumerate(docs):
        for a, b in d.sentences or []:
            if k >= len(file_sents):
                break
            toks, tags = file_sents[k]
            k += 1
            offs = token_offsets(d.text, a, b)
            if [d.text[x:y] for x, y in offs] != toks:
                raise RunError(f"{source.path}: sentence {k} of the file does not match the documents read from it")
            gold.append(tags)
            predicted.append(token_tags(offs, [sp for sp in pred[di] if sp.end > a and sp.start < b]))
    return {**seqeval_metrics(gold, predicted, task.types), "scored_on": SCORED_ON_CONLL,
            "conll_sentences": len(gold), "conll_tokens": sum(len(g) for g in gold)}


def predictions_as_documents(docs: Sequence[Document], pred: Sequence[Sequence[Span]], span_kind: str) -> list[Document]:
    """Corpus-format copies of ``docs`` whose ``span_kind`` list holds the predictions."""
    out = []
    for d, spans in zip(docs, pred):
        c = Document(d.id, d.text, sentences=list(d.sentences or document_sentences(d)), meta={**d.meta, "predicted": span_kind})
        if span_kind == "entities":
            c.entities = sorted(spans)
        else:
            c.events = sorted(spans)
        out.append(c)
    return out


def task_schema(task: TokenTask, base: Schema | None = None) -> Schema:
    """The schema predictions are validated against: the project's, or one with the run's types."""
    base = base or load_schema()
    if set(task.types) <= set(base.labels(task.span_kind)):
        return base
    own = {t: f"{t} (from the run's label set)" for t in task.types}
    if task.span_kind == "entities":
        return Schema(entities=own, events=base.events, path="<run labels>")
    return Schema(entities=base.entities, events=own, path="<run labels>")


def role_metrics(docs: Sequence[Document], pred: Sequence[Sequence[Span]]) -> dict[str, Any]:
    """``source``, ``target`` (exact and overlap F1, per PLOVER type in ``by_type``) and the same for ``baseline``."""
    types = [d.meta.get("type", "") for d in docs]
    gold = [d.entities for d in docs]
    base = [[Span(x["start"], x["end"], x["label"]) for x in d.meta.get("baseline", [])] for d in docs]
    model, baseline = role_scores(gold, pred, types), role_scores(gold, base, types)
    # The baseline's rows also flat, so that cross-validation averages them like the model's.
    return {**model, "baseline": baseline, "baseline_source": baseline["source"], "baseline_target": baseline["target"]}


# --------------------------------------------------------------------------- training


def window_metrics_fn(tags: Sequence[str]):
    """``compute_metrics`` for Trainer: strict seqeval over labelled positions of each window."""

    def compute(p) -> dict[str, float]:
        preds, labels = p.predictions, p.label_ids
        if isinstance(preds, tuple):
            preds = preds[0]
        gold_seqs, pred_seqs = [], []
        for pr, lab in zip(preds, labels):
            m = lab != IGNORE_INDEX
            gold_seqs.append([tags[i] for i in lab[m]])
            pred_seqs.append([tags[i] for i in pr[m]])
        from train.corpus.iob import repair_tags

        m = seqeval_metrics(gold_seqs, [repair_tags(s) for s in pred_seqs])
        return {"precision": m["micro"]["precision"], "recall": m["micro"]["recall"], "f1": m["micro"]["f1"], "macro_f1": m["macro"]["f1"]}

    return compute


def _argmax_logits(logits, labels):
    if isinstance(logits, tuple):
        logits = logits[0]
    return logits.argmax(-1)


def run_token_task(
    model_args,
    data_args,
    training_args,
    task: TokenTask,
    train_docs: Sequence[Document],
    dev_docs: Sequence[Document] | None,
    test_docs: Sequence[Document] | None,
    output_dir: str | Path,
    explicit_keys: set[str] = frozenset(),
    title: str | None = None,
    notes: Sequence[str] = (),
    conll_sources: dict[str, ConllSource] | None = None,
) -> dict[str, Any]:
    """Train, evaluate and save one token-classification model into ``output_dir``.

    Returns the evaluation payload (``{"dev": {...}, "test": {...}}``). A split named in
    ``conll_sources`` is also scored on the CoNLL file's own tokens (``<split>.conll_tokens``).
    """
    from transformers import DataCollatorForTokenClassification, EarlyStoppingCallback, Trainer, set_seed

    from train.training.config import resolve_learning_rate
    from train.training.modeling import load_base_tokenizer, load_token_model, resolve_base_model

    t0 = time.time()
    # Under torchrun / accelerate launch only the main process makes the folder; the others wait for it.
    part = start_run(training_args, output_dir, data_args.resume, data_args.overwrite_output)
    args = deepcopy(training_args)
    args.output_dir = str(part)
    has_dev = bool(dev_docs)
    if not has_dev:
        args.eval_strategy = "no"
        args.load_best_model_at_end = False
        args.metric_for_best_model = None
        if args.save_strategy != "no":
            args.save_strategy = "epoch"
    auto_precision(args, set(explicit_keys))

    if model_args.cpu_threads:
        import torch

        torch.set_num_threads(model_args.cpu_threads)
    tokenizer = load_base_tokenizer(model_args)
    set_seed(args.seed)
    model = load_token_model(model_args, task.tags)
    resolve_learning_rate(args, model.config)  # learning_rate: auto, by the encoder's hidden size
    model.config.iob2_decoding = model_args.decoding  # saved with the model: the predictor decodes the same way
    max_len = min(model_args.max_seq_length, getattr(model.config, "max_position_embeddings", 512) or 512)

    train_feats = make_features(tokenizer, train_docs, task, max_len, model_args.window_overlap, model_args.label_all_subwords)
    dev_feats = make_features(tokenizer, dev_docs, task, max_len, model_args.window_overlap, model_args.label_all_subwords) if has_dev else None
    callbacks = [csv_log_callback()(part / "logs.csv")]
    if has_dev and data_args.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=data_args.early_stopping_patience))
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_feats,
        eval_dataset=dev_feats,
        processing_class=tokenizer,
        data_collator=DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=8 if (args.fp16 or args.bf16) else None),
        compute_metrics=window_metrics_fn(task.tags) if has_dev else None,
        preprocess_logits_for_metrics=_argmax_logits,
        callbacks=callbacks,
    )
    resume_from = last_checkpoint(part) if data_args.resume else None
    train_result = trainer.train(resume_from_checkpoint=resume_from)
    trainer.save_model(str(part))  # best model (load_best_model_at_end), safetensors + tokenizer
    if trainer.is_world_process_zero():
        # No pickles in a finished model directory: the arguments go to JSON instead.
        (part / "training_args.bin").unlink(missing_ok=True)
        (part / "training_args.json").write_text(args.to_json_string(), encoding="utf-8")

    splits: dict[str, dict[str, Any]] = {}
    if trainer.is_world_process_zero():
        # The model stays on the device it trained on.
        backend = TorchBackend(trainer.model, str(next(trainer.model.parameters()).device))
        tagger = SpanTagger(backend, tokenizer, max_seq_length=max_len, overlap=model_args.window_overlap,
                            batch_size=model_args.inference_batch_size, decoding=model_args.decoding)
        schema = task_schema(task, load_schema(data_args.schema_path))
        role_tables: list[str] = []
        for name, docs in (("dev", dev_docs), ("test", test_docs)):
            if not docs:
                continue
            res, pred = evaluate_documents(tagger, docs, task)
            if conll_sources and name in conll_sources:
                res["metrics"][SCORED_ON_CONLL] = conll_token_metrics(conll_sources[name], docs, pred, task)
            if task.roles:
                res["metrics"].update(role_metrics(docs, pred))
                role_tables.append(render_role_scores(name, res["metrics"], res["metrics"]["baseline"]))
            splits[name] = res
            write_jsonl(part / f"predictions_{name}.jsonl", predictions_as_documents(docs, pred, task.span_kind), schema)
        extra = {
            "task": data_args.task,
            "span_kind": task.span_kind,
            "types": task.types,
            "base_model": model_args.model_name_or_path,
            **base_model_record(resolve_base_model(model_args)),
            "train_documents": len(train_docs),
            "train_windows": len(train_feats),
            "decoding": model_args.decoding,
            "train_runtime_s": round(float(train_result.metrics.get("train_runtime", 0.0)), 2),
            "total_runtime_s": round(time.time() - t0, 2),
            "best_checkpoint": trainer.state.best_model_checkpoint and Path(trainer.state.best_model_checkpoint).name,
            "epochs_run": trainer.state.epoch,
        }
        # role_tables: source and target F1, model against baseline, after the tag-level report
        write_reports(part, title or f"Evaluation: {data_args.task} ({task.span_kind})", splits, task.types, notes, extra,
                      sections=role_tables)
        finish_run_dir(part, output_dir)
    end_run()  # the other processes return once the folder is final (empty metrics: rank 0 reports)
    return {k: v["metrics"] for k, v in splits.items()}


# --------------------------------------------------------------------------- data and the whole run


def run_from_args(model_args, data_args, training_args, explicit_keys: set[str] = frozenset()) -> dict[str, Any]:
    """The ``ner`` and ``triggers`` tasks: one run, or cross-validation when configured."""
    from train.training.config import type_list
    from train.training.crossval import run_cross_validation

    types = type_list(data_args)
    roles = data_args.task == "roles"
    task = TokenTask("events" if data_args.task == "triggers" else "entities", types, roles=roles)
    train_docs = load_docs(data_args, data_args.train_file, types, data_args.max_train_sentences)
    for extra_path in data_args.extra_train_files or []:  # several sources in one run (seed + GSR)
        train_docs += load_docs(data_args, extra_path, types, data_args.max_train_sentences)
    # The roles task reads triggers with their source and target and learns on one marked
    # sentence per trigger; documents are converted after the folds are drawn, so that
    # cross-validation stays by document.
    as_examples = role_documents if roles else list
    dev = load_docs(data_args, data_args.validation_file, types, data_args.max_eval_sentences) if data_args.validation_file else None
    test = load_docs(data_args, data_args.test_file, types, data_args.max_eval_sentences) if data_args.test_file else None
    for key, docs in (("train_file", train_docs), ("validation_file", dev), ("test_file", test)):
        if docs is not None and not any(d.text.strip() for d in docs):
            raise RunError(f"{key}: {getattr(data_args, key)} holds no text to learn or evaluate on "
                           f"({len(docs)} document(s), all empty or white space)")
    notes = [
        f"Base model: `{model_args.model_name_or_path}`; task `{data_args.task}` over `{task.span_kind}`; seed {training_args.seed}.",
        f"Train: `{data_args.train_file}` ({len(train_docs)} documents).",
    ]
    if data_args.cross_validation:
        fold_data = deepcopy(data_args)
        fold_data.resume, fold_data.overwrite_output = False, True

        def fold(tr: list[Document], te: list[Document], fold_dir: Path) -> dict[str, Any]:
            # Under torchrun only rank 0 evaluates; the other ranks get no metrics (crossval skips them).
            return run_token_task(model_args, fold_data, training_args, task, as_examples(tr), None, as_examples(te), fold_dir,
                                  explicit_keys, notes=notes).get("test", {})

        def final(tr: list[Document], out_dir: Path) -> None:
            run_token_task(model_args, fold_data, training_args, task, as_examples(tr), None, None, out_dir, explicit_keys,
                           title=f"Final model: {data_args.task} on all {len(tr)} documents", notes=notes)


        return run_cross_validation(
            train_docs,
            data_args.cross_validation,
            fold,
            training_args.output_dir,
            data_args.num_folds,
            training_args.seed,
            title=f"Cross-validation: {data_args.task}",
            notes=[*notes, final_model_note(training_args)],
            overwrite=data_args.overwrite_output,
            resume=data_args.resume,
            train_final=final,
            base_model=base_model_fields(model_args),
        )
    conll = conll_sources_of(data_args)
    if conll:
        notes.append("Data from CoNLL: each split is scored twice, over the tokenizer's words (`micro`, `per_type`) and "
                     "over the file's own tokens and tags (`conll_tokens` in metrics.json), the units of published CoNLL figures.")
    if roles:
        train_docs = role_documents(train_docs)
        dev = role_documents(dev) if dev is not None else None
        test = role_documents(test) if test is not None else None
    return run_token_task(model_args, data_args, training_args, task, train_docs, dev, test, training_args.output_dir,
                          explicit_keys, notes=notes, conll_sources=conll)


def conll_sources_of(data_args) -> dict[str, ConllSource]:
    """The dev and test splits that come from CoNLL files."""
    from train.training.config import path_format

    out: dict[str, ConllSource] = {}
    for name, key in (("dev", "validation_file"), ("test", "test_file")):
        value = getattr(data_args, key)
        if not value:
            continue
        fmt, path = path_format(str(value), data_args.data_format)
        if fmt == "conll":
            out[name] = ConllSource(path, data_args.conll_layer, data_args.label_map)
    return out
