"""The ONNX Runtime path: export, int8 quantisation, and the predictor backend (issue 8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SEED, load_script

pytestmark = pytest.mark.slow  # trains, exports or benchmarks a model

FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    return dst


def _seed_texts() -> list[str]:
    return [json.loads(line)["text"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def _seed_sentences() -> list[str]:
    from train.corpus.sentences import split_sentences

    return [t[s.start:s.end] for t in _seed_texts() for s in split_sentences(t)]


@pytest.fixture(scope="module")
def exported_trained(trained_ner_dir, tmp_path_factory) -> Path:
    """The trained tiny NER model with onnx/model.onnx and onnx/model_quantized.onnx in its folder."""
    from train.publishing.onnx_export import export_dir

    d = _copy(trained_ner_dir, tmp_path_factory.mktemp("onnx") / "ner")
    export_dir(d)
    return d


def _labels(backend, tok, texts: list[str]) -> np.ndarray:
    """Predicted label of every real sub-word, over sorted, padded batches of 16."""
    enc = tok(texts, truncation=True, max_length=512)["input_ids"]
    order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
    out = []
    for b in range(0, len(order), 16):
        idx = order[b : b + 16]
        width = max(len(enc[i]) for i in idx)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(idx):
            ids[r, : len(enc[i])] = enc[i]
            mask[r, : len(enc[i])] = 1
        logits = backend({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
        out.append(logits.argmax(-1)[mask.astype(bool)])
    return np.concatenate(out)


def test_export_writes_fp32_and_int8_a_third_of_the_size(exported_trained):
    from train.inference.backends import FP32_NAME, INT8_NAME
    from train.publishing.onnx_export import file_mb

    fp32, int8 = exported_trained / FP32_NAME, exported_trained / INT8_NAME
    assert fp32.is_file() and int8.is_file()
    assert not list(exported_trained.glob("*.tmp"))
    assert file_mb(int8) <= file_mb(fp32) / 3


def test_onnx_logits_match_torch_with_padding_and_dynamic_shapes(exported_trained):
    import torch
    from transformers import AutoModelForTokenClassification

    from train.inference.backends import FP32_NAME, OnnxBackend

    model = AutoModelForTokenClassification.from_pretrained(str(exported_trained)).eval()
    sess = OnnxBackend(exported_trained / FP32_NAME, model.config)
    assert sess.input_names[:2] == ("input_ids", "attention_mask")
    rng = np.random.default_rng(0)
    for batch, seq in ((1, 3), (4, 17), (2, 130)):
        ids = rng.integers(5, model.config.vocab_size, (batch, seq))
        mask = np.ones_like(ids)
        mask[-1, seq // 2 :] = 0  # a padded row
        feats = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        got = sess(feats)
        with torch.inference_mode():
            ref = model(**{k: torch.from_numpy(v) for k, v in feats.items()}).logits.numpy()
        assert got.dtype == np.float32 and got.shape == ref.shape
        real = mask.astype(bool)
        np.testing.assert_allclose(got[real], ref[real], atol=1e-4, rtol=1e-4)


def test_label_agreement_fp32_and_int8_on_trained_model(exported_trained):
    """fp32 ONNX agrees with torch on ≥ 99.9% of sub-word labels, int8 with fp32 on ≥ 99%."""
    from transformers import AutoModelForTokenClassification

    from train.features.tokenization import load_tokenizer
    from train.inference.backends import FP32_NAME, INT8_NAME, OnnxBackend, TorchBackend

    tok = load_tokenizer(str(exported_trained))
    model = AutoModelForTokenClassification.from_pretrained(str(exported_trained))
    texts = _seed_sentences()
    torch_lab = _labels(TorchBackend(model, "cpu"), tok, texts)
    fp32 = _labels(OnnxBackend(exported_trained / FP32_NAME), tok, texts)
    int8 = _labels(OnnxBackend(exported_trained / INT8_NAME), tok, texts)
    assert len(torch_lab) > 1000
    assert (fp32 == torch_lab).mean() >= 0.999
    assert (int8 == fp32).mean() >= 0.99
    assert (torch_lab != 0).mean() > 0.1  # the model tags entities: the check is not all-O


def test_predictor_onnx_backend_matches_torch_entities(exported_trained):
    from train.inference.predictor import Predictor

    docs = _seed_texts()
    ref = [r["entities"] for r in Predictor.from_pretrained(ner=str(exported_trained)).predict(docs)]
    fp32 = [r["entities"] for r in Predictor.from_pretrained(ner=str(exported_trained), backend="onnx-fp32").predict(docs)]
    int8 = [r["entities"] for r in Predictor.from_pretrained(ner=str(exported_trained), backend="onnx").predict(docs)]

    def spans(recs):
        return {(k, e["start"], e["end"], e["label"]) for k, ents in enumerate(recs) for e in ents}

    assert sum(map(len, ref)) > 100
    assert spans(fp32) == spans(ref)
    for a, b in zip(fp32, ref):
        assert [e["score"] for e in a] == pytest.approx([e["score"] for e in b], abs=1e-3)
    both = spans(ref) & spans(int8)
    assert len(both) / len(spans(ref) | spans(int8)) >= 0.95
    for recs, docs_ in ((int8, docs),):
        for ents, text in zip(recs, docs_):
            for e in ents:
                assert text[e["start"]:e["end"]] == e["text"]


def test_onnx_backend_without_export_says_how(tiny_model_dir, tmp_path):
    from train.inference.backends import PredictorError
    from train.inference.predictor import Predictor

    d = _copy(tiny_model_dir, tmp_path / "m")
    cfg = json.loads((d / "config.json").read_text())
    if "TokenClassification" not in " ".join(cfg.get("architectures") or []):
        from transformers import AutoModelForTokenClassification

        AutoModelForTokenClassification.from_pretrained(str(d), num_labels=3).save_pretrained(d)
    with pytest.raises(PredictorError, match="export_onnx.py"):
        Predictor.from_pretrained(ner=str(d), backend="onnx")


def test_export_cli_sequence_classifier_and_errors(tiny_model_dir, tmp_path, capsys):
    """export_onnx.py also handles a sentence classifier; a missing folder is a clear error."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from train.inference.backends import FP32_NAME, INT8_NAME, OnnxBackend

    d = _copy(tiny_model_dir, tmp_path / "events")
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(str(d), num_labels=4).eval()
    model.save_pretrained(d)
    cli = load_script("export_onnx")
    assert cli.main([str(d)]) == 0
    assert "int8" in capsys.readouterr().out
    ids = np.array([[2, 50, 60, 70, 3], [2, 80, 3, 0, 0]])
    mask = (np.arange(5)[None, :] < np.array([[5], [3]])).astype(np.int64)
    got = OnnxBackend(d / FP32_NAME)({"input_ids": ids, "attention_mask": mask})
    with torch.inference_mode():
        ref = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    assert got.shape == (2, 4)
    np.testing.assert_allclose(got, ref, atol=1e-4)
    assert (d / INT8_NAME).is_file()
    assert cli.main([str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
