"""Clustering scores: B³ (Bagga and Baldwin 1998) over mentions, for actor grouping."""

from __future__ import annotations

from collections.abc import Hashable, Mapping


def b_cubed(gold: Mapping[Hashable, Hashable], system: Mapping[Hashable, Hashable]) -> dict[str, float]:
    """B³ precision, recall and F1 of ``system`` against ``gold`` (mention → cluster id each).

    Scored over the gold mentions; a gold mention the system did not cluster is a singleton of
    its own, so missing a mention costs recall.
    """
    if not gold:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "mentions": 0}
    sys_of = {m: system.get(m, ("__missing__", m)) for m in gold}
    g_members: dict[Hashable, set[Hashable]] = {}
    s_members: dict[Hashable, set[Hashable]] = {}
    for m in gold:
        g_members.setdefault(gold[m], set()).add(m)
        s_members.setdefault(sys_of[m], set()).add(m)
    p = r = 0.0
    for m in gold:
        g, s = g_members[gold[m]], s_members[sys_of[m]]
        both = len(g & s)
        p += both / len(s)
        r += both / len(g)
    p, r = p / len(gold), r / len(gold)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "mentions": len(gold)}
