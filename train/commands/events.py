"""``arabic-ie-events`` / ``scripts/events.py``: prediction records → an event table and a report.

    python scripts/events.py predictions.jsonl --out events.parquet --report report.html
    python scripts/events.py data/seed.jsonl --out seed-events.csv        # annotated documents work too

One row per event: who (source and target: actor id, canonical name, country, sector, mention),
did what (PLOVER type, trigger), when (event date and its precision) and where, with the document,
its publication date, the sentence and the scores. Reports of the same event (same type, actors
and date) share one ``event_id`` and list their ``reports``. The input is read line by line and
the merge spills sorted runs to a temporary folder, so memory does not grow with the documents.
The table (``.parquet``, ``.csv`` or ``.jsonl``) and the report are written to temporary files
and renamed into place. docs/events.md has the columns and the rules.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from train.atomic import atomic_path, atomic_write_text
from train.eventdata.actors import ActorResolver
from train.eventdata.dictionary import DEFAULT, ActorDictionary, DictionaryError
from train.eventdata.merge import EventMerger
from train.eventdata.report import ReportBuilder
from train.eventdata.table import COLUMNS, EventRows

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}


class EventsError(ValueError):
    pass


def read_records(paths: list[Path]) -> Iterator[dict[str, Any]]:
    """The records of JSONL files, one at a time; a bad line is an :class:`EventsError` naming file and line."""
    for path in paths:
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise EventsError(f"{path}:{n}: not valid UTF-8 ({exc.reason} at byte {exc.start} of the line)") from None
                except json.JSONDecodeError as exc:
                    raise EventsError(f"{path}:{n}: not valid JSON: {exc.msg} (column {exc.colno})") from None
                if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                    raise EventsError(f"{path}:{n}: expected a prediction record (a JSON object with 'text', "
                                      f"'entities', 'sentences', 'events': predict.py --format jsonl)")
                for key in ("entities", "sentences", "events"):
                    if not isinstance(obj.get(key, []), list):
                        raise EventsError(f"{path}:{n}: '{key}' must be a list")
                yield obj


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in COLUMNS}


def _parquet_schema() -> Any:
    import pyarrow as pa

    report = pa.struct([("document_id", pa.string()), ("sentence_index", pa.int32()),
                        ("publication_date", pa.string()), ("trigger", pa.string()), ("sentence", pa.string())])
    ints = {"n_reports", "sentence_index"}
    floats = {"score", "trigger_score", "source_score", "target_score"}
    fields = [(c, pa.list_(report) if c == "reports" else pa.int32() if c in ints else pa.float64() if c in floats
               else pa.string()) for c in COLUMNS]
    return pa.schema(fields)


def write_table(events: Iterator[dict[str, Any]], out: Path, fmt: str, batch: int = 2000) -> int:
    """Write merged events to ``out`` in ``fmt``, streaming; returns the number of events."""
    n = 0
    with atomic_path(out) as tmp:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                for ev in events:
                    fh.write(json.dumps(_public(ev), ensure_ascii=False) + "\n")
                    n += 1
        elif fmt == "csv":
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
                w.writeheader()
                for ev in events:
                    row = _public(ev)
                    row["reports"] = json.dumps(row["reports"], ensure_ascii=False)
                    w.writerow(row)
                    n += 1
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = _parquet_schema()
            with pq.ParquetWriter(tmp, schema) as writer:
                chunk: list[dict[str, Any]] = []
                for ev in events:
                    chunk.append(_public(ev))
                    n += 1
                    if len(chunk) >= batch:
                        writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                        chunk = []
                if chunk or n == 0:
                    writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    return n


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="events.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("predictions", nargs="+", type=Path, metavar="PREDICTIONS",
                    help="predict.py JSONL records (or annotated corpus JSONL), one or more files")
    ap.add_argument("--out", type=Path, required=True, metavar="FILE",
                    help="the event table: .parquet, .csv or .jsonl (by its suffix)")
    ap.add_argument("--report", type=Path, default=None, metavar="FILE.html", help="also write the HTML report")
    ap.add_argument("--actors", type=Path, default=None, metavar="FILE.yaml",
                    help=f"the actor dictionary (default: {DEFAULT.relative_to(DEFAULT.parents[1])} when it exists)")
    ap.add_argument("--no-actors", action="store_true", help="use no actor dictionary")
    ap.add_argument("--run-size", type=int, default=5000, metavar="N",
                    help="event reports held in memory before a sorted run is written out (default 5000)")
    ap.add_argument("--table-rows", type=int, default=500, metavar="N",
                    help="events listed in the report's table, those with the most reports first (default 500)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    prog = "events.py"
    fmt = FORMATS.get(args.out.suffix.lower())
    if fmt is None:
        print(f"{prog}: error: --out {args.out}: unknown table format {args.out.suffix or '(no suffix)'!r}; "
              f"use .parquet, .csv or .jsonl", file=sys.stderr)
        return 2
    if args.out.is_dir():
        print(f"{prog}: error: --out {args.out} is a folder; give a file name such as events.parquet", file=sys.stderr)
        return 2
    if args.run_size < 1 or args.table_rows < 0:
        print(f"{prog}: error: --run-size must be at least 1 and --table-rows at least 0", file=sys.stderr)
        return 2
    for p in args.predictions:
        if not p.is_file():
            print(f"{prog}: error: {p}: no such file", file=sys.stderr)
            return 1
    try:
        if args.no_actors:
            dictionary = ActorDictionary()
        else:
            path = args.actors or (DEFAULT if DEFAULT.is_file() else None)
            dictionary = ActorDictionary.load(path) if path else ActorDictionary()
    except (DictionaryError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    rows = EventRows(ActorResolver(dictionary))
    report = ReportBuilder(table_rows=args.table_rows) if args.report else None
    args.out.resolve().parent.mkdir(parents=True, exist_ok=True)
    merger = EventMerger(run_size=args.run_size, tmpdir=args.out.resolve().parent)
    docs = 0
    try:
        for rec in read_records(args.predictions):
            docs += 1
            for row in rows.rows(rec):
                merger.add(row)
            if report is not None:
                report.add_record(rows.last_record or rec)
    except EventsError as exc:
        merger.close()
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    reports = merger.rows

    def events() -> Iterator[dict[str, Any]]:
        for ev in merger.events():
            if report is not None:
                report.add_event(ev)
            yield ev

    n = write_table(events(), args.out, fmt)
    if report is not None:
        atomic_write_text(args.report, report.html())
    print(f"{prog}: {docs} document(s), {reports} event report(s) -> {n} event(s) in {args.out}"
          + (f"; report {args.report}" if args.report else ""), file=sys.stderr)
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--out", "--report", "--actors", positional="predictions",
                         takes_value=("--run-size", "--table-rows"))


def cli(argv: list[str] | None = None) -> int:
    """Entry point: :func:`main` through :func:`train.cli.run_main` (one line per failure)."""
    from train.cli import run_main

    return run_main(main, argv, prog="events.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
