"""The user's actor dictionary (``configs/actors.yaml``): canonical names, aliases and codes.

A bad entry is one line naming the file, the entry's number and the field, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from train.eventdata.arabic import normalise, strip_proclitic
from train.eventdata.countries import is_country_code

DEFAULT = Path(__file__).resolve().parents[2] / "configs" / "actors.yaml"
# Sector codes, after the CAMEO/PLOVER actor codes POLECAT uses.
SECTORS = ("GOV", "MIL", "REB", "PTY", "LEG", "JUD", "IGO", "MED", "BUS", "CVL")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class DictionaryError(ValueError):
    """A dictionary that cannot be used: the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    aliases: tuple[str, ...]
    country: str | None
    sector: str | None


def alias_key(text: str) -> str:
    """The form an alias and a mention are compared in: normalised, without a leading proclitic."""
    return strip_proclitic(normalise(text))


class ActorDictionary:
    """Entries by id, and an index from each alias's key to its entry."""

    def __init__(self, entries: list[Entry] | None = None):
        self.entries: dict[str, Entry] = {}
        self.index: dict[str, Entry] = {}
        for e in entries or []:
            self.entries[e.id] = e
            for a in (e.name, *e.aliases):
                self.index.setdefault(alias_key(a), e)

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, texts: list[str]) -> tuple[Entry, int] | None:
        """The entry whose alias matches one of ``texts`` with the most words, and that length."""
        best: tuple[Entry, int] | None = None
        for t in texts:
            k = alias_key(t)
            e = self.index.get(k)
            if e is not None and (best is None or len(k.split()) > best[1]):
                best = (e, len(k.split()))
        return best

    @classmethod
    def load(cls, path: str | Path) -> ActorDictionary:
        """Read and check a dictionary file; every problem is a :class:`DictionaryError` naming where."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise DictionaryError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if data is None:
            return cls()
        items = data.get("actors") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise DictionaryError(f"{path}: expected a top-level 'actors:' list")
        entries: list[Entry] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items, 1):
            where = f"{path}: actor {i}"
            if not isinstance(item, dict):
                raise DictionaryError(f"{where}: expected a mapping with id, name, aliases, country, sector")
            unknown = sorted(set(item) - {"id", "name", "aliases", "country", "sector"})
            if unknown:
                raise DictionaryError(f"{where}: unknown field {unknown[0]!r} (fields: id, name, aliases, country, sector)")
            name = item.get("name")
            if not isinstance(name, str) or not name.strip():
                raise DictionaryError(f"{where}: 'name' must be a non-empty string")
            aid = str(item.get("id") or "")
            if not aid:
                raise DictionaryError(f"{where} ({name}): 'id' is missing")
            if not _ID.match(aid):
                raise DictionaryError(f"{where} ({name}): 'id' {aid!r} must be letters, digits and _.:- only")
            if aid in seen:
                raise DictionaryError(f"{where} ({name}): id {aid!r} is already actor {seen[aid]}'s")
            seen[aid] = i
            aliases = item.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
                raise DictionaryError(f"{where} ({name}): 'aliases' must be a list of non-empty strings")
            country = item.get("country")
            if country is not None and (not isinstance(country, str) or not is_country_code(country)):
                raise DictionaryError(f"{where} ({name}): 'country' {country!r} is not an ISO 3166 alpha-3 code (e.g. LBY, RUS)")
            sector = item.get("sector")
            if sector is not None and sector not in SECTORS:
                raise DictionaryError(f"{where} ({name}): 'sector' {sector!r} is not one of {', '.join(SECTORS)}")
            entries.append(Entry(aid, name.strip(), tuple(a.strip() for a in aliases), country, sector))
        return cls(entries)
