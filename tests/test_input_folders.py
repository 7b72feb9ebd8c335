"""Issue 26 row 7: a folder of articles with a symlinked sub-folder; its files were skipped without a word.

Linked sub-folders are followed once; a link back to a folder that holds it (a loop) or to a
folder already read is not followed again; the count at the end of a run says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from train.folders import walk_files

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs POSIX symlinks")

TEXT = "وصل الوفد الروسي إلى طرابلس."


def _articles(tmp_path: Path) -> Path:
    """articles/ with a real sub-folder, a linked folder outside it (with a loop and a link back),
    a second link to the real sub-folder and a link to itself."""
    art, outside = tmp_path / "articles", tmp_path / "outside"
    (art / "real").mkdir(parents=True)
    (outside / "deeper").mkdir(parents=True)
    for f in (art / "a.txt", art / "real" / "b.txt", outside / "c.txt", outside / "deeper" / "d.txt"):
        f.write_text(TEXT, encoding="utf-8")
    (art / "linked").symlink_to(outside, target_is_directory=True)
    (art / "again").symlink_to(art / "real", target_is_directory=True)  # a folder already read
    (art / "self").symlink_to(".", target_is_directory=True)  # loop
    (outside / "back").symlink_to("..", target_is_directory=True)  # loop, from inside the linked folder
    (outside / "up").symlink_to(art, target_is_directory=True)  # the folder being read: already read
    (art / "broken").symlink_to(tmp_path / "nowhere", target_is_directory=True)
    return art


def test_walk_follows_linked_folders_once_and_counts_the_loops(tmp_path):
    art = _articles(tmp_path)
    walk = walk_files(art, ".txt")
    assert [f.relative_to(art).as_posix() for f in walk.files] == ["a.txt", "linked/c.txt", "linked/deeper/d.txt", "real/b.txt"]
    assert (walk.links_followed, walk.loops_skipped, walk.repeats_skipped) == (1, 2, 2)
    assert walk.notes() == ["1 linked folder followed", "2 link loops skipped", "2 links to a folder already read skipped"]


def test_a_real_folder_keeps_its_own_path_when_a_link_to_it_sorts_first(tmp_path):
    art = tmp_path / "articles"
    (art / "z_real").mkdir(parents=True)
    (art / "z_real" / "x.txt").write_text(TEXT, encoding="utf-8")
    (art / "a_link").symlink_to(art / "z_real", target_is_directory=True)
    walk = walk_files(art, ".txt")
    assert [f.relative_to(art).as_posix() for f in walk.files] == ["z_real/x.txt"]
    assert (walk.links_followed, walk.repeats_skipped) == (0, 1)


def test_predict_reads_a_linked_sub_folder_and_says_so(tmp_path, capsys):
    from conftest import load_script
    from test_predict import build_tiny_models

    predict = load_script("predict")
    art = _articles(tmp_path)
    models = build_tiny_models(tmp_path / "models")
    out = tmp_path / "out.jsonl"
    rc = predict.main(["--ner", str(models["ner"]), str(art), "--output", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0, err
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["a.txt", "linked/c.txt", "linked/deeper/d.txt", "real/b.txt"]
    assert (f"4 document(s) from 4 file(s) (1 linked folder followed, 2 link loops skipped, "
            f"2 links to a folder already read skipped) -> {out}") in err
    assert predict.check_unique_ids([str(art)], []).files == 4


def test_a_folder_whose_only_files_are_behind_a_loop_says_so(tmp_path):
    from conftest import load_script

    predict = load_script("predict")
    art = tmp_path / "articles"
    art.mkdir()
    (art / "self").symlink_to(".", target_is_directory=True)
    with pytest.raises(predict.InputError, match=r"no \.txt files in this folder \(1 link loop skipped\)$"):
        predict.check_unique_ids([str(art)], [])


def test_pretraining_text_and_bench_articles_follow_linked_folders(tmp_path):
    from train.benchmark.data import load_documents
    from train.training.mlm import load_texts, text_format

    art = _articles(tmp_path)
    assert text_format(str(art))[0] == "text"
    assert len(load_texts(str(art))) == 4
    docs, source = load_documents(art)
    assert [d for d, _ in docs] == ["a.txt", "linked/c.txt", "linked/deeper/d.txt", "real/b.txt"]
    assert source == (f"{art} (4 .txt files, 1 linked folder followed, 2 link loops skipped, "
                      "2 links to a folder already read skipped)")
