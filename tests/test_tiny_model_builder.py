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


_MEASURE = r"""
import json, random, sys, tracemalloc
sys.path.insert(0, "tests")
from conftest import load_script
from train.features.tokenization import train_wordpiece

mk = load_script("make_tiny_model")
path, one_line = sys.argv[1], sys.argv[2] == "1"
rng = random.Random(0)
letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 8))) for _ in range(1000)]
with open(path, "w", encoding="utf-8") as fh:
    for _ in range(7_000):
        fh.write(" ".join(rng.choices(words, k=40)) + ("، " if one_line else ".\n"))
train_wordpiece([next(iter(mk.corpus_texts([path])))], vocab_size=50)  # imports and first-call set-up, untraced
tracemalloc.start()
tok = train_wordpiece(mk.corpus_texts([path]), vocab_size=300)
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"peak": peak, "vocab": len(tok)}))
"""


@pytest.mark.parametrize("one_line", [False, True], ids=["lines", "one-line"])
def test_the_vocabulary_step_streams_word_counts(tmp_path, one_line):
    """The vocabulary of a few MB of text is learned with a peak under the text's own size.

    Read whole (the old code), the file was a string twice its UTF-8 size in Arabic and its
    pre-tokenized words (a tuple per word) over twenty times its size: a peak of about 28 times
    the file. Streamed, what is held is the word counts, one piece and the merges' tables.
    """
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    src = tmp_path / "news.txt"
    r = subprocess.run([sys.executable, "-c", _MEASURE, str(src), "1" if one_line else "0"], cwd=root,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    size = src.stat().st_size
    assert size > 2_500_000
    assert got["vocab"] == 300
    assert got["peak"] < size, f"peak {got['peak']:,} bytes for a {size:,}-byte file"


def test_the_merges_learn_from_the_most_frequent_words_only(tmp_path):
    """``max_words`` bounds the merges' tables (about 2 kB a distinct word) on text of any size."""
    from train.features.tokenization import train_wordpiece

    rare = [f"ك{'ت' * k}ب" for k in range(1, 40)]  # each once
    texts = ["طرابلس " * 5, " ".join(rare)]
    vocab = train_wordpiece(iter(texts), vocab_size=500, max_words=1).get_vocab()
    learned = [t.removeprefix("##") for t in vocab if len(t.removeprefix("##")) > 1 and not t.startswith("[")]
    assert "طرابلس" in vocab and all(t in "طرابلس" for t in learned)
    assert {"ك", "##ت", "##ب"} <= set(vocab)  # every character of the text is still a token, none is [UNK]


def test_plain_text_pieces_cut_only_at_white_space(mk, tmp_path):
    text = "\ufeff" + "\n".join(ARTICLES * 20) + " " + "ب" * 200  # a BOM, and a long last run without white space
    src = tmp_path / "news.txt"
    src.write_text(text, encoding="utf-8")
    problems: list = []
    pieces = list(mk._text_pieces(str(src), problems, size=7))  # 7 bytes: pieces cut inside two-byte letters too
    assert not problems and "".join(pieces) == text[1:]
    assert len(pieces) > 20 and all(p[-1].isspace() for p in pieces if set(p) != {"ب"})
    assert all(len(p) <= 5 * 7 for p in pieces)  # a run without white space is cut too, past 4 pieces


def test_plain_text_that_is_not_utf8_names_line_and_byte(mk, tmp_path, capsys):
    src = tmp_path / "news.txt"
    good = ("\n".join(ARTICLES) + "\n").encode("utf-8")
    src.write_bytes(good + "زار الوفد".encode("cp1256") + b"\n")
    out = tmp_path / "base"
    rc = mk.cli([str(out), "--corpus", str(src), "--vocab-size", "300"])
    assert rc == 1 and not out.exists()
    assert capsys.readouterr().err.strip() == (f"make_tiny_model.py: {src}:3: not valid UTF-8: byte 0xd2 at byte offset "
                                               f"{len(good)} of the file")
