"""The measured inference rows: the ``transformers`` pipeline (batch size 1 and 32) and the predictor paths."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from train.benchmark.agreement import agreement, in_sentences
from train.benchmark.measure import timed
from train.inference.predictor import InputDocument, Predictor

ROW_NAMES = ("pipeline", "pipeline_bs32", "predictor", "predictor_bf16", "predictor_onnx_int8")
# predictor rows: (backend, precision)
PREDICTOR_ROWS = {"predictor": ("torch", "fp32"), "predictor_bf16": ("torch", "bf16"),
                  "predictor_onnx_int8": ("onnx", "auto")}


def doc_entities_from_pipeline(out: Sequence[Sequence[dict]], sents: Sequence[tuple[int, int, int]],
                               docs: Sequence[tuple[str, str]]) -> set:
    """The pipeline's entities as ``(doc, start, end, label)`` in document offsets, on whole words.

    As in the predictor's parity test: the pipeline's spans are snapped to whole words, and
    spans with no word character (a lone quote or comma) are dropped, because the pipeline's
    offsets stop short of diacritics the normaliser removed, and its word heuristic (sub-word
    length against original length) glues punctuation onto a diacritised word.
    """
    from train.corpus.text import snap_to_words

    got = set()
    for (k, a, _), ents in zip(sents, out):
        text = docs[k][1]
        for e in ents:
            snapped = snap_to_words(text, a + int(e["start"]), a + int(e["end"]))
            if snapped:
                got.add((k, *snapped, e["entity_group"]))
    return got


def run_pipeline(model_dir: Path, texts: list[str], batch_size: int | None) -> tuple[Any, dict[str, int]]:
    from transformers import pipeline

    pipe = pipeline("token-classification", model=str(model_dir), aggregation_strategy="first", device=-1)
    pipe(texts[:2])  # warm-up outside the clock, as for every row
    kwargs = {"batch_size": batch_size} if batch_size else {}
    return pipe, kwargs


def run_predictor(model_dir: Path, backend: str, precision: str = "fp32", *, docs: Sequence[tuple[str, str]]):
    pred = Predictor.from_pretrained(ner=str(model_dir), backend=backend, batch_size=32, precision=precision)
    list(pred.predict([InputDocument("warm", docs[0][1][:400])]))
    inputs = [InputDocument(i, t) for i, t in docs]

    def go() -> set:
        got = set()
        for k, rec in enumerate(pred.predict(inputs)):
            for e in rec["entities"]:
                got.add((k, e["start"], e["end"], e["label"]))
        return got
    return go


def measure_rows(model_dir: Path, docs: Sequence[tuple[str, str]], sents: Sequence[tuple[int, int, int]],
                 texts: list[str], ntok: int, clean: Sequence[tuple[int, int, int]], *, gflop_per_token: float,
                 gflops: float, before_predictor: Callable[[], Any]) -> list[dict[str, Any]]:
    """One row per :data:`ROW_NAMES`: throughput, peak memory and entity-span agreement.

    ``before_predictor`` runs just before the fp32 predictor row (the second forward limit).
    """
    rows: list[dict[str, Any]] = []
    ref: set | None = None
    fp32: set | None = None
    for name in ROW_NAMES:
        if name.startswith("pipeline"):
            pipe, kwargs = run_pipeline(model_dir, texts, 32 if name == "pipeline_bs32" else None)
            out, secs, peak = timed(lambda: pipe(texts, **kwargs))  # noqa: B023
            got = doc_entities_from_pipeline(out, sents, docs)
            del pipe
        else:
            if name == "predictor":
                before_predictor()
            go = run_predictor(model_dir, *PREDICTOR_ROWS[name], docs=docs)
            got, secs, peak = timed(go)
            del go
            fp32 = got if name == "predictor" else fp32
        gc.collect()
        ref = got if ref is None else ref
        tps = ntok / secs
        rows.append({"name": name, "tokens_per_s": tps, "docs_per_s": len(docs) / secs,
                     "agreement": agreement(ref, got),
                     "agreement_clean": agreement(in_sentences(ref, clean), in_sentences(got, clean)), "peak_mb": peak, "seconds": secs, "entities": len(got),
                     "flops_ratio": tps * gflop_per_token / gflops})
        if fp32 is not None:  # the predictor rows, against the fp32 predictor
            rows[-1]["agreement_vs_fp32"] = agreement(fp32, got)
        print(f"{name}: {tps:.0f} tokens/s, {len(got)} entities", file=sys.stderr, flush=True)
    return rows
