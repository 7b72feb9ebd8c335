"""Run configuration: dataclasses parsed by ``HfArgumentParser`` from YAML plus ``--key value``.

``parse_config(path, overrides)`` merges the YAML mapping and the command-line overrides,
then ``parser.parse_dict(..., allow_extra_keys=False)``, so an unknown key fails, naming the
key, before any model is loaded. Values given on the command line are read as YAML scalars
(``--num_train_epochs 3``, ``--labels [PERS,LOC]``).

To add a task's own options, append fields to :class:`DataArguments` (or add a dataclass and
list it in :data:`ARGUMENT_CLASSES`); every class in that tuple is parsed.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from transformers import HfArgumentParser, TrainingArguments

from train.training.event_arguments import EventArguments

CAMELBERT_MSA = "CAMeL-Lab/bert-base-arabic-camelbert-msa"
TASKS = ("ner", "triggers", "events")
CROSS_VALIDATION = ("leave_one_document_out", "k_fold")
DATA_FORMATS = ("jsonl", "conll", "gsr")


class ConfigError(ValueError):
    """A configuration that cannot run; the message names the key."""


@dataclass
class ModelArguments:
    model_name_or_path: str = field(
        default=CAMELBERT_MSA, metadata={"help": "Hub name or local directory of the base model (safetensors)."}
    )
    model_revision: str = field(
        default="main",
        metadata={"help": "Hub revision (branch, tag, commit or refs/pr/N) of the base model; tokenizer, config and "
                  "weights all come from the commit it points at. CAMeLBERT-MSA's safetensors are on refs/pr/1."},
    )
    token: str | None = field(
        default=None,
        metadata={"help": "Hub token for a private or gated base model; default: HF_TOKEN or `hf auth login`. "
                  "Prefer those: a token in a config file is easily shared by mistake."},
    )
    cache_dir: str | None = field(default=None, metadata={"help": "Where Hub downloads are cached (default: HF_HOME)."})
    tokenizer_name_or_path: str | None = field(default=None, metadata={"help": "Defaults to model_name_or_path."})
    allow_lossy_tokenizer: bool = field(
        default=False, metadata={"help": "Accept a tokenizer that lower-cases / strips hamza and madda."}
    )
    allow_pickle: bool = field(
        default=False,
        metadata={"help": "Accept a base model with only pickle (.bin) weights (read with torch's weights-only "
                  "loader); safetensors are used wherever they exist."},
    )
    max_seq_length: int = field(default=512, metadata={"help": "Sub-words per window, special tokens included."})
    window_overlap: int = field(default=64, metadata={"help": "Sub-words shared by consecutive windows."})
    label_all_subwords: bool = field(default=False, metadata={"help": "Label every sub-word, not only the first."})
    inference_batch_size: int = field(default=32)
    cpu_threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads (1 is fastest for tiny models on a busy machine)."}
    )


@dataclass
class DataArguments:
    task: str = field(default="ner", metadata={"help": f"One of {', '.join(TASKS)}."})
    train_file: str | None = field(default=None)
    validation_file: str | None = field(default=None, metadata={"help": "Dev set; selects the best checkpoint."})
    test_file: str | None = field(default=None)
    data_format: str = field(default="jsonl", metadata={"help": "jsonl (corpus format), conll (IOB2 columns) or gsr "
                             "(PLOVER gold-standard CSV); a folder or .csv path is always read as gsr."})
    extra_train_files: list[str] | None = field(
        default=None,
        metadata={"help": "More training sources combined with train_file, each PATH or FORMAT:PATH (jsonl, conll, gsr)."},
    )
    keep_ambiguous: bool = field(default=False, metadata={"help": "gsr: keep 'ambiguous' sentences, their type unjudged."})
    conll_layer: int = field(default=0, metadata={"help": "Tag column of a nested CoNLL file (0 = first)."})
    conll_sentences_per_doc: int = field(default=20, metadata={"help": "CoNLL files without -DOCSTART-."})
    label_map: dict[str, Any] | None = field(default=None, metadata={"help": "Rename source types (null drops a type)."})
    labels: list[str] | None = field(default=None, metadata={"help": "Types to learn; default: the schema's list."})
    schema_path: str | None = field(default=None, metadata={"help": "Defaults to configs/schema.yaml."})
    extend_sentences: bool = field(default=False, metadata={"help": "Join or widen stored sentences so every span lies in one (default: such spans are errors)."})
    max_train_sentences: int | None = field(default=None, metadata={"help": "Use only the first N training sentences."})
    max_eval_sentences: int | None = field(default=None, metadata={"help": "Use only the first N dev/test sentences."})
    cross_validation: str | None = field(default=None, metadata={"help": "leave_one_document_out or k_fold."})
    num_folds: int = field(default=5)
    early_stopping_patience: int | None = field(default=3)
    resume: bool = field(default=False, metadata={"help": "Resume from the last checkpoint in <output_dir>.partial."})
    overwrite_output: bool = field(default=False, metadata={"help": "Replace an existing finished run."})

    @property
    def span_kind(self) -> str:
        return "events" if self.task in ("triggers", "events") else "entities"


ARGUMENT_CLASSES: tuple[type, ...] = (ModelArguments, DataArguments, TrainingArguments, EventArguments)

# Defaults that differ from TrainingArguments' own, chosen for this project.
TRAINING_DEFAULTS: dict[str, Any] = {
    "eval_strategy": "epoch",
    "save_strategy": "epoch",
    "logging_strategy": "epoch",
    "save_total_limit": 2,
    "load_best_model_at_end": True,
    "metric_for_best_model": "eval_f1",
    "greater_is_better": True,
    "report_to": ["tensorboard"],
    "seed": 42,
    "data_seed": 42,
}


class _Yaml12Loader(yaml.SafeLoader):
    """YAML with only ``true``/``false`` as booleans, so ``eval_strategy: no`` stays a string."""


_Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def _coerce(value: str) -> Any:
    """A command-line value read as a YAML scalar/list; plain strings stay strings."""
    try:
        return _load_yaml(value)
    except yaml.YAMLError:
        return value


def parse_overrides(argv: list[str]) -> dict[str, Any]:
    """``--key value`` / ``--key=value`` / bare ``--flag`` (true) pairs into a dict."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--") or arg == "--":
            raise ConfigError(f"unexpected argument {arg!r}: overrides are --key value")
        key = arg[2:]
        if "=" in key:
            key, val = key.split("=", 1)
            out[key.replace("-", "_")] = _coerce(val)
            i += 1
        elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            out[key.replace("-", "_")] = _coerce(argv[i + 1])
            i += 2
        else:
            out[key.replace("-", "_")] = True
            i += 1
    return out


def load_yaml_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = _load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of key: value")
    return raw


def known_keys(classes: tuple[type, ...] = ARGUMENT_CLASSES) -> set[str]:
    return {f.name for c in classes for f in dataclasses.fields(c) if f.init}


def parse_config(
    config: str | Path | dict[str, Any] | None, overrides: list[str] | dict[str, Any] | None = None
) -> tuple[ModelArguments, DataArguments, TrainingArguments]:
    """Parse a YAML file (or dict) with overrides into the argument dataclasses.

    Unknown keys raise :class:`ConfigError` naming them; nothing is loaded here.
    """
    values: dict[str, Any] = dict(TRAINING_DEFAULTS)
    if config is not None:
        values.update(config if isinstance(config, dict) else load_yaml_config(config))
    if overrides:
        values.update(overrides if isinstance(overrides, dict) else parse_overrides(overrides))
    unknown = sorted(set(values) - known_keys())
    if unknown:
        raise ConfigError(f"unknown configuration key(s): {', '.join(unknown)}")
    if not values.get("validation_file") or values.get("cross_validation"):
        # No dev set to pick a checkpoint on: train for the configured epochs.
        values.update(eval_strategy="no", load_best_model_at_end=False, metric_for_best_model=None)
    if "output_dir" not in values:
        raise ConfigError("output_dir is required (where the finished model is written)")
    from train.training.config_check import check_types

    values, problems = check_types(values, ARGUMENT_CLASSES)
    if problems:
        raise ConfigError("; ".join(problems))
    parser = HfArgumentParser(ARGUMENT_CLASSES)
    try:
        parsed = parser.parse_dict(values, allow_extra_keys=False)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    model_args, data_args, training_args = parsed[0], parsed[1], parsed[2]
    # Further classes (EventArguments, for task: events) ride along by class name.
    data_args.extra_args = {type(p).__name__: p for p in parsed[3:]}
    check_arguments(model_args, data_args)
    return model_args, data_args, training_args


def check_arguments(model_args: ModelArguments, data_args: DataArguments) -> None:
    """Cheap checks that need no model: task, files, labels, cross-validation."""
    from train.corpus.schema import SchemaError, load_schema

    if data_args.task not in TASKS:
        raise ConfigError(f"task: {data_args.task!r} is not one of {', '.join(TASKS)}")
    if data_args.data_format not in DATA_FORMATS:
        raise ConfigError(f"data_format: {data_args.data_format!r} is not one of {', '.join(DATA_FORMATS)}")
    if data_args.cross_validation is not None and data_args.cross_validation not in CROSS_VALIDATION:
        raise ConfigError(f"cross_validation: {data_args.cross_validation!r} is not one of {', '.join(CROSS_VALIDATION)}")
    if data_args.cross_validation == "k_fold" and data_args.num_folds < 2:
        raise ConfigError("num_folds: k_fold needs at least 2 folds")
    if not data_args.train_file:
        raise ConfigError("train_file is required")
    for key in ("train_file", "validation_file", "test_file"):
        p = getattr(data_args, key)
        if p:
            _check_path(key, p, data_args.data_format)
    for k, p in enumerate(data_args.extra_train_files or []):
        _check_path(f"extra_train_files[{k}]", str(p), data_args.data_format)
    if data_args.labels is not None and (not isinstance(data_args.labels, list) or not data_args.labels):
        raise ConfigError("labels: must be a non-empty list of type names")
    if data_args.label_map is not None and not isinstance(data_args.label_map, dict):
        raise ConfigError("label_map: must be a mapping of source type: target type (or null)")
    if data_args.labels is None or data_args.data_format == "jsonl":
        try:
            schema = load_schema(data_args.schema_path)
        except SchemaError as exc:
            raise ConfigError(f"schema_path: {exc}") from None
        allowed = schema.labels(data_args.span_kind)
        bad = [lab for lab in (data_args.labels or []) if lab not in allowed]
        if bad:
            raise ConfigError(f"labels: {', '.join(map(str, bad))} not in the schema's {data_args.span_kind} ({', '.join(allowed)})")
    if model_args.max_seq_length < 8:
        raise ConfigError("max_seq_length: must be at least 8")
    from train.training.config_check import label_map_problems

    if data_args.label_map:
        problems = label_map_problems(data_args.label_map, type_list(data_args))
        if problems:
            raise ConfigError("; ".join(problems))
    if model_args.window_overlap < 0:
        raise ConfigError("window_overlap: must be >= 0")


def path_format(path: str, default: str) -> tuple[str, str]:
    """``(format, path)`` of a data path: ``FORMAT:PATH`` names it; a folder or ``.csv`` is gsr; else ``default``."""
    head, sep, rest = path.partition(":")
    if sep and head in DATA_FORMATS:
        return head, rest
    if Path(path).is_dir() or path.lower().endswith(".csv"):
        return "gsr", path
    return default, path


def _check_path(key: str, value: str, default: str) -> None:
    fmt, p = path_format(value, default)
    if fmt == "gsr":
        if not Path(p).exists():
            raise ConfigError(f"{key}: {p} does not exist")
        if Path(p).is_dir() and not any(Path(p).glob("*.csv")):
            raise ConfigError(f"{key}: {p} is a folder without .csv files (a GSR folder holds *_gsr.csv)")
    elif not Path(p).is_file():
        raise ConfigError(f"{key}: {p} does not exist" + (" or is a folder" if Path(p).exists() else ""))


def type_list(data_args: DataArguments) -> list[str]:
    """The types the model learns: the config's ``labels`` or the schema's list for the span kind."""
    if data_args.labels:
        return [str(x) for x in data_args.labels]
    from train.corpus.schema import load_schema

    return load_schema(data_args.schema_path).labels(data_args.span_kind)


def main_argv() -> list[str]:
    return sys.argv[1:]
