"""A published model set by one name: a folder of task folders, or a Hub prefix ``ORG/NAME``.

``publish.py RUNS --out DIR --push ORG/NAME`` writes ``DIR/ner``, ``DIR/events``, ... and pushes
``ORG/NAME-ner``, ``ORG/NAME-events``, ...; ``predict.py --models DIR`` or ``--models ORG/NAME``
finds the same models again, so a user names the set once instead of one flag per model.
"""

from __future__ import annotations

from pathlib import Path

from train.inference.backends import PredictorError

TASKS = ("ner", "events", "triggers", "roles")


def _offline() -> bool:
    """Whether the Hub may be asked; read once per lookup so the search and its error agree."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _on_hub(repo_id: str, offline: bool) -> bool:
    """The repository exists: asked of the Hub, or of the local cache when offline."""
    if offline:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        return HfApi().file_exists(repo_id, "config.json")
    except HfHubHTTPError as exc:
        raise PredictorError(f"--models {repo_id.rsplit('-', 1)[0]}: {repo_id}: {str(exc).splitlines()[0]}") from None


def resolve_model_set(where: str) -> dict[str, str]:
    """Task -> model (folder or Hub repo id) of the set at ``where``; at least one, or an error."""
    folder = Path(where)
    if folder.is_dir():
        if (folder / "config.json").is_file():
            raise PredictorError(f"--models {where}: this is one model, not a set of task folders; "
                                 "give it as --ner, --events, --triggers or --roles")
        found = {t: str(folder / t) for t in TASKS if (folder / t / "config.json").is_file()}
        if not found:
            raise PredictorError(f"--models {where}: no model folder in it named {', '.join(TASKS)}")
        return found
    if folder.exists() or where.count("/") != 1 or where.startswith((".", "/")):
        raise PredictorError(f"--models {where}: neither a folder of task folders nor a Hub prefix ORG/NAME")
    offline = _offline()
    found = {t: f"{where}-{t}" for t in TASKS if _on_hub(f"{where}-{t}", offline)}
    if not found:
        raise PredictorError(f"--models {where}: no repository {where}-ner, {where}-events, {where}-triggers "
                             f"or {where}-roles on the Hub" + (" nor in the cache (HF_HUB_OFFLINE is set)"
                                                               if offline else ""))
    return found
