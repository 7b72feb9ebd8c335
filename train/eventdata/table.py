"""One row per event report, from a prediction record (``predict.py``) or an annotated document.

An annotated document (``data/seed.jsonl``: events as trigger spans with ``label``, ``source``,
``target``) is read as a record with the gold spans, so the same code runs on gold and on
predictions. Without a role model a record's events have no ``source``/``target`` keys; the
sentence's first two actors stand in for them then (``role_from`` says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from train.eventdata.actors import Actor, ActorResolver, DocumentActors
from train.eventdata.dates import event_date, publication_date
from train.eventdata.places import event_place

# The table's columns, in order (``reports`` and ``n_reports`` are filled in by the merge).
COLUMNS = (
    "event_id", "n_reports", "reports", "document_id", "publication_date", "publication_date_from",
    "event_date", "date_precision", "date_text", "type", "trigger", "sentence_index", "sentence",
    "source_id", "source_name", "source_country", "source_sector", "source_mention",
    "target_id", "target_name", "target_country", "target_sector", "target_mention",
    "role_from", "location", "location_country", "score", "trigger_score", "source_score", "target_score",
)


def as_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A prediction record as is; an annotated document turned into one (its spans, score 1)."""
    events = doc.get("events") or []
    if not events or "type" in events[0] or "sentences" not in doc or not doc.get("sentences"):
        return dict(doc)
    text = doc["text"]
    sents = [(s["start"], s["end"]) for s in doc["sentences"]]
    out = []
    for e in events:
        k = next((i for i, (a, b) in enumerate(sents) if a <= e["start"] < b), 0)
        role = {}
        for r in ("source", "target"):
            sp = e.get(r)
            role[r] = None if not sp else {"start": sp["start"], "end": sp["end"], "label": r.upper(),
                                             "text": text[sp["start"]:sp["end"]], "score": 1.0}
        out.append({"type": e["label"], "score": 1.0, "sentence": k,
                    "trigger": {"start": e["start"], "end": e["end"], "label": e["label"],
                                "text": text[e["start"]:e["end"]], "score": 1.0}, **role})
    ents = [{**x, "text": text[x["start"]:x["end"]], "score": 1.0} for x in doc.get("entities", [])]
    return {"id": doc.get("id"), "text": text, "meta": doc.get("meta") or {}, "entities": ents,
            "sentences": [{"start": a, "end": b} for a, b in sents], "events": out}


def _role_spans(record: Mapping[str, Any]) -> list[tuple[int, int]]:
    return [(int(sp["start"]), int(sp["end"])) for e in record.get("events", [])
            for sp in (e.get("source"), e.get("target")) if sp]


def _actor_cols(prefix: str, actor: Actor | None, mention: str | None) -> dict[str, Any]:
    return {f"{prefix}_id": actor.id if actor else None, f"{prefix}_name": actor.name if actor else None,
            f"{prefix}_country": actor.country if actor else None, f"{prefix}_sector": actor.sector if actor else None,
            f"{prefix}_mention": mention}


class EventRows:
    """Turns records into rows; :attr:`last_actors` keeps the last document's actors (for the report)."""

    def __init__(self, resolver: ActorResolver):
        self.resolver = resolver
        self.last_actors: DocumentActors | None = None
        self.last_record: dict[str, Any] | None = None

    def rows(self, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
        rec = as_record(doc)
        self.last_record = rec
        text = rec["text"]
        ents = rec.get("entities") or []
        sents = [(int(s["start"]), int(s["end"])) for s in rec.get("sentences") or []]
        pub, pub_from = publication_date(rec)
        actors = self.resolver.resolve(text, ents, _role_spans(rec))
        self.last_actors = actors
        dates = [e for e in ents if e["label"] == "DATE"]
        out: list[dict[str, Any]] = []
        for ev in rec.get("events") or []:
            k = int(ev.get("sentence", 0))
            if not (0 <= k < len(sents)):
                continue
            a, b = sents[k]
            trig = ev.get("trigger")
            roles: dict[str, Any] = {}
            if "source" in ev or "target" in ev:
                role_from = "roles"
                for r in ("source", "target"):
                    sp = ev.get(r)
                    roles[r] = (actors.of(int(sp["start"]), int(sp["end"])), text[sp["start"]:sp["end"]],
                                sp.get("score")) if sp else (None, None, None)
            else:
                role_from = "sentence actors"
                inside = [e for e in ents if a <= e["start"] and e["end"] <= b and actors.of(e["start"], e["end"])
                          and e["label"] in ("PERS", "ORG", "GPE", "NORP")]
                picked: list[tuple[Actor | None, str | None, Any]] = []
                for e in inside:
                    act = actors.of(e["start"], e["end"])
                    if act is not None and act.kind != "place" and all(p[0] is not act for p in picked):
                        picked.append((act, text[e["start"]:e["end"]], e.get("score")))
                picked += [(None, None, None)] * 2
                roles = {"source": picked[0], "target": picked[1]}
            when = event_date(text, sents, k, dates, pub)
            place = event_place(text, (a, b), ents, trig, self.resolver.gaz)
            row = {
                "event_id": None, "n_reports": 1, "reports": None,
                "document_id": str(rec.get("id")), "publication_date": pub.isoformat() if pub else None,
                "publication_date_from": pub_from,
                "event_date": when.iso() if when else None, "date_precision": when.precision if when else None,
                "date_text": when.text if when else None,
                "type": ev.get("type"), "trigger": trig.get("text") if trig else None, "sentence_index": k,
                "sentence": " ".join(text[a:b].split()),
                **_actor_cols("source", roles["source"][0], roles["source"][1]),
                **_actor_cols("target", roles["target"][0], roles["target"][1]),
                "role_from": role_from,
                "location": place["name"] if place else None, "location_country": place["country"] if place else None,
                "score": ev.get("score"), "trigger_score": trig.get("score") if trig else None,
                "source_score": roles["source"][2], "target_score": roles["target"][2],
                "_trigger_start": int(trig["start"]) if trig else None,
                "_location_span": [place["start"], place["end"]] if place else None,
            }
            out.append(row)
        return out


def week_of(iso: str | None) -> str | None:
    """The Monday of an ISO date's week, for the per-week chart."""
    if not iso:
        return None
    d = dt.date.fromisoformat(iso)
    return (d - dt.timedelta(days=d.weekday())).isoformat()
