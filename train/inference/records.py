"""Event records: the entities of a sentence grouped by role, and one event per predicted type.

Kept apart from the models: records are built from plain span dicts, so they can be tested
and reused without loading anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from train.corpus.text import strip_diacritics

# Entity labels by event role. A GPE is an actor ("Russia signed") unless the words before it
# make it a place ("in Moscow"), or a preposition proclitic inside its own first word does
# ("بموسكو"): see :func:`gpe_is_place`. LOC and FAC are always places.
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


# Preposition proclitics, longest first: ب ("in", "at") and ل ("to", "for"), alone or after the
# conjunctions و and ف. ك ("like") is not locative and is left out. "لل" is ل + the article ال
# with its alef dropped (للعراق = ل + العراق).
LOCATIVE_PROCLITICS = ("وب", "فب", "ول", "فل", "ب", "ل")
# Place names in their bare form (normalised: no diacritics, ا for أ إ آ, ي for ى, ه for ة). They
# tell a proclitic form from a name that merely starts with the same letters: بموسكو is ب + موسكو,
# but ليبيا, بنغازي, لبنان and بريطانيا are names in their own right.
KNOWN_PLACES = frozenset({
    # Libya and its cities and regions
    "ليبيا", "طرابلس", "بنغازي", "طبرق", "سرت", "مصراته", "سبها", "درنه", "البيضاء", "الزاويه", "زليتن",
    "اجدابيا", "الجفره", "بني وليد", "غريان", "الكفره", "غات", "اوباري", "الخمس", "ترهونه", "صبراته",
    "المرج", "البريقه", "راس لانوف", "الهلال النفطي", "فزان", "برقه",
    # Russia and the former Soviet Union
    "روسيا", "موسكو", "سانت بطرسبرغ", "بطرسبرغ", "سوتشي", "كازان", "قازان", "اوكرانيا", "كييف", "بيلاروسيا",
    "مينسك", "القرم", "سوريا", "سوريه", "دمشق", "حميميم", "طرطوس", "كازاخستان", "جورجيا",
    # neighbours and the region
    "مصر", "القاهره", "تونس", "الجزائر", "المغرب", "الرباط", "السودان", "الخرطوم", "تشاد", "انجامينا", "النيجر",
    "نيامي", "مالي", "باماكو", "بوركينا فاسو", "موريتانيا", "نواكشوط", "تركيا", "انقره", "اسطنبول", "العراق",
    "بغداد", "ايران", "طهران", "لبنان", "بيروت", "الاردن", "عمان", "السعوديه", "الرياض", "الامارات", "ابوظبي",
    "ابو ظبي", "دبي", "قطر", "الدوحه", "الكويت", "اليمن", "صنعاء", "عدن", "البحرين", "فلسطين", "غزه", "اسرائيل",
    "القدس", "افريقيا", "اوروبا",
    # others often in the news
    "الولايات المتحده", "امريكا", "واشنطن", "نيويورك", "الصين", "بكين", "الهند", "نيودلهي", "باكستان",
    "افغانستان", "كابول", "فرنسا", "باريس", "بريطانيا", "لندن", "المانيا", "برلين", "ايطاليا", "روما",
    "اسبانيا", "مدريد", "اليونان", "اثينا", "مالطا", "قبرص", "بلجيكا", "بروكسل", "هولندا", "لاهاي", "بولندا",
    "وارسو", "سويسرا", "جنيف", "النمسا", "فيينا", "اليابان", "طوكيو", "كوريا", "بيونغ يانغ", "سيول", "كندا",
    "البرازيل", "فنزويلا", "كوبا", "بلغاريا", "باليرمو", "بنغلاديش", "بورتسودان",
})


def _normalise(word: str) -> str:
    w = strip_diacritics(word)
    return re.sub("[أإآ]", "ا", w).replace("ى", "ي").replace("ة", "ه")


def bare_place(word: str, known: Iterable[str] = ()) -> str | None:
    """The place name inside ``word`` when it starts with a preposition proclitic, else ``None``.

    ``word`` is an entity's own text (one word or several: ببني وليد). A proclitic is only read off when what follows it is a
    place form: a name of :data:`KNOWN_PLACES`, one of ``known`` (the text of the sentence's
    other place-type entities, so بكرزنو counts when كرزنو is also tagged), or a word with the
    article (بالعاصمة, للعراق). A text that is itself a known name (ليبيا, بنغازي, لبنان,
    بريطانيا, بيروت) is never split, and an unknown name keeps its first letters.
    """
    w = " ".join(_normalise(word).split())
    if w in KNOWN_PLACES:
        return None
    names = KNOWN_PLACES | {" ".join(_normalise(k).split()) for k in known}
    for p in LOCATIVE_PROCLITICS:
        if not w.startswith(p) or len(w) <= len(p) + 1:
            continue
        rest = w[len(p):]
        if rest in names:
            return rest
        if p.endswith("ل") and rest.startswith("ل"):
            rest = "ا" + rest  # ل + ال: للعراق
        if rest in names or (rest.startswith("ال") and len(rest) > 3):
            return rest
    return None


def gpe_is_place(text: str, start: int, end: int | None = None, known: Iterable[str] = ()) -> bool:
    """Whether the GPE at ``[start, end)`` names a place rather than an actor.

    It does after a locative word ("في", "إلى", ...) and, when ``end`` is given, when its text
    starts with a preposition proclitic (بموسكو, لليبيا, وبطرابلس: see :func:`bare_place`).
    """
    before = text[max(0, start - 30) : start].split()
    if before and before[-1] in LOCATIVE_WORDS:
        return True
    if end is None:
        return False
    return bare_place(text[start:end], known) is not None


def group_by_role(text: str, entities: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Entities of one sentence as event arguments: actors, places, dates and others."""
    roles: dict[str, list[dict[str, Any]]] = {"actors": [], "places": [], "dates": [], "others": []}
    entities = list(entities)
    places = [text[e["start"] : e["end"]] for e in entities if e["label"] in PLACE_LABELS]
    for e in entities:
        item = {k: e[k] for k in ("start", "end", "label", "text")}
        lab = e["label"]
        if lab == "GPE":
            roles["places" if gpe_is_place(text, e["start"], e["end"], places) else "actors"].append(item)
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
