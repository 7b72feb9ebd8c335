"""Normalised Arabic forms for matching names: one spelling of alef, ya, ta marbuta, no marks."""

from __future__ import annotations

import re

from train.corpus.text import strip_diacritics

_PUNCT = re.compile(r"[\"'“”«»()\[\]{}.,:;،؛!؟?\-–—/\\]+")


def normalise(text: str) -> str:
    """``text`` with diacritics and tatweel removed, ``أإآٱ`` → ``ا``, ``ى`` → ``ي``, ``ة`` → ``ه``,
    punctuation dropped and spaces collapsed; Latin letters lower-cased."""
    t = strip_diacritics(text)
    t = re.sub("[أإآٱ]", "ا", t).replace("ى", "ي").replace("ة", "ه").replace("ؤ", "و").replace("ئ", "ي")
    t = _PUNCT.sub(" ", t)
    return " ".join(t.lower().split())


def without_article(word: str) -> str:
    """A normalised word without its article ``ال`` (kept when nothing would be left)."""
    return word[2:] if word.startswith("ال") and len(word) > 4 else word


# Conjunctions and prepositions written onto the next word, longest first. "لل" is ل + ال.
_PROCLITICS = ("وبال", "وال", "فال", "بال", "كال", "ولل", "لل", "وب", "ول", "فب", "فل", "و", "ف", "ب", "ل")


def proclitic_forms(word: str) -> list[str]:
    """``word`` (normalised) and what it may be without a proclitic: والجيش → الجيش, للجيش → الجيش,
    بموسكو → موسكو, وروسيا → روسيا. Callers keep the forms that match something known."""
    out = [word]
    for p in _PROCLITICS:
        if word.startswith(p) and len(word) - len(p) >= 3:
            rest = word[len(p):]
            if p.endswith("ال") or p.endswith("لل"):
                rest = "ال" + rest
            if rest not in out:
                out.append(rest)
    return out


def strip_proclitic(phrase: str) -> str:
    """A normalised phrase without a conjunction or preposition on its first word when the rest
    still reads as a phrase head (it has the article, or is a common head noun): ووزارة الدفاع → وزارة الدفاع."""
    words = phrase.split()
    if not words:
        return phrase
    first = words[0]
    for form in proclitic_forms(first)[1:]:
        if form.startswith("ال") or form in HEAD_NOUNS:
            return " ".join([form, *words[1:]])
    return phrase


# Head nouns of organisation and office phrases, normalised, that a proclitic may sit on.
HEAD_NOUNS = frozenset({
    "وزاره", "وزير", "رئيس", "رييس", "مجلس", "قوات", "قياده", "حكومه", "جيش", "قائد", "قايد", "نائب", "نايب",
    "سفير", "سفاره", "وكاله", "قناه", "حزب", "منظمه", "اتحاد", "جمهوريه", "مجموعه", "شركه", "لجنه", "هيئه",
    "امين", "مدير", "مكتب", "وفد", "مسؤول", "مسوول",
})
