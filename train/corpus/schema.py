"""The label inventory, read from ``configs/schema.yaml``: the single source of label names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "configs" / "schema.yaml"


class SchemaError(ValueError):
    """A schema file that cannot be used."""


@dataclass(frozen=True)
class Schema:
    """Entity and event label names with one-line descriptions, in file order."""

    entities: dict[str, str]
    events: dict[str, str]
    path: str = field(default="<memory>", compare=False)

    @property
    def entity_labels(self) -> list[str]:
        return list(self.entities)

    @property
    def event_labels(self) -> list[str]:
        return list(self.events)

    def labels(self, kind: str) -> list[str]:
        """Labels of one span list: ``entities`` or ``events``."""
        if kind == "entities":
            return self.entity_labels
        if kind == "events":
            return self.event_labels
        raise KeyError(f"unknown span kind {kind!r}; expected 'entities' or 'events'")

    def kind_of(self, label: str) -> str | None:
        """Which list a label belongs to, so importers can route a tool's labels."""
        if label in self.entities:
            return "entities"
        if label in self.events:
            return "events"
        return None


def load_schema(path: str | Path | None = None) -> Schema:
    """Load and check a schema file; the default is the project's ``configs/schema.yaml``."""
    path = Path(path) if path is not None else DEFAULT_SCHEMA_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: schema file not found") from None
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: expected a mapping with 'entities' and 'events'")
    parts: dict[str, dict[str, str]] = {}
    for key in ("entities", "events"):
        section = raw.get(key)
        if not isinstance(section, dict) or not section:
            raise SchemaError(f"{path}: '{key}' must be a non-empty mapping of LABEL: description")
        for label, desc in section.items():
            if not isinstance(label, str) or not label or any(c.isspace() for c in label):
                raise SchemaError(f"{path}: {key}: invalid label name {label!r}")
            if not isinstance(desc, str) or not desc.strip():
                raise SchemaError(f"{path}: {key}.{label}: needs a one-line description")
        parts[key] = {str(k): str(v) for k, v in section.items()}
    both = set(parts["entities"]) & set(parts["events"])
    if both:
        raise SchemaError(f"{path}: labels in both lists: {sorted(both)}")
    return Schema(entities=parts["entities"], events=parts["events"], path=str(path))
