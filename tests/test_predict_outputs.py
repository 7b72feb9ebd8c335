"""Issue 26, rows 1, 2 and 9: ``predict.py``'s output never destroys an input, and ``--resume``
continues only its own run.

1. an ``--output`` that is an input (also through a link) is refused before a model loads, and
   ``--resume`` accepts only a file whose run record (``FILE.run.json``) matches this run;
2. ``--resume`` after the output was cut at any byte (inside a multi-byte Arabic character too)
   drops the incomplete line and goes on, and never blames the input;
9. an ``--output`` that is a folder is refused before a model loads, and a finished result that
   cannot be renamed into place is kept.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SEED, build_random_tagger, load_script

TAGS = ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE", "B-ORG", "I-ORG"]
NO_MODEL = str(Path(__file__).parent / "no-such-model-folder")  # a model that cannot load: a check that comes after loading fails on it

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def predict():
    return load_script("predict")


@pytest.fixture(scope="module")
def ner(tmp_path_factory) -> Path:
    return build_random_tagger(tmp_path_factory.mktemp("ner") / "model", TAGS, head_scale=20.0)


def run(predict, capsys, *args) -> tuple[int, str]:
    rc = predict.main([*map(str, args), "--no-progress"])
    return rc, capsys.readouterr().err


def _one_line(err: str) -> str:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def _gold(path: Path, n: int = 4) -> Path:
    texts = [json.loads(x)["text"] for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": texts[i % len(texts)],
                                        "entities": [{"start": 0, "end": 3, "label": "PERS"}]},
                                       ensure_ascii=False) + "\n" for i in range(n)), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 1. the output is an input


@pytest.mark.parametrize("extra", [(), ("--no-text",), ("--resume",), ("--format", "corpus")])
def test_output_that_is_the_jsonl_input_is_refused_before_a_model_loads(predict, capsys, tmp_path, extra):
    src = _gold(tmp_path / "in.jsonl")
    before = src.read_bytes()
    rc, err = run(predict, capsys, "--ner", NO_MODEL, src, "--output", src, *extra)
    assert rc == 1 and src.read_bytes() == before
    assert f"{src}: --output is also an input" in _one_line(err)
    assert not Path(f"{src}.part").exists() and not Path(f"{src}.run.json").exists()


def test_output_that_is_a_txt_input_or_inside_an_input_folder_is_refused(predict, ner, capsys, tmp_path):
    art = tmp_path / "articles"
    art.mkdir()
    txt = art / "a.txt"
    txt.write_text("وصل وزير الدفاع إلى موسكو.", encoding="utf-8")
    for model, inp in ((NO_MODEL, txt), (NO_MODEL, art), (ner, txt)):
        rc, err = run(predict, capsys, "--ner", model, inp, "--output", txt)
        assert rc == 1 and "--output is also an input" in _one_line(err)
        assert txt.read_text(encoding="utf-8") == "وصل وزير الدفاع إلى موسكو."


def test_output_that_resolves_to_the_input_through_a_link_is_refused(predict, capsys, tmp_path):
    (tmp_path / "data").mkdir()
    src = _gold(tmp_path / "data" / "in.jsonl")
    before = src.read_bytes()
    file_link = tmp_path / "out.jsonl"
    file_link.symlink_to(src)
    dir_link = tmp_path / "same"
    dir_link.symlink_to(tmp_path / "data", target_is_directory=True)
    for out in (file_link, dir_link / "in.jsonl"):
        rc, err = run(predict, capsys, "--ner", NO_MODEL, src, "--output", out, "--no-text")
        assert rc == 1 and f"{out}: --output is also an input ({src}" in _one_line(err)
        assert src.read_bytes() == before
    # and the other way round: the input is the link, the output the file it points to
    rc, err = run(predict, capsys, "--ner", NO_MODEL, file_link, "--output", src)
    assert rc == 1 and "--output is also an input" in _one_line(err) and src.read_bytes() == before


def test_resume_refuses_a_jsonl_file_with_ids_that_predict_did_not_write(predict, ner, capsys, tmp_path):
    src = _gold(tmp_path / "in.jsonl")
    gold = _gold(tmp_path / "gold.jsonl")  # the same ids, not written by predict.py
    before = gold.read_bytes()
    rc, err = run(predict, capsys, "--ner", NO_MODEL, src, "--output", gold, "--resume")
    assert rc == 1 and gold.read_bytes() == before  # before the model loads (it could not)
    assert f"{gold}: --resume continues only a file that predict.py wrote" in _one_line(err)
    assert "gold.jsonl.run.json" in err
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", gold, "--resume")
    assert rc == 1 and gold.read_bytes() == before and "--resume continues only" in err
    assert not Path(f"{gold}.part").exists()


def test_resume_refuses_the_output_of_another_run(predict, ner, capsys, tmp_path):
    src = _gold(tmp_path / "in.jsonl")
    out = tmp_path / "pred.jsonl"
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out)
    assert rc == 0, err
    record = json.loads(Path(f"{out}.run.json").read_text(encoding="utf-8"))
    assert record["run"]["options"]["format"] == "jsonl" and record["complete"]["size"] == out.stat().st_size
    full = out.read_bytes()
    other = _gold(tmp_path / "other.jsonl", n=6)
    for args, what in (((other,), "inputs"), ((src, "--no-text"), "options"), ((src, "--format", "corpus"), "options"),
                       ((src, "--text", "نص"), "texts")):
        rc, err = run(predict, capsys, "--ner", ner, *args, "--output", out, "--resume")
        assert rc == 1 and f"its {what} differ" in _one_line(err), err
        assert out.read_bytes() == full
    # another model (a folder with other weights) is another run too
    ner2 = build_random_tagger(tmp_path / "ner2", TAGS, head_scale=3.0)
    capsys.readouterr()
    rc, err = run(predict, capsys, "--ner", ner2, src, "--output", out, "--resume")
    assert rc == 1 and "its models differ" in _one_line(err)
    # the finished file changed by hand is no longer the one predict.py wrote
    out.write_bytes(full[: len(full) // 2].rsplit(b"\n", 1)[0] + b"\n")
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out, "--resume")
    assert rc == 1 and "changed since predict.py finished it" in _one_line(err)
    # the same run resumes its own interrupted output
    out.unlink()
    Path(f"{out}.part").write_bytes(b"".join(full.splitlines(keepends=True)[:2]))
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out, "--resume")
    assert rc == 0 and "2 already done" in err and out.read_bytes() == full
    # and its finished output: nothing to do
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out, "--resume")
    assert rc == 0 and out.read_bytes() == full


def test_resume_with_nothing_written_yet_starts_the_run(predict, ner, capsys, tmp_path):
    src = _gold(tmp_path / "in.jsonl")
    out = tmp_path / "pred.jsonl"
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out, "--resume")
    assert rc == 0, err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4 and Path(f"{out}.run.json").is_file()


def test_inputs_run_record_is_independent_of_the_working_folder(predict, tmp_path, monkeypatch):
    src = _gold(tmp_path / "in.jsonl")
    a = predict.run_record([str(src)], [], {"ner": NO_MODEL}, {"format": "jsonl"})
    monkeypatch.chdir(tmp_path)
    b = predict.run_record(["in.jsonl"], [], {"ner": NO_MODEL}, {"format": "jsonl"})
    assert a == b
    os.utime(src, ns=(1, 1))
    assert predict.run_record(["in.jsonl"], [], {"ner": NO_MODEL}, {"format": "jsonl"})["inputs"] != a["inputs"]


# --------------------------------------------------------------------------- 2. a cut at any byte


def _cuts(full: bytes) -> list[int]:
    """Byte positions to cut at: nothing, inside the second line's Arabic (mid-character and between
    characters), just before and just after a line's end, and one byte short of the whole file."""
    first = full.index(b"\n") + 1
    second = full.index(b"\n", first) + 1
    mid_char = next(i for i in range(first + 40, second) if 0x80 <= full[i] < 0xC0)  # a continuation byte
    between = next(i for i in range(mid_char, second) if full[i] >= 0xC0)  # the start of the next character
    return [0, 1, mid_char, mid_char + 1, between, second - 1, second, second + 3, len(full) - 1]


def test_resume_after_a_cut_at_any_byte_drops_the_incomplete_line(predict, ner, capsys, tmp_path):
    src = _gold(tmp_path / "in.jsonl")
    out = tmp_path / "pred.jsonl"
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out)
    assert rc == 0, err
    full = out.read_bytes()
    cuts = _cuts(full)
    with pytest.raises(UnicodeDecodeError):
        full[: cuts[2]].decode("utf-8")  # the cut really lies inside a character
    for k in cuts:
        out.unlink(missing_ok=True)
        Path(f"{out}.part").write_bytes(full[:k])
        rc, err = run(predict, capsys, "--ner", ner, src, "--output", out, "--resume")
        assert rc == 0, (k, err)
        assert "UTF-8" not in err and "input" not in err
        assert out.read_bytes() == full, k
        assert not Path(f"{out}.part").exists()


def test_resume_of_a_finished_file_cut_mid_character_is_refused_as_changed_not_as_bad_input(predict, ner, capsys,
                                                                                           tmp_path):
    src = _gold(tmp_path / "in.jsonl")
    out = tmp_path / "pred.jsonl"
    assert run(predict, capsys, "--ner", ner, src, "--output", out)[0] == 0
    full = out.read_bytes()
    out.write_bytes(full[: _cuts(full)[2]])
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out, "--resume")
    assert rc == 1 and "changed since predict.py finished it" in _one_line(err) and "UTF-8" not in err


def test_a_complete_output_line_that_is_not_utf8_names_the_output(predict, ner, capsys, tmp_path):
    src = _gold(tmp_path / "in.jsonl")
    out = tmp_path / "pred.jsonl"
    assert run(predict, capsys, "--ner", ner, src, "--output", out)[0] == 0
    lines = out.read_bytes().splitlines(keepends=True)
    out.unlink()
    part = Path(f"{out}.part")
    part.write_bytes(lines[0] + b'{"id": "d1", "text": "\xd8"}\n')
    rc, err = run(predict, capsys, "--ner", ner, src, "--output", out, "--resume")
    assert rc == 1 and f"{part}:2: not valid UTF-8" in _one_line(err) and "input" not in err


def test_the_incomplete_last_line_is_cut_however_long_it_is(tmp_path):
    from train.inference.output import _complete_lines

    f = tmp_path / "x.part"
    long_cut = "ا".encode() * 70000 + b"\xd8"  # longer than one block read from the end, cut mid-character
    for data, want in ((b'{"id": 1}\n' + long_cut, b'{"id": 1}\n'), (long_cut, b""), (b"a\nb\n", b"a\nb\n"), (b"", b"")):
        f.write_bytes(data)
        _complete_lines(f)
        assert f.read_bytes() == want


# --------------------------------------------------------------------------- 9. an output that is a folder


@pytest.mark.parametrize("fmt", ["jsonl", "html", "labelstudio", "parquet"])
def test_output_that_is_a_folder_is_refused_before_a_model_loads(predict, capsys, tmp_path, fmt):
    src = _gold(tmp_path / "in.jsonl")
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "keep.txt").write_text("x", encoding="utf-8")
    rc, err = run(predict, capsys, "--ner", NO_MODEL, src, "--output", folder, "--format", fmt)
    assert rc == 1 and f"{folder}: --output is a folder" in _one_line(err)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert not Path(f"{folder}.part").exists() and not Path(f"{folder}.run.json").exists()
    # a path under a file cannot be written either
    rc, err = run(predict, capsys, "--ner", NO_MODEL, src, "--output", folder / "keep.txt" / "out.jsonl", "--format", fmt)
    assert rc == 1 and f"{folder / 'keep.txt'} is a file, not a folder" in _one_line(err)


RECS = [{"id": "a", "text": "نص", "meta": {}, "sentences": [{"start": 0, "end": 2}],
         "entities": [{"start": 0, "end": 2, "label": "GPE", "text": "نص", "score": 0.5}], "events": []},
        {"id": "b", "text": "آخر", "meta": {}, "sentences": [], "entities": [], "events": []}]


@pytest.mark.parametrize("fmt", ["html", "labelstudio", "parquet", "jsonl"])
def test_a_finished_result_that_cannot_be_renamed_into_place_is_kept(tmp_path, fmt):
    from train.inference.output import OutputError, open_output

    out = tmp_path / f"out.{fmt}"
    part = Path(f"{out}.part")
    with open_output(tmp_path / f"want.{fmt}", fmt) as sink:
        for r in RECS:
            sink.write(r)
    want = (tmp_path / f"want.{fmt}").read_bytes()
    with pytest.raises(OutputError) as info, open_output(out, fmt) as sink:
        for r in RECS:
            sink.write(r)
        out.mkdir()  # a folder appears where the result goes, after the check before the run
    msg = str(info.value)
    assert f"cannot put the result in place at {out}" in msg and f"it is kept in {part}" in msg
    assert part.read_bytes() == want and out.is_dir()


def test_a_failed_run_still_removes_its_incomplete_non_resumable_part(tmp_path):
    from train.inference.output import open_output

    out = tmp_path / "out.html"
    with pytest.raises(RuntimeError), open_output(out, "html") as sink:
        sink.write(RECS[0])
        raise RuntimeError("the model failed")
    assert not out.exists() and not Path(f"{out}.part").exists()
