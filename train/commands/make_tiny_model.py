#!/usr/bin/env python
"""Build a tiny random-weight BERT and its WordPiece tokenizer, for offline demos and tests.

    python scripts/make_tiny_model.py models/demo/base [--corpus data/seed.jsonl] [--text extra.txt ...] [--conll train.txt]

The vocabulary is trained on the corpus text (documents' ``text``) and any extra text files,
with the project's tokenizer normaliser (diacritics and tatweel removed, case and hamza kept).
The model is BERT with 2 layers, hidden size 128, randomly initialised with a fixed seed.
Both are saved with ``save_pretrained`` (safetensors, tokenizer.json). Deterministic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from train.atomic import atomic_dir

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "data" / "seed.jsonl"


class CorpusTextError(ValueError):
    """Records without text (or not JSON, or not UTF-8): every one found, with file, line and field."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _jsonl_texts(path: str, problems: list) -> list[str]:
    """The ``text`` of every record; a bad line is added to ``problems`` (all of them, not the first)."""
    from train.corpus.document import Problem, iter_jsonl_records

    texts = []
    for lineno, obj in iter_jsonl_records(path, problems):
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            texts.append(obj["text"])
        else:
            problems.append(Problem(path, lineno, "text", 'each record needs a "text" string'))
    return texts


def source_path(p: str) -> tuple[str, str]:
    """``(format, path)`` of a ``--corpus``/``--text`` argument: ``FORMAT:PATH``, a GSR file or folder,
    a ``.jsonl`` file, else plain text (as training and the help name them)."""
    from train.training.config import path_format

    return path_format(p, "jsonl" if p.lower().endswith((".jsonl", ".ndjson")) else "text")


def corpus_texts(paths: list[str]) -> list[str]:
    """The text of every document of ``paths``, read as training reads them; :class:`CorpusTextError`
    for records without text."""
    from train.corpus.schema import load_schema

    texts: list[str] = []
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
            texts += [d.text for d in docs]
        elif fmt == "conll":
            from train.formats.conll import read_conll

            texts += [d.text for d in read_conll(path)]
        elif fmt == "jsonl":
            texts += _jsonl_texts(path, problems)
        else:
            texts.append(Path(path).read_text(encoding="utf-8"))
    if problems:
        raise CorpusTextError(problems)
    return texts


def build(out_dir: str | Path, texts: list[str], vocab_size: int = 4000, hidden: int = 128, layers: int = 2, seed: int = 0, max_len: int = 512) -> Path:
    import torch
    from transformers import BertConfig, BertForMaskedLM

    from train.features.tokenization import train_wordpiece

    out = Path(out_dir)
    tok = train_wordpiece(texts, vocab_size=vocab_size)
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
    try:
        texts = corpus_texts(files)
    except CorpusTextError as exc:
        for problem in exc.problems:
            print(f"make_tiny_model.py: {problem}", file=sys.stderr)
        return 1
    if a.conll:
        from train.formats.conll import read_conll

        for f in a.conll:
            texts += [d.text for d in read_conll(f)]
    out = build(a.out_dir, texts, a.vocab_size, a.hidden, a.layers, a.seed)
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
