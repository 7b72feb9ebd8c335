"""Predictor records as Label Studio predictions, addressed to the controls of a project's config.

Label Studio refuses a prediction whose ``from_name`` or label is not in the project's labeling
config, so the results are built from the config the project sends (``label_config``): each
span label goes to the ``<Labels>`` control that lists it, and sentence event types go to a
``<Choices>`` control that lists them. Offsets are code points, the unit Label Studio 1.x stores
and shows (since its emoji fix); ``value.text`` is ``text[start:end]`` so either side can check.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigMismatch(ValueError):
    """A labeling config the backend cannot write predictions for."""


@dataclass
class Controls:
    """Where each label goes: ``labels[label] = (from_name, to_name)``, choices likewise."""

    text_key: str = "text"
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    choices: dict[str, tuple[str, str]] = field(default_factory=dict)


def parse_controls(label_config: str) -> Controls:
    """The ``<Text>`` value key and the label → control map of a labeling config."""
    try:
        root = ET.fromstring(label_config)
    except ET.ParseError as exc:
        raise ConfigMismatch(f"label_config: not valid XML ({exc})") from None
    texts = {el.get("name"): el.get("value", "") for el in root.iter() if el.tag in ("Text", "HyperText")}
    if not texts:
        raise ConfigMismatch("label_config: no <Text> tag to predict on")
    out = Controls()
    for el in root.iter():
        if el.tag not in ("Labels", "Choices"):
            continue
        name, to = el.get("name"), el.get("toName")
        if to not in texts or not name:
            continue
        values = [c.get("value") for c in el if c.tag in ("Label", "Choice") and c.get("value")]
        target = out.labels if el.tag == "Labels" else out.choices
        for v in values:
            target.setdefault(v, (name, to))
    to_names = {to for _, to in list(out.labels.values()) + list(out.choices.values())} or set(texts)
    key = texts[sorted(to_names)[0]]
    out.text_key = key[1:] if key.startswith("$") else key or "text"
    return out


def model_version(models: Mapping[str, str | None]) -> str:
    """A short ``model_version`` for Label Studio: each model's last two path parts and a hash of the full
    names, so two folders both called ``model`` stay apart and Label Studio re-predicts when one changes."""
    named = {k: v for k, v in models.items() if v}
    short = ",".join(f"{k}={'/'.join(Path(v).parts[-2:])}" for k, v in named.items())
    full = ", ".join(f"{k}={v}" for k, v in named.items())
    return f"arabic-ie:{short}#{hashlib.sha1(full.encode('utf-8')).hexdigest()[:8]}"


def task_text(task: Mapping[str, Any], controls: Controls) -> str | None:
    """The task's text under the config's value key (``$text`` → ``data["text"]``)."""
    data = task.get("data")
    if not isinstance(data, Mapping):
        return None
    value = data.get(controls.text_key)
    return value if isinstance(value, str) else None


def _span_items(rec: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    yield from rec.get("entities", [])
    for s in rec.get("sentences", []):
        yield from s.get("triggers", [])


def prediction(rec: Mapping[str, Any], controls: Controls, model_version: str) -> dict[str, Any]:
    """One Label Studio prediction: span regions with scores, and the task's event-type choices.

    The prediction's ``score`` is the lowest region score (the choices included), so Label
    Studio's "prediction score" ordering puts the tasks the model is least sure of first.
    """
    text = rec["text"]
    result: list[dict[str, Any]] = []
    for n, s in enumerate(sorted(_span_items(rec), key=lambda s: (s["start"], s["end"], s["label"]))):
        target = controls.labels.get(s["label"])
        if target is None:
            continue
        result.append({
            "id": f"r{n}", "from_name": target[0], "to_name": target[1], "type": "labels", "origin": "prediction",
            "value": {"start": s["start"], "end": s["end"], "text": text[s["start"]:s["end"]], "labels": [s["label"]]},
            "score": round(float(s.get("score", 1.0)), 4),
        })
    best: dict[str, float] = {}
    for sent in rec.get("sentences", []):
        for t in sent.get("event_types", []):
            if t["label"] in controls.choices:
                best[t["label"]] = max(best.get(t["label"], 0.0), float(t["score"]))
    by_control: dict[tuple[str, str], list[str]] = {}
    for label in sorted(best, key=lambda k: -best[k]):
        by_control.setdefault(controls.choices[label], []).append(label)
    for (name, to), labels in by_control.items():
        result.append({"id": f"c-{name}", "from_name": name, "to_name": to, "type": "choices", "origin": "prediction",
                       "value": {"choices": labels}, "score": round(min(best[x] for x in labels), 4)})
    scores = [r["score"] for r in result]
    return {"result": result, "score": round(min(scores), 4) if scores else 1.0, "model_version": model_version}
