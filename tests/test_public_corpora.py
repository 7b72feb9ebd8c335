"""The public corpora in ../shared/data: counts through the CoNLL reader, and a tiny ANERcorp run.

Skipped, with the reason, when the folder is absent (the data is never copied into the project).
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, SHARED_DATA, load_script

ANER = SHARED_DATA / "ANERcorp-CamelLabSplits"
WOJOOD = SHARED_DATA / "Wojood-sample"
TEN = ["PERS", "NORP", "OCC", "ORG", "GPE", "LOC", "FAC", "EVENT", "DATE", "PRODUCT"]

needs_aner = pytest.mark.skipif(not ANER.is_dir(), reason=f"{ANER} is absent (public ANERcorp split not available)")
needs_wojood = pytest.mark.skipif(not WOJOOD.is_dir(), reason=f"{WOJOOD} is absent (Wojood sample not available)")


def _count(path, **kw):
    from train.formats.conll import read_conll

    docs = read_conll(path, **kw)
    return docs, sum(len(d.sentences) for d in docs), sum(len(d.text.split()) for d in docs)


@needs_aner
def test_anercorp_counts():
    docs, sents, toks = _count(ANER / "ANERCorp_CamelLab_train.txt")
    assert (sents, toks) == (3973, 125102)
    docs, sents, toks = _count(ANER / "ANERCorp_CamelLab_test.txt")
    assert (sents, toks) == (925, 25008)
    assert sum(len(d.entities) for d in docs) == 2285  # B- starts + orphan I- (repaired)


@needs_wojood
def test_wojood_counts_and_outer_layer_in_our_schema():
    got = [_count(WOJOOD / f"{s}.txt", labels=TEN)[1] for s in ("train", "val", "test")]
    assert got == [1114, 158, 357]
    docs, _, _ = _count(WOJOOD / "train.txt", labels=TEN)
    labels = {e.label for d in docs for e in d.entities}
    assert labels <= set(TEN) and {"GPE", "ORG", "DATE", "OCC"} <= labels


@needs_aner
@pytest.mark.slow
def test_tiny_model_on_anercorp_subset(tmp_path):
    mk = load_script("make_tiny_model")
    from train.formats.conll import read_conll

    train_file = ANER / "ANERCorp_CamelLab_train.txt"
    base = mk.build(tmp_path / "base", [d.text for d in read_conll(train_file)[:20]], vocab_size=3000)
    train = load_script("train")
    out = tmp_path / "run"
    rc = train.main([str(ROOT / "configs" / "anercorp.yaml"), "--model_name_or_path", str(base),
                     "--train_file", str(train_file), "--test_file", str(ANER / "ANERCorp_CamelLab_test.txt"),
                     "--output_dir", str(out), "--max_train_sentences", "300", "--max_seq_length", "128",
                     "--num_train_epochs", "3", "--learning_rate", "0.002", "--warmup_steps", "0",
                     "--per_device_train_batch_size", "16", "--save_strategy", "no", "--logging_strategy", "epoch", "--cpu_threads", "1",
                     "--use_cpu", "true", "--disable_tqdm", "true"])
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    test = m["test"]
    assert test["micro"]["support"] == 2285  # the whole test split was evaluated
    assert set(test["per_type"]) == {"PERS", "LOC", "ORG", "MISC"}
    import csv

    losses = [float(r["value"]) for r in csv.DictReader(open(out / "logs.csv", encoding="utf-8")) if r["key"] == "loss"]
    assert len(losses) == 3 and losses[-1] < losses[0]  # the loss falls epoch by epoch
    assert (out / "predictions_test.jsonl").is_file()
