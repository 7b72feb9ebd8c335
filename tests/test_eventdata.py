"""Event data: the actor dictionary, actors in a document, publication and event dates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from train.eventdata.actors import ActorResolver, actor_id
from train.eventdata.countries import gazetteer
from train.eventdata.dates import event_date, publication_date, resolve
from train.eventdata.dictionary import ActorDictionary, DictionaryError

ROOT = Path(__file__).resolve().parent.parent
TUESDAY = dt.date(2023, 9, 26)  # the publication date of the seed article 004: a Tuesday


def _ents(text: str, *pieces: tuple[str, str], occurrence: int = 0) -> list[dict]:
    out, pos = [], 0
    for piece, label in pieces:
        i = text.index(piece, pos)
        out.append({"start": i, "end": i + len(piece), "label": label})
        pos = i + len(piece)
    return out


# ------------------------------------------------------------------------- the dictionary

def test_the_project_dictionary_loads_and_fixes_names_and_codes():
    d = ActorDictionary.load(ROOT / "configs" / "actors.yaml")
    assert len(d) >= 10
    text = "التقى الفريق أول ركن خليفة بلقاسم حفتر بالوزير. وقال حفتر إن موسكو تدعم الجيش."
    ents = _ents(text, ("الفريق أول ركن", "OCC"), ("خليفة بلقاسم حفتر", "PERS"), ("حفتر", "PERS"),
                 ("موسكو", "GPE"), ("الجيش", "ORG"))
    actors = ActorResolver(d).resolve(text, ents)
    haftar = actors.of(ents[1]["start"], ents[1]["end"])
    assert (haftar.id, haftar.name, haftar.country, haftar.sector) == ("khalifa-haftar", "خليفة حفتر", "LBY", "MIL")
    assert actors.of(ents[2]["start"], ents[2]["end"]) is haftar  # the surname alone, later
    assert actors.of(ents[0]["start"], ents[0]["end"]) is haftar  # the title before the name


def test_an_actor_the_dictionary_does_not_know_still_gets_a_stable_id(tmp_path):
    text = "قال المتحدث باسم الحكومة الليبية محمد الفلاني إن الفلاني سيزور روسيا."
    ents = _ents(text, ("المتحدث باسم الحكومة الليبية", "OCC"), ("محمد الفلاني", "PERS"), ("الفلاني", "PERS"),
                 ("روسيا", "GPE"))
    actors = ActorResolver(ActorDictionary()).resolve(text, ents)
    p = actors.of(ents[1]["start"], ents[1]["end"])
    assert p.id == actor_id("محمد الفلاني") and p.name == "محمد الفلاني"
    assert actors.of(ents[2]["start"], ents[2]["end"]) is p
    assert (p.country, p.sector) == ("LBY", "GOV")  # from the title before the name
    russia = actors.of(ents[3]["start"], ents[3]["end"])
    assert (russia.id, russia.country) == ("RUS", "RUS")
    # the same name in another document: the same id
    other = "وصل محمد الفلاني إلى القاهرة."
    e2 = _ents(other, ("محمد الفلاني", "PERS"))
    assert ActorResolver().resolve(other, e2).of(e2[0]["start"], e2[0]["end"]).id == p.id


def test_a_user_dictionary_overrides_and_merges(tmp_path):
    f = tmp_path / "actors.yaml"
    f.write_text("actors:\n  - id: lna\n    name: الجيش الوطني الليبي\n    aliases: [الجيش الليبي, القيادة العامة]\n"
                 "    country: LBY\n    sector: MIL\n", encoding="utf-8")
    text = "أعلن الجيش الليبي أن القيادة العامة رحبت بالوفد."
    ents = _ents(text, ("الجيش الليبي", "ORG"), ("القيادة العامة", "ORG"))
    actors = ActorResolver(ActorDictionary.load(f)).resolve(text, ents)
    a, b = (actors.of(e["start"], e["end"]) for e in ents)
    assert a is b and a.id == "lna" and a.name == "الجيش الوطني الليبي"


@pytest.mark.parametrize("body, message", [
    ("actors:\n  - name: x\n    aliases: []\n", "actor 1 (x): 'id' is missing"),
    ("actors:\n  - id: a\n    name: x\n    country: LY\n", "actor 1 (x): 'country' 'LY' is not an ISO 3166 alpha-3 code"),
    ("actors:\n  - id: a\n    name: x\n    sector: ARMY\n", "actor 1 (x): 'sector' 'ARMY' is not one of GOV, MIL"),
    ("actors:\n  - id: a\n    name: x\n  - id: a\n    name: y\n", "actor 2 (y): id 'a' is already actor 1's"),
    ("actors:\n  - id: a\n    name: x\n    colour: red\n", "actor 1: unknown field 'colour'"),
    ("actors: [\n", "not valid YAML"),
    ("- id: a\n", "expected a top-level 'actors:' list"),
])
def test_a_bad_dictionary_is_one_line_naming_entry_and_field(tmp_path, body, message):
    f = tmp_path / "actors.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(DictionaryError) as err:
        ActorDictionary.load(f)
    assert message in str(err.value) and str(f) in str(err.value) and "\n" not in str(err.value)


def test_countries_come_from_the_gazetteer_with_adjectives_and_proclitics():
    g = gazetteer()
    assert g.lookup("وليبيا").code == "LBY" and g.lookup("الروس").code == "RUS"
    assert g.lookup("بموسكو").kind == "place" and g.lookup("بموسكو").code == "RUS"
    assert g.lookup("أوكرانيا").code == "UKR" and g.lookup("الجزائر").code == "DZA"
    assert g.country_in("وزارة الدفاع الروسية") == "RUS"
    assert g.country_in("القيادة العامة للجيش الليبي") == "LBY"
    assert g.country_in("الدعم المالي") is None  # financial, not Malian


# ------------------------------------------------------------------------- dates

@pytest.mark.parametrize("expr, iso, precision", [
    ("الثلاثاء", "2023-09-26", "day"),          # the publication day itself
    ("الاثنين", "2023-09-25", "day"),
    ("الثلاثاء الماضي", "2023-09-19", "day"),
    ("الخميس المقبل", "2023-09-28", "day"),
    ("يوم خميس", "2023-09-21", "day"),          # without the article
    ("أمس", "2023-09-25", "day"),
    ("أول أمس", "2023-09-24", "day"),
    ("اليوم", "2023-09-26", "day"),
    ("17 سبتمبر", "2023-09-17", "day"),
    ("5 أيلول 2016", "2016-09-05", "day"),
    ("١٢ مارس ٢٠١٨", "2018-03-12", "day"),
    ("2018-03-12", "2018-03-12", "day"),
    ("يونيو الماضي", "2023-06-01", "month"),
    ("فبراير (شباط) 2022", "2022-02-01", "month"),
    ("2020", "2020-01-01", "year"),
])
def test_dates_resolve_against_a_fixed_publication_date(expr, iso, precision):
    got = resolve(expr, TUESDAY)
    assert got is not None and (got.iso(), got.precision) == (iso, precision)


@pytest.mark.parametrize("expr", ["منذ 8 سنوات", "هذا العام", "قريبا"])
def test_what_names_no_date_is_none(expr):
    assert resolve(expr, TUESDAY) is None


def test_relative_dates_need_a_publication_date():
    assert resolve("أمس", None) is None and resolve("الثلاثاء", None) is None
    assert resolve("5 سبتمبر 2016", None).iso() == "2016-09-05"


def test_an_event_date_comes_from_its_sentence_then_the_previous_one():
    text = "وصل الوفد أمس إلى طرابلس. وعقد اجتماعا مع المسؤولين. وفي 3 مارس 2023 وقع الطرفان اتفاقا."
    sents = [(0, 25), (26, 52), (53, len(text))]
    d = text.index("3 مارس 2023")
    dates = [{"start": d, "end": d + len("3 مارس 2023"), "label": "DATE"}]
    assert event_date(text, sents, 0, dates, TUESDAY).iso() == "2023-09-25"  # "أمس", no entity needed
    assert event_date(text, sents, 1, dates, TUESDAY).iso() == "2023-09-25"  # from the sentence before
    assert event_date(text, sents, 2, dates, TUESDAY).iso() == "2023-03-03"
    assert event_date("لا تاريخ هنا.", [(0, 13)], 0, [], TUESDAY) is None


def test_the_publication_date_comes_from_meta_then_text_then_id():
    assert publication_date({"meta": {"date": "2020-01-02"}, "text": "تاريخ النشر: 26th, September 2023"}) == (
        dt.date(2020, 1, 2), "meta")
    assert publication_date({"text": "عنوان\nتاريخ النشر: 26th, September 2023 GMT\nنص"}) == (TUESDAY, "text")
    assert publication_date({"text": "القاهرة - بوابة الوسط الإثنين 05 سبتمبر 2016, 05:51 مساء"})[0] == dt.date(2016, 9, 5)
    assert publication_date({"id": "news/JA-localNews-558-20170201.txt", "text": "نص"}) == (dt.date(2017, 2, 1), "id")
    assert publication_date({"id": "x", "text": "نص بلا تاريخ"}) == (None, None)


def test_the_seed_article_dates_its_tuesday_visit():
    doc = json.loads((ROOT / "data" / "seed.jsonl").read_text(encoding="utf-8").splitlines()[4])
    pub, where = publication_date(doc)
    assert (pub, where) == (TUESDAY, "text")


def test_the_seed_annotation_matches_its_text_and_the_acceptance_figures_hold():
    """docs/benchmarks.md's figures on gold spans, from data/annotations/seed-events.yaml."""
    from train.benchmark.events import load_annotation, read_jsonl, score

    docs = read_jsonl(ROOT / "data" / "seed.jsonl")
    ann = load_annotation(ROOT / "data" / "annotations" / "seed-events.yaml", {d["id"]: d for d in docs})
    res = score(docs, ann, None, ActorDictionary.load(ROOT / "configs" / "actors.yaml"))
    assert res["actor_b3"]["f1"] >= 0.85 and res["country"]["accuracy"] >= 0.9
    assert res["event_date_day"]["accuracy"] >= 0.7
