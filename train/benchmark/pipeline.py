"""The whole pipeline of ``predict.py``: entities, sentence event types and triggers, three models.

The trigger tagger and the event classifier have the NER bench model's shape and tokenizer
(:func:`train.benchmark.models.build_model`), random encoders of their own and heads shaped as
a trained model's would be: the trigger head tags about one word in four (as the NER head),
the classifier decides a type for about one sentence in ten, away from its thresholds, and
carries the ``thresholds`` and ``sentence_inputs`` that training writes into its config, so that the predictor runs exactly the path it runs on published models.
"""

from __future__ import annotations

import heapq
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from train.benchmark.measure import timed
from train.benchmark.models import TOKENIZER_FILES, exported_copy, shape_classifier_head, shape_head
from train.benchmark.profile import profile_shares
from train.features.windows import CONFIG_KEY
from train.inference.predictor import InputDocument, Predictor

PIPELINE_PRECISIONS = ("fp32", "int8", "auto")  # rows pipeline<models>_<precision>


def _copy_tokenizer(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)


def build_pipeline_models(ner_dir: Path, work: Path, texts: Sequence[str], seed: int = 1) -> dict[str, Path]:
    """``{"ner", "events", "triggers"}`` model folders of the NER model's shape, sharing its tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertForTokenClassification

    from train.corpus.schema import load_schema
    from train.features.tokenization import load_tokenizer

    schema = load_schema()
    base = BertConfig.from_pretrained(str(ner_dir)).to_dict()
    for key in ("id2label", "label2id", "num_labels", "architectures", "problem_type", "_name_or_path"):
        base.pop(key, None)
    tok = load_tokenizer(str(ner_dir))
    dirs = {"ner": ner_dir, "triggers": work / "bench-triggers", "events": work / "bench-events"}

    trig_labels = ["O"] + [f"{p}-{t}" for t in schema.event_labels for p in ("B", "I")]
    torch.manual_seed(seed)
    cfg = BertConfig(**base, id2label=dict(enumerate(trig_labels)), label2id={x: i for i, x in enumerate(trig_labels)})
    trig = BertForTokenClassification(cfg).eval()
    shape_head(trig, tok, texts, seed)
    trig.save_pretrained(dirs["triggers"])
    _copy_tokenizer(ner_dir, dirs["triggers"])

    ev_labels = list(schema.event_labels)
    torch.manual_seed(seed + 1)
    cfg = BertConfig(**base, id2label=dict(enumerate(ev_labels)), label2id={x: i for i, x in enumerate(ev_labels)},
                     problem_type="multi_label_classification")
    ev = BertForSequenceClassification(cfg).eval()
    shape_classifier_head(ev, tok, texts, seed + 1)
    ev.config.thresholds = {x: 0.5 for x in ev_labels}
    setattr(ev.config, CONFIG_KEY, {"context": "previous", "max_length": 128, "window_overlap": 32, "aggregation": "max"})
    ev.save_pretrained(dirs["events"])
    _copy_tokenizer(ner_dir, dirs["events"])
    return dirs


def word_labels(rec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Per word of a record: its entity label, its trigger label, its sentence's event types and its
    role (``SOURCE``/``TARGET`` of an event), the models' outputs as one word sees them (``O`` /
    empty where none)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", rec["text"])]
    ents = [(e["start"], e["end"], e["label"]) for e in rec["entities"]]
    trigs = [(t["start"], t["end"], t["label"]) for s in rec["sentences"] for t in s.get("triggers", ())]
    sents = [(s["start"], s["end"], ",".join(sorted(t["label"] for t in s.get("event_types", ())))) for s in rec["sentences"]]
    roles = [(ev[r]["start"], ev[r]["end"], r.upper()) for ev in rec.get("events", ()) for r in ("source", "target")
             if ev.get(r)]
    return list(zip(covering_labels(ents, words, "O"), covering_labels(trigs, words, "O"),
                    covering_labels(sents, words, ""), covering_labels(roles, words, "O"), strict=True))


def covering_labels(spans: Sequence[tuple[int, int, str]], words: Sequence[tuple[int, int]], none: str) -> list[str]:
    """Per word, the label of the first span in ``spans`` (in their order) that covers it, else ``none``.

    One sweep, not words × spans, as a long document has thousands of each. ``words`` are in text
    order, non-overlapping (so starts and ends only grow): a span joins a heap keyed by its place in
    ``spans`` once it starts at or before the word, and leaves it once it ends before the word's end,
    as it can cover no later word; the heap's top is then the first-listed covering span, overlaps
    and nesting included.
    """
    order = sorted(range(len(spans)), key=lambda k: spans[k][0])
    live: list[int] = []
    nxt = 0
    out: list[str] = []
    for a, b in words:
        while nxt < len(order) and spans[order[nxt]][0] <= a:
            heapq.heappush(live, order[nxt])
            nxt += 1
        while live and spans[live[0]][1] < b:
            heapq.heappop(live)
        out.append(spans[live[0]][2] if live else none)
    return out


OUTPUTS = ("entities", "triggers", "event_types", "roles")
#: Which model gives each output: the agreement pools only the outputs of the models a run has,
#: as an absent model's output ("O" on both sides) would agree by default.
OUTPUT_OF = {"ner": "entities", "triggers": "triggers", "events": "event_types", "roles": "roles"}


def agreement_by_output(ref: Sequence[dict[str, Any]], got: Sequence[dict[str, Any]],
                        outputs: Sequence[str] = OUTPUTS[:3]) -> dict[str, float]:
    """Share of words whose label equals the reference run's, for each model's output."""
    keep = [OUTPUTS.index(o) for o in outputs]
    same = [0] * len(keep)
    total = 0
    for a, b in zip(ref, got, strict=True):
        for x, y in zip(word_labels(a), word_labels(b), strict=True):
            for j, k in enumerate(keep):
                same[j] += x[k] == y[k]
            total += 1
    return {OUTPUTS[k]: (same[j] / total if total else 1.0) for j, k in enumerate(keep)}


def agreement_words(ref: Sequence[dict[str, Any]], got: Sequence[dict[str, Any]],
                    outputs: Sequence[str] = OUTPUTS[:3]) -> float:
    """Share of word labels equal to the reference run's, pooled over the models' outputs."""
    by = agreement_by_output(ref, got, outputs)
    return sum(by.values()) / len(by)


def set_models(where: str, work: Path) -> dict[str, Path | str]:
    """The models of a user's set (``predict.py --models DIR|ORG/NAME``), for the pipeline rows.

    Local folders are copied (weights, config, tokenizer) into ``work`` and exported there, so that
    the user's folders stay as they were; Hub models get theirs in the cache, as
    ``predict.py --export-onnx`` gives them."""
    from train.inference.model_set import resolve_model_set

    return {task: exported_copy(Path(model), work / f"set-{task}") if Path(model).is_dir() else model
            for task, model in resolve_model_set(where).items()}


def export_graphs(dirs: dict[str, Path | str]) -> None:
    """The fp32 and int8 ONNX graphs of each bench model, as publish.py ships them."""
    from train.publishing.onnx_export import ensure_onnx

    for d in dirs.values():
        ensure_onnx(str(d))


def pipeline_rows(dirs: dict[str, Path | str], docs: Sequence[tuple[str, str]], ntok: int,
                  profile_docs: int | None = None) -> list[dict[str, Any]]:
    """One row per :data:`PIPELINE_PRECISIONS`: the predictor with every model of ``dirs`` (task ->
    folder or Hub name: the three stand-ins, or a user's set) over the bench documents. Rows are
    named by the number of models (``pipeline3_fp32`` for the stand-ins).

    ``tokens_per_s`` counts the bench sentences' sub-word tokens once (as the other rows do),
    although each model reads them. ``agreement_words``: each row's word labels against the fp32
    row's (:func:`agreement_words`), over the outputs of the models present. The fp32 and auto rows are profiled once
    each (only the shares count: the profiler slows the run), over the first ``profile_docs`` documents
    (all by default; ``--quick`` takes a few, as the profiler costs several times the run it watches).
    """
    export_graphs(dirs)
    inputs = [InputDocument(i, t) for i, t in docs]
    rows = []
    reference: list[dict[str, Any]] = []
    outputs = [OUTPUT_OF[t] for t in OUTPUT_OF if t in dirs]
    for precision in PIPELINE_PRECISIONS:
        name = f"pipeline{len(dirs)}_{precision}"
        pred = Predictor.from_pretrained(**{t: str(d) for t, d in dirs.items()},
                                         backend="torch", batch_size=32, precision=precision)
        list(pred.predict([InputDocument("warm", docs[0][1][:400])]))
        records: list[dict[str, Any]] = []

        def go(pred: Predictor = pred, records: list[dict[str, Any]] = records,
               inputs: list[InputDocument] = inputs) -> tuple[int, int, int]:
            records.clear()
            ents = events = types = 0
            for rec in pred.predict(inputs):
                records.append(rec)
                ents += len(rec["entities"])
                events += len(rec["events"])
                types += sum(len(s.get("event_types", ())) for s in rec["sentences"])
            return ents, types, events

        (ents, types, events), secs, peak = timed(go)
        if not reference:
            reference = list(records)
        rows.append({"name": name, "precision_asked": precision, "precision": pred.precision,
                     "precision_reason": pred.precision_reason, "docs_per_s": len(docs) / secs,
                     "tokens_per_s": ntok / secs, "seconds": secs, "peak_mb": peak, "entities": ents,
                     "sentence_event_types": types, "events": events,
                     "agreement_words": agreement_words(reference, records, outputs),
                     "agreement_words_by_output": agreement_by_output(reference, records, outputs)})
        print(f"{name}: {len(docs) / secs:.2f} docs/s, {ntok / secs:.0f} tokens/s, precision {pred.precision}, "
              f"agreement_words {rows[-1]['agreement_words']:.4f} ("
              + ", ".join(f"{k} {v:.4f}" for k, v in rows[-1]["agreement_words_by_output"].items()) + ")",
              file=sys.stderr, flush=True)
        if precision in ("fp32", "auto"):
            rows[-1]["profile"] = profile_shares(lambda go=go: go(inputs=inputs[:profile_docs]))
            print(f"profile ({name}): " + ", ".join(f"{k} {v:.0%}" for k, v in rows[-1]["profile"].items()
                                                     if k != "profiled_seconds"), file=sys.stderr, flush=True)
        del pred
    fp32 = rows[0]["docs_per_s"]
    for r in rows:
        r["x_fp32"] = r["docs_per_s"] / fp32
    return rows
