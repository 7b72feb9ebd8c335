"""Run configuration: the argument dataclasses, parsed by ``HfArgumentParser`` from YAML plus ``--key value``, and their checks.

``parse_config(path, overrides)`` merges the YAML mapping and the command-line overrides,
then ``parser.parse_dict(..., allow_extra_keys=False)``, so an unknown key fails, naming the
key, before any model is loaded. Values given on the command line are read as YAML scalars
(``--num_train_epochs 3``, ``--labels [PERS,LOC]``).

To add a task's own options, append fields to :class:`DataArguments` (or add a dataclass and
list it in :data:`ARGUMENT_CLASSES`); every class in that tuple is parsed.

Type checks: ``HfArgumentParser.parse_dict`` passes values to the dataclasses as they are, so a
YAML ``max_seq_length: abc`` would only fail deep inside training, with a traceback. Before any
dataclass is built, :func:`check_types` checks every value against its field's type hint and
reports every problem at once, each naming its key. Two friendly coercions: a float field takes
``5e-5`` (which YAML reads as a string) and a string field takes a number (``run_name: 7``).

Options of the sentence event classifier (``task: events``) are :class:`EventArguments`; shared
options live in the other classes: ``max_seq_length`` in ``ModelArguments``,
``early_stopping_patience`` in ``DataArguments``.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import sys
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from transformers import HfArgumentParser, TrainingArguments

from train.features.windows import CONTEXT_MODES

CAMELBERT_MSA = "CAMeL-Lab/bert-base-arabic-camelbert-msa"
TASKS = ("ner", "triggers", "events", "roles", "mlm")
CROSS_VALIDATION = ("leave_one_document_out", "k_fold")
DATA_FORMATS = ("jsonl", "conll", "gsr", "gsr_spans")
MLM_FORMATS = ("text", "jsonl", "conll", "gsr")  # task: mlm reads text too
POS_WEIGHT_MODES = ("none", "balanced", "sqrt")
THRESHOLD_STRATEGIES = ("global", "per_type")
FINAL_THRESHOLDS = ("out_of_fold", "train")


# ``learning_rate: auto``: the fine-tuning rate by the encoder's hidden size (first row that fits).
# Base-size BERTs (768, CAMeLBERT) fine-tune at 2e-5..5e-5 (Devlin et al. 2019); small BERTs want
# ten times more (Turc et al. 2019 searched 1e-4..5e-4 for BERT-Tiny to -Medium). On the GSR dev
# split, arabic-bert-tiny-news (hidden 128) at 3e-5 learns nothing in 4 epochs (ASSAULT F1 17.0,
# say-yes); at 3e-4 it does (docs/benchmarks.md, events section). ``learning_rate: auto:5e-5`` keeps a
# config's own base-size value for a 768-wide encoder and takes the table for the other sizes.
AUTO_LEARNING_RATES: tuple[tuple[int, float], ...] = ((256, 3e-4), (512, 1e-4), (768, 3e-5), (1 << 30, 2e-5))
AUTO = "auto"


BASE_HIDDEN = 768  # BERT-base, CAMeLBERT: the size a config's ``auto:RATE`` value is for


def auto_learning_rate(hidden_size: int, base_rate: float | None = None) -> float:
    """The ``learning_rate: auto`` value for an encoder of ``hidden_size``.

    With ``base_rate`` (``learning_rate: auto:5e-5``) a base-size encoder keeps the config's own
    value, so a rate tuned for CAMeLBERT stays as it was; other sizes take the table's row.
    """
    if base_rate is not None and hidden_size == BASE_HIDDEN:
        return base_rate
    return next(lr for limit, lr in AUTO_LEARNING_RATES if hidden_size <= limit)


def model_learning_rate(model_config: Any, base_rate: float | None = None) -> float:
    """The ``learning_rate: auto`` value for a model's config (``hidden_size``, or DistilBERT's ``dim``)."""
    hidden = getattr(model_config, "hidden_size", None) or getattr(model_config, "dim", None) or BASE_HIDDEN
    return auto_learning_rate(int(hidden), base_rate)


def parse_auto_learning_rate(value: Any) -> tuple[bool, float | None]:
    """``auto`` → (True, None); ``auto:5e-5`` → (True, 5e-5); anything else → (False, None).

    Raises :class:`ConfigError` for ``auto:`` followed by something that is not a positive number.
    """
    text = str(value).strip().lower()
    if text == AUTO:
        return True, None
    if not text.startswith(AUTO + ":"):
        return False, None
    try:
        rate = float(text[len(AUTO) + 1 :])
    except ValueError:
        rate = -1.0
    if not rate > 0:
        raise ConfigError(f"learning_rate: {value!r}: after 'auto:' give the rate for a base-size (768) encoder, e.g. auto:5e-5")
    return True, rate


def resolve_learning_rate(training_args: Any, model_config: Any) -> None:
    """Replace the placeholder of ``learning_rate: auto`` with the rate for the loaded model's size."""
    if getattr(training_args, "learning_rate_auto", False):
        base = getattr(training_args, "learning_rate_base", None)
        training_args.learning_rate = model_learning_rate(model_config, base)


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
    decoding: str = field(
        default="viterbi",
        metadata={"help": "How word tags are read from the logits, stored in the model's config (iob2_decoding): "
                  "viterbi (the most probable valid IOB2 sequence) or argmax (each word's best tag; an orphan I-X "
                  "starts an entity, as transformers' pipeline reads it)."},
    )
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
        return "events" if self.task in ("triggers", "events", "roles") else "entities"


@dataclass
class EventArguments:
    context: str = field(
        default="none",
        metadata={"help": "Second text segment of each sentence: none, previous (sentence) or headline (first line)."},
    )
    no_event_ratio: float | None = field(
        default=None,
        metadata={"help": "Keep at most this many no-event training sentences per event sentence; null keeps all."},
    )
    pos_weight: str = field(
        default="none", metadata={"help": "Positive-class weights for rare types: none, balanced (neg/pos) or sqrt."}
    )
    pos_weight_max: float = field(default=10.0, metadata={"help": "Upper bound of a positive-class weight."})
    threshold_strategy: str = field(
        default="per_type", metadata={"help": "Tune one global threshold or one per type on dev data: global or per_type."}
    )
    final_thresholds: str = field(
        default="train",
        metadata={"help": "With cross_validation, what the final model's thresholds are tuned on: out_of_fold (the folds' "
                          "predictions on their held-out documents) or train (its own training sentences, which it fits)."},
    )
    dropout: float | None = field(
        default=None,
        metadata={"help": "Override the base model's hidden and attention dropout for fine-tuning (null keeps it)."},
    )
    default_threshold: float = field(
        default=0.5, metadata={"help": "Threshold before tuning, and for types that dev data cannot tune."}
    )

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("context", self.context, CONTEXT_MODES),
            ("pos_weight", self.pos_weight, POS_WEIGHT_MODES),
            ("threshold_strategy", self.threshold_strategy, THRESHOLD_STRATEGIES),
            ("final_thresholds", self.final_thresholds, FINAL_THRESHOLDS),
        ):
            if value not in allowed:
                raise ValueError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        if self.no_event_ratio is not None and self.no_event_ratio < 0:
            raise ValueError(f"no_event_ratio: must be >= 0 or null, got {self.no_event_ratio}")
        if not 0.0 < self.default_threshold < 1.0:
            raise ValueError(f"default_threshold: must be between 0 and 1, got {self.default_threshold}")
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout: must be in [0, 1), got {self.dropout}")
        if self.pos_weight_max < 1.0:
            raise ValueError(f"pos_weight_max: must be >= 1, got {self.pos_weight_max}")


@dataclass
class MlmArguments:
    """Options of ``task: mlm`` (domain-adaptive pretraining, :mod:`train.training.mlm`)."""

    mlm_probability: float = field(default=0.15, metadata={"help": "Share of the words masked (whole words)."})
    mlm_holdout: float = field(
        default=0.05, metadata={"help": "Without validation_file: share of the documents held out for the MLM loss."}
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.mlm_probability < 1.0:
            raise ValueError(f"mlm_probability: must be between 0 and 1, got {self.mlm_probability}")
        if not 0.0 <= self.mlm_holdout < 0.5:
            raise ValueError(f"mlm_holdout: must be in [0, 0.5), got {self.mlm_holdout}")


ARGUMENT_CLASSES: tuple[type, ...] = (ModelArguments, DataArguments, TrainingArguments, EventArguments, MlmArguments)

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
    # No data_seed: the shuffling follows ``seed`` (Trainer's own default), so ``--seed 43`` is
    # another run in every respect; a fixed data_seed made every seed see batches in one order.
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


def _override_value(value: str) -> Any:
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
            out[key.replace("-", "_")] = _override_value(val)
            i += 1
        elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            out[key.replace("-", "_")] = _override_value(argv[i + 1])
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


# --------------------------------------------------------------------------- type checks


class _Mismatch(Exception):
    pass


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if any(isinstance(a, type) and issubclass(a, enum.Enum) for a in args):
            args = tuple(a for a in args if a is not str)  # the string must name a member
        return " or ".join(_describe(a) for a in args)
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if origin is list:
        (arg,) = typing.get_args(hint) or (Any,)
        return f"a list of {_describe(arg)}" if arg is not Any else "a list"
    if origin is dict or hint is dict:
        return "a mapping"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in hint)
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(hint, str(hint))


def _coerce(value: Any, hint: Any) -> Any:
    """``value`` checked (and gently coerced) against ``hint``; raises :class:`_Mismatch`."""
    if hint is Any or hint is object:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if isinstance(value, str) and enums:
            # ``IntervalStrategy | str``: the string must still name a member.
            if any(value in {m.value for m in e} for e in enums):
                return value
            raise _Mismatch
        # Exact matches first (``str | bool`` keeps a bool a bool), then coercions.
        if any(_exact(value, arg) for arg in args):
            return value
        for arg in args:
            try:
                return _coerce(value, arg)
            except _Mismatch:
                continue
        raise _Mismatch
    if origin is typing.Literal:
        if value in typing.get_args(hint):
            return value
        raise _Mismatch
    if hint is type(None):
        if value is None:
            return None
        raise _Mismatch
    if origin is list or hint is list:
        if not isinstance(value, list):
            raise _Mismatch
        (arg,) = typing.get_args(hint) or (Any,)
        return [_coerce(v, arg) for v in value]
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise _Mismatch
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Mismatch
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise _Mismatch from None
        raise _Mismatch
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _Mismatch
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if isinstance(value, hint) or value in {m.value for m in hint}:
            return value
        raise _Mismatch
    return value  # a class we do not know how to check (e.g. accelerate's ParallelismConfig)


def _exact(value: Any, hint: Any) -> bool:
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (float, str):
        return isinstance(value, hint)
    if typing.get_origin(hint) is typing.Literal:
        return value in typing.get_args(hint)
    return False


def field_hints(classes: Iterable[type]) -> dict[str, Any]:
    """``{key: type hint}`` of every init field of the dataclasses."""
    out: dict[str, Any] = {}
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.init:
                out.setdefault(f.name, hints.get(f.name, Any))
    return out


def check_types(values: dict[str, Any], classes: Iterable[type]) -> tuple[dict[str, Any], list[str]]:
    """Values checked against the fields' types: ``(coerced values, problems)``, one problem per key."""
    hints = field_hints(classes)
    out: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in values.items():
        if key not in hints:
            out[key] = value
            continue
        try:
            out[key] = _coerce(value, hints[key])
        except _Mismatch:
            problems.append(f"{key}: expected {_describe(hints[key])}, got {type(value).__name__} {value!r}")
    return out, problems


def label_map_problems(label_map: dict[str, Any] | None, types_: list[str]) -> list[str]:
    """A label map may only rename to the run's types (or drop a type with null)."""
    if not label_map:
        return []
    bad = sorted({str(v) for v in label_map.values() if v is not None and v not in types_})
    if bad:
        return [f"label_map: maps to {', '.join(bad)}, not among the run's labels ({', '.join(types_)})"]
    return []


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
    # learning_rate: auto is resolved once the base model's size is known (resolve_learning_rate).
    lr_auto, lr_base = parse_auto_learning_rate(values.get("learning_rate", ""))
    if lr_auto:
        values["learning_rate"] = auto_learning_rate(BASE_HIDDEN, lr_base)
    unknown = sorted(set(values) - known_keys())
    if unknown:
        raise ConfigError(f"unknown configuration key(s): {', '.join(unknown)}")
    if not values.get("validation_file") or values.get("cross_validation"):
        # No dev set to pick a checkpoint on: train for the configured epochs.
        values.update(eval_strategy="no", load_best_model_at_end=False, metric_for_best_model=None)
    if "output_dir" not in values:
        raise ConfigError("output_dir is required (where the finished model is written)")
    values, problems = check_types(values, ARGUMENT_CLASSES)
    if problems:
        raise ConfigError("; ".join(problems))
    parser = HfArgumentParser(ARGUMENT_CLASSES)
    try:
        parsed = parser.parse_dict(values, allow_extra_keys=False)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    model_args, data_args, training_args = parsed[0], parsed[1], parsed[2]
    training_args.learning_rate_auto = lr_auto
    training_args.learning_rate_base = lr_base
    # Further classes (EventArguments, for task: events) ride along by class name.
    data_args.extra_args = {type(p).__name__: p for p in parsed[3:]}
    check_arguments(model_args, data_args)
    return model_args, data_args, training_args


def check_arguments(model_args: ModelArguments, data_args: DataArguments) -> None:
    """Cheap checks that need no model: task, files, labels, cross-validation."""
    from train.corpus.schema import SchemaError, load_schema

    if data_args.task not in TASKS:
        raise ConfigError(f"task: {data_args.task!r} is not one of {', '.join(TASKS)}")
    if data_args.task == "mlm":
        _check_mlm(model_args, data_args)
        return
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
            _check_path(key, p, data_args.data_format, data_args.task)
    for k, p in enumerate(data_args.extra_train_files or []):
        _check_path(f"extra_train_files[{k}]", str(p), data_args.data_format, data_args.task)
    if data_args.labels is not None and (not isinstance(data_args.labels, list) or not data_args.labels):
        raise ConfigError("labels: must be a non-empty list of type names")
    if data_args.label_map is not None and not isinstance(data_args.label_map, dict):
        raise ConfigError("label_map: must be a mapping of source type: target type (or null)")
    if data_args.task == "roles" and data_args.labels is not None:
        raise ConfigError("labels: the roles task learns SOURCE and TARGET; it takes no labels")
    if data_args.task != "roles" and (data_args.labels is None or data_args.data_format == "jsonl"):
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
    if data_args.label_map:
        problems = label_map_problems(data_args.label_map, type_list(data_args))
        if problems:
            raise ConfigError("; ".join(problems))
    if model_args.window_overlap < 0:
        raise ConfigError("window_overlap: must be >= 0")
    if model_args.decoding not in ("viterbi", "argmax"):
        raise ConfigError(f"decoding: {model_args.decoding!r} is not one of viterbi, argmax")


def _check_mlm(model_args: ModelArguments, data_args: DataArguments) -> None:
    """``task: mlm``: text sources that exist, in a format it reads."""
    if data_args.data_format not in MLM_FORMATS:
        raise ConfigError(f"data_format: {data_args.data_format!r} is not one of {', '.join(MLM_FORMATS)} (task: mlm)")
    if data_args.cross_validation:
        raise ConfigError("cross_validation: not for task: mlm")
    if not data_args.train_file:
        raise ConfigError("train_file is required (the unlabelled text)")
    for key, value in [("train_file", data_args.train_file), ("validation_file", data_args.validation_file),
                       *((f"extra_train_files[{k}]", v) for k, v in enumerate(data_args.extra_train_files or []))]:
        if not value:
            continue
        head, sep, rest = str(value).partition(":")
        p = rest if sep and head in MLM_FORMATS else str(value)
        if not Path(p).exists():
            raise ConfigError(f"{key}: {p} does not exist")
    if model_args.max_seq_length < 8:
        raise ConfigError("max_seq_length: must be at least 8")


def path_format(path: str, default: str, task: str | None = None) -> tuple[str, str]:
    """``(format, path)`` of a data path: ``FORMAT:PATH`` names it; a ``*_spans.json`` file is gsr_spans,
    and so is a folder for the ``roles`` task; another folder or a ``.csv`` is gsr; else ``default``."""
    head, sep, rest = path.partition(":")
    if sep and head in DATA_FORMATS:
        return head, rest
    if path.endswith("_spans.json") or (task == "roles" and Path(path).is_dir()):
        return "gsr_spans", path
    if Path(path).is_dir() or path.lower().endswith(".csv"):
        return "gsr", path
    return default, path


def _check_path(key: str, value: str, default: str, task: str | None = None) -> None:
    fmt, p = path_format(value, default, task)
    if fmt == "gsr_spans":
        if not Path(p).exists():
            raise ConfigError(f"{key}: {p} does not exist")
        if Path(p).is_dir() and not any(Path(p).glob("*_spans.json")):
            raise ConfigError(f"{key}: {p} is a folder without *_spans.json files (the GSR's event spans)")
    elif fmt == "gsr":
        if not Path(p).exists():
            raise ConfigError(f"{key}: {p} does not exist")
        if Path(p).is_dir() and not any(Path(p).glob("*.csv")):
            raise ConfigError(f"{key}: {p} is a folder without .csv files (a GSR folder holds *_gsr.csv)")
    elif not Path(p).is_file():
        raise ConfigError(f"{key}: {p} does not exist" + (" or is a folder" if Path(p).exists() else ""))


def type_list(data_args: DataArguments) -> list[str]:
    """The types the model learns: the config's ``labels`` or the schema's list for the span kind."""
    if data_args.task == "roles":
        from train.features.roles import ROLE_TYPES

        return list(ROLE_TYPES)
    if data_args.labels:
        return [str(x) for x in data_args.labels]
    from train.corpus.schema import load_schema

    return load_schema(data_args.schema_path).labels(data_args.span_kind)


def main_argv() -> list[str]:
    return sys.argv[1:]
