"""Text that is not text, and inputs with many bad lines (issue 26, rows 6, 8 and 10).

* a lone surrogate (a JSON ``"\\ud800"`` escape without its partner) is reported with file,
  line, field and id by the readers, ``corpus.py validate`` and ``predict.py``; the other
  records are still read, and ``predict.py`` writes them;
* NUL characters are reported as a warning and kept, offsets unchanged;
* a UTF-16 file without a byte-order mark is refused as such, not read as UTF-8 full of ``\\x00``;
* a JSON Lines input with several bad lines has every one reported, in one run.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build_random_tagger, load_script

from train.corpus.document import read_jsonl
from train.corpus.schema import load_schema
from train.formats import brat, conll, doccano, labelstudio

ROOT = Path(__file__).resolve().parent.parent
GOOD_A = '{"id": "a", "text": "وصل الوفد الروسي إلى بنغازي."}\n'
BAD_B = '{"id": "b", "text": "زار حفتر \\ud800 موسكو."}\n'  # the JSON escape, as a file holds it
GOOD_C = '{"id": "c", "text": "عاد الوفد."}\n'
SURROGATE_AT = "زار حفتر ".__len__()


def _corpus(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts/corpus.py"), *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def tagger_dir(tmp_path_factory) -> Path:
    return build_random_tagger(tmp_path_factory.mktemp("tagger"), ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE"])


def _predict(args: list[str], capsys) -> tuple[int, str, str]:
    rc = load_script("predict").main([*args, "--no-progress"])
    out = capsys.readouterr()
    return rc, out.out, out.err


# --------------------------------------------------------------------------- row 6: lone surrogates, NUL


def test_lone_surrogate_is_reported_by_the_reader_with_line_field_and_id(tmp_path):
    p = tmp_path / "data.jsonl"
    p.write_text(GOOD_A + BAD_B + GOOD_C, encoding="utf-8")
    docs, problems = read_jsonl(p, strict=False)
    assert [d.id for d in docs] == ["a", "c"]  # the records before and after it are read
    errors = [str(x) for x in problems if x.level == "error"]
    assert errors == [f"{p}:2: text: document 'b': a lone surrogate U+D800 at offset {SURROGATE_AT}: half of a "
                      "UTF-16 pair, not a character (a \"\\ud800\" escape without its other half); fix or remove it "
                      "in the source"]


def test_lone_surrogate_fails_corpus_validate_in_one_line(tmp_path):
    p = tmp_path / "data.jsonl"
    p.write_text(GOOD_A + BAD_B + GOOD_C, encoding="utf-8")
    r = _corpus("validate", str(p))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{p}:2: text: document 'b': a lone surrogate U+D800" in r.stderr
    assert "FAILED: 1 error(s)" in r.stderr


def test_lone_surrogate_in_an_import_names_the_record_and_field(tmp_path):
    schema = load_schema()
    p = tmp_path / "export.jsonl"
    p.write_text('{"id": 1, "text": "زار حفتر موسكو.", "label": []}\n'
                 '{"id": 2, "text": "زار حفتر موسكو.", "label": [[0, 3, "PERS\\udc00"]]}\n', encoding="utf-8")
    docs, report = doccano.read(p, schema=schema)
    assert [str(e) for e in report.errors] == [f"{p}:2: label[0][2]: document '2': a lone surrogate U+DC00 at offset 4: "
                                               "half of a UTF-16 pair, not a character (a \"\\udc00\" escape without its "
                                               "other half); fix or remove it in the source"]
    ls = tmp_path / "export.json"
    ls.write_text('[{"id": 7, "data": {"text": "نص \\ud83d"}, "annotations": [{"result": []}]}]', encoding="utf-8")
    docs, report = labelstudio.read(ls, schema=schema)
    assert docs == [] and [e.field for e in report.errors] == ["data.text"]
    assert str(report.errors[0]).startswith(f"{ls}:1: data.text: document '7': a lone surrogate U+D83D at offset 3")


def test_nul_is_reported_as_a_warning_and_kept(tmp_path):
    p = tmp_path / "nul.jsonl"
    p.write_text('{"id": "n", "text": "زار\\u0000 حفتر موسكو."}\n', encoding="utf-8")
    docs, problems = read_jsonl(p, strict=False)
    assert docs[0].text == "زار\x00 حفتر موسكو."
    assert [str(x) for x in problems] == [f"{p}:1: [warning] text: document 'n': 1 NUL character(s) (U+0000), the first "
                                          "at offset 3: not text (binary data or UTF-16 read as UTF-8?); kept as it is, "
                                          "offsets unchanged"]
    r = _corpus("validate", str(p))
    assert r.returncode == 0 and "NUL character(s)" in r.stderr and "OK: 1 documents" in r.stdout


def test_predict_refuses_a_lone_surrogate_before_any_work_naming_file_line_and_id(tagger_dir, tmp_path, capsys):
    p = tmp_path / "in.jsonl"
    p.write_text(GOOD_A + BAD_B + GOOD_C, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    rc, _, err = _predict(["--ner", str(tagger_dir), str(p), "--output", str(out)], capsys)
    assert rc == 1 and "Traceback" not in err and "TypeError" not in err
    assert f"predict.py: {p}:2: text: document 'b': a lone surrogate U+D800 at offset {SURROGATE_AT}" in err
    assert "precision" not in err and not out.exists()  # refused before the model loaded: nothing half done


def test_predict_on_stdin_leaves_out_a_lone_surrogate_and_writes_the_rest(tagger_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD_A + BAD_B + GOOD_C))
    rc, out, err = _predict(["--ner", str(tagger_dir), "-"], capsys)
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a", "c"]  # nothing valid before or after lost
    assert rc == 1 and "<stdin>:2: text: document 'b': a lone surrogate U+D800" in err
    assert "1 bad input record(s) left out" in err and "Traceback" not in err


def test_predict_warns_of_nul_and_keeps_the_document(tagger_dir, tmp_path, capsys):
    p = tmp_path / "nul.jsonl"
    p.write_text('{"id": "n", "text": "زار\\u0000 حفتر موسكو."}\n', encoding="utf-8")
    rc, out, err = _predict(["--ner", str(tagger_dir), str(p)], capsys)
    assert rc == 0 and json.loads(out)["text"] == "زار\x00 حفتر موسكو."
    assert f"predict.py: {p}:1: [warning] text: document 'n': 1 NUL character(s) (U+0000), the first at offset 3" in err


# --------------------------------------------------------------------------- row 8: UTF-16 without a BOM


@pytest.mark.parametrize("codec,order", [("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")])
def test_utf16_without_bom_is_refused_by_readers_validate_and_predict(codec, order, tagger_dir, tmp_path, capsys):
    text = (GOOD_A + GOOD_C).encode(codec)
    p = tmp_path / "data.jsonl"
    p.write_bytes(text)
    iconv = "UTF-16LE" if codec.endswith("le") else "UTF-16BE"
    line = (f"{p}: looks like UTF-16 ({order}) without a byte-order mark, not UTF-8 (a control byte at every other "
            f"position); save it as UTF-8, e.g. iconv -f {iconv} -t UTF-8")
    docs, problems = read_jsonl(p, strict=False)
    assert docs == [] and [str(x) for x in problems] == [line]
    r = _corpus("validate", str(p))
    assert r.returncode == 1 and line in r.stderr and "Traceback" not in r.stderr
    rc, out, err = _predict(["--ner", str(tagger_dir), str(p)], capsys)
    assert rc == 1 and out == "" and f"predict.py: {line}" in err
    txt = tmp_path / "article.txt"
    txt.write_bytes("وصل الوفد الروسي إلى بنغازي.\n".encode(codec))
    rc, out, err = _predict(["--ner", str(tagger_dir), str(txt)], capsys)
    assert rc == 1 and out == "" and f"predict.py: {txt}: looks like UTF-16 ({order}) without a byte-order mark" in err


def test_utf16_without_bom_is_refused_by_the_importers(tmp_path):
    schema = load_schema()
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "d.txt").write_bytes("زار حفتر موسكو.".encode("utf-16-le"))
    (folder / "d.ann").write_text("", encoding="utf-8")
    docs, report = brat.read(folder, schema=schema)
    assert docs == [] and "d.txt: looks like UTF-16 (little-endian) without a byte-order mark" in str(report.errors[0])
    ls = tmp_path / "export.json"
    ls.write_bytes('[{"data": {"text": "نص"}, "annotations": []}]'.encode("utf-16-be"))
    docs, report = labelstudio.read(ls, schema=schema)
    assert [str(e) for e in report.errors][0].startswith(f"{ls}: looks like UTF-16 (big-endian) without a byte-order mark")
    c = tmp_path / "d.conll"
    c.write_bytes("زار O\nحفتر B-PERS\n".encode("utf-16-le"))
    with pytest.raises(conll.CorpusError, match="looks like UTF-16 \\(little-endian\\) without a byte-order mark"):
        conll.read_conll(c)


def test_utf16_with_a_bom_and_plain_utf8_keep_their_behaviour(tmp_path):
    from train.corpus.text import utf16_without_bom

    p = tmp_path / "bom16.jsonl"
    p.write_bytes(GOOD_A.encode("utf-16"))  # with its BOM: refused as not UTF-8, as before
    _, problems = read_jsonl(p, strict=False)
    assert str(problems[0]) == f"{p}:1: not valid UTF-8: byte 0xff at byte offset 0 of the file"
    assert "UTF-16" not in " ".join(map(str, problems))
    for text in (GOOD_A + GOOD_C, "\ufeff" + GOOD_A, "a\tb\r\n" * 50, "", "x"):
        assert utf16_without_bom(text.encode("utf-8")) is None


# --------------------------------------------------------------------------- row 10: every bad line at once


def _many_bad(tmp_path: Path) -> tuple[Path, list[str]]:
    p = tmp_path / "many.jsonl"
    p.write_bytes((GOOD_A + '{"id": "x", "text": \n' + '{"id": "y"}\n' + GOOD_C.replace('"c"', "true")
                   + BAD_B).encode("utf-8") + '{"id": "z", "text": "زار"}\n'.encode("cp1256") + b'[1]\n')
    start = len((GOOD_A + '{"id": "x", "text": \n{"id": "y"}\n' + GOOD_C.replace('"c"', "true") + BAD_B).encode())
    return p, [f"{p}:2: not valid JSON", f"{p}:3: text: each line needs a \"text\" string", f"{p}:4: id: must be a string",
               f"{p}:5: text: document 'b': a lone surrogate U+D800",
               f"{p}:6: not valid UTF-8 (byte 0xd2 at byte offset {start + 21})", f"{p}:7: text: each line needs"]


def test_predict_reports_every_bad_line_at_once(tagger_dir, tmp_path, capsys):
    p, expected = _many_bad(tmp_path)
    rc, out, err = _predict(["--ner", str(tagger_dir), str(p), str(tmp_path / "missing.jsonl")], capsys)
    assert rc == 1 and out == "" and "Traceback" not in err
    for e in expected:
        assert f"predict.py: {e}" in err, (e, err)
    assert f"{tmp_path / 'missing.jsonl'}: no such file or folder" in err
    assert "predict.py: 7 problems in the input, every one listed above; nothing was predicted" in err


def test_predict_on_stdin_reports_every_bad_line_and_writes_the_good_ones(tagger_dir, capsys, monkeypatch):
    lines = GOOD_A + '{"id": "x", "text": \n' + '{"id": "y"}\n' + BAD_B + GOOD_C
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    rc, out, err = _predict(["--ner", str(tagger_dir)], capsys)
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a", "c"]
    assert rc == 1 and "3 bad input record(s) left out" in err
    for e in ("<stdin>:2: not valid JSON", "<stdin>:3: text:", "<stdin>:4: text: document 'b': a lone surrogate"):
        assert e in err


def test_readers_and_validate_report_every_bad_line(tmp_path):
    p, _ = _many_bad(tmp_path)
    _, problems = read_jsonl(p, strict=False)
    errors = [str(x) for x in problems if x.level == "error"]
    for want in (":2: not valid JSON", ":3: text: missing", ":4: id: missing", ":5: text: document 'b': a lone surrogate",
                 ":6: not valid UTF-8", ":7: expected a JSON object"):
        assert any(want in e for e in errors), (want, errors)
    r = _corpus("validate", str(p))
    assert r.returncode == 1 and f"FAILED: {len(errors)} error(s)" in r.stderr
    docs, report = doccano.read(p, schema=load_schema())
    assert {e.line for e in report.errors} >= {2, 5, 6, 7}
