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
    "labelstudio_choices": "labelstudio_choices",
    "doccano_classification": "doccano_classification",
}


def get_format(name: str) -> ModuleType:
    """The module for a format name; ``KeyError`` names the known formats."""
    if name not in FORMATS:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")


def can_read(name: str) -> bool:
    return hasattr(get_format(name), "read")


def can_write(name: str) -> bool:
    return hasattr(get_format(name), "write")
