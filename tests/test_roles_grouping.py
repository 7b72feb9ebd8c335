"""Grouping without a role model: a preposition proclitic inside a GPE's own word makes it a place."""

import pytest

from train.inference.records import bare_place, build_events, group_by_role


def _ents(text, pairs):
    out = []
    for word, label in pairs:
        a = text.index(word)
        out.append({"start": a, "end": a + len(word), "label": label, "text": word, "score": 0.9})
    return out


def test_proclitic_gpe_is_a_place_and_names_starting_with_the_same_letters_are_actors():
    # The acceptance: بموسكو is a place; ليبيا and بنغازي as actors are not mis-filed.
    text = "وقعت ليبيا وبنغازي اتفاقا بموسكو مع روسيا، ثم سافر الوفد لطرابلس وبلبنان."
    ents = _ents(text, [("ليبيا", "GPE"), ("وبنغازي", "GPE"), ("بموسكو", "GPE"), ("روسيا", "GPE"),
                        ("لطرابلس", "GPE"), ("وبلبنان", "GPE")])
    roles = group_by_role(text, ents)
    assert [e["text"] for e in roles["actors"]] == ["ليبيا", "وبنغازي", "روسيا"]
    assert [e["text"] for e in roles["places"]] == ["بموسكو", "لطرابلس", "وبلبنان"]


def test_build_events_files_bmoscow_as_place():
    text = "بنغازي تستقبل وفدا بموسكو"
    ents = _ents(text, [("بنغازي", "GPE"), ("بموسكو", "GPE")])
    trig = {"start": 7, "end": 13, "label": "CONSULT", "text": "تستقبل", "score": 0.8}
    sents = [{"start": 0, "end": len(text), "triggers": [trig]}]
    (ev,) = build_events(text, sents, ents, have_classifier=False)
    assert [e["text"] for e in ev["actors"]] == ["بنغازي"]
    assert [e["text"] for e in ev["places"]] == ["بموسكو"]


@pytest.mark.parametrize("word, bare", [
    ("بموسكو", "موسكو"), ("بموسكوَ", "موسكو"), ("لليبيا", "ليبيا"), ("بليبيا", "ليبيا"), ("ببنغازي", "بنغازي"),
    ("وبطرابلس", "طرابلس"), ("فبموسكو", "موسكو"), ("ولروسيا", "روسيا"), ("للعراق", "العراق"),
    ("بالعاصمة", "العاصمه"), ("ببني وليد", "بني وليد"),
    ("ليبيا", None), ("بنغازي", None), ("لبنان", None), ("بريطانيا", None), ("بيروت", None), ("لندن", None),
    ("فلسطين", None), ("وروسيا", None), ("كموسكو", None), ("بكرزنو", None),
])
def test_bare_place(word, bare):
    assert bare_place(word) == bare


def test_an_unknown_name_counts_when_the_sentence_tags_its_bare_form():
    assert bare_place("بكرزنو", known=["كرزنو"]) == "كرزنو"
    text = "زار الوفد كرزنو ثم عقد لقاء بكرزنو"
    roles = group_by_role(text, _ents(text, [("كرزنو", "GPE"), ("بكرزنو", "GPE")]))
    assert [e["text"] for e in roles["places"]] == ["بكرزنو"]
    assert [e["text"] for e in roles["actors"]] == ["كرزنو"]
