"""Issue 26 rows 12 and 13: ``make_tiny_model.py`` reads what its help says, and its vocabulary
step streams word counts, so memory stays bounded on large text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

ARTICLES = ["وصل الوفد الروسي إلى طرابلس في زيارة رسمية.", "استقبل المشير حفتر وزير الدفاع الروسي في بنغازي."]


@pytest.fixture(scope="module")
def mk():
    return load_script("make_tiny_model")


def _vocab(out: Path) -> dict[str, int]:
    return json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]


@pytest.mark.parametrize("name", ["corpus.jsonl", "corpus.json", "corpus.txt"])
def test_corpus_named_with_its_format_as_the_help_says(mk, tmp_path, capsys, name):
    src = tmp_path / name
    src.write_text("".join(json.dumps({"id": f"d{k}", "text": t}, ensure_ascii=False) + "\n"
                           for k, t in enumerate(ARTICLES)), encoding="utf-8")
    out = tmp_path / "base"
    rc = mk.cli([str(out), "--corpus", f"jsonl:{src}", "--vocab-size", "300"])
    err = capsys.readouterr().err
    assert rc == 0, err
    vocab = _vocab(out)
    assert {"طرابلس", "بنغازي"} <= set(vocab)
    assert '"id"' not in vocab and "text" not in vocab  # the records' text, not the JSON


def test_conll_and_text_prefixes_and_a_missing_prefixed_file(mk, tmp_path, capsys):
    conll = tmp_path / "train.iob"
    conll.write_text("زار O\nحفتر B-PERS\nموسكو B-GPE\n\n", encoding="utf-8")
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"text": ARTICLES[0]}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "base"
    assert mk.cli([str(out), "--corpus", f"conll:{conll}", "--text", f"jsonl:{extra}", "--vocab-size", "300"]) == 0
    assert {"حفتر", "طرابلس"} <= set(_vocab(out))
    capsys.readouterr()
    assert mk.cli([str(tmp_path / "b"), "--corpus", f"jsonl:{tmp_path / 'nope.jsonl'}"]) == 2
    assert capsys.readouterr().err.strip() == f"error: not found: jsonl:{tmp_path / 'nope.jsonl'}"


def test_records_without_text_are_all_reported_and_nothing_is_written(mk, tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps({"text": ARTICLES[0]}, ensure_ascii=False) + "\n" + "{not json\n"
                   + json.dumps({"id": "x"}) + "\n" + json.dumps({"text": ARTICLES[1]}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    out = tmp_path / "base"
    rc = mk.cli([str(out), "--corpus", f"jsonl:{src}", "--vocab-size", "300"])
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists()
    assert err.splitlines() == [
        f"make_tiny_model.py: {src}:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        f'make_tiny_model.py: {src}:3: text: each record needs a "text" string',
    ]
