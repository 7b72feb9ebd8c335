#!/usr/bin/env python
"""Build a tiny random-weight BERT and its WordPiece tokenizer, for offline demos and tests.

    python scripts/make_tiny_model.py models/demo/base [--corpus data/seed.jsonl] [--text extra.txt ...] [--conll train.txt]

The vocabulary is trained on the corpus text (documents' ``text``) and any extra text files,
with the project's tokenizer normaliser (diacritics and tatweel removed, case and hamza kept).
The text is read as a stream (plain text in 32 KB pieces, JSONL a line at a time) into word
counts, and the merges learn from the 200,000 most frequent distinct words: memory stays
bounded on large text (100 MB of news, with or without line breaks).
The model is BERT with 2 layers, hidden size 128, randomly initialised with a fixed seed.
Both are saved with ``save_pretrained`` (safetensors, tokenizer.json). Deterministic.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from train.atomic import atomic_dir

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "data" / "seed.jsonl"
PIECE_BYTES = 1 << 15  # plain text is read and counted this much at a time


class CorpusTextError(ValueError):
    """Records without text (or not JSON, or not UTF-8): every one found, with file, line and field."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _jsonl_texts(path: str, problems: list) -> Iterator[str]:
    """The ``text`` of every record, one line at a time; a bad line is added to ``problems`` (all of them)."""
    from train.corpus.document import Problem, iter_jsonl_records

    for lineno, obj in iter_jsonl_records(path, problems):
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            yield obj["text"]
        else:
            problems.append(Problem(path, lineno, "text", 'each record needs a "text" string'))


def _text_pieces(path: str, problems: list, size: int = PIECE_BYTES) -> Iterator[str]:
    """A plain-text file in pieces of about ``size`` bytes, each cut just after white space.

    No word is cut (words never span white space), so the word counts are those of the whole
    text, while only one piece is held: a 100 MB file, even one without a line break, never
    becomes one string and its millions of pre-tokenized words at once. Bytes that are not UTF-8
    are a problem naming the line and byte offset, and end the file's text.
    """
    import codecs

    from train.corpus.document import Problem

    decoder = codecs.getincrementaldecoder("utf-8")()
    fed = lines = 0
    carry = ""
    with open(path, "rb") as fh:
        while raw := fh.read(size):
            pending = len(decoder.getstate()[0])
            try:
                block = decoder.decode(raw)
            except UnicodeDecodeError as exc:
                lines += exc.object[:exc.start].count(b"\n")
                problems.append(Problem(path, lines + 1, "", f"not valid UTF-8: byte 0x{exc.object[exc.start]:02x} "
                                                              f"at byte offset {fed - pending + exc.start} of the file"))
                return
            lines += raw.count(b"\n")
            if fed == 0:
                block = block.removeprefix("\ufeff")
            fed += len(raw)
            text = carry + block
            cut = len(text)
            while cut and not text[cut - 1].isspace():
                cut -= 1
            if cut == 0 and len(text) < 4 * size:
                carry = text  # one long run without white space so far: wait for its end
                continue
            cut = cut or len(text)
            yield text[:cut]
            carry = text[cut:]
    if carry:
        yield carry


def source_path(p: str) -> tuple[str, str]:
    """``(format, path)`` of a ``--corpus``/``--text`` argument: ``FORMAT:PATH``, a GSR file or folder,
    a ``.jsonl`` file, else plain text (as training and the help name them)."""
    from train.training.config import path_format

    return path_format(p, "jsonl" if p.lower().endswith((".jsonl", ".ndjson")) else "text")


def corpus_texts(paths: list[str]) -> Iterator[str]:
    """The text of ``paths`` for the vocabulary, lazily: each document (read as training reads it),
    a plain-text file in pieces (:func:`_text_pieces`), so that large text is never held whole.
    Records without text raise :class:`CorpusTextError`, all of them, once the text is read."""
    from train.corpus.schema import load_schema

    problems: list = []
    for p in paths:
        fmt, path = source_path(p)
        if fmt in ("gsr", "gsr_spans"):  # a GSR CSV file or folder, or its spans files: the sentences training reads
            if fmt == "gsr":
                from train.formats.gsr import read as read_gsr

                docs, report = read_gsr(path, schema=load_schema(), keep_ambiguous=True)
            else:
                from train.formats.gsr_spans import read as read_gsr

                docs, report = read_gsr(path, schema=load_schema())
            if report.errors:
                raise ValueError(str(report.errors[0]))
            yield from (d.text for d in docs)
        elif fmt == "conll":
            from train.formats.conll import read_conll

            yield from (d.text for d in read_conll(path))
        elif fmt == "jsonl":
            yield from _jsonl_texts(path, problems)
        else:
            yield from _text_pieces(path, problems)
    if problems:
        raise CorpusTextError(problems)


def build(out_dir: str | Path, texts: Iterable[str], vocab_size: int = 4000, hidden: int = 128, layers: int = 2, seed: int = 0, max_len: int = 512) -> Path:
    import torch
    from transformers import BertConfig, BertForMaskedLM

    from train.features.tokenization import train_wordpiece

    out = Path(out_dir)
    tok = train_wordpiece(texts, vocab_size=vocab_size)  # word counts, one text at a time
    tok.model_max_length = max_len
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64),
        intermediate_size=hidden * 4,
        max_position_embeddings=max_len,
        pad_token_id=tok.pad_token_id,
    )
    model = BertForMaskedLM(config)
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--corpus", action="append", help="corpus that training reads: JSONL (default data/seed.jsonl), a GSR CSV file or folder, "
                    "or FORMAT:PATH (jsonl, conll, gsr, gsr_spans); repeatable")
    ap.add_argument("--text", action="append", default=[], help="extra plain-text or .jsonl file for the vocabulary (or FORMAT:PATH, as --corpus)")
    ap.add_argument("--conll", action="append", default=[], help="CoNLL/IOB2 file whose tokens join the vocabulary text")
    ap.add_argument("--vocab-size", type=int, default=4000)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    files = (a.corpus or [str(DEFAULT_CORPUS)]) + a.text
    missing = [f for f in files if not Path(source_path(f)[1]).exists()]
    if missing:
        print(f"error: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    missing = [f for f in a.conll if not Path(f).is_file()]
    if missing:
        print(f"error: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    texts: Iterable[str] = corpus_texts(files)  # read as the vocabulary step counts them: never whole
    if a.conll:
        from train.formats.conll import read_conll

        texts = itertools.chain(texts, (d.text for f in a.conll for d in read_conll(f)))
    try:
        out = build(a.out_dir, texts, a.vocab_size, a.hidden, a.layers, a.seed)
    except CorpusTextError as exc:  # found while the text was read; nothing was written
        for problem in exc.problems:
            print(f"make_tiny_model.py: {problem}", file=sys.stderr)
        return 1
    print(f"tiny model written to {out}")
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--corpus", "--text", "--conll", positional="output",
                         takes_value=("--vocab-size", "--hidden", "--layers", "--seed"))


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="make_tiny_model.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
