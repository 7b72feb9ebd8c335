"""The event-data pipeline measured on the annotated seed corpus (docs/benchmarks.md, docs/corpus.md).

The annotation is in ``data/annotations/seed-events.yaml``. Per document it holds the publication
date, the actors (each with its mentions as ``START:TEXT``, and a country and a sector), and for
each event its date, the date's precision and its location. The pipeline is scored on gold spans
(``data/seed.jsonl``) and on a file of prediction records for the same documents:

- **actors**: B³ over the gold mentions, plus country and sector accuracy for each gold mention.
  The sector is scored only where the annotation gives one. On predictions, a gold mention counts
  only when an entity of exactly the same span was predicted; otherwise it is a singleton and its
  country is wrong.
- **event dates**: the date matches at the annotated precision. Reported over the events whose
  date the text gives, and over those given to the day.
- **location**: the location's normalised name matches, or both are empty. Scored over all events.

On predictions, a gold event is matched to the first predicted event of the same type in the
same sentence; a gold event with no match counts as wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from train.evaluation.clusters import b_cubed
from train.eventdata.actors import ActorResolver
from train.eventdata.arabic import normalise
from train.eventdata.dictionary import ActorDictionary
from train.eventdata.table import EventRows

PRECISION_LEN = {"day": 10, "month": 7, "year": 4}


def _span(ref: str) -> tuple[int, str]:
    start, text = ref.split(":", 1)
    return int(start), text


def load_annotation(path: Path, docs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The annotation by document id, every ``START:TEXT`` checked against the document's text."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for d in data["documents"]:
        text = docs[d["id"]]["text"]
        for ref in [m for a in d["actors"] for m in a["mentions"]] + [e["trigger"] for e in d["events"]] + [
                e["location"] for e in d["events"] if e.get("location")]:
            s, t = _span(ref)
            if text[s:s + len(t)] != t:
                raise ValueError(f"{path}: {d['id']}: {ref!r} is not the text at offset {s}")
        out[d["id"]] = d
    return out


def _same_date(gold: dict[str, Any], iso: str | None) -> bool:
    n = PRECISION_LEN[gold["precision"]]
    return iso is not None and iso[:n] == str(gold["date"])[:n]


def score(gold_docs: Iterable[dict[str, Any]], annotation: dict[str, dict[str, Any]],
          records: dict[str, dict[str, Any]] | None = None, dictionary: ActorDictionary | None = None) -> dict[str, Any]:
    """The figures for the pipeline on gold spans (``records`` None) or on those prediction records."""
    rows_of = EventRows(ActorResolver(dictionary))
    gold_cluster: dict[Any, str] = {}
    sys_cluster: dict[Any, str] = {}
    country = [0, 0]
    sector = [0, 0]
    dates = {"given": [0, 0], "day": [0, 0]}
    location = [0, 0]
    for doc in gold_docs:
        ann = annotation[doc["id"]]
        rec = doc if records is None else records[doc["id"]]
        rows = rows_of.rows(rec)
        actors = rows_of.last_actors
        for a in ann["actors"]:
            for ref in a["mentions"]:
                s, t = _span(ref)
                key = (doc["id"], s, s + len(t))
                gold_cluster[key] = f"{doc['id']}/{a['actor']}"
                got = actors.of(s, s + len(t))
                if got is not None:
                    sys_cluster[key] = f"{doc['id']}/{got.id}"
                country[1] += 1
                country[0] += int(got is not None and got.country == a.get("country"))
                if a.get("sector"):
                    sector[1] += 1
                    sector[0] += int(got is not None and got.sector == a["sector"])
        sents = [(s["start"], s["end"]) for s in doc["sentences"]]
        rec_sents = [(int(s["start"]), int(s["end"])) for s in rec.get("sentences") or []]
        used: set[int] = set()
        for g_ev, e in zip(doc["events"], ann["events"]):
            k = next(i for i, (a, b) in enumerate(sents) if a <= g_ev["start"] < b)
            if records is None:
                row = next(r for r in rows if r["_trigger_start"] == g_ev["start"])
            else:
                a, b = sents[k]
                row = next((r for i, r in enumerate(rows) if i not in used and r["type"] == g_ev["label"]
                            and rec_sents[r["sentence_index"]][0] <= a < rec_sents[r["sentence_index"]][1]), None)
                if row is not None:
                    used.add(rows.index(row))
            if e.get("date"):
                ok = row is not None and _same_date(e, row["event_date"])
                dates["given"][1] += 1
                dates["given"][0] += int(ok)
                if e["precision"] == "day":
                    dates["day"][1] += 1
                    dates["day"][0] += int(ok)
            want = normalise(_span(e["location"])[1]) if e.get("location") else None
            have = normalise(row["location"]) if row is not None and row["location"] else None
            if want and have:
                # the same place whatever proclitic its mention carries (بطبرق, طبرق)
                ok = want == have or want.endswith(have) or have.endswith(want)
            else:
                ok = want is None and have is None and row is not None
            location[1] += 1
            location[0] += int(ok)
    b3 = b_cubed(gold_cluster, sys_cluster)

    def acc(pair: list[int]) -> dict[str, Any]:
        return {"correct": pair[0], "total": pair[1], "accuracy": pair[0] / pair[1] if pair[1] else 0.0}

    return {"actor_b3": b3, "country": acc(country), "sector": acc(sector),
            "event_date_given": acc(dates["given"]), "event_date_day": acc(dates["day"]), "location": acc(location)}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
