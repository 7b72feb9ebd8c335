"""Arabic country names and nationality adjectives → ISO 3166 alpha-3, from maintained data.

The names come from CLDR's Arabic territory names (through ``babel``) and from the Arabic
translation of ISO 3166-1 that ``pycountry`` ships; the codes from ``pycountry``. The
adjectives (روسي، الليبية، المصريون) are derived from each name by the nisba rule. A small
project file, ``configs/country_aliases.yaml``, adds common short names, broken plurals,
capitals and cities (a city is a place in a country, not the country).
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry
import yaml
from babel import Locale

from train.eventdata.arabic import normalise, proclitic_forms

ALIASES = Path(__file__).resolve().parents[2] / "configs" / "country_aliases.yaml"
# Adjective forms that are common words in their own right ("financial", not "Malian").
_NOT_ADJECTIVES = frozenset({"مالي", "المالي", "ماليه", "الماليه", "عماني", "العماني"})


@dataclass(frozen=True)
class Place:
    code: str  # ISO 3166 alpha-3 (SUN for the Soviet Union: ISO 3166-3)
    kind: str  # "country" (the state, or its people) or "place" (a city or region in it)


def _alpha3(alpha2: str) -> str | None:
    c = pycountry.countries.get(alpha_2=alpha2)
    return c.alpha_3 if c else None


def is_country_code(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-3 code, or a former country's (ISO 3166-3)."""
    return bool(pycountry.countries.get(alpha_3=code) or pycountry.historic_countries.get(alpha_3=code))


def _adjectives(name: str) -> list[str]:
    """Nisba forms of a one-word country name: روسيا → روسي، الروسي، روسيه، الروسيه، روسيون، روسيين."""
    base = name[2:] if name.startswith("ال") else name
    if " " in base or len(base) < 3:
        return []
    if base.endswith("يا"):
        stem = base[:-2]
    elif base.endswith(("ا", "ه")):
        stem = base[:-1]
    else:
        stem = base
    adj = stem if stem.endswith("ي") else stem + "ي"
    if len(adj) < 3:
        return []
    forms = [adj, adj + "ه", adj + "ون", adj + "ين"]
    return [f for form in forms for f in (form, "ال" + form) if f not in _NOT_ADJECTIVES]


class Gazetteer:
    """Normalised names → :class:`Place`; :meth:`display` gives a code's Arabic name."""

    def __init__(self, aliases: Path | None = ALIASES):
        self.names: dict[str, Place] = {}
        self.adjectives: dict[str, str] = {}
        self._display: dict[str, str] = {}
        translate = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"], fallback=True)
        cldr = Locale("ar").territories
        for alpha2, name in cldr.items():
            code = _alpha3(alpha2) if len(alpha2) == 2 and alpha2.isalpha() else None
            if code:
                self._display[code] = name
                self._add_country(name, code)
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(c, attr, None)
                if value:
                    self._add_country(translate.gettext(value), c.alpha_3)
                    self.names.setdefault(normalise(value), Place(c.alpha_3, "country"))  # English forms
        if aliases is not None and aliases.is_file():
            data = yaml.safe_load(aliases.read_text(encoding="utf-8")) or {}
            for code, names in (data.get("countries") or {}).items():
                for n in names:
                    self.names[normalise(n)] = Place(code, "country")
                    self._display.setdefault(code, n)
            for code, names in (data.get("places") or {}).items():
                for n in names:
                    self.names[normalise(n)] = Place(code, "place")
        self._display.setdefault("SUN", "الاتحاد السوفيتي")

    def _add_country(self, name: str, code: str) -> None:
        n = normalise(name)
        self.names.setdefault(n, Place(code, "country"))
        for adj in _adjectives(n):
            self.adjectives.setdefault(adj, code)

    def display(self, code: str | None) -> str | None:
        """The Arabic name of a country code (CLDR's), or ``None``."""
        return self._display.get(code) if code else None

    def lookup(self, mention: str) -> Place | None:
        """The place a whole mention names (a country, its people, or a city): روسيا، بموسكو، الروس، الليبيين."""
        n = normalise(mention)
        words = n.split()
        if not words:
            return None
        heads = proclitic_forms(words[0])
        for head in heads:
            cand = " ".join([head, *words[1:]])
            for form in (cand, cand[2:] if cand.startswith("ال") else None):
                if form and form in self.names:
                    return self.names[form]
                if form and form in self.adjectives:
                    return Place(self.adjectives[form], "country")
        return None

    def country_in(self, phrase: str) -> str | None:
        """The country a longer phrase is of, from the last country name or adjective in it:
        وزارة الدفاع الروسية → RUS, القيادة العامة للجيش الليبي → LBY, لجمهورية إنغوشيا → None."""
        words = normalise(phrase).split()
        found: str | None = None
        for i in range(len(words)):
            for j in (3, 2, 1):
                if i + j > len(words):
                    continue
                span = " ".join(words[i : i + j])
                for form in proclitic_forms(span) if j == 1 else [span]:
                    if form in self.adjectives:
                        found = self.adjectives[form]
                        break
                    place = self.names.get(form)
                    if place is not None:
                        found = place.code
                        break
        return found


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The project's gazetteer, built once (a fraction of a second)."""
    return Gazetteer()
