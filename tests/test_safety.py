"""Safety (issue 9, item 5): weights load only from safetensors; remote code never runs.

* A model folder with only a pickle (``pytorch_model.bin``) is refused, with a message that
  says why and how to accept it, by the project's loader, ``scripts/train.py`` and
  ``scripts/predict.py``; with ``--allow-pickle`` it loads.
* A folder that has both loads the safetensors and never opens the pickle.
* ``trust_remote_code`` is never set: no source file sets it to anything but ``False``, and a
  model folder that ships code (``auto_map``) never gets that code imported.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import build_random_tagger, load_script

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
TAGS = ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE"]




def _seed_texts() -> list[str]:
    return [json.loads(line)["text"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def tagger_dir(tmp_path_factory) -> Path:
    """A tiny token-classification model (safetensors), saved with the project's tokenizer."""
    return build_random_tagger(tmp_path_factory.mktemp("tagger"), TAGS)


def _pickle_only_copy(src: Path, dst: Path) -> Path:
    """``src`` with its safetensors replaced by a ``pytorch_model.bin`` pickle of the same weights."""
    import torch
    from safetensors.torch import load_file

    shutil.copytree(src, dst)
    weights = load_file(str(dst / "model.safetensors"))
    (dst / "model.safetensors").unlink()
    torch.save(weights, dst / "pytorch_model.bin")
    return dst


@pytest.fixture(scope="module")
def pickle_dir(tagger_dir, tmp_path_factory) -> Path:
    return _pickle_only_copy(tagger_dir, tmp_path_factory.mktemp("pickled") / "model")


# --------------------------------------------------------------------------- the project's loader


def test_loader_refuses_pickle_only_folder_with_clear_message(pickle_dir):
    from train.training.config import ModelArguments
    from train.training.modeling import UnsafeWeights, load_token_model, resolve_model

    with pytest.raises(UnsafeWeights) as info:
        resolve_model(str(pickle_dir))
    msg = str(info.value)
    assert str(pickle_dir) in msg and ".bin" in msg and "allow_pickle" in msg and "safetensors" in msg
    with pytest.raises(UnsafeWeights):
        load_token_model(ModelArguments(model_name_or_path=str(pickle_dir)), TAGS)


def test_loader_loads_pickle_when_allowed(pickle_dir, tagger_dir):
    import torch
    from safetensors.torch import load_file

    from train.training.config import ModelArguments
    from train.training.modeling import load_token_model, resolve_model

    assert resolve_model(str(pickle_dir), allow_pickle=True) == str(pickle_dir)
    model = load_token_model(ModelArguments(model_name_or_path=str(pickle_dir), allow_pickle=True), TAGS)
    want = load_file(str(tagger_dir / "model.safetensors"))
    got = model.state_dict()
    assert torch.equal(got["classifier.weight"], want["classifier.weight"])  # the pickle's weights, really loaded


def test_safetensors_win_and_the_pickle_is_never_opened(tagger_dir, tmp_path):
    """A folder with both: the safetensors load; a booby-trapped .bin beside them is not read."""
    from train.inference.predictor import Predictor
    from train.training.config import ModelArguments
    from train.training.modeling import load_token_model

    both = tmp_path / "both"
    shutil.copytree(tagger_dir, both)
    (both / "pytorch_model.bin").write_bytes(b"this is not a pickle; reading it would fail")
    model = load_token_model(ModelArguments(model_name_or_path=str(both)), TAGS)
    assert model.config.num_labels == len(TAGS)
    rec = Predictor.from_pretrained(ner=str(both)).predict_one("وصل بوتين إلى موسكو.")
    assert rec["text"] == "وصل بوتين إلى موسكو."


# --------------------------------------------------------------------------- the scripts


def test_predict_refuses_pickle_and_accepts_it_with_allow_pickle(pickle_dir, capsys):
    predict = load_script("predict")
    rc = predict.main(["--ner", str(pickle_dir), "--text", "وصل بوتين إلى موسكو.", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert "pytorch_model.bin" in err and "safetensors" in err and "--allow-pickle" in err
    rc = predict.main(["--ner", str(pickle_dir), "--text", "وصل بوتين إلى موسكو.", "--no-progress", "--allow-pickle"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    (rec,) = [json.loads(line) for line in out.out.splitlines() if line.strip()]
    assert rec["text"] == "وصل بوتين إلى موسكو."


def _train_config(tmp_path: Path, model: Path) -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"task: ner\nmodel_name_or_path: {model}\ntrain_file: {SEED}\noutput_dir: {tmp_path / 'run'}\n"
        "max_seq_length: 64\nwindow_overlap: 16\nmax_train_sentences: 4\nmax_steps: 1\n"
        "per_device_train_batch_size: 4\nuse_cpu: true\ndisable_tqdm: true\nreport_to: []\n",
        encoding="utf-8",
    )
    return cfg


def test_train_refuses_pickle_base_model_and_accepts_it_with_allow_pickle(pickle_dir, tmp_path, capsys):
    train = load_script("train")
    cfg = _train_config(tmp_path, pickle_dir)
    rc = train.main([str(cfg)])
    err = capsys.readouterr().err
    assert rc == 3 and err.startswith("error: ") and "Traceback" not in err
    assert "pickle" in err and "allow_pickle" in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()
    rc = train.main([str(cfg), "--allow-pickle"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert (tmp_path / "run" / "model.safetensors").is_file()  # what it writes is safetensors
    assert not list((tmp_path / "run").glob("pytorch_model*.bin"))


# --------------------------------------------------------------------------- remote code


SOURCES = sorted([*(ROOT / "train").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")])


def test_no_source_file_sets_trust_remote_code():
    """Every mention of trust_remote_code in the package and scripts sets it to False (or drops it)."""
    allowed = re.compile(
        r"trust_remote_code\s*=\s*False\b"  # keyword argument
        r"|[\"']trust_remote_code[\"']\s*:\s*False\b"  # in a kwargs dict
        r"|\.pop\(\s*[\"']trust_remote_code[\"']"  # dropped from caller's kwargs
    )
    offenders = []
    for path in SOURCES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "trust_remote_code" in allowed.sub("", line.split("#", 1)[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
    assert any("trust_remote_code=False" in p.read_text(encoding="utf-8") for p in SOURCES)


def _plant_remote_code(src: Path, dst: Path, model_type: str = "bert") -> Path:
    """A copy of ``src`` that ships Python code: importing it writes ``IMPORTED`` beside it."""
    shutil.copytree(src, dst)
    marker = dst / "IMPORTED"
    (dst / "evil.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('remote code ran')\n"
        "from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast\n"
        "class EvilConfig(BertConfig):\n    model_type = 'evil'\n"
        "class EvilModel(BertForTokenClassification):\n    config_class = EvilConfig\n"
        "class EvilTokenizer(PreTrainedTokenizerFast):\n    pass\n",
        encoding="utf-8",
    )
    cfg = json.loads((dst / "config.json").read_text(encoding="utf-8"))
    cfg["model_type"] = model_type
    cfg["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModel": "evil.EvilModel",
                       "AutoModelForTokenClassification": "evil.EvilModel"}
    (dst / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    tcfg = json.loads((dst / "tokenizer_config.json").read_text(encoding="utf-8"))
    tcfg["auto_map"] = {"AutoTokenizer": [None, "evil.EvilTokenizer"]}
    (dst / "tokenizer_config.json").write_text(json.dumps(tcfg), encoding="utf-8")
    return dst


def _spy_from_pretrained(monkeypatch) -> list[tuple[str, object]]:
    """Record the trust_remote_code argument of every transformers from_pretrained call."""
    import transformers

    seen: list[tuple[str, object]] = []
    for name in ("AutoConfig", "AutoTokenizer", "AutoModel", "AutoModelForTokenClassification",
                 "AutoModelForSequenceClassification"):
        cls = getattr(transformers, name)
        original = cls.from_pretrained

        def spy(*args, _orig=original, _name=name, **kwargs):
            seen.append((_name, kwargs.get("trust_remote_code", "<unset>")))
            return _orig(*args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", spy)
    return seen


def test_model_folder_with_code_never_runs_it(tagger_dir, tmp_path, monkeypatch):
    """Every loader the project has, pointed at a folder with ``auto_map`` code: the code never runs."""
    from train.inference.backends import PredictorError
    from train.inference.predictor import Predictor
    from train.inference.tagging import SpanTagger
    from train.training.config import ModelArguments
    from train.training.modeling import load_base_tokenizer, load_token_model

    seen = _spy_from_pretrained(monkeypatch)
    known = _plant_remote_code(tagger_dir, tmp_path / "known")  # model_type bert: loads as plain BERT
    args = ModelArguments(model_name_or_path=str(known))
    assert type(load_token_model(args, TAGS)).__name__ == "BertForTokenClassification"
    load_base_tokenizer(args)
    SpanTagger.from_pretrained(known)
    Predictor.from_pretrained(ner=str(known)).predict_one("وصل بوتين إلى موسكو.")
    assert not (known / "IMPORTED").exists()

    unknown = _plant_remote_code(tagger_dir, tmp_path / "unknown", model_type="evil")  # only the code knows it
    with pytest.raises((ValueError, OSError, PredictorError)):
        load_token_model(ModelArguments(model_name_or_path=str(unknown)), TAGS)
    with pytest.raises(PredictorError):
        Predictor.from_pretrained(ner=str(unknown))
    assert not (unknown / "IMPORTED").exists()

    assert seen, "the spy saw no loading"
    assert all(v is False for _, v in seen), [s for s in seen if s[1] is not False]


def test_every_model_load_in_the_package_asks_for_safetensors():
    """``AutoModel*.from_pretrained`` calls pass ``use_safetensors`` (or a kwargs dict that holds it)."""
    import ast

    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "from_pretrained"):
                continue
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if not (name.startswith("AutoModel") or name.endswith(("ForTokenClassification", "ForSequenceClassification"))):
                continue
            keys = {k.arg for k in node.keywords}
            if "use_safetensors" not in keys and None not in keys:  # None: a **kwargs expansion
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
