"""CoNLL/IOB2 reader and writer: documents, layers, label maps, repairs, errors, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from train.corpus.document import CorpusError, Document, Span, read_jsonl, validate_document
from train.corpus.schema import load_schema
from train.formats.common import ImportReport
from train.formats.conll import read_conll, rebuild_offsets, tokenize, write_conll

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"
ANERCORP = Path("/work/shared/data/ANERcorp-CamelLabSplits/ANERCorp_CamelLab_train.txt")
WOJOOD = Path("/work/shared/data/Wojood-sample/train.txt")


def write(tmp_path: Path, content: str, name: str = "in.conll") -> Path:
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    return p


def spans_text(doc: Document) -> list[tuple[str, str]]:
    return [(doc.text[s.start : s.end], s.label) for s in doc.entities]


def test_reads_sentences_docstart_and_offsets(tmp_path):
    p = write(tmp_path, "-DOCSTART- O\n\nزار O\nمحمد B-PERS\nعلي I-PERS\nالقاهرة B-GPE\n. O\n\nثم O\nعاد O\n\n"
              "-DOCSTART- O\n\nالجيش B-ORG\n")
    docs = read_conll(p)
    assert len(docs) == 2
    d = docs[0]
    assert d.text == "زار محمد علي القاهرة .\nثم عاد"
    assert spans_text(d) == [("محمد علي", "PERS"), ("القاهرة", "GPE")]
    assert [d.text[a:b] for a, b in d.sentences] == ["زار محمد علي القاهرة .", "ثم عاد"]
    assert spans_text(docs[1]) == [("الجيش", "ORG")]
    assert validate_document(d, load_schema()) == []


def test_last_sentence_without_final_newline(tmp_path):
    p = write(tmp_path, "أ O\n\nبغداد B-GPE")
    docs = read_conll(p)
    assert len(docs) == 1
    assert [d for d in docs[0].text.split("\n")] == ["أ", "بغداد"]
    assert spans_text(docs[0]) == [("بغداد", "GPE")]


def test_grouping_without_docstart(tmp_path):
    body = "".join(f"كلمة{k} O\n\n" for k in range(7))
    p = write(tmp_path, body)
    assert [len(d.sentences) for d in read_conll(p, sentences_per_doc=3)] == [3, 3, 1]
    assert len(read_conll(p, doc_per_sentence=True)) == 7
    assert len(read_conll(p, sentences_per_doc=None)) == 1
    ids = [d.id for d in read_conll(p, doc_per_sentence=True)]
    assert len(set(ids)) == 7


def test_orphan_inside_tags_start_entities_like_seqeval(tmp_path):
    p = write(tmp_path, "في O\nأحمد I-PERS\nسعيد I-PERS\nو O\nعمان B-LOC\nخالد I-PERS\n")
    d = read_conll(p)[0]
    assert spans_text(d) == [("أحمد سعيد", "PERS"), ("عمان", "LOC"), ("خالد", "PERS")]


def test_iobes_tags(tmp_path):
    p = write(tmp_path, "الأمم B-ORG\nالمتحدة E-ORG\nو O\nمصر S-GPE\nليبيا S-GPE\n")
    assert spans_text(read_conll(p)[0]) == [("الأمم المتحدة", "ORG"), ("مصر", "GPE"), ("ليبيا", "GPE")]


def test_layers_of_nested_tags(tmp_path):
    p = write(tmp_path, "جامعة B-ORG\nبيرزيت I-ORG B-GPE\nفي O\nفلسطين B-GPE\n")
    outer = read_conll(p, layer=0)[0]
    inner = read_conll(p, layer=1)[0]
    assert spans_text(outer) == [("جامعة بيرزيت", "ORG"), ("فلسطين", "GPE")]
    assert spans_text(inner) == [("بيرزيت", "GPE")]


def test_label_map_and_keep_set(tmp_path):
    p = write(tmp_path, "علي B-PERS\nفي O\nلبنان B-LOC\nو O\nعربي B-MISC\n")
    report = ImportReport(str(p))
    d = read_conll(p, label_map={"LOC": "GPE", "MISC": None}, report=report)[0]
    assert spans_text(d) == [("علي", "PERS"), ("لبنان", "GPE")]
    assert report.dropped_labels == {"MISC": 1}
    d = read_conll(p, labels={"PERS"})[0]
    assert spans_text(d) == [("علي", "PERS")]


def test_punctuation_at_span_edges_is_trimmed(tmp_path):
    # ANERcorp writes "(د ب أ)" with the brackets glued to the words.
    p = write(tmp_path, "(د B-ORG\nب I-ORG\nأ) I-ORG\n% B-MISC\n")
    report = ImportReport(str(p))
    d = read_conll(p, report=report)[0]
    assert spans_text(d) == [("د ب أ", "ORG")]
    assert report.skipped["span without a word"] == 1
    assert validate_document(d, load_schema()) == []


def test_skip_tokens(tmp_path):
    p = write(tmp_path, "قال O\n، O\n$#$ O\n")
    assert read_conll(p, skip_tokens={"$#$"})[0].text == "قال ،"


@pytest.mark.parametrize(
    "content, line, fld, words",
    [
        ("قال O\nعلي\n", 2, "column 2 (tag)", "has no tag"),
        ("قال O\nعلي PER\n", 2, "column 2", "is not O or B-"),
        ("قال O\n\nعلي B-MISC\n", 3, "column 2", "not in the schema"),
    ],
)
def test_broken_lines_name_file_line_and_column(tmp_path, content, line, fld, words):
    p = write(tmp_path, content, "broken.conll")
    with pytest.raises(CorpusError) as exc:
        read_conll(p, schema=load_schema())
    msg = str(exc.value)
    assert f"broken.conll:{line}:" in msg and fld in msg and words in msg


def test_schema_routes_event_labels(tmp_path):
    p = write(tmp_path, "هاجم B-ASSAULT\nالجيش B-ORG\n")
    d = read_conll(p, schema=load_schema())[0]
    assert [s.label for s in d.events] == ["ASSAULT"] and [s.label for s in d.entities] == ["ORG"]


def test_tokenize_words_and_punctuation():
    text = "قال: «الرئيس» 2.5\u200f%"
    assert [text[a:b] for a, b in tokenize(text)] == ["قال", ":", "«", "الرئيس", "»", "2", ".", "5", "%"]


def _assert_round_trip(docs: list[Document], tmp_path: Path) -> None:
    out = tmp_path / "rt.conll"
    write_conll(docs, out)
    back = read_conll(out)
    assert len(back) == len(docs)
    for d, b in zip(docs, back):
        text, starts, ends = rebuild_offsets(d.text)
        assert b.text.replace("\n", " ") == text
        expected = [(starts[s.start], ends[s.end], s.label) for s in sorted(d.entities)]
        assert [(s.start, s.end, s.label) for s in b.entities] == expected
        subs = [d.text[s.start : s.end] for s in sorted(d.entities)]
        assert [b.text[s.start : s.end] for s in b.entities] == [" ".join(t[x:y] for x, y in tokenize(t)) for t in subs]


def _span(text: str, words: str, label: str) -> Span:
    a = text.index(words)
    return Span(a, a + len(words), label)


def test_round_trip_built_documents(tmp_path):
    t1 = "وصل وزير الخارجية إلى بغداد، واجتمع مع رئيس الوزراء.\nثم غادر 🇮🇶 العراق!"
    d1 = Document("a", t1, entities=[_span(t1, "وزير الخارجية", "OCC"), _span(t1, "بغداد", "GPE"),
                                      _span(t1, "رئيس الوزراء", "OCC"), _span(t1, "العراق", "GPE")]).with_sentences()
    # An entity that crosses a sentence boundary must not be split by the writer.
    t2 = "زار مؤسسة الأهرام. للطباعة أمس"
    d2 = Document("b", t2, entities=[_span(t2, "مؤسسة الأهرام. للطباعة", "ORG")]).with_sentences()
    assert len(d2.sentences) == 2
    _assert_round_trip([d1, d2], tmp_path)


def test_round_trip_seed(tmp_path):
    docs, _ = read_jsonl(SEED)
    _assert_round_trip(docs, tmp_path)


@pytest.mark.skipif(not ANERCORP.is_file(), reason="ANERcorp is not under ../shared/data")
def test_anercorp_reads_with_all_entities():
    report = ImportReport(str(ANERCORP))
    docs = read_conll(ANERCORP, label_map={"MISC": None}, report=report)
    assert sum(len(d.entities) for d in docs) + report.dropped_labels["MISC"] == 9000
    assert max(len(d.sentences) for d in docs) <= 20
    schema = load_schema()
    assert all(not [p for p in validate_document(d, schema) if p.level == "error"] for d in docs)


@pytest.mark.skipif(not WOJOOD.is_file(), reason="Wojood sample is not under ../shared/data")
def test_wojood_layers_add_up():
    total = sum(len(d.entities) for layer in range(4) for d in read_conll(WOJOOD, layer=layer, doc_per_sentence=True))
    assert 2882 <= total <= 2882 + 10  # B- starts, plus a few orphan I- tags read as starts


def test_fixture_with_label_map_through_convert_reader():
    from train.formats import conll as conll_format
    from train.formats.common import load_label_map

    fx = ROOT / "tests" / "fixtures" / "formats"
    docs, report = conll_format.read(fx / "sample.conll", schema=load_schema(), label_map=load_label_map(fx / "label_map.yaml"))
    assert not report.errors
    assert [spans_text(d) for d in docs] == [[("قوات الجيش", "ORG"), ("حلب", "GPE"), ("علي", "PERS")], [("الأمم المتحدة", "ORG")]]
    assert report.dropped_labels == {"MISC": 1}
    _, report = conll_format.read(fx / "sample.conll", schema=load_schema())
    assert any("'MISC' is not in the schema" in str(p) for p in report.errors)
