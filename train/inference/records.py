"""Event records: the entities of a sentence grouped by role, and one event per predicted type.

Kept apart from the models: records are built from plain span dicts, so they can be tested
and reused without loading anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Entity labels by event role. A GPE is an actor ("Russia signed") unless the words before it
# make it a place ("in Moscow"): see :func:`gpe_is_place`.
ACTOR_LABELS = frozenset({"PERS", "ORG", "NORP", "GPE"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
DATE_LABELS = frozenset({"DATE"})
# Arabic prepositions after which a GPE names where something happened.
LOCATIVE_WORDS = frozenset({"في", "فى", "إلى", "الى", "إلي", "من", "بمدينة", "مدينة", "داخل", "خارج", "عبر",
                            "قرب", "نحو", "لدى", "بين", "حول", "شرق", "غرب", "شمال", "جنوب", "وسط", "بعاصمة",
                            "العاصمة", "عاصمة", "وفي", "وإلى", "ومن"})


def span_record(text: str, span: Mapping[str, Any]) -> dict[str, Any]:
    """A predicted span as it goes out: offsets, label, its text and a rounded score."""
    a, b = int(span["start"]), int(span["end"])
    return {"start": a, "end": b, "label": span["label"], "text": text[a:b], "score": round(float(span["score"]), 4)}


def gpe_is_place(text: str, start: int) -> bool:
    """Whether the GPE at ``start`` follows a locative word ("في", "إلى", ...)."""
    before = text[max(0, start - 30) : start].split()
    return bool(before) and before[-1] in LOCATIVE_WORDS


def group_by_role(text: str, entities: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Entities of one sentence as event arguments: actors, places, dates and others."""
    roles: dict[str, list[dict[str, Any]]] = {"actors": [], "places": [], "dates": [], "others": []}
    for e in entities:
        item = {k: e[k] for k in ("start", "end", "label", "text")}
        lab = e["label"]
        if lab == "GPE":
            roles["places" if gpe_is_place(text, e["start"]) else "actors"].append(item)
        elif lab in ACTOR_LABELS:
            roles["actors"].append(item)
        elif lab in PLACE_LABELS:
            roles["places"].append(item)
        elif lab in DATE_LABELS:
            roles["dates"].append(item)
        else:
            roles["others"].append(item)
    return roles


def build_events(text: str, sentences: list[dict[str, Any]], entities: list[dict[str, Any]],
                 have_classifier: bool) -> list[dict[str, Any]]:
    """One event per predicted type in a sentence, with its best trigger and role-grouped entities.

    With a sentence classifier, its types are the events and a trigger of the same type is
    attached when the tagger found one. With only a trigger tagger, each trigger is an event.
    """
    events: list[dict[str, Any]] = []
    ents = sorted(entities, key=lambda e: e["start"])
    for k, s in enumerate(sentences):
        inside = [e for e in ents if s["start"] <= e["start"] and e["end"] <= s["end"]]
        roles = group_by_role(text, inside)
        if have_classifier:
            found = [(t["label"], t["score"]) for t in s.get("event_types", [])]
            for label, score in found:
                same = [t for t in s.get("triggers", []) if t["label"] == label]
                trig = max(same, key=lambda t: t["score"]) if same else None
                events.append({"type": label, "score": score, "sentence": k,
                               "trigger": dict(trig) if trig else None, **roles})
        else:
            for t in s.get("triggers", []):
                events.append({"type": t["label"], "score": t["score"], "sentence": k, "trigger": dict(t), **roles})
    return events
