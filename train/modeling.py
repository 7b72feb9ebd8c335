"""Load base models and tokenizers safely: safetensors only, no remote code, no silent fallback.

A Hub name that cannot be resolved (offline with no cached copy, or a typo) raises
:class:`BaseModelNotFound` with a message that says how to point at a local copy or build
the offline demo model; the project never substitutes another model.
"""

from __future__ import annotations

import os
from pathlib import Path

from .tokenization import load_tokenizer

DEMO_HINT = (
    "Point model_name_or_path at a local copy (a directory with config.json, model.safetensors and the "
    "tokenizer files, e.g. one saved with save_pretrained, or `huggingface-cli download {name} --local-dir DIR` "
    "on a machine with network), or run `make demo`, which builds a tiny offline model in models/demo/base "
    "and trains on data/seed.jsonl."
)


class BaseModelNotFound(RuntimeError):
    """The base model is neither a local directory nor reachable on the Hub."""


class UnsafeWeights(RuntimeError):
    """The model directory only holds pickle weights and allow_pickle is off."""


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def check_local_weights(path: Path, allow_pickle: bool) -> bool:
    """Whether ``path`` holds safetensors weights; raise on pickle-only folders unless allowed."""
    names = {p.name for p in path.iterdir()} if path.is_dir() else set()
    has_st = any(n.endswith(".safetensors") or n == "model.safetensors.index.json" for n in names)
    has_bin = any(n.endswith(".bin") or n.endswith(".pt") or n.endswith(".pth") for n in names)
    if not has_st and has_bin and not allow_pickle:
        raise UnsafeWeights(
            f"{path} holds only pickle weights (.bin); loading them can run arbitrary code. "
            "Convert them to safetensors, or set allow_pickle: true if you trust the source."
        )
    return has_st


def resolve_model(name_or_path: str, allow_pickle: bool = False) -> str:
    """Check that the base model exists (local dir, or Hub/cache) before anything is trained."""
    path = Path(name_or_path).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise BaseModelNotFound(f"{path} has no config.json, so it is not a saved model. " + DEMO_HINT.format(name=name_or_path))
        check_local_weights(path, allow_pickle)
        return str(path)
    if name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1:
        raise BaseModelNotFound(f"base model directory {name_or_path} does not exist. " + DEMO_HINT.format(name=name_or_path))
    try:
        from huggingface_hub import hf_hub_download

        hf_hub_download(name_or_path, "config.json")
    except Exception as exc:  # offline, not cached, no such repo, no network
        why = "HF_HUB_OFFLINE is set and no cached copy exists" if _offline() else f"{type(exc).__name__}: {exc}"
        raise BaseModelNotFound(f"cannot find base model {name_or_path!r} ({why}). " + DEMO_HINT.format(name=name_or_path)) from None
    return name_or_path


def load_base_tokenizer(model_args):
    """The base tokenizer with the diacritics normaliser; refuses a lossy one unless allowed."""
    name = model_args.tokenizer_name_or_path or model_args.model_name_or_path
    return load_tokenizer(name, allow_lossy=model_args.allow_lossy_tokenizer)


def load_token_model(model_args, tags: list[str]):
    """A token-classification head on the base model, with ``id2label``/``label2id`` set."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    name = resolve_model(model_args.model_name_or_path, model_args.allow_pickle)
    id2label = dict(enumerate(tags))
    label2id = {t: i for i, t in enumerate(tags)}
    config = AutoConfig.from_pretrained(name, num_labels=len(tags), id2label=id2label, label2id=label2id, trust_remote_code=False)
    model = AutoModelForTokenClassification.from_pretrained(
        name,
        config=config,
        use_safetensors=not model_args.allow_pickle,
        trust_remote_code=False,
        ignore_mismatched_sizes=True,
    )
    return model
