"""Predict input (issue 9, item 2): whatever text comes in, every span is sound and nothing raises.

Property-based: random Unicode, Arabic with random diacritics and tatweel, Latin, digits,
emoji, format characters and mixed scripts go to the span alignment (spans → word tags →
spans) and to the predictor. On every entity:

* it lies inside the text and is not empty;
* its offsets slice it exactly (``text[start:end] == entity["text"]``), on word boundaries;
* the spans of one document do not overlap;
* nothing raises.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import build_random_tagger, load_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from train.corpus.document import Span
from train.corpus.sentences import split_sentences
from train.corpus.text import is_word_char, word_spans
from train.features.alignment import encode_spans_of_text, spans_from_tags, tag_names, word_tags

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
TYPES = ["PERS", "GPE", "ORG"]
TAGS = tag_names(TYPES)

# --------------------------------------------------------------------------- text strategies

ARABIC_LETTERS = [chr(c) for c in range(0x0621, 0x063B)] + [chr(c) for c in range(0x0641, 0x064B)]
MARKS = [chr(c) for c in range(0x064B, 0x0653)] + ["\u0670", "\u0640"]  # diacritics and tatweel
FORMAT_CHARS = ["\ufeff", "\x00", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b",
                "\u202c", "\u202e", "\u2066", "\u2067", "\u2069", "\u00ad", "\u061c"]
SEPARATORS = [" ", "  ", "\n", "\r\n", "\t", "\u00a0", ".", "،", "؛", "؟", "!", "?", ":", "«", "»", "(", ")",
              "-", '"', ", ", ". ", "\n\n", *FORMAT_CHARS]
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1F64F)

arabic_word = st.lists(
    st.tuples(st.sampled_from(ARABIC_LETTERS), st.lists(st.sampled_from(MARKS), max_size=3)),
    min_size=1, max_size=8,
).map(lambda parts: "".join(c + "".join(m) for c, m in parts))
latin_word = st.text(alphabet=st.characters(min_codepoint=0x41, max_codepoint=0x7A, categories=("Lu", "Ll")),
                     min_size=1, max_size=10)
digits = st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩", min_size=1, max_size=6)
number = st.builds(lambda a, b: f"{a}.{b}", digits, digits) | st.builds(lambda a, b: f"{a}:{b}", digits, digits)
emoji = st.text(alphabet=EMOJI, min_size=1, max_size=3)
any_piece = arabic_word | latin_word | digits | number | emoji | st.text(max_size=6)
mixed_text = st.lists(st.tuples(any_piece, st.sampled_from(SEPARATORS)), max_size=25).map(
    lambda parts: "".join(w + s for w, s in parts)
)
arabic_text = st.lists(st.tuples(arabic_word, st.sampled_from(SEPARATORS)), min_size=1, max_size=25).map(
    lambda parts: "".join(w + s for w, s in parts)
)
TEXTS = st.one_of(st.text(max_size=200), arabic_text, mixed_text)


def assert_sound_spans(text: str, spans: list[tuple[int, int, str]], where: str = "") -> None:
    """Inside the text, non-empty, on word boundaries, and no two overlapping."""
    for start, end, label in spans:
        assert isinstance(start, int) and isinstance(end, int), (where, start, end)
        assert 0 <= start < end <= len(text), (where, start, end, len(text))
        assert is_word_char(text[start]) and is_word_char(text[end - 1]), (where, text[start:end])
        assert start == 0 or not is_word_char(text[start - 1]), (where, "starts inside a word", text[start:end])
        assert end == len(text) or not is_word_char(text[end]), (where, "ends inside a word", text[start:end])
        assert label in TYPES, (where, label)
    ordered = sorted(spans)
    for (a0, a1, la), (b0, b1, lb) in zip(ordered, ordered[1:]):
        assert a1 <= b0, (where, "overlap", (a0, a1, la, text[a0:a1]), (b0, b1, lb, text[b0:b1]))


# --------------------------------------------------------------------------- alignment


@pytest.fixture(scope="module")
def tokenizer():
    """The project's tokenizer (diacritics normaliser inside), trained on the seed corpus."""
    from train.features.tokenization import train_wordpiece

    texts = [json.loads(line)["text"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    return train_wordpiece(texts, vocab_size=800)


def _encode(tokenizer, text: str):
    bounds = [(s.start, s.end) for s in split_sentences(text)]
    sents = encode_spans_of_text(tokenizer, text, bounds)
    for s in sents:  # sentences and their words lie in the text, in order
        assert 0 <= s.start <= s.end <= len(text)
        for a, b in zip(s.word_starts.tolist(), s.word_ends.tolist()):
            assert s.start <= a < b <= s.end
    return sents


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, data=st.data())
def test_random_tags_give_sound_spans(tokenizer, text, data):
    """Any tag sequence a model could predict (orphan I- included) turns into sound spans."""
    sents = _encode(tokenizer, text)
    spans: list[tuple[int, int, str]] = []
    for s in sents:
        tags = data.draw(st.lists(st.sampled_from(TAGS), min_size=s.num_words, max_size=s.num_words))
        spans += [(sp.start, sp.end, sp.label) for sp in spans_from_tags(text, s, tags)]
    assert_sound_spans(text, spans, "spans_from_tags")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, data=st.data())
def test_gold_spans_to_tags_and_back(tokenizer, text, data):
    """Word-aligned gold spans → word IOB2 → spans: sound, and identical where words agree.

    Gold spans are runs of the schema's words inside one sentence. Where the tokenizer's
    words and the schema's words coincide (text with separators between words), they come
    back unchanged; elsewhere (emoji or format characters glued between letters, CJK) they
    still come back sound.
    """
    sents = _encode(tokenizer, text)
    gold: list[Span] = []
    for s in sents:
        words = [w for w in word_spans(text) if s.start <= w[0] and w[1] <= s.end]
        i = 0
        while i < len(words):
            n = data.draw(st.integers(0, 3))
            if n and i + n <= len(words):
                gold.append(Span(words[i][0], words[i + n - 1][1], data.draw(st.sampled_from(TYPES))))
            i += max(n, 1) + data.draw(st.integers(0, 1))
    back: list[Span] = []
    for s in sents:
        back += spans_from_tags(text, s, word_tags(s, gold))
    assert_sound_spans(text, [(b.start, b.end, b.label) for b in back], "round trip")
    tok_words = {(int(a), int(b)) for s in sents for a, b in zip(s.word_starts, s.word_ends)}
    if set(word_spans(text)) <= tok_words:
        assert sorted(back) == sorted(gold)


def test_round_trip_on_diacritised_arabic(tokenizer):
    """A concrete case of the property: marks and tatweel inside and at the ends of words."""
    text = "قالَ الرئيسُ الروسـيّ فلاديمير بوتينُ إنّ موسكو\u200f مستعدةٌ."
    words = word_spans(text)
    gold = [Span(words[3][0], words[4][1], "PERS"), Span(words[6][0], words[6][1], "GPE")]
    (sent,) = _encode(tokenizer, text)
    back = spans_from_tags(text, sent, word_tags(sent, gold))
    assert back == gold
    assert [text[s.start:s.end] for s in back] == ["فلاديمير بوتينُ", "موسكو"]


def test_words_split_by_the_tokenizer_give_one_span(tokenizer):
    """CJK characters are separate tokenizer words but one schema word: never two overlapping spans."""
    text = "中文 abc😀def ab\u200bcd"
    (sent,) = _encode(tokenizer, text)
    spans = spans_from_tags(text, sent, ["B-PERS"] * sent.num_words)
    assert_sound_spans(text, [(s.start, s.end, s.label) for s in spans], "cjk")
    assert text[spans[0].start:spans[0].end] == "中文"


# --------------------------------------------------------------------------- predictor


@pytest.fixture(scope="module")
def noisy_tagger_dir(tmp_path_factory) -> Path:
    """A tiny token-classification model whose tags vary from word to word (large random head)."""
    return build_random_tagger(tmp_path_factory.mktemp("noisy_tagger"), TAGS, head_scale=200.0)


@pytest.fixture(scope="module")
def predictor(noisy_tagger_dir):
    import torch

    from train.inference.predictor import Predictor

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield Predictor.from_pretrained(ner=str(noisy_tagger_dir), batch_size=8)
    torch.set_num_threads(before)


def check_record(text: str, rec: dict) -> None:
    assert rec["text"] == text
    ents = rec["entities"]
    for e in ents:
        assert text[e["start"]:e["end"]] == e["text"], e
        assert 0.0 <= e["score"] <= 1.0
    assert_sound_spans(text, [(e["start"], e["end"], e["label"]) for e in ents], "predictor")
    prev = 0
    for s in rec["sentences"]:
        assert prev <= s["start"] < s["end"] <= len(text)
        prev = s["end"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_predictor_on_random_text(predictor, text):
    check_record(text, predictor.predict_one(text))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXTS, min_size=1, max_size=4))
def test_predictor_batches_random_documents(predictor, texts):
    """Several documents batched together: each record is sound and belongs to its own text."""
    recs = list(predictor.predict(texts))
    assert len(recs) == len(texts)
    for text, rec in zip(texts, recs):
        check_record(text, rec)


def test_predictor_tags_and_handles_edge_texts(predictor):
    """The noisy model does find entities (so the properties are not vacuous); edge texts pass."""
    text = " ".join(["وصلَ الرئيسُ الروسـيّ فلاديمير بوتين إلى طرابلس"] * 4)
    rec = predictor.predict_one(text)
    assert rec["entities"], "the test model should tag some words"
    check_record(text, rec)
    long_sentence = " ".join(["وصل الوفد الروسي إلى بنغازي 2.5 😀"] * 40)  # > 64 sub-words: windows
    for t in ["", " ", "\n\n", "\ufeff", "\u200f\u202b", ".", "ـــ", "\u064e\u0650", "😀", long_sentence]:
        check_record(t, predictor.predict_one(t))


# --------------------------------------------------------------------------- predict.py input files




def test_predict_input_not_utf8_or_not_json_names_file_line_and_offset(noisy_tagger_dir, tmp_path, capsys, monkeypatch):
    import io

    cli = load_script("predict")
    first = '{"id": "a", "text": "نص"}\n'.encode()
    cases = [
        ("cp1256.jsonl", first + '{"id": "b", "text": "زار حفتر"}\n'.encode("cp1256"),
         f"cp1256.jsonl:2: not valid UTF-8 (byte 0xd2 at byte offset {len(first) + 21})"),
        ("latin1.txt", "café olé".encode("latin-1"), "latin1.txt: not valid UTF-8 (byte offset 3)"),
        ("broken.jsonl", first + b'{"id": "b", "text": \n', "broken.jsonl:2: not valid JSON"),
        ("array.jsonl", b"[1, 2]\n", "array.jsonl:1: text:"),
    ]
    for name, data, expected in cases:
        path = tmp_path / name
        path.write_bytes(data)
        rc = cli.main(["--ner", str(noisy_tagger_dir), str(path), "--no-progress"])
        err = capsys.readouterr().err
        assert rc == 1 and expected in err and "Traceback" not in err, (name, err)
    # a BOM at the start of a JSONL file is not part of the first document
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + first)
    assert cli.main(["--ner", str(noisy_tagger_dir), str(path), "--no-progress"]) == 0
    (rec,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rec["id"] == "a" and rec["text"] == "نص"
    # standard input that is not UTF-8
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("زار حفتر".encode("cp1256")), encoding="utf-8"))
    rc = cli.main(["--ner", str(noisy_tagger_dir), "-", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and "not valid UTF-8" in err and "Traceback" not in err
