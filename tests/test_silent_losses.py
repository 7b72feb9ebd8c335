"""Issue 14: places where data was lost or changed without a word, each held by a test.

1. spans that cross a sentence boundary or lie between sentences;
2. UTF-16 offsets without a stored span text (doccano) that read as two different spans;
3. ``predict.py`` inputs that share an id (``--resume`` skipped the second);
4. scripts that ended in a traceback on an unexpected exception;
5. the HTML page showing ids and Latin text right to left.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from train.corpus.document import Document, Span, fit_sentences_to_spans, read_jsonl, validate_document
from train.corpus.schema import load_schema
from train.corpus.text import word_spans
from train.features.alignment import EncodedSentence, word_tags
from train.formats import get_format
from train.formats.common import AmbiguousOffsets, codepoint_to_utf16, resolve_offsets

SCHEMA = load_schema()


def _span(text: str, words: str, label: str) -> Span:
    a = text.index(words)
    return Span(a, a + len(words), label)


def _sentence(text: str, a: int, b: int) -> EncodedSentence:
    """An encoded sentence whose words are the project's words (no tokenizer needed for word tags)."""
    words = [(s, e) for s, e in word_spans(text) if a <= s and e <= b]
    z = np.zeros(0, dtype=np.int64)
    return EncodedSentence(0, a, b, z, z, np.array([w[0] for w in words]), np.array([w[1] for w in words]), z)


# --------------------------------------------------------------------------- 1. spans and sentences

TEXT = "زار وزير الخارجية\nالروسي طرابلس. ثم عاد."


def _crossing_doc() -> Document:
    # "وزير الخارجية\nالروسي" is one entity across the line break, which ends a sentence.
    return Document("d1", TEXT, entities=[_span(TEXT, "وزير الخارجية\nالروسي", "OCC"), _span(TEXT, "طرابلس", "GPE")]).with_sentences()


def test_entity_crossing_a_sentence_boundary_is_an_error_with_document_and_offsets():
    doc = _crossing_doc()
    assert len(doc.sentences) == 3
    errors = [p for p in validate_document(doc, SCHEMA, "c.jsonl", 4) if p.level == "error"]
    assert len(errors) == 1
    e = errors[0]
    assert (e.file, e.line, e.field) == ("c.jsonl", 4, "entities[0]")
    assert "'d1'" in e.message and "[4, 24)" in e.message and "crosses the boundary" in e.message
    assert "--extend-sentences" in e.message


def test_entity_between_stored_sentences_is_an_error():
    text = "قال علي إن روسيا سترسل وفدا."
    doc = Document("gap", text, entities=[_span(text, "روسيا", "GPE")], sentences=[(0, 10), (17, len(text))])
    errors = [p for p in validate_document(doc, SCHEMA) if p.level == "error"]
    assert [p.field for p in errors] == ["entities[0]"]
    assert "lies outside every sentence" in errors[0].message and "[11, 16)" in errors[0].message


def test_documents_without_stored_sentences_are_checked_against_the_splitter():
    doc = _crossing_doc()
    doc.sentences = []
    errors = [p for p in validate_document(doc, SCHEMA) if p.level == "error"]
    assert errors and "sentences from the splitter" in errors[0].message


def test_extend_sentences_joins_them_and_the_entity_stays_one():
    doc = _crossing_doc()
    before = doc.sentences
    warnings = fit_sentences_to_spans(doc, "c.jsonl", 2)
    assert [w.level for w in warnings] == ["warning"] and "joined sentences 0–1" in warnings[0].message
    assert doc.sentences == [(before[0][0], before[1][1]), before[2]]
    assert not [p for p in validate_document(doc, SCHEMA) if p.level == "error"]
    a, b = doc.sentences[0]
    tags = word_tags(_sentence(TEXT, a, b), doc.entities)
    assert tags[:4] == ["O", "B-OCC", "I-OCC", "I-OCC"]  # one entity, not two B-


def test_extend_sentences_widens_a_sentence_over_a_gap():
    text = "قال علي إن روسيا سترسل وفدا."
    doc = Document("gap", text, entities=[_span(text, "روسيا", "GPE")], sentences=[(0, 10), (17, len(text))])
    warnings = fit_sentences_to_spans(doc)
    assert len(warnings) == 1 and doc.sentences == [(0, 16), (17, len(text))]
    assert not [p for p in validate_document(doc, SCHEMA) if p.level == "error"]


def test_read_jsonl_and_convert_let_the_user_choose(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps(_crossing_doc().to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    _, problems = read_jsonl(p, SCHEMA, strict=False)
    assert [str(x) for x in problems if x.level == "error"][0].startswith(f"{p}:1: entities[0]:")
    docs, problems = read_jsonl(p, SCHEMA, strict=False, extend_sentences=True)
    assert not [x for x in problems if x.level == "error"] and len(docs[0].sentences) == 2
    # An import whose source has no sentences splits them itself, never inside a span (issue 26,
    # row 11): the line break inside the entity moves, counted, with or without the option.
    ls = tmp_path / "ls.json"
    get_format("labelstudio").write(docs, ls)
    for extend in (False, True):
        back, report = get_format("labelstudio").read(ls, schema=SCHEMA, extend_sentences=extend)
        assert not report.errors and back[0].entities == docs[0].entities and len(back[0].sentences) == 2
        assert report.sentence_breaks_moved == 1


# --------------------------------------------------------------------------- 2. UTF-16 without span text


def test_offsets_that_read_as_two_spans_are_ambiguous_not_guessed():
    text = "😀😀😀 ab cd"
    with pytest.raises(AmbiguousOffsets) as info:
        resolve_offsets(text, 7, 9)
    assert info.value.codepoint == (7, 9) and info.value.utf16 == (4, 6)
    assert resolve_offsets(text, 7, 9, unit="utf16") == (4, 6, True)
    assert resolve_offsets(text, 7, 9, unit="codepoint") == (7, 9, False)
    # A stored span text decides (Label Studio, brat): no ambiguity.
    assert resolve_offsets(text, 7, 9, "ab") == (4, 6, True)
    assert resolve_offsets(text, 7, 9, "cd") == (7, 9, False)


def test_doccano_reports_the_ambiguous_record_and_field(tmp_path):
    text = "😀😀😀 علي في بغداد"
    a = text.index("بغداد")  # its UTF-16 offsets run past the end as code points: one reading fits
    ua, ub = codepoint_to_utf16(text, a), codepoint_to_utf16(text, a + 5)
    p = tmp_path / "d.jsonl"
    lines = [{"text": "سطر", "label": []}, {"text": "😀😀😀 ab cd", "label": [[7, 9, "PERS"]]},
             {"text": text, "label": [[ua, ub, "GPE"]]}]
    p.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    doccano = get_format("doccano")
    docs, report = doccano.read(p, schema=SCHEMA)
    msgs = [str(e) for e in report.errors]
    assert len(msgs) == 1 and msgs[0].startswith(f"{p}:2: label[0]: offsets [7, 9) are ambiguous")
    assert "'cd'" in msgs[0] and "'ab'" in msgs[0] and "--offset-unit" in msgs[0]
    assert [d.text[s.start:s.end] for d in docs for s in d.entities] == ["بغداد"]  # only one reading fits
    docs, report = doccano.read(p, schema=SCHEMA, offset_unit="utf16")
    assert not report.errors and docs[1].text[docs[1].entities[0].start:docs[1].entities[0].end] == "ab"


def test_convert_offset_unit_option(tmp_path):
    from conftest import load_script

    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps({"text": "😀😀😀 ab cd", "label": [[7, 9, "PERS"]]}) + "\n", encoding="utf-8")
    corpus = load_script("corpus")
    out = tmp_path / "o.jsonl"
    assert corpus.main(["convert", "--from", "doccano", "--to", "jsonl", str(p), str(out)]) == 1
    assert not out.exists()
    assert corpus.main(["convert", "--from", "doccano", "--to", "jsonl", "--offset-unit", "codepoint", str(p), str(out)]) == 0
    assert re.search(r'"start": 7, "end": 9', out.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- 3. predict.py ids


def test_predict_refuses_two_inputs_with_one_id_before_loading_a_model(tmp_path, capsys):
    from conftest import load_script

    predict = load_script("predict")
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.txt").write_text("زار الوزير موسكو.", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    rc = predict.main(["--ner", str(tmp_path / "no-model"), str(tmp_path / "a"), str(tmp_path / "b"),
                       "--output", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists()
    assert f"{tmp_path / 'b' / 'x.txt'}: id 'x.txt' is also the id of {tmp_path / 'a' / 'x.txt'}" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_predict_ids_of_jsonl_lines_and_files_meet(tmp_path):
    from conftest import load_script

    predict = load_script("predict")
    (tmp_path / "a.txt").write_text("نص", encoding="utf-8")
    j = tmp_path / "d.jsonl"
    j.write_text(json.dumps({"text": "نص"}) + "\n", encoding="utf-8")
    predict.check_unique_ids([str(tmp_path / "a.txt"), str(j)], [])  # d:1 and a.txt: distinct
    j.write_text(json.dumps({"text": "نص"}) + "\n" + json.dumps({"id": "a.txt", "text": "نص"}) + "\n", encoding="utf-8")
    with pytest.raises(predict.InputError, match=rf"^{re.escape(str(j))}:2: id 'a.txt' is also the id of .*a\.txt"):
        predict.check_unique_ids([str(tmp_path / "a.txt"), str(tmp_path / "d.jsonl")], [])
    j.write_text(json.dumps({"id": "text-1", "text": "نص"}) + "\n", encoding="utf-8")
    with pytest.raises(predict.InputError, match="is also the id of --text #1"):
        predict.check_unique_ids([str(j)], ["نص"])


def test_predict_checks_standard_input_as_it_reads(monkeypatch):
    import io

    from conftest import load_script

    predict = load_script("predict")
    lines = [{"id": "7", "text": "أ"}, {"id": 8, "text": "ب"}, {"id": 7, "text": "ج"}]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(x) + "\n" for x in lines)))
    seen = []
    with pytest.raises(predict.InputError, match=r"^<stdin>:3: id '7' is also the id of <stdin>:1"):
        for doc in predict.iter_inputs(["-"], []):
            seen.append(doc.id)
    assert seen == ["7", "8"]


# --------------------------------------------------------------------------- 5. HTML direction


def test_html_isolates_ids_and_latin_text():
    from train.inference.html import page_header, render_document

    text = "زار الوزير موسكو."
    rec = {"id": "000_30f136eea93f39b4", "text": text,
           "entities": [{"start": 11, "end": 16, "label": "GPE", "score": 0.9}],
           "sentences": [{"start": 0, "end": len(text), "event_types": [{"label": "CONSULT", "score": 0.8807}],
                          "triggers": [{"start": 0, "end": 3, "label": "CONSULT", "text": "زار", "score": 0.9}]}]}
    html = render_document(rec)
    assert "<h2><bdi>000_30f136eea93f39b4</bdi></h2>" in html
    assert "<bdi>CONSULT</bdi> 0.88" in html and "<bdi>CONSULT</bdi>: <bdi>زار</bdi>" in html
    head = page_header(models={"ner": "models/demo/ner"})
    assert "<li><bdi>ner</bdi>: <bdi>models/demo/ner</bdi></li>" in head
    assert "unicode-bidi:isolate" in head
    # Every run of Latin letters outside the document text and the markup sits in a <bdi>.
    visible = re.sub(r"<p class=\"text\">.*?</p>", "", html)
    for m in re.finditer(r">([^<]*[A-Za-z][^<]*)<", visible):
        assert visible[: m.start() + 1].endswith("<bdi>"), m.group(1)


# --------------------------------------------------------------------------- 4. no tracebacks

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"


def _raiser(exc: BaseException):
    def boom(*args, **kwargs):
        raise exc

    return boom


def _case_train(mod, tmp, mp):
    import train.training.modeling

    mp.setattr(train.training.modeling, "resolve_base_model", _raiser(PermissionError(13, "Permission denied", "/models/x/config.json")))
    argv = [str(ROOT / "configs" / "demo-ner.yaml"), "--model_name_or_path", "/models/x", "--train_file", str(SEED),
            "--validation_file", str(SEED), "--output_dir", str(tmp / "run")]
    return argv, ["/models/x/config.json: Permission denied [PermissionError]", "model /models/x", "demo-ner.yaml"]


def _case_predict(mod, tmp, mp):
    msg = "Can't load tokenizer for 'org/arabic-ner'. If you were trying to load it from the Hub, make sure...\nOtherwise..."
    mp.setattr(mod.Predictor, "from_pretrained", _raiser(OSError(msg)))
    return ["--ner", "org/arabic-ner", "--text", "نص"], ["Can't load tokenizer for 'org/arabic-ner'", "ner org/arabic-ner"]


def _case_corpus(mod, tmp, mp):
    mp.setattr(mod, "read_jsonl", _raiser(PermissionError(13, "Permission denied", str(tmp / "c.jsonl"))))
    return ["validate", str(tmp / "c.jsonl")], [f"{tmp / 'c.jsonl'}: Permission denied"]


def _case_build_corpus(mod, tmp, mp):
    for d in ("src", "mk"):
        (tmp / d).mkdir()
        (tmp / d / "a.txt").write_text("زار الوزير موسكو.", encoding="utf-8")
    mp.setattr(mod, "write_jsonl", _raiser(OSError(28, "No space left on device", str(tmp / "out.jsonl"))))
    return ["--sources", str(tmp / "src"), "--markup", str(tmp / "mk"), "--out", str(tmp / "out.jsonl")], \
        [f"{tmp / 'out.jsonl'}: No space left on device [OSError]"]


def _case_export_onnx(mod, tmp, mp):
    import train.publishing.onnx_export

    mp.setattr(train.publishing.onnx_export, "export_dir", _raiser(RuntimeError("exporter failed\nat node 7")))
    return [str(tmp)], ["exporter failed … [RuntimeError]", f"model {tmp}"]


def _case_make_tiny_model(mod, tmp, mp):
    mp.setattr(mod, "build", _raiser(OSError(28, "No space left on device", str(tmp / "tiny"))))
    return [str(tmp / "tiny"), "--vocab-size", "300"], [f"{tmp / 'tiny'}: No space left on device", f"output {tmp / 'tiny'}"]


def _case_publish(mod, tmp, mp):
    mp.setattr(mod, "build", _raiser(KeyError("id2label")))
    return [str(tmp / "run"), "--out", str(tmp / "pub")], ["'id2label' [KeyError]", f"run {tmp / 'run'}", f"out {tmp / 'pub'}"]


def _case_train_set(mod, tmp, mp):
    corpus = tmp / "corpus.jsonl"
    corpus.write_text("{}\n", encoding="utf-8")
    mp.setattr(mod, "corpus_tasks", _raiser(PermissionError(13, "Permission denied", str(corpus))))
    return ["--corpus", str(corpus), "--runs", str(tmp / "runs")], [f"{corpus}: Permission denied", f"corpus {corpus}",
                                                                   f"runs {tmp / 'runs'}"]


def _case_events(mod, tmp, mp):
    (tmp / "pred.jsonl").write_text("{}\n", encoding="utf-8")
    mp.setattr(mod, "read_records", _raiser(PermissionError(13, "Permission denied", str(tmp / "pred.jsonl"))))
    return [str(tmp / "pred.jsonl"), "--out", str(tmp / "events.csv")], [f"{tmp / 'pred.jsonl'}: Permission denied"]


def _case_bench_events(mod, tmp, mp):
    mp.setattr(mod, "read_jsonl", _raiser(PermissionError(13, "Permission denied", str(tmp / "c.jsonl"))))
    return ["--corpus", str(tmp / "c.jsonl")], [f"{tmp / 'c.jsonl'}: Permission denied"]


def _case_bench(mod, tmp, mp):
    mp.setattr(mod, "load_documents", _raiser(PermissionError(13, "Permission denied", str(tmp / "news"))))
    return ["--news", str(tmp / "news"), "--threads", "1"], [f"{tmp / 'news'}: Permission denied", f"news {tmp / 'news'}"]


def _case_bench_gsr(mod, tmp, mp):
    mp.setattr(mod, "read_gsr", _raiser(PermissionError(13, "Permission denied", str(tmp / "gsr"))))
    return ["--gsr", str(tmp / "gsr"), "--out", str(tmp / "out")], [f"{tmp / 'gsr'}: Permission denied", f"gsr {tmp / 'gsr'}"]


def _case_compare_run_ner(mod, tmp, mp):
    mp.setattr(mod, "compare_paths", _raiser(PermissionError(13, "Permission denied", str(tmp / "x.txt"))))
    return ["compare", str(tmp / "m"), str(tmp / "x.txt")], [f"{tmp / 'x.txt'}: Permission denied", f"model, file {tmp / 'm'}"]


def _case_labelstudio(mod, tmp, mp):
    import train.labelstudio.client

    mp.setattr(train.labelstudio.client, "export_tasks", _raiser(ConnectionResetError(104, "Connection reset by peer")))
    out = tmp / "pulled.jsonl"
    return ["pull", "--project", "4", "--out", str(out), "--api-key", "k"], \
        ["Connection reset by peer [ConnectionResetError]", "project 4", f"out {out}"]


def _case_bench_loop(mod, tmp, mp):
    import train.benchmark.active_loop

    mp.setattr(train.benchmark.active_loop, "run_loop", _raiser(PermissionError(13, "Permission denied", str(tmp / "loop"))))
    return ["--out-dir", str(tmp / "loop"), "--rounds", "1"], [f"{tmp / 'loop'}: Permission denied", f"out-dir {tmp / 'loop'}"]


def _case_bench_joint(mod, tmp, mp):
    (tmp / "m").mkdir()
    (tmp / "m" / "config.json").write_text("{}", encoding="utf-8")
    mp.setattr(mod, "read_jsonl", _raiser(PermissionError(13, "Permission denied", str(tmp / "c.jsonl"))))
    return ["--base-model", str(tmp / "m"), "--train-file", str(tmp / "c.jsonl"), "--no-gsr"], \
        [f"{tmp / 'c.jsonl'}: Permission denied", f"train-file {tmp / 'c.jsonl'}"]


SCRIPTS = {"train": _case_train, "predict": _case_predict, "corpus": _case_corpus, "build_corpus": _case_build_corpus,
           "export_onnx": _case_export_onnx, "make_tiny_model": _case_make_tiny_model, "publish": _case_publish,
           "bench": _case_bench, "bench_gsr": _case_bench_gsr, "compare_run_ner": _case_compare_run_ner,
           "labelstudio": _case_labelstudio, "bench_loop": _case_bench_loop, "train_set": _case_train_set,
           "events": _case_events, "bench_events": _case_bench_events,
           "bench_joint": _case_bench_joint}


def test_every_script_is_covered():
    assert sorted(SCRIPTS) == sorted(p.stem for p in (ROOT / "scripts").glob("*.py"))
    for name in SCRIPTS:
        assert 'if __name__ == "__main__":\n    sys.exit(cli())' in (ROOT / "scripts" / f"{name}.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_any_exception_is_one_line_naming_the_file_or_model(name, tmp_path, monkeypatch, capsys):
    from conftest import load_script

    mod = load_script(name)
    argv, expected = SCRIPTS[name](mod, tmp_path, monkeypatch)
    rc = mod.cli(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert len(err) == 1 and err[0].startswith(f"{name}.py: error: ") and err[0].endswith("for the traceback"), err
    for words in expected:
        assert words in err[0]
    rc = mod.cli([*argv, "--debug"])  # the flag is taken out before the script's own parser sees it
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("Traceback (most recent call last):") and f"{name}.py: error: " in err
