"""Issue 15: CoNLL data is also scored on the file's own tokens, and the run_ner.py recipe lines up with the project."""

from __future__ import annotations

import pytest
from conftest import SHARED_DATA

CONLL = """-DOCSTART- O

فرانكفورت B-LOC
(د O
ب O
أ) O
أعلن O
اتحاد B-ORG
صناعة I-ORG
"السيارات" I-ORG
في O
ألمانيا، I-LOC
. O

وقال O
برند B-PERS
جوتشولك I-PERS
"""


@pytest.fixture
def conll_file(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text(CONLL, encoding="utf-8")
    return p


def test_file_tokens_and_iob2_tags(conll_file):
    from train.formats.conll import read_conll_token_tags

    sents = read_conll_token_tags(conll_file)
    assert [len(t) for t, _ in sents] == [11, 3]
    toks, tags = sents[0]
    assert toks[3] == "أ)" and tags[9] == "B-LOC"  # an orphan I- starts an entity, written as IOB2
    assert sents[1][1] == ["O", "B-PERS", "I-PERS"]
    assert read_conll_token_tags(conll_file, labels=["PERS"])[0][1] == ["O"] * 11


def test_gold_spans_score_100_on_the_file_tokens(conll_file):
    from train.formats.conll import read_conll
    from train.training.token_classification import ConllSource, TokenTask, conll_token_metrics

    task = TokenTask("entities", ["PERS", "LOC", "ORG"])
    docs = read_conll(conll_file, labels=task.types)
    # The gold spans were trimmed of punctuation ("السيارات" without its quotes): still the same tokens.
    m = conll_token_metrics(ConllSource(str(conll_file)), docs, [d.entities for d in docs], task)
    assert m["scored_on"] == "conll_tokens" and m["conll_tokens"] == 14
    assert m["micro"]["f1"] == 1.0 and m["micro"]["support"] == 4
    # One predicted span cut short inside a multi-token entity: strict scoring counts it wrong.
    from train.corpus.document import Span

    orgs = [s for s in docs[0].entities if s.label == "ORG"]
    pred = [[*(s for s in docs[0].entities if s.label != "ORG"), Span(orgs[0].start, orgs[0].start + 4, "ORG")]]
    assert conll_token_metrics(ConllSource(str(conll_file)), docs, pred, task)["micro"]["f1"] == pytest.approx(0.75)


def test_token_tags_from_spans():
    from train.corpus.document import Span
    from train.evaluation.spans import token_tags

    offs = [(0, 3), (4, 8), (9, 12)]
    assert token_tags(offs, [Span(5, 11, "X")]) == ["O", "B-X", "I-X"]
    assert token_tags(offs, []) == ["O"] * 3


def test_recipe_labels_first_subword_and_lines_up_with_the_project(conll_file, tiny_model_dir):
    from train.benchmark.run_ner_recipe import IGNORE, compare_paths, encode, label_list, read_sentences
    from train.features.tokenization import load_tokenizer

    tok = load_tokenizer(tiny_model_dir)
    sents = read_sentences(conll_file)
    labels = label_list(sents)
    enc = encode(tok, sents, {t: i for i, t in enumerate(labels)}, 256)
    for item, s in zip(enc, sents):
        labelled = [p for p, v in enumerate(item["labels"]) if v != IGNORE]
        assert len(labelled) == len(s.tokens)  # one position per CoNLL token, its first sub-word
    r = compare_paths(str(tiny_model_dir), str(conll_file))
    c = r["counts"]
    assert c["sentences"] == 2 and c.get("sentence_text_differs", 0) == 0 and c.get("subwords_differ", 0) == 0
    assert c.get("recipe_only_positions", 0) == 0


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "ANERcorp-CamelLabSplits").is_dir(), reason="../shared/data/ANERcorp-CamelLabSplits is absent")
def test_anercorp_test_file_lines_up(tiny_model_dir):
    from train.benchmark.run_ner_recipe import compare_paths

    c = compare_paths(str(tiny_model_dir), str(SHARED_DATA / "ANERcorp-CamelLabSplits" / "ANERCorp_CamelLab_test.txt"))["counts"]
    assert c["sentences"] == 925 and c.get("sentence_text_differs", 0) == 0 and c.get("subwords_differ", 0) == 0


def test_viterbi_never_leaves_an_orphan_inside():
    import numpy as np

    from train.corpus.iob import viterbi_iob2

    tags = ["O", "B-PERS", "I-PERS", "B-LOC", "I-LOC"]
    lp = np.log(np.array([
        [0.9, 0.05, 0.01, 0.02, 0.02],   # O
        [0.5, 0.05, 0.40, 0.03, 0.02],   # argmax O
        [0.30, 0.05, 0.05, 0.05, 0.55],  # argmax I-LOC after O: an orphan
        [0.1, 0.1, 0.1, 0.1, 0.6],       # I-LOC
    ]))
    got = [tags[i] for i in viterbi_iob2(lp, tags)]
    assert got[0] == "O" and all(not (t.startswith("I-") and p[2:] != t[2:]) for p, t in zip(got, got[1:]))
    assert not got[0].startswith("I-")
    # A valid argmax sequence is kept as it is.
    ok = np.log(np.array([[0.1, 0.8, 0.05, 0.03, 0.02], [0.1, 0.05, 0.8, 0.03, 0.02]]))
    assert [tags[i] for i in viterbi_iob2(ok, tags)] == ["B-PERS", "I-PERS"]


def test_decoding_is_the_models():
    from types import SimpleNamespace

    from train.inference.tagging import model_decoding

    assert model_decoding(SimpleNamespace()) == "argmax"  # models trained before issue 15
    assert model_decoding(SimpleNamespace(iob2_decoding="viterbi")) == "viterbi"
