"""Learning checks on the small pretrained Arabic encoder (issue 27), the regime users run.

``../shared/models/arabic-bert-tiny-news`` is a 2-layer, hidden-128 BERT pretrained on Arabic
news (its PROVENANCE.md). Its licence is for research use: it is read where it lies, never copied
into the project, and every test here skips, saying so, when it (or the data it trains on) is
absent. Each test trains for well under a minute on one thread and asserts that the model learned,
with a margin below the figure it reaches (never a timing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_DATA, load_script

SMALL = Path(os.environ.get("ARABIC_IE_SMALL_ENCODER", ROOT.parent / "shared" / "models" / "arabic-bert-tiny-news"))
ANER = SHARED_DATA / "ANERcorp-CamelLabSplits"

needs_small = pytest.mark.skipif(not (SMALL / "config.json").is_file(),
                                 reason=f"{SMALL} is absent: the small pretrained encoder is never copied into the project")
needs_aner = pytest.mark.skipif(not ANER.is_dir(), reason=f"{ANER} is absent (public ANERcorp split not available)")

pytestmark = [needs_small, pytest.mark.slow]


@needs_aner
def test_small_encoder_learns_anercorp_ner(tmp_path, one_torch_thread):
    """800 training sentences, 3 epochs: held-out entity F1 on the CoNLL tokens well above zero."""
    train = load_script("train")
    out = tmp_path / "run"
    rc = train.main([str(ROOT / "configs" / "anercorp.yaml"), "--model_name_or_path", str(SMALL),
                     "--train_file", str(ANER / "ANERCorp_CamelLab_train.txt"),
                     "--test_file", str(ANER / "ANERCorp_CamelLab_test.txt"),
                     "--output_dir", str(out), "--max_train_sentences", "800", "--max_eval_sentences", "300",
                     "--max_seq_length", "128", "--num_train_epochs", "3", "--learning_rate", "0.001",
                     "--warmup_steps", "0.05", "--weight_decay", "0.0", "--per_device_train_batch_size", "16",
                     "--save_strategy", "no", "--cpu_threads", "1", "--use_cpu", "true", "--disable_tqdm", "true",
                     "--report_to", "none"])
    assert rc == 0
    test = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["test"]
    f1 = test["conll_tokens"]["micro"]["f1"]
    print(f"small encoder, ANERcorp 800 train sentences: test F1 {f1:.3f}")
    assert f1 >= 0.15, test["conll_tokens"]["micro"]


GSR = SHARED_DATA / "PLOVER-Arabic-GSR"


@pytest.mark.skipif(not GSR.is_dir(), reason=f"{GSR} is absent (Arabic PLOVER gold standard not available)")
def test_small_encoder_learns_roles_on_held_out_gsr_documents(tmp_path, one_torch_thread):
    """Source and target of GSR triggers, scored on documents the model never saw (split by document)."""
    from train.commands.bench_gsr import split_docs
    from train.corpus.document import write_jsonl
    from train.corpus.schema import load_schema
    from train.formats.gsr_spans import read

    schema = load_schema()
    docs, _ = read(GSR, schema=schema)
    train_docs, held = split_docs(docs, 0.4)
    assert train_docs and held and not {d.id for d in train_docs} & {d.id for d in held}
    write_jsonl(tmp_path / "train.jsonl", train_docs, schema)
    write_jsonl(tmp_path / "held.jsonl", held, schema)
    train = load_script("train")
    out = tmp_path / "run"
    rc = train.main([str(ROOT / "configs" / "roles.yaml"), "--model_name_or_path", str(SMALL),
                     "--cross_validation", "null", "--train_file", str(tmp_path / "train.jsonl"),
                     "--extra_train_files", "[]", "--test_file", str(tmp_path / "held.jsonl"),
                     "--output_dir", str(out), "--learning_rate", "0.001", "--num_train_epochs", "10",
                     "--save_strategy", "no", "--cpu_threads", "1", "--use_cpu", "true", "--disable_tqdm", "true",
                     "--report_to", "none"])
    assert rc == 0
    test = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["test"]
    src, tgt = test["source"], test["target"]
    print(f"small encoder, roles on held-out GSR documents: source F1 {src['f1']:.3f} (overlap {src['overlap_f1']:.3f}), "
          f"target F1 {tgt['f1']:.3f} (overlap {tgt['overlap_f1']:.3f})")
    assert src["f1"] >= 0.15 and src["overlap_f1"] >= 0.30, src
    assert tgt["overlap_f1"] >= 0.10, tgt
