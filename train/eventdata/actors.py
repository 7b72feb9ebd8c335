"""Mentions grouped into actors within a document, and ids and names that hold across documents.

In a document, the mentions of one actor are grouped by rules: a person's name variants (خليفة
حفتر, خليفة بلقاسم حفتر, and حفتر alone after or before one of them), a title just before a
name (المشير, قائد الجيش الوطني الليبي) and the same title again later, a country's name, its
people and its adjective (روسيا, الروس), the same organisation name with or without a proclitic,
and a role span (an event's source or target) with the entity inside it. The dictionary then
fixes the names and codes of the actors it knows, and merges the groups it names alike.

Across documents an actor's id is its dictionary id, its country code, or a hash of its
canonical name: stateless, so the same actor gets the same id in every document of a stream.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from train.eventdata.arabic import normalise, proclitic_forms, strip_proclitic
from train.eventdata.countries import Gazetteer, gazetteer
from train.eventdata.dictionary import ActorDictionary, Entry

ACTOR_LABELS = ("PERS", "ORG", "NORP", "GPE", "OCC")
# Which entity inside a role span is its head, most preferred first.
_HEAD_ORDER = {"PERS": 0, "ORG": 1, "GPE": 2, "NORP": 3, "OCC": 4}
# Words that stand for the country of the actor just named ("his country", "our country").
_OWN_COUNTRY = frozenset(normalise(w) for w in ("بلاده", "بلادها", "بلادنا", "بلادهم", "بلدها", "بلده"))

# Sector by keyword, checked in this order (the first list with a word in the phrase wins):
# a security-council secretary is government, not the UN; an expert on the army is a civilian.
_SECTOR_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("GOV", ("الأمن القومي",)),
    ("IGO", ("الأمم المتحدة", "مجلس الأمن", "حلف شمال الأطلسي", "الناتو", "الاتحاد الأفريقي", "الاتحاد الإفريقي",
             "الجامعة العربية", "جامعة الدول العربية", "الاتحاد الأوروبي", "منظمة", "المبعوث الأممي", "الأممية")),
    ("MED", ("قناة", "وكالة", "صحيفة", "موقع", "بوابة", "تلفزيون", "إذاعة", "مراسل", "صحفي", "سبوتنيك", "فيس بوك")),
    ("CVL", ("أستاذ", "خبير", "الخبير", "محلل", "الدكتور", "باحث", "مواطن", "مواطنين", "سكان", "الأهالي", "طلاب")),
    ("LEG", ("مجلس النواب", "البرلمان", "برلمان", "البرلماني", "النائب البرلماني", "مجلس الدوما", "الدوما")),
    ("JUD", ("محكمة", "المحكمة", "القضاء", "النائب العام", "قاضي")),
    ("PTY", ("حزب", "الحزب")),
    ("REB", ("المتمردين", "متمردين", "المعارضة", "الإرهابيين", "ميليشيا", "ميليشيات", "مسلحين", "المسلحين")),
    ("BUS", ("شركة", "الشركة", "شركات", "رجل أعمال")),
    ("MIL", ("جيش", "الجيش", "للجيش", "قوات", "القوات", "عسكري", "العسكري", "العسكرية", "المشير", "مشير", "اللواء",
             "لواء", "العقيد", "الجنرال", "الفريق", "أركان", "الأركان", "ضباط", "الضباط", "قائد", "القائد", "البحرية",
             "المسلحة", "كتيبة", "فاغنر", "حاملة", "الطائرات")),
    ("GOV", ("وزير", "وزارة", "الوزير", "حكومة", "الحكومة", "رئيس", "الرئيس", "الرئاسي", "سفير", "السفير", "سفارة",
             "الخارجية", "الكرملين", "مسؤول", "مسؤولين", "المسؤولين", "الوفد", "وفد", "السكرتير", "الدبلوماسي")),
]
_SECTOR_KEYS = [(s, tuple(normalise(w) for w in ws)) for s, ws in _SECTOR_WORDS]


def sector_of(phrase: str) -> str | None:
    """The sector a title or organisation phrase names, by keyword (``_SECTOR_WORDS``), or ``None``."""
    n = f" {normalise(phrase)} "
    for sector, words in _SECTOR_KEYS:
        if any(f" {w} " in n or n.strip().startswith(w + " ") or n.strip() == w for w in words):
            return sector
        # a proclitic on the word: للجيش, والقوات, بوزارة
        if any(f" {p}{w} " in n or f" {p}{w[2:]} " in n for w in words for p in ("و", "ل", "ب") if w.startswith("ال")):
            return sector
    return None


def actor_id(canonical: str) -> str:
    """A stable id for an actor the dictionary does not know: a hash of its normalised canonical name."""
    return "X-" + hashlib.sha1(normalise(canonical).encode("utf-8")).hexdigest()[:10]


def strip_proclitic_text(text: str) -> str:
    """The original text without the proclitic :func:`strip_proclitic` would take off (وروسيا → روسيا)."""
    n = normalise(text)
    s = strip_proclitic(n)
    if s == n:
        return " ".join(text.split())
    first_n, first_s = n.split()[0], s.split()[0]
    cut = len(first_n) - len(first_s)
    t = " ".join(text.split())
    if cut >= 0:
        return t[cut:]
    return "ال" + t[len(first_n) - len(first_s[2:]):]  # للجيش → الجيش


@dataclass
class Actor:
    """One actor: its id, canonical name, country (ISO alpha-3) and sector; how it was found."""

    id: str
    name: str
    country: str | None
    sector: str | None
    kind: str  # dictionary, country, place, person, organisation, other

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "country": self.country, "sector": self.sector}


@dataclass
class _Cluster:
    mentions: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    place: tuple[str, str] | None = None  # (code, kind) when it names a country or a place in one

    def labels(self) -> set[str]:
        return {m["label"] for m in self.mentions}


class DocumentActors:
    """The actors of one document: :meth:`of` gives the actor of a mention or role span."""

    def __init__(self, by_span: dict[tuple[int, int], Actor], actors: list[Actor]):
        self.by_span = by_span
        self.actors = actors

    def of(self, start: int, end: int) -> Actor | None:
        return self.by_span.get((start, end))


class ActorResolver:
    """Groups a document's mentions into actors (:meth:`resolve`), with a dictionary and a gazetteer."""

    def __init__(self, dictionary: ActorDictionary | None = None, gaz: Gazetteer | None = None):
        self.dictionary = dictionary or ActorDictionary()
        self.gaz = gaz or gazetteer()

    def resolve(self, text: str, entities: Iterable[Mapping[str, Any]],
                roles: Iterable[tuple[int, int]] = ()) -> DocumentActors:
        """Actors for the actor-type entities of ``text`` and for the role spans ``roles``."""
        ments = sorted(({"start": int(e["start"]), "end": int(e["end"]), "label": e["label"],
                         "text": text[int(e["start"]):int(e["end"])]}
                        for e in entities if e["label"] in ACTOR_LABELS), key=lambda m: m["start"])
        spans = {(m["start"], m["end"]) for m in ments}
        role_heads: dict[tuple[int, int], tuple[int, int]] = {}
        extra: list[dict[str, Any]] = []
        for a, b in sorted(set(roles)):
            if (a, b) in spans:
                continue
            head = self._head(ments, a, b)
            if head is not None:
                role_heads[(a, b)] = (head["start"], head["end"])
            else:
                extra.append({"start": a, "end": b, "label": "ROLE", "text": text[a:b]})
        clusters = self._group(text, sorted(ments + extra, key=lambda m: m["start"]))
        clusters = self._merge_by_dictionary(clusters)
        by_span: dict[tuple[int, int], Actor] = {}
        actors: list[Actor] = []
        for c in clusters:
            actor = self._actor(c)
            actors.append(actor)
            for m in c.mentions:
                by_span[(m["start"], m["end"])] = actor
        for role, head in role_heads.items():
            if head in by_span:
                by_span[role] = by_span[head]
        return DocumentActors(by_span, actors)

    # ------------------------------------------------------------------ grouping

    @staticmethod
    def _head(ments: list[dict[str, Any]], a: int, b: int) -> dict[str, Any] | None:
        inside = [m for m in ments if a <= m["start"] and m["end"] <= b]
        if not inside:
            inside = [m for m in ments if m["start"] < b and a < m["end"]]  # overlapping
        if not inside:
            return None
        return min(inside, key=lambda m: (_HEAD_ORDER[m["label"]], m["start"]))

    def _group(self, text: str, ments: list[dict[str, Any]]) -> list[_Cluster]:
        clusters: list[_Cluster] = []
        of: dict[int, _Cluster] = {}  # mention index -> cluster
        by_key: dict[str, _Cluster] = {}

        def add(i: int, c: _Cluster | None, *keys: str) -> _Cluster:
            if c is None:
                c = _Cluster()
                clusters.append(c)
            c.mentions.append(ments[i])
            for k in keys:
                if k:
                    c.keys.add(k)
                    by_key.setdefault(k, c)
            of[i] = c
            return c

        # 1. Full person names (two words or more): same first and last word is one person.
        persons: list[tuple[list[str], _Cluster]] = []
        for i, m in enumerate(ments):
            if m["label"] != "PERS":
                continue
            words = normalise(m["text"]).split()
            if len(words) < 2:
                continue
            c = next((pc for pw, pc in persons if pw[0] == words[0] and pw[-1] == words[-1]), None)
            c = add(i, c, "P:" + " ".join(words))
            persons.append((words, c))
        # 2. One-word person names: the nearest full name before (else after) with that word last or first.
        for i, m in enumerate(ments):
            if m["label"] != "PERS" or i in of:
                continue
            w = normalise(m["text"])
            before = [j for j in range(i - 1, -1, -1) if j in of and ments[j]["label"] == "PERS"
                      and w in (normalise(ments[j]["text"]).split()[-1], normalise(ments[j]["text"]).split()[0])]
            after = [j for j in range(i + 1, len(ments)) if j in of and ments[j]["label"] == "PERS"
                     and len(normalise(ments[j]["text"]).split()) > 1 and normalise(ments[j]["text"]).split()[-1] == w]
            pick = before[0] if before else (after[0] if after else None)
            add(i, of[pick] if pick is not None else by_key.get("P:" + w), "P:" + w)
        # 3. Titles just before a name (a chain of them: قائد الجيش الوطني الليبي المشير خليفة حفتر).
        for i in range(len(ments) - 1, -1, -1):
            m = ments[i]
            if m["label"] != "OCC" or i in of or i + 1 >= len(ments):
                continue
            nxt = ments[i + 1]
            gap = text[m["end"]:nxt["start"]]
            if (i + 1) in of and nxt["label"] in ("PERS", "OCC") and len(gap) <= 3 and not gap.strip(" ،,\u200f"):
                if of[i + 1].labels() & {"PERS"}:
                    key = strip_proclitic(normalise(m["text"]))
                    add(i, of[i + 1], "T:" + key if len(key.split()) > 1 else "")
        # 4. Everything else, in text order.
        for i, m in enumerate(ments):
            if i in of:
                continue
            lab = m["label"]
            n = strip_proclitic(normalise(m["text"]))
            if lab in ("GPE", "NORP") or (lab == "ROLE" and self.gaz.lookup(m["text"])):
                place = self.gaz.lookup(m["text"])
                if place is not None:
                    key = ("C:" if place.kind == "country" else "L:") + (
                        place.code if place.kind == "country" else self._place_key(m["text"]))
                    c = add(i, by_key.get(key), key)
                    c.place = (place.code, place.kind)
                    continue
            if lab == "ROLE" and normalise(m["text"]) in _OWN_COUNTRY:
                code = self._country_before(ments, of, i)
                if code:
                    key = "C:" + code
                    c = add(i, by_key.get(key), key)
                    c.place = (code, "country")
                    continue
            if lab == "OCC":
                c = by_key.get("T:" + n)
                add(i, c, "T:" + n if len(n.split()) > 1 else "")
                continue
            key = "N:" + n
            c = by_key.get(key)
            if c is None and lab == "ROLE" and len(n.split()) >= 1:
                # "الوفد" after "الوفد الليبي" (or before it): one delegation
                c = next((cl for cl in reversed(clusters) if any(
                    k.startswith("N:") and (k[2:].split()[0] == n.split()[0]) for k in cl.keys)
                    and cl.labels() <= {"ROLE"}), None)
            add(i, c, key)
        return clusters

    def _place_key(self, mention: str) -> str:
        words = normalise(mention).split()
        for form in [" ".join([f, *words[1:]]) for f in proclitic_forms(words[0])]:
            if form in self.gaz.names:
                return form
        return normalise(mention)

    def _country_before(self, ments: list[dict[str, Any]], of: dict[int, _Cluster], i: int) -> str | None:
        for j in range(i - 1, -1, -1):
            if j in of and ments[j]["label"] in ("PERS", "ORG", "OCC"):
                code = self._country(of[j])
                if code:
                    return code
        return None

    def _merge_by_dictionary(self, clusters: list[_Cluster]) -> list[_Cluster]:
        """Groups the dictionary names alike become one (الجيش الليبي and القيادة العامة: the LNA)."""
        by_entry: dict[str, _Cluster] = {}
        out: list[_Cluster] = []
        for c in clusters:
            hit = self._entry(c)
            if hit is None:
                out.append(c)
                continue
            if hit.id in by_entry:
                by_entry[hit.id].mentions += c.mentions
                by_entry[hit.id].keys |= c.keys
            else:
                by_entry[hit.id] = c
                out.append(c)
        return out

    def _entry(self, c: _Cluster) -> Entry | None:
        if c.place is not None and c.place[1] == "country":
            return None  # a country is its code, whatever the dictionary says of its capital
        found = self.dictionary.match([m["text"] for m in c.mentions])
        return found[0] if found else None

    # ------------------------------------------------------------------ naming

    def _country(self, c: _Cluster) -> str | None:
        if c.place is not None:
            return c.place[0]
        votes = Counter(code for m in c.mentions if m["label"] != "PERS"
                        for code in [self.gaz.country_in(m["text"])] if code)
        return votes.most_common(1)[0][0] if votes else None

    @staticmethod
    def _sector(c: _Cluster) -> str | None:
        votes = Counter(s for m in c.mentions if m["label"] in ("OCC", "ORG", "ROLE") for s in [sector_of(m["text"])] if s)
        return votes.most_common(1)[0][0] if votes else None

    def _actor(self, c: _Cluster) -> Actor:
        entry = self._entry(c)
        if entry is not None:
            return Actor(entry.id, entry.name, entry.country, entry.sector, "dictionary")
        if c.place is not None and c.place[1] == "country":
            code = c.place[0]
            gpe = any(m["label"] in ("GPE", "ROLE") for m in c.mentions)
            return Actor(code, self.gaz.display(code) or code, code, "GOV" if gpe else None, "country")
        if c.place is not None:
            name = strip_proclitic_text(c.mentions[0]["text"])
            for k in c.keys:
                if k.startswith("L:"):
                    name = min((strip_proclitic_text(m["text"]) for m in c.mentions), key=len)
            return Actor(actor_id("L:" + name), name, c.place[0], None, "place")
        pers = [m for m in c.mentions if m["label"] == "PERS"]
        orgs = [m for m in c.mentions if m["label"] == "ORG"]
        pool = pers or orgs or c.mentions
        name = strip_proclitic_text(max(pool, key=lambda m: (len(normalise(m["text"]).split()), -m["start"]))["text"])
        kind = "person" if pers else "organisation" if orgs else "other"
        return Actor(actor_id(name), name, self._country(c), self._sector(c), kind)
