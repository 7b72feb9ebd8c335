#!/usr/bin/env python
"""Assemble a trained run, or the set `make train` leaves, into clean model folders with model cards, and optionally push them.

    python scripts/publish.py runs --out models --push my-org/camelbert-arabic-news
    python scripts/publish.py runs/demo/ner --out models/demo/ner --train-file data/seed.jsonl
    python scripts/publish.py runs/ner --out models/ner --push my-org/camelbert-arabic-news-ner

A set (a folder of run folders named ner, events, triggers, roles) goes to ``OUT/<task>`` and is
pushed as ``ORG/NAME-<task>``; each card links the others and shows the one command that runs
the set, ``predict.py --models OUT`` (or ``--models ORG/NAME``).

The folder holds safetensors weights, the tokenizer, the config, the run's metrics and a
``README.md`` model card; it is built in a temporary folder and renamed into place, so a
failed run leaves nothing half-done. ``--push`` needs a Hugging Face token (``HF_TOKEN`` or
``hf auth login``) and checks for it before anything is built.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from train.atomic import atomic_dir
from train.publishing.model_card import build_card, load_metrics

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.jsonl"
WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
KEEP = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
        "added_tokens.json", "metrics.json", "eval_report.md", "cv_metrics.json", "cv_report.md")


class PublishError(RuntimeError):
    pass


def _files(run_dir: Path) -> list[Path]:
    if not (run_dir / "config.json").is_file():
        raise PublishError(f"{run_dir}: no config.json; is this a finished training run?")
    weights = [p for p in run_dir.iterdir() if p.name in WEIGHTS or (p.name.startswith("model-") and p.suffix == ".safetensors")]
    if not any(p.suffix == ".safetensors" for p in weights):
        raise PublishError(f"{run_dir}: no safetensors weights (model.safetensors); only safetensors are published")
    if not (run_dir / "tokenizer.json").is_file():
        raise PublishError(f"{run_dir}: no tokenizer.json; the fast tokenizer is needed for offsets")
    return weights + [run_dir / n for n in KEEP if (run_dir / n).is_file()]


def hub_token() -> str | None:
    from huggingface_hub import get_token

    return get_token()


SET_TASKS = ("ner", "events", "triggers", "roles")


def set_members(runs: Path) -> list[str]:
    """The tasks of a model set: sub-folders named after a task that hold a run; empty for one run."""
    if (runs / "config.json").is_file() or not runs.is_dir():
        return []
    return [t for t in SET_TASKS if (runs / t / "config.json").is_file()]


def _metrics(run_dir: Path) -> dict:
    metrics = load_metrics(run_dir)
    if metrics is None:
        raise PublishError(f"{run_dir}: no metrics.json; the card's evaluation comes from it")
    return metrics


def _inputs(run_dir: Path, metrics_first: bool) -> tuple[list[Path], dict]:
    """The run's files to copy and its metrics for the card, or why it cannot be published; read once
    per run and handed to :func:`build`. ``metrics_first`` picks which complaint a run lacking both gets:
    one run names its metrics, a set member its files."""
    if metrics_first:
        metrics = _metrics(run_dir)
        return _files(run_dir), metrics
    files = _files(run_dir)
    return files, _metrics(run_dir)


def build(run_dir: Path, out: Path, args: argparse.Namespace, model_set: dict[str, str] | None = None,
          set_ref: str | None = None, repo_id: str | None = None,
          inputs: tuple[list[Path], dict] | None = None) -> None:
    """Build the folder beside ``out`` and rename it into place; ``inputs`` are the run's :func:`_inputs`
    when already checked (a set checks every member first), else they are read here."""
    files, metrics = inputs or _inputs(run_dir, metrics_first=True)
    with atomic_dir(out) as tmp:
        for f in files:
            shutil.copy2(f, tmp / f.name)
        onnx = None if args.no_onnx else export_graphs(tmp, args.train_file)
        card = build_card(tmp, metrics=metrics, cv_metrics=load_metrics(run_dir, "cv_metrics.json"),
                          name=args.name or out.name, license=args.license, base_model=args.base_model,
                          dataset=args.dataset, train_file=args.train_file, repo_id=repo_id or args.push or str(out),
                          model_set=model_set, set_ref=set_ref, onnx=onnx)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        _check_loads(tmp)


def agreement_texts(train_file: str | None, limit: int = 400) -> list[str]:
    """Sentences to measure int8 against fp32 on: the training corpus's when given, else the seed corpus's.

    A line that is not a record with a ``text`` string is left out, unreported: the corpus only lends
    sentences to a measurement, and publishing is not the place to refuse it."""
    from train.corpus.document import iter_jsonl_records
    from train.corpus.sentences import split_sentences

    path = Path(train_file) if train_file and Path(train_file).suffix == ".jsonl" else SEED
    texts: list[str] = []
    if path.is_file():
        for _, obj in iter_jsonl_records(path, []):
            text = obj.get("text") if isinstance(obj, dict) else None
            if not isinstance(text, str):
                continue
            texts += [text[s.start:s.end] for s in split_sentences(text) if text[s.start:s.end].strip()]
            if len(texts) >= limit:
                break
    return texts[:limit] or ["وصل قائد الجيش الليبي خليفة حفتر إلى موسكو يوم الثلاثاء."]


def export_graphs(folder: Path, train_file: str | None) -> dict:
    """``onnx/model.onnx`` and ``onnx/model_quantized.onnx`` into the folder being published, and
    the int8 graph's agreement with fp32 for the card."""
    from train.publishing.onnx_export import export_dir, file_mb, int8_agreement

    try:
        paths = export_dir(folder)
    except Exception as exc:  # noqa: BLE001 - an exporter failure: say it, the model itself is fine
        raise PublishError(f"{folder.name}: ONNX export failed: {exc}; --no-onnx publishes without the graphs") from None
    texts = agreement_texts(train_file)
    return {**int8_agreement(folder, texts), "fp32_mb": round(file_mb(paths["fp32"]), 1),
            "int8_mb": round(file_mb(paths["int8"]), 1),
            "texts": Path(train_file).name if train_file and Path(train_file).suffix == ".jsonl" else SEED.name}


def _check_loads(folder: Path) -> None:
    """The config and tokenizer load with plain transformers, without remote code."""
    from transformers import AutoConfig, AutoTokenizer

    AutoConfig.from_pretrained(str(folder), trust_remote_code=False)
    AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)


def push(folder: Path, repo_id: str, token: str, private: bool) -> str:
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message="Publish model")
    return str(getattr(info, "commit_url", info))


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", help="a finished training run (scripts/train.py output_dir), or a set of them "
                                    "(make train's RUNS folder: ner, events, triggers, roles)")
    ap.add_argument("--out", required=True, help="the folder to write (replaced as a whole); for a set, one sub-folder per task")
    ap.add_argument("--push", metavar="REPO_ID", help="also push to the Hugging Face Hub under this repo id; "
                                                     "a set goes to REPO_ID-ner, REPO_ID-events, ...")
    ap.add_argument("--private", action="store_true", help="create the Hub repo as private")
    ap.add_argument("--no-onnx", action="store_true",
                    help="leave out the ONNX graphs (onnx/model.onnx, and onnx/model_quantized.onnx in int8)")
    ap.add_argument("--name", help="model name in the card (default: the --out folder name)")
    ap.add_argument("--license", default="apache-2.0")
    ap.add_argument("--base-model", help="base model for the card (default: the run's base_model)")
    ap.add_argument("--dataset", default="arabic-news-seed", help="dataset name for the card's metadata")
    ap.add_argument("--train-file", help="the training corpus (JSON Lines), for the card's data statistics")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    token = None
    if args.push:
        token = hub_token()
        if not token:
            print("publish.py: --push needs a Hugging Face token: set HF_TOKEN or run `hf auth login`. "
                  "Nothing was written.", file=sys.stderr)
            return 2
    run_dir, out = Path(args.run_dir), Path(args.out)
    tasks = set_members(run_dir)
    if not tasks and run_dir.is_dir() and not (run_dir / "config.json").is_file() and any(run_dir.iterdir()):
        print(f"publish.py: {run_dir}: neither a finished training run (no config.json) nor a set of them "
              f"(no sub-folder {', '.join(SET_TASKS)} holding one)", file=sys.stderr)
        return 1
    # (run folder, out folder, repo id) of each model: one, or the set's
    if tasks:
        jobs = [(run_dir / t, out / t, f"{args.push}-{t}" if args.push else None) for t in tasks]
        model_set = {t: (f"{args.push}-{t}" if args.push else f"../{t}") for t in tasks}
        set_ref = args.push or str(out)
    else:
        jobs, model_set, set_ref = [(run_dir, out, args.push)], None, None
    try:
        # a set's members all checked first, so a bad run stops the set before anything is written
        inputs = [_inputs(run, metrics_first=False) if tasks else None for run, _, _ in jobs]
        for (run, dest, repo), checked in zip(jobs, inputs, strict=True):
            build(run, dest, args, model_set=model_set, set_ref=set_ref, repo_id=repo, inputs=checked)
            print(f"publish.py: {run} -> {dest}", file=sys.stderr)
    except (PublishError, OSError, ValueError) as exc:
        print(f"publish.py: {exc}", file=sys.stderr)
        return 1
    for _, dest, repo in jobs:
        if repo:
            try:
                url = push(dest, repo, token, args.private)
            except Exception as exc:  # network, permissions, bad repo id: say so, keep the local folder
                print(f"publish.py: push to {repo} failed: {exc}", file=sys.stderr)
                return 1
            print(f"publish.py: pushed to {url}", file=sys.stderr)
    if tasks:
        print(f"publish.py: run the set with: python scripts/predict.py --models {set_ref} article.txt", file=sys.stderr)
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--out", "--push", "--train-file", positional="run",
                         takes_value=("--name", "--license", "--base-model", "--dataset"))


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="publish.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
