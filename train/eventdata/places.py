"""An event's location: one place mention of its sentence, by a rule.

The candidates are the sentence's LOC and FAC mentions and the GPE mentions that read as places
(after a locative word or with a preposition proclitic, :func:`train.inference.records.gpe_is_place`).
The one nearest after the trigger wins ("وصل ... إلى ليبيا", "اجتماعا ... في القاعدة البحرية"),
else the nearest before it; without a trigger, the first. A sentence without one has no location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from train.eventdata.actors import strip_proclitic_text
from train.eventdata.countries import Gazetteer
from train.inference.records import group_by_role


def event_place(text: str, sentence: tuple[int, int], entities: Sequence[Mapping[str, Any]],
                trigger: Mapping[str, Any] | None, gaz: Gazetteer) -> dict[str, Any] | None:
    """``{"start", "end", "label", "text", "name", "country"}`` of the event's location, or ``None``."""
    a, b = sentence
    inside = [e for e in entities if a <= e["start"] and e["end"] <= b]
    if not inside:
        return None
    places = group_by_role(text, [{**e, "text": text[e["start"]:e["end"]]} for e in inside])["places"]
    if not places:
        return None
    if trigger is not None:
        t = int(trigger["start"])
        after = [p for p in places if p["start"] >= t]
        pick = min(after, key=lambda p: p["start"]) if after else max(places, key=lambda p: p["start"])
    else:
        pick = min(places, key=lambda p: p["start"])
    found = gaz.lookup(pick["text"])
    country = found.code if found else gaz.country_in(pick["text"])
    return {**pick, "name": strip_proclitic_text(pick["text"]), "country": country}
