"""The role model: marked trigger sentences, SOURCE/TARGET through the NER path, predict --roles, metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, SEED, build_random_tagger, load_script

from train.corpus.document import read_jsonl
from train.features.roles import ROLE_TYPES, example_of, mark_trigger, role_documents

FIXTURE = ROOT / "tests" / "fixtures" / "gsr_spans"
ROLE_TAGS = ["O", *(f"{p}-{t}" for t in ROLE_TYPES for p in "BI")]


def test_the_trigger_is_marked_and_offsets_map_both_ways():
    text = "قال المتحدث: وصل الوفد إلى ليبيا في زيارة رسمية. ثم عاد."
    sent = (13, 48)
    a = text.index("زيارة")
    ex = mark_trigger(text, sent, (a, a + 5))
    assert ex.text == "وصل الوفد إلى ليبيا في [ زيارة ] رسمية."
    for word in ("الوفد", "ليبيا", "زيارة", "رسمية"):
        i = text.index(word)
        j, k = ex.to_marked(i), ex.to_marked(i + len(word), end=True)
        assert ex.text[j:k] == word and ex.to_original(j) == i and ex.to_original(k) == i + len(word)
    k = ex.text.index("[")
    assert ex.in_trigger_markers(k, k + 1) and ex.in_trigger_markers(ex.text.index("]"), ex.text.index("]") + 1)
    assert not ex.in_trigger_markers(ex.to_marked(a), ex.to_marked(a + 5, end=True))


def test_seed_triggers_become_role_examples_with_the_baseline():
    docs, _ = read_jsonl(SEED)
    ex = role_documents(docs)
    assert len(ex) == 117  # every trigger: the seed's roles were annotated for all of them
    assert sum(1 for d in ex for e in d.entities if e.label == "SOURCE") == 72
    assert sum(1 for d in ex for e in d.entities if e.label == "TARGET") == 52
    by_doc = {d.id: d for d in docs}
    for d in ex:
        orig = by_doc[d.meta["document"]]
        r = example_of(d)
        for e in d.entities:  # each role slices the same words in the marked and the original text
            assert orig.text[r.to_original(e.start):r.to_original(e.end)] == d.text[e.start:e.end]
    # Documents without any role are not role-annotated: left out.
    for d in docs:
        d.events = [type(s)(s.start, s.end, s.label) for s in d.events]
    assert role_documents(docs) == []


def test_roles_task_reads_a_gsr_folder_as_event_spans():
    from train.training.config import path_format

    assert path_format(str(FIXTURE), "jsonl", "roles") == ("gsr_spans", str(FIXTURE))
    assert path_format(str(FIXTURE), "jsonl", "events") == ("gsr", str(FIXTURE))
    assert path_format("x/assault_spans.json", "jsonl") == ("gsr_spans", "x/assault_spans.json")


def test_predict_roles_output_slices_exactly(tmp_path, capsys):
    """Random taggers: whatever they find, each source/target slices the text and lies in its trigger's sentence."""
    trig = build_random_tagger(tmp_path / "triggers", ["O", "B-CONSULT", "I-CONSULT"], head_scale=30.0)
    roles = build_random_tagger(tmp_path / "roles", ROLE_TAGS, head_scale=30.0)
    text = json.loads(SEED.read_text(encoding="utf-8").splitlines()[1])["text"][:1500]
    f = tmp_path / "doc.txt"
    f.write_text(text, encoding="utf-8")
    cli = load_script("predict")
    rc = cli.main(["--triggers", str(trig), "--roles", str(roles), str(f), "--no-progress"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    (rec,) = [json.loads(x) for x in out.out.splitlines() if x.strip()]
    events = rec["events"]
    assert events and all("source" in e and "target" in e for e in events)
    found = 0
    for e in events:
        s = rec["sentences"][e["sentence"]]
        for role in ("source", "target"):
            r = e[role]
            if r is None:
                continue
            found += 1
            assert text[r["start"]:r["end"]] == r["text"] and r["text"].strip() == r["text"]
            assert s["start"] <= r["start"] < r["end"] <= s["end"] and 0 <= r["score"] <= 1
            assert "[" not in r["text"] and "]" not in r["text"]
    assert found, "the random role tagger found no span: the test says nothing"


def test_roles_need_a_trigger_tagger_and_a_role_model(tmp_path):
    from train.inference.backends import PredictorError
    from train.inference.predictor import Predictor

    ner = build_random_tagger(tmp_path / "ner", ["O", "B-PERS", "I-PERS"])
    with pytest.raises(PredictorError, match="needs|give a trigger tagger"):
        Predictor.from_pretrained(ner=str(ner), roles=str(ner))
    with pytest.raises(PredictorError, match="not a role model"):
        Predictor.from_pretrained(triggers=str(ner), roles=str(ner))


@pytest.mark.slow
def test_tiny_role_model_learns_seed_and_gsr_well_above_the_baseline(tiny_model_dir: Path, tmp_path: Path):
    train = load_script("train")
    out = tmp_path / "roles"
    rc = train.main([str(ROOT / "configs" / "demo-roles.yaml"), "--model_name_or_path", str(tiny_model_dir),
                     "--train_file", str(SEED), "--extra_train_files", json.dumps([str(FIXTURE)]),
                     "--validation_file", str(SEED), "--test_file", str(FIXTURE), "--output_dir", str(out)])
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    dev = m["dev"]
    for role in ("source", "target"):
        assert dev[role]["f1"] >= 0.6, dev[role]
        assert dev[role]["f1"] >= dev["baseline"][role]["f1"] + 0.3
        assert "overlap_f1" in dev[role] and dev["by_type"]["CONSULT"][role]["support"] > 0
    assert "f1" in m["test"]["source"] and "f1" in m["test"]["target"]  # GSR spans as test_file
    assert "source and target" in (out / "eval_report.md").read_text(encoding="utf-8")


def test_corpus_output_keeps_the_predicted_roles():
    from train.corpus.document import validate_document
    from train.corpus.schema import load_schema
    from train.inference.output import record_to_document

    text = "زار حفتر موسكو."
    trig = {"start": 0, "end": 3, "label": "CONSULT", "text": "زار", "score": 0.9}
    rec = {"id": "d", "text": text, "entities": [], "sentences": [{"start": 0, "end": len(text), "triggers": [trig]}],
           "events": [{"type": "CONSULT", "trigger": trig, "sentence": 0,
                       "source": {"start": 4, "end": 8, "label": "SOURCE", "text": "حفتر", "score": 0.8},
                       "target": None}]}
    doc = record_to_document(rec)
    (ev,) = doc.events
    assert [(a.role, text[a.start:a.end]) for a in ev.args] == [("source", "حفتر")]
    assert validate_document(doc, load_schema()) == []
