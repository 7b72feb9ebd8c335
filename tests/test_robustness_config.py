"""Configs (issue 9, item 3): a bad config fails before any model is loaded, naming the key.

Each case runs ``scripts/train.py`` with every model and tokenizer loader patched to fail the
test if it is called, and with ``model_name_or_path`` pointing at a folder that does not
exist: the config error has to come first. The CLI exits 2 with ``error: <key>: ...`` and no
traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"




@pytest.fixture(scope="module")
def train_cli():
    return load_script("train")


@pytest.fixture
def no_model_loading(monkeypatch):
    """Any attempt to resolve or load a model or tokenizer fails the test."""
    import transformers

    import train.features.tokenization
    import train.training.modeling

    calls: list[str] = []

    def forbid(name):
        def _raise(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called before the config was validated")

        return _raise

    monkeypatch.setattr(train.training.modeling, "resolve_model", forbid("resolve_model"))
    monkeypatch.setattr(train.training.modeling, "load_token_model", forbid("load_token_model"))
    monkeypatch.setattr(train.training.modeling, "load_base_tokenizer", forbid("load_base_tokenizer"))
    monkeypatch.setattr(train.features.tokenization, "load_tokenizer", forbid("load_tokenizer"))
    for cls in ("AutoConfig", "AutoTokenizer", "AutoModel", "AutoModelForTokenClassification",
                "AutoModelForSequenceClassification"):
        monkeypatch.setattr(getattr(transformers, cls), "from_pretrained", forbid(f"{cls}.from_pretrained"))
    return calls


def _config(tmp_path: Path, **changes) -> Path:
    cfg = {
        "task": "ner",
        "model_name_or_path": str(tmp_path / "no-such-model"),
        "train_file": str(SEED),
        "validation_file": str(SEED),
        "output_dir": str(tmp_path / "run"),
        "max_steps": 1,
        "use_cpu": True,
    }
    cfg.update(changes)
    p = tmp_path / "config.yaml"
    p.write_text(yaml.safe_dump({k: v for k, v in cfg.items() if v is not None}, allow_unicode=True), encoding="utf-8")
    return p


BAD_CONFIGS = [
    # (name, changes to the YAML, extra command-line overrides, text that the message must hold)
    ("unknown key", {"learning_rat": 0.001}, [], "unknown configuration key(s): learning_rat"),
    ("unknown key on the command line", {}, ["--num_epochs", "3"], "unknown configuration key(s): num_epochs"),
    ("wrong type, int", {"max_seq_length": "long"}, [], "max_seq_length: expected an integer, got str 'long'"),
    ("wrong type, float", {"learning_rate": "fast"}, [], "learning_rate: expected a number, got str 'fast'"),
    ("wrong type, bool", {"allow_pickle": "maybe"}, [], "allow_pickle: expected true or false"),
    ("wrong type, list", {"labels": "PERS"}, [], "labels:"),
    ("wrong type, override", {}, ["--per_device_train_batch_size", "2.5"], "per_device_train_batch_size: expected an integer"),
    ("not a choice", {"eval_strategy": "sometimes"}, [], "eval_strategy: expected one of no, steps, epoch"),
    ("missing train file", {"train_file": "data/no-such-file.jsonl"}, [], "train_file: data/no-such-file.jsonl does not exist"),
    ("missing dev file", {}, ["--validation_file", "nope/dev.jsonl"], "validation_file: nope/dev.jsonl does not exist"),
    ("missing schema", {"schema_path": "configs/no-schema.yaml"}, [], "schema_path:"),
    ("unknown label", {"labels": ["PERS", "PERSON"]}, [], "labels: PERSON not in the schema's entities"),
    ("unknown label in a label map", {"label_map": {"PER": "PERSON"}}, [], "label_map: maps to PERSON"),
    ("unknown task", {"task": "parsing"}, [], "task: 'parsing' is not one of"),
]


@pytest.mark.parametrize("name,changes,overrides,expected", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_fails_before_any_model_is_loaded(train_cli, no_model_loading, capsys, tmp_path,
                                                     name, changes, overrides, expected):
    rc = train_cli.main([str(_config(tmp_path, **changes)), *overrides])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert expected in err, err
    assert err.startswith("error: ") and "Traceback" not in err
    assert no_model_loading == []
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


def test_every_type_problem_is_reported_at_once(tmp_path):
    from train.training.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as info:
        parse_config(str(_config(tmp_path, max_seq_length="x", num_train_epochs="y", use_cpu="z")))
    msg = str(info.value)
    for key in ("max_seq_length", "num_train_epochs", "use_cpu"):
        assert f"{key}: expected" in msg


def test_yaml_friendly_values_are_accepted(tmp_path):
    """YAML reads ``5e-5`` as a string and ``run_name: 7`` as an int: both are what the user meant."""
    from train.training.config import parse_config

    p = _config(tmp_path)
    p.write_text(p.read_text(encoding="utf-8") + "learning_rate: 5e-5\nrun_name: 7\nreport_to: none\n", encoding="utf-8")
    _, _, training_args = parse_config(str(p))
    assert training_args.learning_rate == 5e-5 and training_args.run_name == "7"


def test_config_file_itself_broken(train_cli, no_model_loading, capsys, tmp_path):
    for content, expected in (("task: [ner\n", "not valid YAML"), ("- a\n- b\n", "expected a mapping")):
        p = tmp_path / "c.yaml"
        p.write_text(content, encoding="utf-8")
        assert train_cli.main([str(p)]) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err
    assert train_cli.main([str(tmp_path / "missing.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_process_exits_nonzero_without_traceback(tmp_path):
    """The real process: exit status 2, one line naming the key, no traceback."""
    cfg = _config(tmp_path, max_seq_length="long")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), str(cfg)],
                       capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert r.returncode == 2, r.stderr
    assert "max_seq_length: expected an integer" in r.stderr and "Traceback" not in r.stderr


def test_broken_training_corpus_is_reported_before_the_model_loads(train_cli, tiny_model_dir, capsys, tmp_path, monkeypatch):
    """A corpus that is not JSON, not UTF-8 or not an object: file and line named, exit 1, no traceback."""
    import train.training.modeling

    def forbid(*args, **kwargs):
        raise AssertionError("the model was loaded before the corpus was read")

    monkeypatch.setattr(train.training.modeling, "load_token_model", forbid)
    monkeypatch.setattr(train.training.modeling, "load_base_tokenizer", forbid)
    good = SEED.read_bytes().splitlines(keepends=True)[0]
    cases = [
        (b'{"id": "x", "text": \n', "bad.jsonl:2: not valid JSON"),
        (b"[1, 2]\n", "bad.jsonl:2: expected a JSON object, got list"),
        (b'{"id": "x", "text": "\xd2\xc7\xd1"}\n', f"bad.jsonl:2: not valid UTF-8: byte 0xd2 at byte offset {len(good) + 21}"),
    ]
    for line, expected in cases:
        bad = tmp_path / "bad.jsonl"
        bad.write_bytes(good + line)
        cfg = _config(tmp_path, model_name_or_path=str(tiny_model_dir), train_file=str(bad))
        rc = train_cli.main([str(cfg)])
        err = capsys.readouterr().err
        assert rc == 1 and expected in err and "Traceback" not in err, err
        assert not (tmp_path / "run").exists()


def test_empty_or_blank_training_corpus_is_said_not_crashed_on(train_cli, tiny_model_dir, capsys, tmp_path, monkeypatch):
    """An empty file, or documents that are empty or only white space: a message, exit 1, no model loaded."""
    import train.training.modeling

    def forbid(*args, **kwargs):
        raise AssertionError("the model was loaded for an empty corpus")

    monkeypatch.setattr(train.training.modeling, "load_token_model", forbid)
    for name, content, key in (
        ("empty.jsonl", "", "train_file"),
        ("blank.jsonl", '{"id": "e", "text": ""}\n{"id": "w", "text": " \\n\\t "}\n', "train_file"),
    ):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        cfg = _config(tmp_path, model_name_or_path=str(tiny_model_dir), train_file=str(path), validation_file=None)
        rc = train_cli.main([str(cfg)])
        err = capsys.readouterr().err
        assert rc == 1 and f"{key}: {path} holds no text" in err and "Traceback" not in err, err
    good = tmp_path / "blank.jsonl"
    cfg = _config(tmp_path, model_name_or_path=str(tiny_model_dir), validation_file=str(good))
    assert train_cli.main([str(cfg)]) == 1
    assert f"validation_file: {good} holds no text" in capsys.readouterr().err


NOT_TRAINING = {"schema.yaml", "actors.yaml", "country_aliases.yaml"}  # the label schema and events.py's dictionaries


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "configs").glob("*.yaml") if p.name not in NOT_TRAINING),
                         ids=lambda p: p.name)
def test_shipped_configs_pass_the_checks(path):
    """The type checks refuse nothing that the project's own configs use."""
    from train.training.config import (
        ARGUMENT_CLASSES,
        BASE_HIDDEN,
        auto_learning_rate,
        check_types,
        known_keys,
        load_yaml_config,
        parse_auto_learning_rate,
    )

    raw = load_yaml_config(path)
    auto, base = parse_auto_learning_rate(raw.get("learning_rate", ""))
    if auto:  # auto or auto:RATE, resolved by the base model's size once it is loaded
        raw["learning_rate"] = auto_learning_rate(BASE_HIDDEN, base)
    assert set(raw) <= known_keys()
    assert check_types(raw, ARGUMENT_CLASSES)[1] == []
