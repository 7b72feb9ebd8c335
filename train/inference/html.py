"""One self-contained right-to-left HTML page of predictions, for analysts who would rather look.

Each sentence is a row: its text with entities highlighted by type, as ``<mark>`` elements that
carry ``data-start``, ``data-end`` (offsets into the document) and ``data-label``, and beside it
the sentence's event types with their scores and triggers. Everything is escaped; the page
needs no script, font or style sheet from elsewhere.
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from train.corpus.schema import load_schema

_CSS = """
body{font-family:"Noto Naskh Arabic","Amiri","Segoe UI",Tahoma,sans-serif;margin:2em auto;max-width:72em;
line-height:1.9;color:#222;background:#fdfdfc}
h1{font-size:1.4em} h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.doc{margin-bottom:3em} .meta{color:#666;font-size:.85em;direction:ltr;text-align:left}
.sent{display:flex;gap:1.5em;border-bottom:1px dotted #e4e4e4;padding:.35em 0}
.text{flex:1;white-space:pre-wrap;margin:0}
.events{flex:0 0 16em;font-size:.85em;color:#333;margin:0}
.events span{display:inline-block;background:#eef;border:1px solid #99c;border-radius:3px;padding:0 .35em;
margin:.1em;direction:ltr;unicode-bidi:isolate}
bdi{unicode-bidi:isolate}
.events .trig{background:#fff4e0;border-color:#d9a441}
mark{border-radius:3px;padding:0 .15em}
mark::after{content:attr(data-label);font-size:.6em;vertical-align:super;margin-inline-start:.2em;color:#444;
font-family:sans-serif;direction:ltr;unicode-bidi:isolate}
.legend mark{margin:0 .3em}
"""


def label_colour(label: str) -> str:
    """A stable pale colour for a label, so the same type looks the same on every page."""
    h = int(hashlib.md5(label.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hls_to_rgb(h, 0.85, 0.75)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def page_header(title: str = "Entities and events", models: Mapping[str, str] | None = None) -> str:
    try:
        labels = load_schema().entities
    except Exception:  # a page without a legend is still a page
        labels = {}
    css = _CSS + "".join(f'mark[data-label="{escape(k)}"]{{background:{label_colour(k)}}}\n' for k in labels)
    legend = "".join(f'<mark data-label="{escape(k)}" title="{escape(v)}"></mark>' for k, v in labels.items())
    used = "".join(f"<li>{_iso(k)}: {_iso(v)}</li>" for k, v in (models or {}).items())
    return (
        '<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        f"<h1>{_iso(title)}</h1>\n"
        + (f'<ul class="meta">{used}</ul>\n' if used else "")
        + (f'<p class="legend">{legend}</p>\n' if legend else "")
    )


def page_footer() -> str:
    return "</body>\n</html>\n"


def _iso(value: Any) -> str:
    """``value`` escaped inside ``<bdi>``: an id such as ``000_30f1`` or a Latin label keeps its own
    direction on the right-to-left page instead of being reordered (``30f1_000``)."""
    return f"<bdi>{escape(str(value))}</bdi>"


def _marked(text: str, start: int, end: int, entities: list[Mapping[str, Any]]) -> str:
    """``text[start:end]`` escaped, with each entity inside it wrapped in a ``<mark>``."""
    out: list[str] = []
    pos = start
    for e in entities:
        a, b = e["start"], e["end"]
        if a < pos or b > end:  # overlapping or outside: shown unmarked rather than mangled
            continue
        out.append(escape(text[pos:a]))
        score = f' title="{escape(str(e["label"]))} {float(e.get("score", 1.0)):.2f}"' if "score" in e else ""
        out.append(f'<mark data-start="{a}" data-end="{b}" data-label="{escape(str(e["label"]))}"{score}>'
                   f"{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]))
    return "".join(out)


def render_document(rec: Mapping[str, Any]) -> str:
    """One document: a heading and one row per sentence."""
    text = rec["text"]
    ents = sorted(rec.get("entities", []), key=lambda e: (e["start"], e["end"]))
    rows: list[str] = []
    sentences = rec.get("sentences") or [{"start": 0, "end": len(text)}]
    for s in sentences:
        a, b = s["start"], s["end"]
        inside = [e for e in ents if a <= e["start"] and e["end"] <= b]
        tags = "".join(f'<span class="type" data-label="{escape(t["label"])}">{_iso(t["label"])} '
                       f'{float(t["score"]):.2f}</span>' for t in s.get("event_types", []))
        tags += "".join(f'<span class="trig" data-start="{t["start"]}" data-end="{t["end"]}" '
                        f'data-label="{escape(t["label"])}">{_iso(t["label"])}: {_iso(t["text"])}</span>'
                        for t in s.get("triggers", []))
        rows.append(f'<div class="sent" data-start="{a}" data-end="{b}"><p class="text">{_marked(text, a, b, inside)}'
                    f'</p><p class="events">{tags}</p></div>')
    return (f'<section class="doc" data-id="{escape(str(rec["id"]))}">\n<h2>{_iso(rec["id"])}</h2>\n'
            + "\n".join(rows) + "\n</section>\n")


def render_page(records: Iterable[Mapping[str, Any]], title: str = "Entities and events",
                models: Mapping[str, str] | None = None) -> str:
    return page_header(title, models) + "".join(render_document(r) for r in records) + page_footer()
