"""Dates: a document's publication date, and each event's date with its precision.

The publication date comes from the record's metadata (``date``, ``published``, …), else from a
date the first lines state (a dateline: "الإثنين 05 سبتمبر 2016", "تاريخ النشر: 26th, September
2023"), else from a date written into the document's id or file name (``…-20170415``).

An event's date is read from the DATE entities of its sentence, then from the weekday and
relative expressions of its sentence (اليوم، أمس، الثلاثاء، الأسبوع الماضي), then from those of
the previous sentence, resolved against the publication date with ``dateparser``. A weekday
alone names the latest such day on or before the publication date (news reports the past; "the
Tuesday" in an article of Tuesday 26 September 2023 is that day), "المقبل" the next one. Each
date carries its precision (day, month or year); it is ``None`` when nothing gives it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dateparser

from train.eventdata.arabic import normalise

PRECISIONS = ("day", "month", "year")
META_KEYS = ("date", "published", "publication_date", "pubdate", "date_published", "datetime", "published_at")

_WEEKDAYS = {normalise(w): i for w, i in (
    ("الاثنين", 0), ("الإثنين", 0), ("الثلاثاء", 1), ("الأربعاء", 2), ("الخميس", 3), ("الجمعة", 4),
    ("السبت", 5), ("الأحد", 6))}
_RELATIVE_DAYS = {normalise(w): d for w, d in (
    ("اليوم", 0), ("الليلة", 0), ("أمس", -1), ("الأمس", -1), ("البارحة", -1), ("أول أمس", -2), ("أول من أمس", -2),
    ("غدا", 1), ("غداً", 1), ("بعد غد", 2))}
_PAST = {normalise(w) for w in ("الماضي", "الماضية", "المنصرم", "المنصرمة", "الفائت", "السابق")}
_NEXT = {normalise(w) for w in ("المقبل", "المقبلة", "القادم", "القادمة")}
# Levantine and Iraqi month names, which dateparser's Arabic data lacks.
_MONTHS = {normalise(a): b for a, b in (
    ("كانون الثاني", "يناير"), ("شباط", "فبراير"), ("آذار", "مارس"), ("نيسان", "أبريل"), ("أيار", "مايو"),
    ("حزيران", "يونيو"), ("تموز", "يوليو"), ("آب", "أغسطس"), ("أيلول", "سبتمبر"), ("تشرين الأول", "أكتوبر"),
    ("تشرين الثاني", "نوفمبر"), ("كانون الأول", "ديسمبر"))}
_MONTH_WORDS = {normalise(m) for m in ("يناير", "فبراير", "مارس", "أبريل", "ابريل", "مايو", "يونيو", "يونيه", "يوليو",
                                        "يوليه", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر", "جانفي", "فيفري",
                                        "أفريل", "ماي", "جوان", "جويلية", "أوت")} | {normalise(m) for m in _MONTHS.values()} | {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december"}
_NUMERIC = re.compile(r"\b(?:((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})|(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d{2}))\b")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_ID_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_]?(0[1-9]|1[0-2])[-_]?(0[1-9]|[12]\d|3[01])(?!\d)")
_DURATION = {normalise(w) for w in ("منذ", "خلال", "طوال", "لمدة", "مدة")}
_PARSER_SETTINGS = {"PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": False, "PREFER_DAY_OF_MONTH": "first"}


@dataclass(frozen=True)
class EventDate:
    date: dt.date
    precision: str  # day, month or year
    text: str       # the expression it was read from

    def iso(self) -> str:
        return self.date.isoformat()


def _clean(expr: str) -> str:
    t = normalise(expr).translate(_DIGITS)
    for a, b in _MONTHS.items():
        t = re.sub(rf"(^| ){a}( |$)", rf"\1{normalise(b)}\2", t)
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t)
    t = re.sub(r"^(يوم|شهر|عام|سنه|في|منذ) ", "", t)
    words: list[str] = []
    for w in t.split():
        if w not in words or w.isdigit():
            words.append(w)  # "أكتوبر (تشرين الأول)" → one month
    return " ".join(words)


def resolve(expr: str, pub: dt.date | None) -> EventDate | None:
    """The date an expression names, against the publication date ``pub``; ``None`` when it names none.

    Weekdays and اليوم/أمس/غدا are resolved here; calendar dates and the rest by ``dateparser``.
    An expression that needs a publication date gets ``None`` without one; a duration ("منذ 8
    سنوات") is not a date.
    """
    num = _NUMERIC.search(expr.translate(_DIGITS))
    if num:
        y, m, d = (num.group(1), num.group(2), num.group(3)) if num.group(1) else (num.group(6), num.group(5), num.group(4))
        try:
            return EventDate(dt.date(int(y), int(m), int(d)), "day", expr)
        except ValueError:
            return None
    t = _clean(expr)
    words = t.split()
    if not words or words[0] in _DURATION or normalise(expr).split()[:1] and normalise(expr).split()[0] in _DURATION:
        return None
    has_year = bool(re.search(r"\b(19|20)\d{2}\b", t))
    has_month = any(w in _MONTH_WORDS or (w.startswith(("ب", "ل", "و")) and w[1:] in _MONTH_WORDS) for w in words)
    has_daynum = bool(re.search(r"\b(0?[1-9]|[12]\d|3[01])\b", re.sub(r"\b(19|20)\d{2}\b", " ", t)))
    # weekdays and relative days (with or without اليوم before them: اليوم الأربعاء)
    for phrase, delta in sorted(_RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"(^| ){phrase}( |$)", t) and not has_month and pub is not None:
            weekday = next((_WEEKDAYS[w] for w in words if w in _WEEKDAYS), None)
            if weekday is not None and delta == 0:
                break  # اليوم الأربعاء: the weekday decides below
            return EventDate(pub + dt.timedelta(days=delta), "day", expr)
    weekday = next((_WEEKDAYS.get(w, _WEEKDAYS.get("ال" + w)) for w in words
                    if w in _WEEKDAYS or ("ال" + w) in _WEEKDAYS), None)  # الخميس, or خميس without the article
    if weekday is not None and not has_month and not has_year:
        if pub is None:
            return None
        if any(w in _NEXT for w in words):
            ahead = (weekday - pub.weekday()) % 7 or 7
            return EventDate(pub + dt.timedelta(days=ahead), "day", expr)
        back = (pub.weekday() - weekday) % 7
        if back == 0 and any(w in _PAST for w in words):
            back = 7
        return EventDate(pub - dt.timedelta(days=back), "day", expr)
    if not (has_year or has_month or any(w in _PAST or w in _NEXT for w in words)):
        return None  # "هذا العام" and the like are resolved below only with a reference
    base = dt.datetime.combine(pub, dt.time()) if pub else None
    if base is None and not has_year:
        return None
    settings = dict(_PARSER_SETTINGS)
    if base is not None:
        settings["RELATIVE_BASE"] = base
    # "الإثنين 05 سبتمبر 2016": the date decides; "يونيو الماضي": the month, this side of the publication date
    ahead = any(w in _NEXT for w in words)
    text = " ".join(w for w in words if w not in _WEEKDAYS and not (has_month and (w in _PAST or w in _NEXT)))
    data = dateparser.date.DateDataParser(languages=["ar", "en"], settings=settings).get_date_data(text)
    if data.date_obj is None:
        return None
    d = data.date_obj.date()
    if has_month and not has_daynum:
        precision = "month"
        if pub is not None and not has_year and d > pub and not ahead:
            d = d.replace(year=d.year - 1)  # "يونيو" alone in September: this year's June
        elif pub is not None and not has_year and ahead and d < pub:
            d = d.replace(year=d.year + 1)
    elif has_year and not has_month:
        precision = "year"
    elif has_daynum and has_month:
        precision = "day"
    else:
        precision = data.period if data.period in PRECISIONS else "day"
    if precision == "month":
        d = d.replace(day=1)
    elif precision == "year":
        d = d.replace(month=1, day=1)
    return EventDate(d, precision, expr)


# Relative and weekday expressions found in running text (for sentences without a DATE entity).
_EXPR = re.compile(
    r"(?:(?:يوم|اليوم|مساء|صباح|ليلة)\s+)?(?:"
    r"أول\s+(?:من\s+)?أمس|الأمس|أمس|البارحة|"
    r"(?:الإثنين|الاثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|الأحد|الاحد)"
    r"(?:\s+(?:الماضي|المقبل|القادم|المنصرم|الفائت))?)")


def expressions(text: str) -> list[str]:
    """Weekday and relative-day expressions in ``text``, in order."""
    return [m.group(0) for m in _EXPR.finditer(text)]


def join_adjacent(text: str, dates: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """DATE spans that only spaces, brackets or commas separate, as one: فبراير (شباط) 2022."""
    out: list[dict[str, Any]] = []
    for e in sorted(dates, key=lambda e: e["start"]):
        if out and re.fullmatch(r"[\s()\[\]،,\-–/]*", text[out[-1]["end"]:e["start"]]):
            out[-1]["end"] = max(out[-1]["end"], int(e["end"]))
        else:
            out.append({"start": int(e["start"]), "end": int(e["end"])})
    return out


def event_date(text: str, sentences: list[tuple[int, int]], k: int, dates: Iterable[Mapping[str, Any]],
               pub: dt.date | None) -> EventDate | None:
    """The date of an event in sentence ``k``: its DATE entities, then its weekday and relative
    expressions, then the previous sentence's; the first that resolves wins."""
    dates = join_adjacent(text, dates)
    for j in (k, k - 1):
        if j < 0:
            continue
        a, b = sentences[j]
        for e in dates:
            if a <= e["start"] and e["end"] <= b:
                found = resolve(text[e["start"]:e["end"]], pub)
                if found is not None:
                    return found
        for expr in expressions(text[a:b]):
            found = resolve(expr, pub)
            if found is not None:
                return found
    return None


def _parse_any(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and 0 < value < 1e11:
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).date()
    if isinstance(value, str) and value.strip():
        s = value.strip()
        try:
            return dt.date.fromisoformat(s[:10])
        except ValueError:
            pass
        got = dateparser.parse(_clean(s), languages=["ar", "en"], settings={"PREFER_DAY_OF_MONTH": "first"})
        return got.date() if got else None
    return None


_DATELINE = re.compile(
    r"(?:\b(?:19|20)\d{2}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b|"
    r"\b\d{1,2}(?:st|nd|rd|th)?,?\s+\S+,?\s+(?:19|20)\d{2}\b)")


def publication_date(record: Mapping[str, Any], head_chars: int = 400) -> tuple[dt.date | None, str | None]:
    """The publication date and where it came from: ``meta``, ``text`` or ``id``; ``(None, None)``."""
    meta = record.get("meta") or {}
    if isinstance(meta, Mapping):
        for key in META_KEYS:
            if key in meta:
                d = _parse_any(meta[key])
                if d is not None:
                    return d, "meta"
    head = str(record.get("text") or "")[:head_chars].translate(_DIGITS)
    for m in _DATELINE.finditer(head):
        d = resolve(m.group(0), None)
        if d is not None and d.precision == "day":
            return d.date, "text"
    for ident in (str(record.get("id") or ""), str(meta.get("source") or "") if isinstance(meta, Mapping) else ""):
        m = _ID_DATE.search(ident)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "id"
            except ValueError:
                pass
    return None, None
