#!/usr/bin/env python
"""Train a model from a YAML config, with ``--key value`` overrides.

    python scripts/train.py configs/ner.yaml
    python scripts/train.py configs/demo-ner.yaml --num_train_epochs 5 --output_dir runs/x

The config's ``task`` picks the runner: ``ner`` (entity tagger), ``triggers`` (event-trigger
tagger, same code over the ``events`` spans), ``events`` (sentence classifier), ``roles`` (source
and target of each trigger, same code over one marked sentence per trigger: configs/roles.yaml), ``mlm`` (continued masked-language-model pretraining on
unlabelled text: a base model for the others). Unknown keys,
missing data files, labels outside the schema and a missing base model all fail before
training starts, with a message and a non-zero exit. Works under ``torchrun`` and
``accelerate launch`` unchanged.

A Hub base model is resolved to one commit of ``model_revision`` before training (tokenizer,
config and weights all come from it); with a warm cache, ``HF_HUB_OFFLINE=1`` trains without
network. A Hub failure (no such repository or revision, a refused token, a gated repository,
no network, offline with nothing cached) is one line naming the model and revision, exit 3.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_CONFIG, EXIT_MODEL, EXIT_RUN = 2, 3, 1


def _token_task(model_args, data_args, training_args, explicit: set[str]) -> dict:
    from train.training.token_classification import run_from_args

    return run_from_args(model_args, data_args, training_args, explicit)


def _events_task(model_args, data_args, training_args, explicit: set[str]) -> dict:
    from train.training.sentence_classification import run_events_from_args

    return run_events_from_args(model_args, data_args, training_args, explicit)


def _mlm_task(model_args, data_args, training_args, explicit: set[str]) -> dict:
    from train.training.mlm import run_mlm_from_args

    return run_mlm_from_args(model_args, data_args, training_args, explicit)


# task name -> runner(model_args, data_args, training_args, explicit_keys) -> metrics payload
RUNNERS: dict[str, Callable] = {"ner": _token_task, "triggers": _token_task, "events": _events_task, "roles": _token_task,
                               "mlm": _mlm_task}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The project pins a revision with safetensors; never ask the Hub's conversion service instead.
    os.environ["DISABLE_SAFETENSORS_CONVERSION"] = "1"
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else EXIT_CONFIG
    from train.training.config import ConfigError, load_yaml_config, parse_config, parse_overrides

    config, overrides = argv[0], argv[1:]
    try:
        raw = load_yaml_config(config)
        over = parse_overrides(overrides)
        model_args, data_args, training_args = parse_config(raw, over)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    explicit = set(raw) | set(over)

    from train.features.tokenization import LossyTokenizerError
    from train.training.modeling import BaseModelNotFound, UnsafeWeights, resolve_base_model

    try:
        base = resolve_base_model(model_args)
    except (BaseModelNotFound, UnsafeWeights) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    if not base.is_local:
        print(f"base model: {base.describe()}" + (" from the cache" if base.local_files_only else ""), file=sys.stderr)
    try:
        result = RUNNERS[data_args.task](model_args, data_args, training_args, explicit)
    except (LossyTokenizerError, FileExistsError, NotImplementedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUN
    except (BaseModelNotFound, UnsafeWeights) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except Exception as exc:
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        from train.corpus.document import CorpusError
        from train.training.rundir import RunError

        if isinstance(exc, (CorpusError, RunError)):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_RUN
        if isinstance(exc, (HfHubHTTPError, LocalEntryNotFoundError)):  # the Hub failed after the base model was checked
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"error: base model {base.describe()}: {first}; run again, or with HF_HUB_OFFLINE=1 once "
                  "the cache holds the files", file=sys.stderr)
            return EXIT_MODEL
        raise
    from train.training.rundir import is_main_process

    if not is_main_process():  # torchrun / accelerate launch: rank 0 reports
        return 0
    out = Path(training_args.output_dir)
    for name in ("cv_report.md", "eval_report.md"):
        if (out / name).is_file():
            print(f"report: {out / name}")
            break
    if isinstance(result, dict):
        for split, m in result.items():
            if split in ("dev", "test") and isinstance(m, dict) and "micro" in m:
                print(f"{split}: micro-F1 {100 * m['micro']['f1']:.1f}" + (" (tokenizer's words)" if "conll_tokens" in m else ""))
                if isinstance(m.get("conll_tokens"), dict):
                    print(f"{split}: micro-F1 {100 * m['conll_tokens']['micro']['f1']:.1f} (the CoNLL file's tokens)")
        if isinstance(result.get("mlm"), dict):
            m = result["mlm"]
            if m.get("eval_loss_after") is not None:
                print(f"held-out MLM loss {m['eval_loss_before']:.3f} -> {m['eval_loss_after']:.3f}" if m.get("eval_loss_before") is not None
                      else f"held-out MLM loss {m['eval_loss_after']:.3f}")
            print(f"base model: {out} (use it as model_name_or_path)")
        if "summary" in result:
            s = result["summary"]["micro"]["f1"]
            print(f"cross-validation micro-F1 {100 * s['mean']:.1f} ± {100 * s['std']:.1f} over {result['summary']['folds']} folds")
        if "final_model" in result:
            print(f"final model (all {result['final_model']['documents']} documents): {out}; "
                  f"publish it with scripts/publish.py {out} --out DIR [--push ORG/NAME]")
    return 0


def _subject(argv: list[str]) -> str | None:
    """The config and the base model, for the one-line failure message."""
    from train.cli import option_values

    if not argv:
        return None
    model = option_values(argv, "--model_name_or_path").get("model_name_or_path")
    if model is None:
        import yaml

        raw = yaml.safe_load(Path(argv[0]).read_text(encoding="utf-8"))
        model = raw.get("model_name_or_path") if isinstance(raw, dict) else None
    return f"config {argv[0]}" + (f", model {model}" if model else "")


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="train.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
