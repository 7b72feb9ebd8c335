"""The report: one self-contained HTML page (plotly's JavaScript inlined), that works offline.

Charts: events per week by type, the top source → target pairs, the actor network, the most
frequent entities; then a table of events, each linked to its sentence. Everything is counted
as the events stream past, in bounded counters: the pairs and entities keep their most frequent
``capacity`` keys (space-saving counting), the table the ``table_rows`` events with the most
reports, so the page's size does not grow with the corpus.
"""

from __future__ import annotations

import heapq
import html
import json
import math
from collections import Counter
from collections.abc import Hashable, Mapping
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from train.eventdata.table import week_of


class TopCounter:
    """Counts keys, keeping at most ``capacity`` of them (the least frequent go when it is full)."""

    def __init__(self, capacity: int = 5000):
        self.capacity = capacity
        self.counts: Counter[Hashable] = Counter()

    def add(self, key: Hashable, n: int = 1) -> None:
        self.counts[key] += n
        if len(self.counts) > 2 * self.capacity:
            self.counts = Counter(dict(self.counts.most_common(self.capacity)))

    def most_common(self, n: int) -> list[tuple[Hashable, int]]:
        return self.counts.most_common(n)


class ReportBuilder:
    """Feed it documents (:meth:`add_record`) and merged events (:meth:`add_event`); :meth:`html` writes the page."""

    def __init__(self, table_rows: int = 500, capacity: int = 5000):
        self.weeks: Counter[tuple[str, str]] = Counter()
        self.pairs = TopCounter(capacity)
        self.entities = TopCounter(capacity)
        self.table_rows = table_rows
        self._table: list[tuple[tuple[int, str], int, dict[str, Any]]] = []
        self.n_events = self.n_reports = self.n_documents = self.undated = 0

    def add_record(self, record: Mapping[str, Any]) -> None:
        self.n_documents += 1
        text = record.get("text") or ""
        for e in record.get("entities") or []:
            if e.get("label") in ("PERS", "ORG", "GPE", "NORP", "LOC", "FAC"):
                self.entities.add((e["label"], " ".join(text[e["start"]:e["end"]].split())))

    def add_event(self, ev: Mapping[str, Any]) -> None:
        self.n_events += 1
        self.n_reports += int(ev.get("n_reports") or 1)
        week = week_of(ev.get("event_date") or ev.get("publication_date"))
        if week is None:
            self.undated += 1
        else:
            self.weeks[(week, ev.get("type") or "?")] += 1
        if ev.get("source_name") and ev.get("target_name"):
            self.pairs.add((ev["source_name"], ev["target_name"]))
        item = (int(ev.get("n_reports") or 1), str(ev.get("event_date") or ""))
        entry = (item, self.n_events, dict(ev))
        if len(self._table) < self.table_rows:
            heapq.heappush(self._table, entry)
        elif entry[0] > self._table[0][0]:
            heapq.heapreplace(self._table, entry)

    # ------------------------------------------------------------------ figures

    def _weekly(self) -> go.Figure:
        weeks = sorted({w for w, _ in self.weeks})
        types = sorted({t for _, t in self.weeks})
        fig = go.Figure([go.Bar(name=t, x=weeks, y=[self.weeks.get((w, t), 0) for w in weeks]) for t in types])
        fig.update_layout(barmode="stack", title="Events per week, by type (event date, else publication date)",
                          xaxis_title="week (Monday)", yaxis_title="events", height=420)
        return fig

    def _pairs(self, n: int = 20) -> go.Figure:
        top = self.pairs.most_common(n)[::-1]
        fig = go.Figure(go.Bar(x=[c for _, c in top], y=[f"{s} → {t}" for (s, t), _ in top], orientation="h"))
        fig.update_layout(title=f"Top {n} source → target pairs", xaxis_title="events", height=max(300, 26 * len(top) + 120))
        return fig

    def _network(self, n: int = 40) -> go.Figure:
        edges = self.pairs.most_common(n)
        nodes = sorted({a for (s, t), _ in edges for a in (s, t)})
        pos = {a: (math.cos(2 * math.pi * i / max(1, len(nodes))), math.sin(2 * math.pi * i / max(1, len(nodes))))
               for i, a in enumerate(nodes)}
        top = max([c for _, c in edges] or [1])
        traces: list[Any] = []
        for (s, t), c in edges:
            (x0, y0), (x1, y1) = pos[s], pos[t]
            traces.append(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="text", text=f"{s} → {t}: {c}",
                                     line={"width": 1 + 6 * c / top, "color": "rgba(80,80,160,0.5)"}, showlegend=False))
        degree = Counter(a for (s, t), c in edges for a in (s, t) for _ in range(c))
        traces.append(go.Scatter(x=[pos[a][0] for a in nodes], y=[pos[a][1] for a in nodes], mode="markers+text",
                                 text=nodes, textposition="top center", hovertext=[f"{a}: {degree[a]}" for a in nodes],
                                 hoverinfo="text", marker={"size": [8 + 3 * math.sqrt(degree[a]) for a in nodes]},
                                 showlegend=False))
        fig = go.Figure(traces)
        fig.update_layout(title="Actor network (source → target, the most frequent pairs)", height=620,
                          xaxis={"visible": False}, yaxis={"visible": False})
        return fig

    def _entities(self, n: int = 25) -> go.Figure:
        top = self.entities.most_common(n)[::-1]
        fig = go.Figure(go.Bar(x=[c for _, c in top], y=[f"{t} ({lab})" for (lab, t), _ in top], orientation="h"))
        fig.update_layout(title=f"The {n} most frequent entities", xaxis_title="mentions",
                          height=max(300, 24 * len(top) + 120))
        return fig

    # ------------------------------------------------------------------ page

    def html(self) -> str:
        figs = [self._weekly(), self._pairs(), self._network(), self._entities()]
        charts = "\n".join(f'<section class="chart">{f.to_html(full_html=False, include_plotlyjs=False)}</section>'
                           for f in figs)
        rows = [e for _, _, e in sorted(self._table, key=lambda x: (-x[0][0], x[0][1], x[1]))]
        esc = html.escape
        body, sents = [], []
        for i, ev in enumerate(rows):
            anchor = f"s{i}"
            body.append(
                "<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in (
                    ev.get("event_date") or "", ev.get("date_precision") or "", ev.get("type") or "",
                    ev.get("source_name") or "", ev.get("target_name") or "", ev.get("location") or "",
                    ev.get("n_reports") or 1))
                + f'<td><a href="#{anchor}">{esc(str(ev.get("document_id")))} #{ev.get("sentence_index")}</a></td></tr>')
            sentence = esc(ev.get("sentence") or "")
            trig = ev.get("trigger")
            if trig:
                sentence = sentence.replace(esc(trig), f"<mark>{esc(trig)}</mark>", 1)
            reports = ", ".join(esc(f"{r.get('document_id')} #{r.get('sentence_index')}") for r in ev.get("reports") or [])
            sents.append(f'<li id="{anchor}"><b>{esc(ev.get("type") or "")}</b> · {esc(str(ev.get("event_id")))} · '
                         f'reports: {reports}<p dir="rtl" lang="ar">{sentence}</p></li>')
        shown = f"{len(rows):,} of {self.n_events:,} events (those with the most reports)"
        summary = (f"{self.n_documents:,} document(s), {self.n_reports:,} event report(s) → {self.n_events:,} event(s); "
                   f"{self.undated:,} without any date")
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Event report</title>
<script type="text/javascript">{get_plotlyjs()}</script>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 6px}}
td{{unicode-bidi:plaintext}}mark{{background:#fd6}}li p{{margin:.2em 0 .8em}}</style></head>
<body><h1>Event report</h1><p>{esc(summary)}</p>
{charts}
<h2>Events</h2><p>{esc(shown)}; each links to its sentence.</p>
<table><thead><tr><th>date</th><th>precision</th><th>type</th><th>source</th><th>target</th><th>location</th><th>reports</th><th>sentence</th></tr></thead>
<tbody>{"".join(body)}</tbody></table>
<h2>Sentences</h2><ol>{"".join(sents)}</ol>
<script type="application/json" id="summary">{json.dumps({"documents": self.n_documents, "events": self.n_events, "reports": self.n_reports})}</script>
</body></html>
"""
