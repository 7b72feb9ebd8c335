"""Importers and exporters for annotation tools, one small module per format.

Every format maps onto the one corpus format (:mod:`train.corpus.document`). The registry is lazy, so
importing :mod:`train.formats.conll` (which uses :mod:`train.formats.common`) never pulls in the others.

    from train.formats import get_format
    fmt = get_format("doccano")
    docs, report = fmt.read(path, schema=schema, label_map=None, snap=False)
    fmt.write(docs, out_path)
"""

from __future__ import annotations

import importlib
from types import ModuleType

# name -> module under train.formats; each has read(path, *, schema, label_map, snap, annotator)
# returning (documents, ImportReport), and write(docs, path) where the tool can import it.
FORMATS: dict[str, str] = {
    "jsonl": "jsonl",
    "labelstudio": "labelstudio",
    "doccano": "doccano",
    "brat": "brat",
    "prodigy": "prodigy",
    "conll": "conll",
    "gsr": "gsr",
    "gsr_spans": "gsr_spans",
    "labelstudio_choices": "labelstudio_choices",
    "doccano_classification": "doccano_classification",
}

# Formats whose files keep an event trigger's arguments (source, target). Writing to any other
# says how many it leaves out (:func:`dropped_roles`), never silently.
CARRIES_ROLES = frozenset({"jsonl"})


def dropped_roles(name: str, docs: list) -> str | None:
    """A note when writing ``docs`` as format ``name`` would leave trigger arguments out."""
    if name in CARRIES_ROLES:
        return None
    n = sum(len(s.args) for d in docs for s in d.events)
    if not n:
        return None
    t = sum(1 for d in docs for s in d.events if s.args)
    return (f"{name} cannot carry event roles: {n} source/target argument(s) of {t} trigger(s) are left out "
            f"of the output (the corpus JSONL keeps them)")


def get_format(name: str) -> ModuleType:
    """The module for a format name; ``KeyError`` names the known formats."""
    if name not in FORMATS:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")


def can_read(name: str) -> bool:
    return hasattr(get_format(name), "read")


def can_write(name: str) -> bool:
    return hasattr(get_format(name), "write")
