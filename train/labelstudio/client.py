"""Push tasks to a Label Studio project and pull its annotations, through the official SDK.

The connection comes from ``--url``/``--api-key`` or, as in Label Studio's own tools,
``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY``. The key may be a personal access token (the
default in Label Studio 1.23: the SDK exchanges it for short-lived access tokens) or a legacy
token, where the organisation still allows those.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from train.corpus.document import Document
from train.corpus.schema import Schema
from train.formats import labelstudio as ls_format
from train.formats.common import ImportReport

DEFAULT_URL = "http://localhost:8080"


class LabelStudioError(RuntimeError):
    """A Label Studio call that failed: one line naming the server and what was asked."""


def connect(url: str | None = None, api_key: str | None = None) -> Any:
    """An SDK client; the key is required (Label Studio has no anonymous API)."""
    from label_studio_sdk import LabelStudio

    url = url or os.environ.get("LABEL_STUDIO_URL") or DEFAULT_URL
    api_key = api_key or os.environ.get("LABEL_STUDIO_API_KEY")
    if not api_key:
        raise LabelStudioError("no API key: give --api-key or set LABEL_STUDIO_API_KEY "
                               "(Label Studio: Account & Settings → Personal Access Token)")
    return LabelStudio(base_url=url.rstrip("/"), api_key=api_key)


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an SDK call; its errors (HTTP status and body, refused connection) become one line."""
    from label_studio_sdk.core.api_error import ApiError

    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        body = exc.body if not isinstance(exc.body, dict) else (exc.body.get("detail") or exc.body)
        raise LabelStudioError(f"{what}: HTTP {exc.status_code}: {body}") from None
    except OSError as exc:
        raise LabelStudioError(f"{what}: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.startswith(("httpx", "httpcore")):
            raise LabelStudioError(f"{what}: {exc}") from None
        raise


def label_config(client: Any, project: int) -> str:
    p = _call(f"project {project}", client.projects.get, project)
    return str(p.label_config or "")


def existing_doc_ids(client: Any, project: int) -> set[str]:
    """The ``doc_id`` of every task already in the project, so a push never adds one twice."""
    ids: set[str] = set()
    pager = _call(f"project {project}: list tasks", client.tasks.list, project=project, fields="all")
    for task in pager:
        data = getattr(task, "data", None) or {}
        if isinstance(data, dict) and isinstance(data.get("doc_id"), str):
            ids.add(data["doc_id"])
    return ids


def import_tasks(client: Any, project: int, tasks: Sequence[dict[str, Any]]) -> list[int]:
    """Import tasks (with their predictions) into a project; the new task ids."""
    if not tasks:
        return []
    got = _call(f"project {project}: import", client.projects.import_tasks, project, request=list(tasks),
                return_task_ids=True)
    return list(getattr(got, "task_ids", None) or [])


def export_tasks(client: Any, project: int, timeout: int = 120) -> list[dict[str, Any]]:
    """The project's tasks in Label Studio's JSON export (its own export, made and downloaded)."""
    got = _call(f"project {project}: export", client.projects.exports.as_json, project, timeout=timeout)
    if not isinstance(got, list):
        raise LabelStudioError(f"project {project}: export: expected a JSON list of tasks, got {type(got).__name__}")
    return got


def has_choices(tasks: list[Any]) -> bool:
    """Whether any annotation judges event types (``choices`` results, ``config --choices``)."""
    return any(isinstance(r, dict) and r.get("type") == "choices"
               for t in tasks if isinstance(t, dict)
               for a in (t.get("annotations") or []) if isinstance(a, dict)
               for r in (a.get("result") or []))


def convert_export(tasks: list[Any], schema: Schema, source: str, *, snap: bool = True,
                   annotator: str | None = None) -> tuple[list[Document], ImportReport]:
    """Exported tasks through the project's Label Studio importers (the ones that read export files).

    Spans go through :mod:`train.formats.labelstudio`. Where annotations also choose event types
    (``choices``), those tasks go through :mod:`train.formats.classification` as well, which keeps
    the spans and adds the judged types; tasks without choices keep their spans only.
    """
    docs, report = ls_format.from_tasks(tasks, ImportReport(source, ls_format.NAME), schema=schema, snap=snap,
                                        annotator=annotator)
    if report.errors or not has_choices(tasks):
        return docs, report
    from train.formats.classification import labelstudio_from_tasks

    judged, jreport = labelstudio_from_tasks(tasks, ImportReport(source, "labelstudio_choices"), schema=schema,
                                             annotator=annotator, snap=snap)
    report.problems += [p for p in jreport.problems if p not in report.problems]
    by_task = {d.meta.get("task"): d for d in judged}
    merged = []
    for d in docs:
        j = by_task.get(d.meta.get("task"))
        if j is not None:
            j.meta = d.meta
        merged.append(j if j is not None else d)
    if by_task:
        report.notes.append(f"{len(by_task)} task(s) also judged event types (choices): kept as sentence labels")
    return merged, report
