"""--precision: what ``auto`` picks from the CPU flags, bf16 agreement with fp32, errors and metadata."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import build_random_tagger, load_script

from train.inference.backends import PredictorError
from train.inference.precision import ENV_FLAGS, choose_auto, cpu_flags, parse_flags
from train.inference.predictor import Predictor, TokenTagger, resolve_precision

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
TAGS = ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE", "B-ORG", "I-ORG"]
# bf16 rounding flips the word label where a random model's logits nearly tie (0.6% of words on the
# development machine); a wrong cast or decoding would agree on about one word in seven.
AGREEMENT_BAR = 0.95


@pytest.fixture(scope="module")
def tagger(tmp_path_factory) -> Path:
    """Random weights with a scaled head, so that word labels vary (not all O)."""
    return build_random_tagger(tmp_path_factory.mktemp("prec_tagger"), TAGS, head_scale=20.0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _seed_texts() -> list[str]:
    return [json.loads(line)["text"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_auto_picks_fp32_without_flags_and_bf16_with_them():
    assert choose_auto("cpu", flags=set())[0] == "fp32"
    assert choose_auto("cpu", flags={"avx2", "avx512f", "fma"})[0] == "fp32"
    # AVX512-BF16 without AMX: bf16 runs, but was measured slower than fp32 (docs/benchmarks.md)
    chosen, reason = choose_auto("cpu", flags={"avx2", "avx512_bf16"})
    assert chosen == "fp32" and reason.startswith("auto: CPU has avx512_bf16 but no amx_bf16, where bf16 is slower than fp32")
    assert "predict.py --export-onnx" in reason  # the way to the faster int8 path
    # int8 where every model has an int8 graph, but AMX's bf16 (or a GPU) first
    assert choose_auto("cpu", flags={"avx2", "fma"}, int8_graphs=True)[0] == "int8"
    assert choose_auto("cpu", flags={"amx_bf16"}, int8_graphs=True)[0] == "bf16"
    assert choose_auto("cuda", cuda_bf16=True, int8_graphs=True)[0] == "bf16"
    assert choose_auto("cpu", flags={"amx_bf16"}) == ("bf16", "auto: CPU has amx_bf16")
    # Narrow encoders leave AMX too little work: int8 where there are graphs, else fp32; base-size keeps bf16.
    assert choose_auto("cpu", flags={"amx_bf16"}, hidden_size=768)[0] == "bf16"
    chosen, reason = choose_auto("cpu", flags={"amx_bf16"}, int8_graphs=True, hidden_size=128)
    assert chosen == "int8" and "hidden size 128" in reason, reason
    assert choose_auto("cpu", flags={"amx_bf16"}, hidden_size=128)[0] == "fp32"
    assert choose_auto("cuda", cuda_bf16=True, hidden_size=128)[0] == "bf16"
    assert choose_auto("cpu", flags={"amx_bf16", "avx512_bf16"})[1] == "auto: CPU has amx_bf16"
    assert choose_auto("cuda", cuda_bf16=True)[0] == "bf16"
    assert choose_auto("cuda:1", cuda_bf16=False)[0] == "fp16"


def test_env_override_forces_the_flag_set(monkeypatch):
    monkeypatch.setenv(ENV_FLAGS, "")
    assert cpu_flags() == (frozenset(), ENV_FLAGS)
    assert resolve_precision("auto", "torch", "cpu")[:1] == ("fp32",)
    monkeypatch.setenv(ENV_FLAGS, "avx2, AMX_BF16")
    chosen, reason, backend = resolve_precision("auto", "torch", "cpu")
    assert (chosen, backend) == ("bf16", "torch") and "amx_bf16" in reason and ENV_FLAGS in reason


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/cpuinfo is read on Linux only")
def test_cpuinfo_flags_are_read(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx512_bf16 avx2\n\nprocessor\t: 1\n", encoding="utf-8")
    flags, source = cpu_flags(environ={}, cpuinfo=info)
    assert source == str(info) and flags == parse_flags("fpu sse avx512_bf16 avx2")


def test_bad_precision_is_one_clear_error(tagger):
    with pytest.raises(PredictorError, match="unknown precision 'fp8'"):
        resolve_precision("fp8")
    with pytest.raises(PredictorError, match="does not go with backend onnx"):
        resolve_precision("bf16", "onnx")
    with pytest.raises(PredictorError, match="export_onnx.py"):  # int8 needs the exported graph
        Predictor.from_pretrained(ner=str(tagger), precision="int8")


def test_predict_py_rejects_a_bad_precision(tagger, capsys):
    rc = load_script("predict").main(["--ner", str(tagger), "--text", "نص", "--precision", "fp8", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and "--precision 'fp8'" in err[0] and "bf16" in err[0]


def _word_tags(model: TokenTagger, texts: list[str]) -> list[str]:
    from train.features.alignment import encode_spans_of_text

    sents = [s for k, t in enumerate(texts) for s in encode_spans_of_text(model.tokenizer, t, [(0, len(t))], k)]
    return [tag for tags in model.span_tagger.tag_sentences(sents) for tag in tags]


def test_bf16_word_labels_agree_with_fp32(tagger):
    import torch

    texts = _seed_texts()
    fp32 = TokenTagger(str(tagger), device="cpu")
    bf16 = TokenTagger(str(tagger), device="cpu", precision="bf16")
    assert bf16.backend.model.dtype == torch.bfloat16 and fp32.backend.model.dtype == torch.float32
    ref, got = _word_tags(fp32, texts), _word_tags(bf16, texts)
    assert len(ref) == len(got) > 500
    assert len(set(ref)) >= 4, "the tagger must vary its labels for agreement to mean anything"
    agree = sum(a == b for a, b in zip(ref, got)) / len(ref)
    assert agree >= AGREEMENT_BAR, f"bf16 agrees with fp32 on {agree:.2%} of words"


@pytest.fixture(scope="module")
def tagger_with_graphs(tagger, tmp_path_factory) -> Path:
    """A copy of the tagger with its ONNX graphs in onnx/, as publish.py ships them."""
    import shutil

    from train.publishing.onnx_export import export_dir

    d = tmp_path_factory.mktemp("graphs") / "tagger"
    shutil.copytree(tagger, d)
    export_dir(d)
    return d


def test_auto_takes_the_int8_graph_where_every_model_has_one(tagger, tagger_with_graphs, monkeypatch):
    monkeypatch.setenv(ENV_FLAGS, "avx2 fma")  # no AMX: bf16 does not pay
    with_graphs = Predictor.from_pretrained(ner=str(tagger_with_graphs), precision="auto", device="cpu")
    assert with_graphs.precision == "int8" and "int8 graph" in with_graphs.precision_reason
    assert with_graphs.ner.backend.path == tagger_with_graphs / "onnx" / "model_quantized.onnx"
    without = Predictor.from_pretrained(ner=str(tagger), precision="auto", device="cpu")
    assert without.precision == "fp32" and "--export-onnx" in without.precision_reason
    mixed = Predictor.from_pretrained(ner=str(tagger_with_graphs), triggers=str(tagger), precision="auto", device="cpu")
    assert mixed.precision == "fp32"  # every model of a run takes the same path
    monkeypatch.setenv(ENV_FLAGS, "amx_bf16")  # AMX, but the test model is too narrow for bf16 to pay: its graph
    narrow = Predictor.from_pretrained(ner=str(tagger_with_graphs), precision="auto", device="cpu")
    assert narrow.precision == "int8" and "hidden size" in narrow.precision_reason, narrow.precision_reason


def test_export_onnx_gives_a_model_its_graphs_once(tagger, tmp_path, monkeypatch, capsys):
    import shutil

    d = tmp_path / "tagger"
    shutil.copytree(tagger, d)
    monkeypatch.setenv(ENV_FLAGS, "")
    cli = load_script("predict")
    rc = cli.main(["--ner", str(d), "--text", "وصل الوفد إلى موسكو.", "--precision", "auto", "--export-onnx", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert (d / "onnx" / "model.onnx").is_file() and (d / "onnx" / "model_quantized.onnx").is_file()
    assert "exported the ONNX graphs" in err and "precision int8 (auto:" in err
    rc = cli.main(["--ner", str(d), "--text", "وصل الوفد إلى موسكو.", "--precision", "auto", "--export-onnx", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0 and "exported" not in err and "precision int8" in err  # found, not exported again


@pytest.mark.slow
def test_predict_py_prints_and_records_the_precision(tagger, capsys, tmp_path, monkeypatch):
    cli = load_script("predict")
    monkeypatch.setenv(ENV_FLAGS, "avx2 amx_bf16")
    out = tmp_path / "out.jsonl"
    rc = cli.main(["--ner", str(tagger), "--text", _seed_texts()[0], "--precision", "auto", "--device", "cpu",
                   "--format", "corpus", "-o", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0, err
    # The test model is narrow: AMX is named, and why it is not taken; the choice printed once, and recorded.
    assert err.count("predict.py: precision fp32 (auto: CPU has amx_bf16, but at hidden size") == 1, err
    rec = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert rec["meta"]["precision"] == "fp32"
    monkeypatch.setenv(ENV_FLAGS, "")
    rc = cli.main(["--ner", str(tagger), "--text", _seed_texts()[0], "--precision", "auto", "--device", "cpu",
                   "--format", "labelstudio", "--no-progress"])
    res = capsys.readouterr()
    assert rc == 0 and "precision fp32 (auto: CPU has no amx_bf16" in res.err
    versions = [p["model_version"] for t in json.loads(res.out) for p in t["predictions"]]
    assert versions and all(v.endswith("precision=fp32") for v in versions)
