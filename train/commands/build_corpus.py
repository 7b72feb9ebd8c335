#!/usr/bin/env python
"""Build a corpus file from marked-up annotation files and their untouched source texts.

    python scripts/build_corpus.py --sources ../shared/seeds --markup data/annotations --out data/seed.jsonl

Each ``MARKUP/NAME.txt`` is ``SOURCES/NAME.txt`` with inline marks (see ``train/markup.py``).
The text stored in the corpus is read from the source file, byte for byte; the marks give
the offsets. The result is validated before it is written, and written atomically.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from train.corpus.document import CorpusError, Document, write_jsonl
from train.corpus.markup import MarkupError, first_difference, parse_markup


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", required=True, type=Path, help="folder of original .txt files")
    ap.add_argument("--markup", required=True, type=Path, help="folder of marked-up .txt files")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    docs: list[Document] = []
    failed = False
    for mfile in sorted(args.markup.glob("*.txt")):
        src = args.sources / mfile.name
        if not src.is_file():
            print(f"{mfile}: no source file {src}", file=sys.stderr)
            failed = True
            continue
        original = src.read_bytes().decode("utf-8")
        try:
            marked = parse_markup(mfile.read_text(encoding="utf-8"), str(mfile))
        except MarkupError as exc:
            print(exc, file=sys.stderr)
            failed = True
            continue
        if marked.text != original:
            print(f"{mfile}: text differs from {src} at {first_difference(original, marked.text)}", file=sys.stderr)
            failed = True
            continue
        title = original.strip().splitlines()[0].strip() if original.strip() else ""
        doc = Document(
            id=mfile.stem, text=original, entities=marked.entities, events=marked.events,
            meta={"source": f"shared/seeds/{src.name}", "title": title},
        ).with_sentences()
        docs.append(doc)
    if failed:
        return 1
    try:
        write_jsonl(args.out, docs)
    except CorpusError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {len(docs)} documents to {args.out}: "
          f"{sum(len(d.entities) for d in docs)} entities, {sum(len(d.events) for d in docs)} events")
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--sources", "--markup", "--out")


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="build_corpus.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
