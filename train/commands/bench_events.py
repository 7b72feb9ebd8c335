#!/usr/bin/env python
"""Score scripts/events.py's actors, dates and locations on the annotated seed corpus (docs/benchmarks.md).

    python scripts/bench_events.py                                   # on gold spans
    python scripts/bench_events.py --predictions runs/demo/seed-pred.jsonl   # on the demo models' records
"""

import argparse
import json
import sys
from pathlib import Path

from train.benchmark.events import load_annotation, read_jsonl, score
from train.eventdata.dictionary import DEFAULT, ActorDictionary

ROOT = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench_events.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "seed.jsonl")
    ap.add_argument("--annotation", type=Path, default=ROOT / "data" / "annotations" / "seed-events.yaml")
    ap.add_argument("--predictions", type=Path, default=None, help="predict.py records of the same documents")
    ap.add_argument("--actors", type=Path, default=DEFAULT)
    ap.add_argument("--no-actors", action="store_true", help="score without an actor dictionary")
    args = ap.parse_args(argv)
    docs = read_jsonl(args.corpus)
    ann = load_annotation(args.annotation, {d["id"]: d for d in docs})
    recs = {r["id"]: r for r in read_jsonl(args.predictions)} if args.predictions else None
    res = score(docs, ann, recs, ActorDictionary() if args.no_actors else ActorDictionary.load(args.actors))
    print(json.dumps(res, indent=1))
    return 0


def cli(argv=None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="bench_events.py")


if __name__ == "__main__":
    sys.exit(cli())
