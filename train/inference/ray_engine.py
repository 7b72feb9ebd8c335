"""Batch inference on Ray Data: the project's :class:`~train.inference.predictor.Predictor` in actors.

    python scripts/predict.py --engine ray --workers 4 --threads-per-worker 2 \\
        --ner models/demo/ner articles/ --output out.jsonl

The driver reads the inputs (JSON Lines, folders of ``.txt`` files, Parquet), cuts them into
the chunks :meth:`Predictor.predict` would batch (:func:`~train.inference.predictor.document_chunks`),
and makes them a Ray Dataset, one row per chunk. ``map_batches`` sends each chunk to a pool of
actors, each of which loads the models once; the records come back in input order and the
driver writes them with the same writers as the single-process path. A chunk batches exactly
the sentences it batches in one process, so the records are the same, numbers included.

Ray is optional (``pip install .[ray]``); it is imported only when this engine runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.inference.predictor import InputDocument, document_chunks

INSTALL_HINT = "--engine ray needs Ray, an optional extra: pip install .[ray]  (or: pip install 'ray[data]')"


class RayMissing(RuntimeError):
    """Ray is not installed; the message says how to install it."""


def require_ray() -> Any:
    """The ``ray`` module, or :class:`RayMissing` with the install line."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RayMissing(INSTALL_HINT) from None
    return ray


@dataclass
class RayOptions:
    """How the work is spread: ``workers`` actors of ``threads_per_worker`` CPU threads and
    ``gpus_per_worker`` GPUs; ``address``: an existing cluster (``auto`` or ``ray://host:10001``),
    else a local Ray instance with just the CPUs the workers need."""

    workers: int = 2
    threads_per_worker: int = 1
    gpus_per_worker: float = 0.0
    address: str | None = None
    object_store_mb: int | None = None


def _chunk_row(k: int, chunk: list[tuple[InputDocument, list[tuple[int, int]]]]) -> dict[str, Any]:
    # One JSON string per chunk: Arrow would otherwise have to unify the nested meta of every document.
    docs = [{"id": d.id, "text": d.text, "meta": d.meta, "sentences": [list(s) for s in sents]} for d, sents in chunk]
    return {"chunk": k, "docs": json.dumps(docs, ensure_ascii=False)}


class PredictActor:
    """A Ray Data actor: loads the predictor once, then turns chunks into records (JSON strings)."""

    def __init__(self, predictor_kwargs: Mapping[str, Any], threads: int = 1):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch

        from train.inference.predictor import Predictor

        if threads:
            torch.set_num_threads(int(threads))
        self.predictor = Predictor.from_pretrained(**dict(predictor_kwargs))

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[Any]]:
        chunks, records = [], []
        for k, payload in zip(batch["chunk"], batch["docs"]):
            chunk = [(InputDocument(d["id"], d["text"], d["meta"]), [tuple(s) for s in d["sentences"]])
                     for d in json.loads(payload)]
            recs = list(self.predictor.predict_chunk(chunk))
            chunks.append(int(k))
            records.append(json.dumps(recs, ensure_ascii=False))
        return {"chunk": chunks, "records": records}


def init_ray(options: RayOptions) -> Any:
    """Join ``options.address``, or start a local instance sized for the workers (once per process)."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if options.address:
        ray.init(address=options.address, **kwargs)
    else:
        cpus = max(1, options.workers * max(1, options.threads_per_worker))
        gpus = int(options.gpus_per_worker * options.workers + 0.999) if options.gpus_per_worker else 0
        store = (options.object_store_mb or 512) * 1024 * 1024
        # The actors import this very `train` package (a checkout, not an older install elsewhere).
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        ray.init(num_cpus=cpus, num_gpus=gpus, object_store_memory=store,
                 runtime_env={"env_vars": {"PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false"}}, **kwargs)
    return ray


def predict_records(docs: Iterable[InputDocument], predictor_kwargs: Mapping[str, Any], options: RayOptions,
                    chunk_sentences: int = 256) -> Iterator[dict[str, Any]]:
    """One record per document, in input order, computed by ``options.workers`` Ray actors.

    ``predictor_kwargs`` go to :meth:`Predictor.from_pretrained` in each actor; the records are
    those of ``Predictor.predict(docs)`` in one process (same chunks, same batches).
    """
    ray = init_ray(options)
    rows = [_chunk_row(k, chunk) for k, chunk in enumerate(document_chunks(docs, chunk_sentences))]
    if not rows:
        return
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    kwargs = dict(predictor_kwargs)
    if options.gpus_per_worker and not kwargs.get("device"):
        kwargs["device"] = "cuda"
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))
    out = ds.map_batches(
        PredictActor,
        fn_constructor_kwargs={"predictor_kwargs": kwargs, "threads": options.threads_per_worker},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=options.threads_per_worker,
        **({"num_gpus": options.gpus_per_worker} if options.gpus_per_worker else {}),
    )
    expected = 0
    for row in out.iter_rows():
        k = int(row["chunk"])
        if k != expected:  # preserve_order keeps them in order; a cluster that does not is refused
            raise RuntimeError(f"Ray returned chunk {k} where chunk {expected} was expected")
        expected += 1
        yield from json.loads(row["records"])
