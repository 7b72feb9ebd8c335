"""The tokenizer normaliser: diacritics and tatweel are invisible to the model, offsets are not."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from train.corpus.text import is_word_boundary, strip_diacritics
from train.features.tokenization import LossyTokenizerError, load_tokenizer, prepare_tokenizer

PLAIN = "قال الرئيس محمد إن القوات أيضا مشيرا إلى آمال كبيرة"
MARKED = "قـالَ الرَّئيسُ مُحَمَّدٌ إنَّ القُوّاتِ أيضاً مُشِيراً إلى آمالٍ كبيـــرةٍ"


def test_diacritics_and_tatweel_give_the_same_tokens(tiny_tokenizer):
    assert strip_diacritics(MARKED) == PLAIN
    a = tiny_tokenizer(PLAIN)["input_ids"]
    b = tiny_tokenizer(MARKED)["input_ids"]
    assert a == b
    assert tiny_tokenizer.unk_token_id not in a


def test_every_offset_slices_the_original_text(tiny_tokenizer):
    enc = tiny_tokenizer(MARKED, return_offsets_mapping=True, add_special_tokens=False)
    toks = tiny_tokenizer.convert_ids_to_tokens(enc["input_ids"])
    words: dict[int, list] = {}
    for tok, w, (a, b) in zip(toks, enc.word_ids(), enc["offset_mapping"]):
        assert 0 <= a < b <= len(MARKED), tok
        entry = words.setdefault(w, [a, b, ""])
        entry[0], entry[1] = min(entry[0], a), max(entry[1], b)
        entry[2] += tok.removeprefix("##")
    assert len(words) == len(PLAIN.split())
    for a, b, joined in words.values():
        # A word's sub-words, without diacritics, are exactly the original word's slice;
        # the slice starts and ends on word boundaries (trailing marks and tatweel included).
        assert strip_diacritics(MARKED[a:b]) == joined
        assert is_word_boundary(MARKED, a) and is_word_boundary(MARKED, b), MARKED[a:b]


def test_saved_tokenizer_keeps_the_normaliser(tiny_tokenizer, tmp_path):
    from transformers import AutoTokenizer

    tiny_tokenizer.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(str(tmp_path))
    assert again(MARKED)["input_ids"] == tiny_tokenizer(PLAIN)["input_ids"]
    assert again(MARKED, return_offsets_mapping=True)["offset_mapping"] == tiny_tokenizer(MARKED, return_offsets_mapping=True)["offset_mapping"]
    norm = json.loads((tmp_path / "tokenizer.json").read_text(encoding="utf-8"))["normalizer"]
    assert "\u064b" in json.dumps(norm, ensure_ascii=False)


def test_hamza_kept_and_lossy_tokenizer_refused(tiny_tokenizer):
    from transformers import BertTokenizerFast

    toks = tiny_tokenizer.tokenize("إلى أحمد آمال")
    assert "".join(toks).count("إ") == 1 and "أ" in "".join(toks) and "آ" in "".join(toks)
    vocab = dict(tiny_tokenizer.get_vocab())
    lossy = BertTokenizerFast(vocab=vocab)  # default do_lower_case=True strips hamza
    with pytest.raises(LossyTokenizerError, match="إ"):
        prepare_tokenizer(lossy)
    assert prepare_tokenizer(lossy, allow_lossy=True) is not None
    ok = prepare_tokenizer(BertTokenizerFast(vocab=vocab, do_lower_case=False))
    assert ok(MARKED)["input_ids"] == tiny_tokenizer(PLAIN)["input_ids"]


def test_prepare_is_idempotent(tiny_model_dir, tiny_tokenizer):
    again = prepare_tokenizer(load_tokenizer(tiny_model_dir))
    n1 = tiny_tokenizer.backend_tokenizer.normalizer.__getstate__()
    n2 = again.backend_tokenizer.normalizer.__getstate__()
    assert n1 == n2


@pytest.mark.slow
def test_tiny_model_covers_its_texts_with_the_requested_shape(tmp_path):
    """The tiny base model: 2 layers, hidden 128, a vocabulary learned from its texts, the same on every build.

    The vocabulary is built in this process and again in a fresh one (another hash seed), and
    the two tokenizer files must be byte-identical: the learning tests rely on it.
    """
    from conftest import load_script
    from transformers import AutoTokenizer

    mk = load_script("make_tiny_model")
    texts = [PLAIN, MARKED, "ذهب الوفد إلى القاهرة يوم الأحد"]
    out = mk.build(tmp_path / "a", texts, vocab_size=2000)
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["num_hidden_layers"], cfg["hidden_size"]) == (2, 128)
    tok = AutoTokenizer.from_pretrained(out)
    assert cfg["vocab_size"] == len(tok)
    # Learned from these texts: their words are whole tokens, a script it never saw is [UNK].
    assert tok.tokenize("القاهرة") == ["القاهرة"]
    assert tok("Москва")["input_ids"][1:-1] == [tok.unk_token_id]
    assert tok(MARKED)["input_ids"] == tok(PLAIN)["input_ids"]
    code = ("import sys; sys.path.insert(0, 'tests'); from conftest import load_script; "
            f"load_script('make_tiny_model').build({str(tmp_path / 'b')!r}, {texts!r}, vocab_size=2000)")
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env, capture_output=True)
    assert (tmp_path / "b" / "tokenizer.json").read_bytes() == (out / "tokenizer.json").read_bytes()
