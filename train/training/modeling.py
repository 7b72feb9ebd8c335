"""Load base models and tokenizers safely: safetensors first, no remote code, no silent fallback.

``model_name_or_path`` is a local folder or a Hub name. A Hub name is resolved once, before
anything is trained, to the commit its ``model_revision`` points at; the tokenizer, config and
weights are then all loaded from that commit (:meth:`BaseModel.load_kwargs`), and with a warm
cache and ``HF_HUB_OFFLINE=1`` from the cache alone. CAMeLBERT-MSA's ``main`` holds pickles
only; its ``model.safetensors`` lives on the Hub's conversion branch ``refs/pr/1``, which the
shipped configs pin. transformers' background safetensors conversion (a call to a conversion
service) is switched off: the project chooses its revision itself.

Whatever goes wrong (no such repository or revision, a refused token, a gated repository, no
network, offline with nothing cached, pickles only) raises :class:`BaseModelNotFound` or
:class:`UnsafeWeights` with one line that names the model and revision and says what to do;
the project never substitutes another model.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.features.tokenization import load_tokenizer

DEFAULT_REVISION = "main"
CONVERSION_PR_TITLE = "Adding `safetensors` variant of this model"
CONVERSION_BOT = "SFconvertbot"
SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
# The revision of the project's default model that holds safetensors (the conversion branch).
KNOWN_SAFETENSORS_REVISIONS = {"CAMeL-Lab/bert-base-arabic-camelbert-msa": "refs/pr/1"}

LOCAL_HINT = (
    "point model_name_or_path at a local copy (a folder with config.json, model.safetensors and the tokenizer files), "
    "or run `make demo`, which builds a tiny offline model in models/demo/base and trains on data/seed.jsonl"
)


class BaseModelNotFound(RuntimeError):
    """The base model is neither a local folder nor reachable on the Hub (or its cache)."""


class UnsafeWeights(RuntimeError):
    """The base model only has pickle weights and allow_pickle is off."""


def _offline() -> bool:
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    return env or bool(constants.HF_HUB_OFFLINE)


def no_conversion_service() -> None:
    """transformers asks a Hub Space to convert pickle-only repositories unless this is set."""
    os.environ["DISABLE_SAFETENSORS_CONVERSION"] = "1"


@dataclass(frozen=True)
class BaseModel:
    """A resolved base model: a local folder, or a Hub name pinned to one commit."""

    name: str
    revision: str | None = None  # as configured (Hub only)
    commit: str | None = None  # the commit the revision pointed at (Hub only)
    safetensors: bool = True  # False: pickle weights, allowed by allow_pickle
    local_files_only: bool = False  # the Hub was unreachable; the cache has this commit
    token: str | None = None
    cache_dir: str | None = None

    @property
    def is_local(self) -> bool:
        return self.commit is None

    def load_kwargs(self) -> dict[str, Any]:
        """``from_pretrained`` keyword arguments: the same commit for tokenizer, config and weights."""
        if self.is_local:
            return {}
        kw: dict[str, Any] = {"revision": self.commit}
        if self.token:
            kw["token"] = self.token
        if self.cache_dir:
            kw["cache_dir"] = self.cache_dir
        if self.local_files_only:
            kw["local_files_only"] = True
        return kw

    def describe(self) -> str:
        if self.is_local:
            return self.name
        return f"{self.name} at revision {self.revision} (commit {self.commit[:12]})"


def download_command(name: str, revision: str, local_dir: str = "DIR") -> str:
    return f"hf download {name} --revision {revision} --local-dir {local_dir}"


def _pickle_only_local(path: Path) -> str:
    default = "CAMeL-Lab/bert-base-arabic-camelbert-msa"
    return (
        f"{path} holds only pickle weights (.bin): loading a pickle can run arbitrary code. Get the safetensors "
        f"weights into it with `{download_command(default, KNOWN_SAFETENSORS_REVISIONS[default], str(path))}` (for "
        f"another model: `{download_command('NAME', 'REV', str(path))}`, REV a revision that holds model.safetensors, "
        "such as the Hub's conversion branch refs/pr/N), or set allow_pickle: true if you trust the source."
    )


def check_local_weights(path: Path, allow_pickle: bool) -> bool:
    """Whether ``path`` holds safetensors weights; raise on pickle-only folders unless allowed."""
    names = {p.name for p in path.iterdir()} if path.is_dir() else set()
    has_st = any(n.endswith(".safetensors") or n == "model.safetensors.index.json" for n in names)
    has_bin = any(n.endswith(".bin") or n.endswith(".pt") or n.endswith(".pth") for n in names)
    if not has_st and has_bin and not allow_pickle:
        raise UnsafeWeights(_pickle_only_local(path))
    return has_st


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep in name.replace("/", "")


def resolve_base_model(model_args) -> BaseModel:
    """The base model of a run, resolved once (kept on ``model_args``) and checked before training."""
    cached = model_args.__dict__.get("_resolved_base")
    if cached is not None:
        return cached
    base = resolve(
        model_args.model_name_or_path,
        allow_pickle=model_args.allow_pickle,
        revision=getattr(model_args, "model_revision", None) or DEFAULT_REVISION,
        token=getattr(model_args, "token", None),
        cache_dir=getattr(model_args, "cache_dir", None),
    )
    model_args.__dict__["_resolved_base"] = base
    return base


def resolve_model(name_or_path: str, allow_pickle: bool = False, **hub: Any) -> str:
    """Check that the base model exists (local folder, or Hub/cache) before anything is trained."""
    return resolve(name_or_path, allow_pickle=allow_pickle, **hub).name


def resolve(name_or_path: str, allow_pickle: bool = False, revision: str = DEFAULT_REVISION,
            token: str | None = None, cache_dir: str | None = None) -> BaseModel:
    """A :class:`BaseModel` for a local folder or a Hub name; one-line errors otherwise."""
    no_conversion_service()
    path = Path(name_or_path).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise BaseModelNotFound(f"{path} has no config.json, so it is not a saved model; {LOCAL_HINT}.")
        has_st = check_local_weights(path, allow_pickle)
        return BaseModel(str(path), safetensors=has_st)
    if _looks_like_path(name_or_path):
        raise BaseModelNotFound(f"base model folder {name_or_path} does not exist; {LOCAL_HINT}.")
    return _resolve_hub(name_or_path, allow_pickle, revision or DEFAULT_REVISION, token or None, cache_dir or None)


def _cached_commit(name: str, revision: str, cache_dir: str | None) -> str | None:
    """The commit of ``revision`` whose config.json is in the local cache, if any."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(name, "config.json", cache_dir=cache_dir, revision=revision)
    return Path(found).parent.name if isinstance(found, str) else None


def _cached_files(name: str, commit: str, cache_dir: str | None) -> set[str]:
    from huggingface_hub import try_to_load_from_cache

    return {f for f in (*SAFE_WEIGHTS, *PICKLE_WEIGHTS)
            if isinstance(try_to_load_from_cache(name, f, cache_dir=cache_dir, revision=commit), str)}


def _fetch_config(name: str, revision: str, token: str | None, cache_dir: str | None, where: str) -> str | None:
    """Download config.json by the revision's name, so that the cache maps the revision to its
    commit and a later offline run finds it; returns that commit."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError

    try:
        path = hf_hub_download(name, "config.json", revision=revision, token=token, cache_dir=cache_dir)
    except HfHubHTTPError as exc:
        raise _hub_error(exc, name, revision, _endpoint(), cache_dir) from None
    except OSError as exc:  # the network went away between two requests
        raise _hub_error(exc, name, revision, _endpoint(), cache_dir) from None
    return Path(path).parent.name


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _conversion_branch(api, name: str) -> str | None:
    """The open safetensors-conversion pull request of ``name`` (``refs/pr/N``), when the Hub has one."""
    try:
        for d in api.get_repo_discussions(name, discussion_type="pull_request", discussion_status="open"):
            if d.is_pull_request and d.title == CONVERSION_PR_TITLE and d.author == CONVERSION_BOT:
                return d.git_reference
    except Exception:  # only a hint for the message: never fail on it
        return None
    return None


def _hub_error(exc: Exception, name: str, revision: str, endpoint: str, cache_dir: str | None) -> BaseModelNotFound:
    """One line for each way the Hub can refuse a model."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"base model {name!r} (revision {revision})"
    if isinstance(exc, GatedRepoError):
        return BaseModelNotFound(
            f"{where}: the repository is gated; accept its conditions at {endpoint}/{name} with your account, "
            "then log in (`hf auth login`) or set HF_TOKEN.")
    if isinstance(exc, RepositoryNotFoundError):
        return BaseModelNotFound(
            f"{where}: no such repository on {endpoint}; check model_name_or_path (ORG/NAME), and if it is private, "
            f"log in (`hf auth login`) or set HF_TOKEN with read access. Or {LOCAL_HINT}.")
    if isinstance(exc, RevisionNotFoundError):
        return BaseModelNotFound(
            f"{where}: the repository has no revision {revision!r}; set model_revision to a branch, tag, commit "
            "or pull-request ref (refs/pr/N) that exists.")
    if isinstance(exc, HfHubHTTPError) and exc.response is not None and exc.response.status_code == 401:
        return BaseModelNotFound(
            f"{where}: {endpoint} refused the token (HTTP 401); set HF_TOKEN (or token:) to a valid token, "
            "or run `hf auth login` again.")
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return BaseModelNotFound(
            f"{where}: {endpoint} answered HTTP {exc.response.status_code}; try again later, or {LOCAL_HINT}.")
    cache = cache_dir or "the Hugging Face cache (HF_HOME)"
    return BaseModelNotFound(
        f"{where}: cannot reach {endpoint} ({type(exc).__name__}) and {cache} holds no copy of this revision; "
        f"check the network (proxy, HF_ENDPOINT) and run again, or {LOCAL_HINT}.")


def _resolve_hub(name: str, allow_pickle: bool, revision: str, token: str | None, cache_dir: str | None) -> BaseModel:
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    endpoint = constants.ENDPOINT
    where = f"base model {name!r} (revision {revision})"
    files: set[str] | None = None
    local_only = False
    api = HfApi(token=token)
    if _offline():
        commit = _cached_commit(name, revision, cache_dir)
        if commit is None:
            raise BaseModelNotFound(
                f"{where}: HF_HUB_OFFLINE is set and {cache_dir or 'the Hugging Face cache (HF_HOME)'} holds no copy "
                f"of this revision; run once with the network (without HF_HUB_OFFLINE) to fill the cache, or {LOCAL_HINT}.")
        files, local_only = _cached_files(name, commit, cache_dir), True
    else:
        try:
            info = api.model_info(name, revision=revision)
        except HFValidationError:
            raise BaseModelNotFound(f"base model {name!r} is neither an existing folder nor a valid Hub name "
                                    f"(ORG/NAME); {LOCAL_HINT}.") from None
        except HfHubHTTPError as exc:
            raise _hub_error(exc, name, revision, endpoint, cache_dir) from None
        except (OSError, ConnectionError, TimeoutError) as exc:  # no network: the cache may still have it
            commit = _cached_commit(name, revision, cache_dir)
            if commit is None:
                raise _hub_error(exc, name, revision, endpoint, cache_dir) from None
            files, local_only = _cached_files(name, commit, cache_dir), True
        except Exception as exc:  # httpx errors that are not OSError
            if type(exc).__module__.split(".")[0] not in ("httpx", "httpx2", "httpcore", "httpcore2"):
                raise
            commit = _cached_commit(name, revision, cache_dir)
            if commit is None:
                raise _hub_error(exc, name, revision, endpoint, cache_dir) from None
            files, local_only = _cached_files(name, commit, cache_dir), True
        else:
            files = {s.rfilename for s in info.siblings or []}
            if "config.json" not in files:
                raise BaseModelNotFound(f"{where}: the repository has no config.json at this revision, so it is not "
                                        "a transformers model; check model_name_or_path and model_revision.")
            commit = _fetch_config(name, revision, token, cache_dir, where) or info.sha
    has_st = bool(files & set(SAFE_WEIGHTS))
    has_bin = bool(files & set(PICKLE_WEIGHTS))
    if not has_st:
        if has_bin and allow_pickle:
            return BaseModel(name, revision, commit, False, local_only, token, cache_dir)
        if local_only and not has_bin:
            raise BaseModelNotFound(
                f"{where}: the cache holds no weights of this revision (model.safetensors); run once with the "
                f"network (without HF_HUB_OFFLINE) to fill the cache, or {LOCAL_HINT}.")
        branch = None if local_only else _conversion_branch(api, name)
        if branch is None:
            branch = KNOWN_SAFETENSORS_REVISIONS.get(name) if revision != KNOWN_SAFETENSORS_REVISIONS.get(name) else None
        what = "only pickle weights (pytorch_model.bin)" if has_bin else "no model weights"
        fix = (f"set model_revision: {branch}, which holds model.safetensors (a local copy: "
               f"`{download_command(name, branch)}`)" if branch else
               "choose a model_revision that holds model.safetensors")
        tail = ", or set allow_pickle: true if you trust the source" if has_bin else ""
        raise UnsafeWeights(f"{where} has {what}; loading a pickle can run arbitrary code: {fix}{tail}.")
    return BaseModel(name, revision, commit, True, local_only, token, cache_dir)


def load_base_tokenizer(model_args):
    """The base tokenizer (same commit as the weights) with the diacritics normaliser; refuses a lossy one."""
    base = resolve_base_model(model_args)
    tok_name = model_args.tokenizer_name_or_path
    if tok_name and tok_name != base.name:
        kwargs: dict[str, Any] = {}
        if not Path(tok_name).expanduser().exists():
            kwargs = {k: v for k, v in (("revision", getattr(model_args, "model_revision", None)),
                                        ("token", getattr(model_args, "token", None)),
                                        ("cache_dir", getattr(model_args, "cache_dir", None))) if v}
        return load_tokenizer(tok_name, allow_lossy=model_args.allow_lossy_tokenizer, **kwargs)
    return load_tokenizer(base.name, allow_lossy=model_args.allow_lossy_tokenizer, **base.load_kwargs())


def weights_kwargs(base: BaseModel) -> dict[str, Any]:
    """Safetensors whenever the model has them; a pickle only when allowed, and then weights-only."""
    no_conversion_service()
    return {"use_safetensors": base.safetensors, "weights_only": True, "trust_remote_code": False, **base.load_kwargs()}


def refused_pickle(base: BaseModel, exc: Exception) -> UnsafeWeights:
    """torch's weights-only loader refused an allowed pickle: it holds more than tensors."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UnsafeWeights(f"{base.describe()}: torch's weights-only loader refused the pickle weights, which hold "
                         f"more than tensors ({first}); use safetensors weights instead.")


def load_token_model(model_args, tags: list[str]):
    """A token-classification head on the base model, with ``id2label``/``label2id`` set."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    base = resolve_base_model(model_args)
    id2label = dict(enumerate(tags))
    label2id = {t: i for i, t in enumerate(tags)}
    config = AutoConfig.from_pretrained(base.name, num_labels=len(tags), id2label=id2label, label2id=label2id,
                                        trust_remote_code=False, **base.load_kwargs())
    try:
        return AutoModelForTokenClassification.from_pretrained(
            base.name, config=config, ignore_mismatched_sizes=True, **weights_kwargs(base)
        )
    except pickle.UnpicklingError as exc:
        raise refused_pickle(base, exc) from None
