#!/usr/bin/env python
"""Corpus tools: validate, summarise and read back annotated documents.

    python scripts/corpus.py validate data/seed.jsonl
    python scripts/corpus.py stats data/seed.jsonl
    python scripts/corpus.py show data/seed.jsonl --id 000_30f136eea93f39b4
    python scripts/corpus.py convert --from doccano --to jsonl export.jsonl corpus.jsonl --snap
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from train.corpus.document import SPAN_KINDS, Document, read_jsonl
from train.corpus.schema import SchemaError, load_schema
from train.corpus.text import word_spans


def _load_all(files: list[str], schema_path: str | None, extend_sentences: bool = False) -> tuple[list[Document], list, bool]:
    schema = load_schema(schema_path)
    docs: list[Document] = []
    problems = []
    for f in files:
        d, p = read_jsonl(f, schema, strict=False, extend_sentences=extend_sentences)
        docs += d
        problems += p
    failed = any(p.level == "error" for p in problems)
    return docs, problems, failed


def cmd_validate(args: argparse.Namespace) -> int:
    docs, problems, failed = _load_all(args.files, args.schema, args.extend_sentences)
    for p in problems:
        print(p, file=sys.stderr)
    errors = sum(p.level == "error" for p in problems)
    if failed:
        print(f"FAILED: {errors} error(s) in {len(args.files)} file(s)", file=sys.stderr)
        return 1
    print(f"OK: {len(docs)} documents, {sum(len(d.entities) for d in docs)} entities, "
          f"{sum(len(d.events) for d in docs)} events")
    return 0


def stats_table(docs: list[Document], schema_path: str | None = None) -> str:
    """A Markdown table of documents, sentences, tokens and spans per type (and triggers' roles, where any)."""
    schema = load_schema(schema_path)
    lines = [
        f"| documents | {len(docs)} |",
        f"| sentences | {sum(len(d.sentences) for d in docs)} |",
        f"| tokens (words) | {sum(len(word_spans(d.text)) for d in docs)} |",
    ]
    out = ["| item | count |", "|---|---:|", *lines]
    for kind in SPAN_KINDS:
        counts = Counter(s.label for d in docs for s in d.spans(kind))
        out += ["", f"| {kind[:-1] if kind == 'events' else 'entity'} type | count |", "|---|---:|"]
        for label in schema.labels(kind):
            out.append(f"| {label} | {counts.get(label, 0)} |")
        out.append(f"| **total** ({sum(1 for v in counts.values() if v)} types) | {sum(counts.values())} |")
    if any(s.args for d in docs for s in d.events):
        out += ["", "| event type | triggers | with source | with target |", "|---|---:|---:|---:|"]
        rows = Counter()
        for d in docs:
            for s in d.events:
                rows[(s.label, "triggers")] += 1
                for a in s.args:
                    rows[(s.label, a.role)] += 1
        for label in schema.labels("events"):
            if rows[(label, "triggers")]:
                out.append(f"| {label} | {rows[(label, 'triggers')]} | {rows[(label, 'source')]} | {rows[(label, 'target')]} |")
        tot = [sum(v for (_, k), v in rows.items() if k == x) for x in ("triggers", "source", "target")]
        out.append(f"| **total** | {tot[0]} | {tot[1]} | {tot[2]} |")
    return "\n".join(out)


def cmd_stats(args: argparse.Namespace) -> int:
    docs, problems, failed = _load_all(args.files, args.schema, args.extend_sentences)
    if failed:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    print(stats_table(docs, args.schema))
    return 0


def render_inline(doc: Document) -> str:
    """The text with entities as [text]LABEL and event triggers as {text}TYPE, to proofread.

    A trigger with roles is numbered, {text}TYPE#n, and its source and target read ‹text›S#n and
    ‹text›T#n.
    """
    marks: list[tuple[int, int, str]] = []  # (offset, order, string)
    for s in doc.entities:
        marks += [(s.start, 1, "["), (s.end, 0, f"]{s.label}")]
    n = 0
    for s in sorted(doc.events):
        num = ""
        if s.args:
            n += 1
            num = f"#{n}"
            for a in s.args:
                marks += [(a.start, 0, "‹"), (a.end, 1, f"›{a.role[0].upper()}{num}")]
        marks += [(s.start, 2, "{"), (s.end, -1, f"}}{s.label}{num}")]
    marks.sort()
    out, pos = [], 0
    for off, _, m in marks:
        out.append(doc.text[pos:off])
        out.append(m)
        pos = off
    out.append(doc.text[pos:])
    return "".join(out)


def cmd_show(args: argparse.Namespace) -> int:
    docs, problems, failed = _load_all([args.file], args.schema)
    for d in docs:
        if d.id == args.id:
            print(render_inline(d))
            return 0
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{args.file}: no document with id {args.id!r}", file=sys.stderr)
    return 1


def cmd_convert(args: argparse.Namespace) -> int:
    """Import IN as one format, validate it, and write OUT as another; nothing is written on errors."""
    from train.formats import get_format
    from train.formats.common import FormatError, load_label_map

    schema = load_schema(args.schema)
    try:
        src, dst = get_format(args.src), get_format(args.dst)
        label_map = load_label_map(args.label_map) if args.label_map else None
    except (KeyError, FormatError) as exc:
        print(exc.args[0] if isinstance(exc, KeyError) else exc, file=sys.stderr)
        return 2
    if not hasattr(src, "read"):
        print(f"{args.src}: import is not supported", file=sys.stderr)
        return 2
    if not hasattr(dst, "write"):
        print(f"{args.dst}: export is not supported (Prodigy reads the corpus JSONL directly)", file=sys.stderr)
        return 2
    opts = {}
    if args.src == "conll":
        opts = {"layer": args.layer, "sentences_per_doc": args.sentences_per_doc or None}
    if args.keep_ambiguous:
        if args.src != "gsr":
            print("--keep-ambiguous applies to --from gsr only", file=sys.stderr)
            return 2
        opts["keep_ambiguous"] = True
    if args.judged is not None:
        if args.src not in ("labelstudio_choices", "doccano_classification"):
            print("--judged applies to --from labelstudio_choices or doccano_classification only", file=sys.stderr)
            return 2
        opts["judged"] = [x.strip() for x in args.judged.split(",") if x.strip()]
        unknown = [x for x in opts["judged"] if x not in schema.labels("events")]
        if unknown:
            print(f"--judged: {', '.join(unknown)} not among the schema's event types", file=sys.stderr)
            return 2
    if args.from_predictions:
        if args.src != "labelstudio":
            print("--from-predictions applies to --from labelstudio only", file=sys.stderr)
            return 2
        opts = {"from_predictions": True}
    if args.offset_unit != "auto":
        if args.src not in ("labelstudio", "doccano", "brat"):
            print("--offset-unit applies to --from labelstudio, doccano or brat only", file=sys.stderr)
            return 2
        opts["offset_unit"] = args.offset_unit
    docs, report = src.read(args.input, schema=schema, label_map=label_map, snap=args.snap,
                            annotator=args.annotator, extend_sentences=args.extend_sentences, **opts)
    from train.formats.common import check_unique_ids

    check_unique_ids(docs, report)
    for p in report.errors:
        print(p, file=sys.stderr)
    if report.errors:
        print(f"FAILED: {len(report.errors)} error(s); nothing written", file=sys.stderr)
        return 1
    wopts = {"as_predictions": True} if args.as_predictions and args.dst == "labelstudio" else {}
    try:
        dst.write(docs, args.output, schema=schema, **wopts)
    except (ValueError, OSError) as exc:
        print(f"{args.output}: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    from train.formats import dropped_roles

    lost = dropped_roles(args.dst, docs)
    if lost:
        print(f"warning: {lost}", file=sys.stderr)
    print(f"wrote {len(docs)} document(s) to {args.output} as {args.dst}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schema", default=None, help="schema YAML (default: configs/schema.yaml)")
    sub = ap.add_subparsers(dest="command", required=True)
    ext = argparse.ArgumentParser(add_help=False)
    ext.add_argument("--extend-sentences", action="store_true",
                     help="join or widen sentences so that every span lies inside one (a warning each), "
                          "instead of reporting such spans as errors")
    p = sub.add_parser("validate", help="exit 0, or list every error with file, line and field", parents=[ext])
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("stats", help="documents, sentences, tokens and spans per type", parents=[ext])
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("show", help="print one document with its spans marked inline")
    p.add_argument("file")
    p.add_argument("--id", required=True)
    p.set_defaults(func=cmd_show)
    from train.formats import FORMATS

    p = sub.add_parser("convert", help="import/export Label Studio, doccano, brat, Prodigy, CoNLL (see docs/formats.md)",
                       parents=[ext])
    p.add_argument("--from", dest="src", required=True, choices=list(FORMATS))
    p.add_argument("--to", dest="dst", required=True, choices=list(FORMATS))
    p.add_argument("input", help="input file (a folder for brat)")
    p.add_argument("output", help="output file (a folder for brat)")
    p.add_argument("--label-map", default=None, help="YAML: tool label -> schema label, or null to drop it")
    p.add_argument("--snap", action="store_true", help="extend spans that cut words to whole words")
    p.add_argument("--annotator", default=None, help="whose annotation to take where a task has several (default: the first)")
    p.add_argument("--as-predictions", action="store_true", help="labelstudio export: write spans as predictions to review")
    p.add_argument("--from-predictions", action="store_true",
                   help="labelstudio import: take each task's predictions (pre-annotations) instead of its annotations")
    p.add_argument("--offset-unit", choices=["auto", "codepoint", "utf16"], default="auto",
                   help="labelstudio/doccano/brat import: the unit of the tool's offsets (default: decided per span, "
                        "and an error where that is ambiguous)")
    p.add_argument("--keep-ambiguous", action="store_true",
                   help="gsr import: keep 'ambiguous' sentences with their type unjudged (default: drop them)")
    p.add_argument("--judged", default=None,
                   help="classification imports: the event types the project asked about, comma-separated "
                        "(default: every event type); unchosen ones are 'no', others unjudged")
    p.add_argument("--layer", type=int, default=0, help="conll import: tag column of nested files (0 = first)")
    p.add_argument("--sentences-per-doc", type=int, default=20,
                   help="conll import without -DOCSTART-: sentences per document (0 = whole file)")
    p.set_defaults(func=cmd_convert)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SchemaError as exc:
        print(exc, file=sys.stderr)
        return 2


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--schema", "--label-map", positional="command and files",
                         takes_value=("--from", "--to", "--annotator", "--layer", "--sentences-per-doc", "--offset-unit", "--id"))


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="corpus.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
