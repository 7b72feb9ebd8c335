"""The model set as one unit: which tasks `make train` trains for a corpus, and how `predict.py --models`
finds a published set or says why it cannot (no training here: the full path is in tests/test_hub.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEED, load_script

from train.commands.train_set import corpus_tasks
from train.commands.train_set import main as train_set
from train.inference.backends import PredictorError
from train.inference.model_set import resolve_model_set


def _corpus(tmp_path: Path, docs: list[dict]) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def test_the_seed_corpus_supports_every_task():
    assert corpus_tasks(SEED) == {"ner": True, "events": True, "triggers": True, "roles": True}


def test_a_corpus_without_roles_or_events_leaves_those_tasks_out(tmp_path):
    ents = _corpus(tmp_path, [{"id": "a", "text": "وصل حفتر.", "entities": [{"start": 4, "end": 8, "label": "PERS"}]}])
    assert corpus_tasks(ents) == {"ner": True, "events": False, "triggers": False, "roles": False}
    events = _corpus(tmp_path, [{"id": "a", "text": "وصل حفتر.", "events": [{"start": 0, "end": 3, "label": "CONSULT"}]}])
    assert corpus_tasks(events) == {"ner": False, "events": True, "triggers": True, "roles": False}


def test_a_corpus_line_that_is_not_a_record_leaves_the_check_to_train_py(tmp_path):
    """A bad line (not JSON, not an object, not UTF-8) means every task is tried and train.py reports the
    line; blank lines and a byte-order mark are no such line."""
    good = json.dumps({"id": "a", "text": "وصل حفتر.", "entities": [{"start": 4, "end": 8, "label": "PERS"}]},
                      ensure_ascii=False).encode("utf-8") + b"\n"
    path = tmp_path / "corpus.jsonl"
    for bad in (b"{not json\n", b'"a string"\n', b"\xff oops\n"):
        path.write_bytes(good + bad + good)
        assert corpus_tasks(path) is None, bad
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n  \n" + good)
    assert corpus_tasks(path) == {"ner": True, "events": False, "triggers": False, "roles": False}


def test_asking_for_a_task_the_corpus_cannot_train_is_refused_before_training(tmp_path, capsys):
    ents = _corpus(tmp_path, [{"id": "a", "text": "وصل حفتر.", "entities": [{"start": 4, "end": 8, "label": "PERS"}]}])
    assert train_set(["--runs", str(tmp_path / "runs"), "--corpus", str(ents), "--tasks", "ner", "roles"]) == 2
    assert "has no events with a source or a target for task roles" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_output_dir_in_the_shared_options_is_refused(tmp_path, capsys):
    assert train_set(["--runs", str(tmp_path / "runs"), "--", "--output_dir", str(tmp_path / "x")]) == 2
    assert "make train RUNS=DIR" in capsys.readouterr().err


def test_a_missing_corpus_is_one_line(tmp_path, capsys):
    assert train_set(["--runs", str(tmp_path / "runs"), "--corpus", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "nope.jsonl: corpus not found" in err and len(err.strip().splitlines()) == 1


def _model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_a_set_folder_resolves_to_its_task_folders(tmp_path):
    _model(tmp_path / "set" / "ner")
    _model(tmp_path / "set" / "triggers")
    (tmp_path / "set" / "notes").mkdir()
    assert resolve_model_set(str(tmp_path / "set")) == {"ner": str(tmp_path / "set" / "ner"),
                                                        "triggers": str(tmp_path / "set" / "triggers")}


@pytest.mark.parametrize("case, message", [
    ("one-model", "this is one model, not a set"),
    ("empty", "no model folder in it named ner, events, triggers, roles"),
    ("file", "neither a folder of task folders nor a Hub prefix"),
])
def test_what_is_not_a_set_is_said(tmp_path, case, message):
    where = tmp_path / case
    if case == "one-model":
        _model(where)
    elif case == "empty":
        where.mkdir()
    else:
        where.write_text("x", encoding="utf-8")
    with pytest.raises(PredictorError, match=message):
        resolve_model_set(str(where))


def test_a_hub_prefix_with_nothing_cached_offline_is_one_line(tmp_path, capsys, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    assert load_script("predict").main(["--models", "nobody/nothing", "--text", "نص"]) == 1
    err = capsys.readouterr().err
    assert "no repository nobody/nothing-ner" in err and "HF_HUB_OFFLINE" in err and len(err.strip().splitlines()) == 1
