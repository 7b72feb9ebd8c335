"""Sentence-level labels with partial knowledge, and the GSR CSV importer (issue 16, items 1–2).

A (sentence, type) pair that was not judged must count nowhere: not in the loss, the metrics
or the threshold tuning. Each test builds a case where counting it as "no" would change the
figure, and checks that it does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from train.corpus.document import Document, SentenceLabel, Span, read_jsonl, validate_document
from train.corpus.schema import load_schema
from train.evaluation.multilabel import multilabel_metrics
from train.features.sentence_examples import IGNORE, build_sentence_examples, target_matrix
from train.formats import gsr
from train.training.sentence_classification import encode_examples, masked_bce, tune_thresholds

ROOT = Path(__file__).resolve().parent.parent
FX = ROOT / "tests" / "fixtures" / "formats" / "gsr"
SHARED_GSR = ROOT.parent / "shared" / "data" / "PLOVER-Arabic-GSR"
SCHEMA = load_schema()
LABELS = ["ASSAULT", "PROTEST"]


def _corpus_main():
    from train.commands.corpus import main

    return main


def _partial_doc() -> Document:
    text = "هاجم المسلحون القرية.\nتظاهر الطلاب أمام الوزارة."
    s1, s2 = (0, 21), (22, 48)
    return Document("d", text, events=[Span(0, 4, "ASSAULT")], sentences=[s1, s2], judged=[],
                    sentence_labels=[SentenceLabel(*s2, "ASSAULT", False)])


def test_examples_know_only_judged_types_and_triggers_imply_labels():
    ex = build_sentence_examples([_partial_doc()], label_order=LABELS)
    # sentence 1: a trigger judges ASSAULT (yes); PROTEST unknown. sentence 2: ASSAULT judged no.
    assert [(e.labels, e.judged) for e in ex] == [(("ASSAULT",), ("ASSAULT",)), ((), ("ASSAULT",))]
    assert target_matrix(ex, LABELS) == [[1.0, IGNORE], [0.0, IGNORE]]
    # A fully annotated document (judged absent) judges every type.
    full = Document("f", "هاجم المسلحون القرية.", events=[Span(0, 4, "ASSAULT")], sentences=[(0, 21)])
    assert target_matrix(build_sentence_examples([full], label_order=LABELS), LABELS) == [[1.0, 0.0]]


def test_unjudged_type_never_contributes_to_the_loss(tiny_model_dir):
    logits = torch.tensor([[3.0, 4.0], [-2.0, 5.0]], requires_grad=True)
    targets = torch.tensor([[1.0, IGNORE], [0.0, IGNORE]])
    loss = masked_bce(logits, targets)
    judged_only = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor([3.0, -2.0]), torch.tensor([1.0, 0.0]))
    assert loss.item() == pytest.approx(judged_only.item())
    as_no = torch.nn.functional.binary_cross_entropy_with_logits(logits.detach(), targets.clamp(min=0))
    assert abs(as_no.item() - loss.item()) > 0.5  # counting PROTEST as "no" would change it
    loss.backward()
    assert logits.grad[:, 1].abs().sum().item() == 0.0
    # Through the features too: encode_examples writes IGNORE into the labels the Trainer sees.
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    feats = encode_examples(build_sentence_examples([_partial_doc()], label_order=LABELS), tok, LABELS, 16)
    assert [f["labels"] for f in feats] == [[1.0, IGNORE], [0.0, IGNORE]]


def test_unjudged_type_never_contributes_to_metrics():
    gold = [("ASSAULT",), ()]
    pred = [("ASSAULT", "PROTEST"), ("PROTEST",)]  # PROTEST predicted where nobody judged it
    judged = [("ASSAULT",), ("ASSAULT",)]
    m = multilabel_metrics(gold, pred, LABELS, judged)
    assert m["per_type"]["PROTEST"]["predicted"] == 0 and m["micro"]["precision"] == 1.0
    assert m["subset_accuracy"] == 1.0 and m["judged"] == {"ASSAULT": 2, "PROTEST": 0}
    unmasked = multilabel_metrics(gold, pred, LABELS)
    assert unmasked["micro"]["precision"] < 0.5  # as "no", PROTEST would be two false positives


def test_unjudged_type_never_contributes_to_thresholds():
    # ASSAULT gold yes at p=0.9 and 0.6, no at 0.3; three unjudged rows at p=0.8 (they would be
    # false positives for every threshold up to 0.8 if read as "no").
    probs = np.array([[0.9], [0.6], [0.3], [0.8], [0.8], [0.8]])
    gold = np.array([[1.0], [1.0], [0.0], [IGNORE], [IGNORE], [IGNORE]])
    th = tune_thresholds(probs, gold, ["ASSAULT"], "per_type", default=0.5)
    assert th["ASSAULT"] == pytest.approx(0.5)  # 0.35..0.6 separate perfectly; nearest the default
    as_no = tune_thresholds(probs, np.maximum(gold, 0), ["ASSAULT"], "per_type", default=0.5)
    assert as_no["ASSAULT"] > 0.8  # read as "no", they push the threshold above them
    glob = tune_thresholds(probs, gold, ["ASSAULT"], "global", default=0.5)
    assert glob["ASSAULT"] == pytest.approx(0.5)


def test_contradiction_between_trigger_and_sentence_label_is_an_error():
    doc = _partial_doc()
    doc.sentence_labels.append(SentenceLabel(0, 21, "ASSAULT", False))
    doc.sentence_labels.append(SentenceLabel(22, 48, "ASSAULT", True))
    doc.sentence_labels.append(SentenceLabel(5, 21, "PROTEST", True))
    msgs = [str(p) for p in validate_document(doc, SCHEMA, "c.jsonl", 1)]
    assert any("sentence_labels[1].value" in m and "contradiction" in m and "events[0]" in m for m in msgs)
    assert any("sentence_labels[2].value" in m and "both yes and no" in m for m in msgs)
    assert any("sentence_labels[3]" in m and "not one of the document's sentences" in m for m in msgs)


def test_gsr_fixture_reads_by_document_and_round_trips(tmp_path):
    docs, report = gsr.read(FX, schema=SCHEMA)
    assert not report.errors and report.skipped["ambiguous row(s)"] == 2
    by_id = {d.id: d for d in docs}
    assert sorted(by_id) == ["XYZ_ARB_20200105.0001", "XYZ_ARB_20200107.0002", "a1b2c3d4e5f6"]
    d = by_id["XYZ_ARB_20200105.0001"]
    assert d.meta["sentence_numbers"] == [1, 2, 4] and d.judged == []
    verdicts = {(d.text[j.start:j.end][:8], j.label, j.value) for j in d.sentence_labels}
    # sentence 2 is judged in both files: one sentence, two types
    assert ("وقال الم", "ASSAULT", False) in verdicts and ("وقال الم", "PROTEST", False) in verdicts
    assert ("قصفت الط", "ASSAULT", True) in verdicts
    ex = build_sentence_examples(docs, context="previous", label_order=LABELS)
    first = [e for e in ex if e.doc_id == d.id]
    assert first[2].context == ""  # sentence 4 follows a gap (3 is not in the data)
    assert first[1].context == d.text[: d.sentences[0][1]]
    kept, _ = gsr.read(FX, schema=SCHEMA, keep_ambiguous=True)
    assert sum(len(x.sentences) for x in kept) == sum(len(x.sentences) for x in docs) + 2
    out = tmp_path / "g.jsonl"
    assert _corpus_main()(["convert", "--from", "gsr", "--to", "jsonl", str(FX), str(out)]) == 0
    back, _ = read_jsonl(out, SCHEMA)
    assert [(b.id, b.sentence_labels, b.judged) for b in back] == [(x.id, sorted(x.sentence_labels), x.judged) for x in docs]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("9,1,ASSAULT,XYZ-7,maybe,0,نص,1", "label", "'maybe' is not one of"),
        ("9,1,ASSAULT,nodigits,yes,0,نص,1", "id", "not a sentence id"),
        ("9,1,RIOT,XYZ-7,yes,0,نص,1", "event_type", "not in the schema"),
        ("9,1,ASSAULT,XYZ-7,yes,0,,1", "text", "has no text"),
    ],
)
def test_broken_gsr_file_names_record_and_field(tmp_path, capsys, row, field, words):
    f = tmp_path / "bad_gsr.csv"
    f.write_text(",accept,event_type,id,label,reject,text,total\n0,3,ASSAULT,XYZ-1,yes,0,هاجم المسلحون القرية.,3\n" + row + "\n",
                 encoding="utf-8")
    assert _corpus_main()(["convert", "--from", "gsr", "--to", "jsonl", str(f), str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert f"{f}:3: {field}:" in err and words in err
    assert not (tmp_path / "o.jsonl").exists()


def test_gsr_missing_column_is_one_line(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("id,text,label\nA-1,نص,yes\n", encoding="utf-8")
    _, report = gsr.read(f, schema=SCHEMA)
    assert [str(p) for p in report.errors] == [f"{f}:1: event_type: missing column(s) event_type; a GSR file has id, text, event_type, label"]


@pytest.mark.skipif(not SHARED_GSR.is_dir(), reason="../shared/data/PLOVER-Arabic-GSR is absent (shared data not mounted)")
def test_shared_gsr_counts_match_provenance():
    docs, report = gsr.read(SHARED_GSR, schema=SCHEMA)
    assert not report.errors
    counts = {(j.label, j.value): 0 for j in (SentenceLabel(0, 1, t, v) for t in LABELS for v in (True, False))}
    for d in docs:
        for j in d.sentence_labels:
            counts[(j.label, j.value)] += 1
    # PROVENANCE.md: ASSAULT 228 yes, 1,920 no; PROTEST 64 yes, 1,545 no
    assert counts == {("ASSAULT", True): 228, ("ASSAULT", False): 1920, ("PROTEST", True): 64, ("PROTEST", False): 1545}
    assert json.dumps(docs[0].to_dict(), ensure_ascii=False)


FXF = ROOT / "tests" / "fixtures" / "formats"


def test_labelstudio_choices_per_task_and_per_sentence():
    from train.formats import labelstudio_choices

    docs, report = labelstudio_choices.read(FXF / "labelstudio_choices.json", schema=SCHEMA, judged=LABELS)
    assert not report.errors and [d.id for d in docs] == ["task-201", "task-202"]
    whole, regions = docs
    assert whole.sentences == [(0, len(whole.text))]  # a task-level choice judges the whole text
    assert {(j.label, j.value) for j in whole.sentence_labels} == {("ASSAULT", True), ("PROTEST", False)}
    assert regions.sentences == [(0, 34), (35, 70)] and [(e.start, e.end) for e in regions.events] == [(0, 5)]
    ex = build_sentence_examples(docs, label_order=LABELS)
    assert [(e.labels, e.judged) for e in ex] == [(("ASSAULT",), tuple(LABELS)), (("PROTEST",), tuple(LABELS)), ((), tuple(LABELS))]


def test_doccano_classification_label_list_and_cats():
    from train.formats import doccano_classification

    docs, report = doccano_classification.read(FXF / "doccano_classification.jsonl", schema=SCHEMA, judged=LABELS)
    assert not report.errors and [d.id for d in docs] == ["11", "12", "13"]
    ex = build_sentence_examples(docs, label_order=SCHEMA.labels("events"))
    assert [e.labels for e in ex] == [("ASSAULT",), ("REQUEST", "PROTEST"), ()]
    assert ex[2].judged == ("PROTEST", "ASSAULT")  # asked types, no trigger: both "no"
    cats, report = doccano_classification.read(FXF / "doccano_cats.jsonl", schema=SCHEMA)
    assert not report.errors
    assert target_matrix(build_sentence_examples(cats, label_order=LABELS), LABELS) == [[1.0, 0.0], [IGNORE, 1.0]]


@pytest.mark.parametrize(
    ("fmt", "content", "where"),
    [
        ("doccano_classification", '{"text": "نص", "label": ["RIOT"]}\n', ":1: label[0]:"),
        ("doccano_classification", '{"text": "نص", "label": "ASSAULT"}\n', ":1: label:"),
        ("doccano_classification", '{"text": "نص", "cats": {"ASSAULT": 2}}\n', ":1: cats.ASSAULT:"),
        ("labelstudio_choices", json.dumps([{"id": 1, "data": {"text": "نص هنا"}, "annotations": [{"result": [
            {"type": "choices", "value": {"choices": ["RIOT"]}}]}]}]), ":1: annotations[0].result[0].value.choices[0]:"),
        ("labelstudio_choices", json.dumps([{"id": 1, "data": {"text": "نص هنا"}, "annotations": [{"result": [
            {"type": "choices", "value": {"start": 3, "end": 99, "choices": ["ASSAULT"]}}]}]}]), ":1: annotations[0].result[0].value.start:"),
    ],
)
def test_broken_classification_export_names_record_and_field(tmp_path, capsys, fmt, content, where):
    f = tmp_path / "in.json"
    f.write_text(content, encoding="utf-8")
    assert _corpus_main()(["convert", "--from", fmt, "--to", "jsonl", str(f), str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert f"{f}{where}" in err, err
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.slow
def test_train_py_on_seed_plus_gsr_folder_writes_per_type_test_figures(tiny_model_dir, tmp_path):
    """Several sources in one run (seed: every type judged; GSR: one type per sentence), and a GSR folder as test_file."""
    from conftest import load_script

    out = tmp_path / "run"
    rc = load_script("train").main([
        str(ROOT / "configs" / "plover-gsr.yaml"), "--model_name_or_path", str(tiny_model_dir), "--model_revision", "main",
        "--train_file", str(FX), "--extra_train_files", f"[{ROOT / 'data' / 'seed.jsonl'}]", "--test_file", str(FX),
        "--output_dir", str(out), "--max_steps", "3", "--max_seq_length", "32", "--use_cpu", "true", "--disable_tqdm", "true",
    ])
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert m["run"]["train_sentences"] == 99 + 6  # the seed's sentences and the fixture's judged ones
    seed = build_sentence_examples(read_jsonl(ROOT / "data" / "seed.jsonl", SCHEMA)[0], label_order=LABELS)
    assert m["run"]["training_counts"] == {lab: sum(lab in e.labels for e in seed) + n for lab, n in (("ASSAULT", 2), ("PROTEST", 1))}
    test = m["test"]["per_type"]
    assert test["ASSAULT"]["support"] == 2 and test["PROTEST"]["support"] == 1
    assert set(test["ASSAULT"]) >= {"precision", "recall", "f1", "support"}
    assert m["test"]["judged"] == {"ASSAULT": 4, "PROTEST": 3}  # unjudged pairs are not in the figures
