"""Event triggers carry source and target arguments: parsed, validated (file, line, field), kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.corpus.document import Arg, CorpusError, Document, Span, read_jsonl, write_jsonl
from train.corpus.schema import load_schema
from train.formats import dropped_roles, get_format

TEXT = "هاجمت القوات الروسية مواقع المسلحين في إدلب. وقال المتحدث إن روسيا زارت ليبيا."
W = {w: (TEXT.index(w), TEXT.index(w) + len(w)) for w in ("هاجمت", "القوات الروسية", "المسلحين", "المتحدث", "روسيا", "زارت", "ليبيا")}


def _ev(word, label, **roles):
    a, b = W[word]
    d = {"start": a, "end": b, "label": label}
    for role, w in roles.items():
        x, y = W[w] if isinstance(w, str) else w
        d[role] = {"start": x, "end": y}
    return d


def _write(tmp_path: Path, *events: dict) -> Path:
    p = tmp_path / "c.jsonl"
    rec = {"id": "d1", "text": TEXT, "meta": {}, "entities": [], "events": list(events), "sentences": []}
    p.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


def _errors(path: Path) -> str:
    with pytest.raises(CorpusError) as info:
        read_jsonl(path)
    return str(info.value)


def test_roles_load_and_round_trip(tmp_path):
    p = _write(tmp_path, _ev("هاجمت", "ASSAULT", source="القوات الروسية", target="المسلحين"),
               _ev("زارت", "CONSULT", source="روسيا", target="ليبيا"))
    (doc,), problems = read_jsonl(p)
    assert problems == []
    att = doc.events[0]
    assert TEXT[att.arg("source").start:att.arg("source").end] == "القوات الروسية"
    assert TEXT[att.arg("target").start:att.arg("target").end] == "المسلحين"
    out = tmp_path / "out.jsonl"
    write_jsonl(out, [doc])
    again = json.loads(out.read_text(encoding="utf-8"))
    assert again["events"][0]["source"] == {"start": W["القوات الروسية"][0], "end": W["القوات الروسية"][1]}
    assert again["events"][1]["target"] == {"start": W["ليبيا"][0], "end": W["ليبيا"][1]}
    (doc2,), _ = read_jsonl(out)
    assert [s.args for s in doc2.events] == [s.args for s in doc.events]


def test_a_trigger_without_roles_writes_as_before():
    s = Span(0, 5, "ASSAULT")
    assert s.to_dict() == {"start": 0, "end": 5, "label": "ASSAULT"}
    assert Span(0, 5, "ASSAULT", (Arg("source", 6, 10),)) == s  # roles take no part in equality


@pytest.mark.parametrize("roles, field, words", [
    ({"source": (3, 10)}, "events[0].source.start", "starts inside the word"),
    ({"target": (W["المسلحين"][0], W["المسلحين"][1] + 1)}, "events[0].target.end", "ends on white space"),
    ({"source": (0, 9999)}, "events[0].source.end", "out of range"),
    ({"source": W["هاجمت"]}, "events[0].source", "the trigger itself"),
])
def test_bad_roles_name_the_field(tmp_path, roles, field, words):
    ev = _ev("هاجمت", "ASSAULT")
    for role, (a, b) in roles.items():
        ev[role] = {"start": a, "end": b}
    msg = _errors(_write(tmp_path, ev))
    assert f"c.jsonl:1: {field}:" in msg and words in msg


def test_malformed_roles_are_reported(tmp_path):
    ev = _ev("هاجمت", "ASSAULT")
    ev["source"] = [0, 5]
    ev["target"] = {"start": "1", "end": 5}
    msg = _errors(_write(tmp_path, ev))
    assert "events[0].source: must be an object {start, end}" in msg
    assert "events[0].target.start: must be an integer offset" in msg


def test_entities_carry_no_roles(tmp_path):
    p = tmp_path / "c.jsonl"
    a, b = W["روسيا"]
    rec = {"id": "d1", "text": TEXT, "entities": [{"start": a, "end": b, "label": "GPE", "source": {"start": 0, "end": 5}}]}
    p.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    assert "entities[0].source: only event triggers carry source, target" in _errors(p)


def test_a_role_outside_the_trigger_sentence_is_a_warning(tmp_path):
    (doc,), problems = read_jsonl(_write(tmp_path, _ev("هاجمت", "ASSAULT", source="روسيا")))
    (w,) = problems
    assert w.level == "warning" and w.field == "events[0].source" and "outside the trigger's sentence" in str(w)


def test_validation_in_memory_checks_unknown_and_repeated_roles(tmp_path):
    a, b = W["هاجمت"]
    doc = Document("d", TEXT, events=[Span(a, b, "ASSAULT", (Arg("agent", 6, 20), Arg("target", *W["المسلحين"]),
                                                             Arg("target", *W["المسلحين"])))]).with_sentences()
    with pytest.raises(CorpusError) as info:
        write_jsonl(tmp_path / "x.jsonl", [doc])
    msg = str(info.value)
    assert "events[0].agent: unknown role 'agent'" in msg and "events[0].target: the trigger has more than one target" in msg


def test_formats_that_cannot_carry_roles_say_so(tmp_path):
    schema = load_schema()
    (doc,), _ = read_jsonl(_write(tmp_path, _ev("هاجمت", "ASSAULT", source="القوات الروسية", target="المسلحين")))
    assert dropped_roles("jsonl", [doc]) is None
    note = dropped_roles("labelstudio", [doc])
    assert note and "2 source/target argument(s) of 1 trigger(s) are left out" in note
    # The jsonl reader's relabelling path (label map or --snap) keeps them.
    docs, report = get_format("jsonl").read(tmp_path / "c.jsonl", schema=schema, snap=True)
    assert not report.errors and docs[0].events[0].args == doc.events[0].args


# --------------------------------------------------------------------------- markup and the seed corpus


def test_markup_numbers_triggers_and_marks_their_roles():
    from train.corpus.markup import parse_markup

    m = parse_markup("زار <<S#1|[[PERS|حفتر]]>> {{CONSULT#1|موسكو}} ثم {{CONSULT#2|التقى}} <<T#1,S#2|[[PERS|بوتين]]>> <<T#2|الوفد>>.")
    assert m.text == "زار حفتر موسكو ثم التقى بوتين الوفد."
    got = [(m.text[s.start:s.end], {a.role: m.text[a.start:a.end] for a in s.args}) for s in m.events]
    assert got == [("موسكو", {"source": "حفتر", "target": "بوتين"}), ("التقى", {"source": "بوتين", "target": "الوفد"})]
    assert [(m.text[s.start:s.end], s.label) for s in m.entities] == [("حفتر", "PERS"), ("بوتين", "PERS")]


@pytest.mark.parametrize("marked, words", [
    ("<<S#3|حفتر>> {{CONSULT#1|زار}}", "no trigger is numbered #3"),
    ("<<S#1|حفتر>> <<S#1|بوتين>> {{CONSULT#1|زار}}", "trigger #1 has a second source"),
    ("{{CONSULT#1|زار}} {{CONSULT#1|التقى}}", "trigger number #1 is used twice"),
    ("[[PERS#1|حفتر]]", "only event triggers take a number"),
    ("<<S#1|حفتر {{CONSULT#1|زار>>}}", "closes a span across another"),
    ("<<S#1|حفتر", "never closed"),
])
def test_broken_role_marks_are_refused(marked, words):
    from train.corpus.markup import MarkupError, parse_markup

    with pytest.raises(MarkupError, match=words):
        parse_markup(marked, "x.txt")


SEED = Path(__file__).resolve().parent.parent / "data" / "seed.jsonl"


def test_seed_triggers_carry_hand_annotated_roles():
    docs, problems = read_jsonl(SEED)
    assert problems == []  # no errors, and no role outside its trigger's sentence
    events = [(d, s) for d in docs for s in d.events]
    assert len(events) == 117
    assert sum(1 for _, s in events if s.arg("source")) == 72
    assert sum(1 for _, s in events if s.arg("target")) == 52
    roles = {(d.id[:3], d.text[s.start:s.end]): {a.role: d.text[a.start:a.end] for a in s.args} for d, s in events}
    assert roles[("003", "اجتماعا")] == {"source": "نائب وزير الدفاع الروسي", "target": "قادة الأركان"}
    assert roles[("004", "هجومها")] == {"source": "وروسيا", "target": "أوكرانيا"}
    assert roles[("001", "شحنة")] == {"source": "فريق حاملة الطائرات", "target": "الجيش الليبي"}


def test_show_numbers_triggers_with_roles():
    from train.commands.corpus import render_inline

    text = "زار حفتر موسكو."
    doc = Document("d", text, events=[Span(0, 3, "CONSULT", (Arg("source", 4, 8), Arg("target", 9, 14)))])
    assert render_inline(doc) == "{زار}CONSULT#1 ‹حفتر›S#1 ‹موسكو›T#1."
