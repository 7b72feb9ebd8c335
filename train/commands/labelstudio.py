#!/usr/bin/env python
"""Label Studio in the loop: labeling config, model backend, and tasks in and out.

    python scripts/labelstudio.py config --out labeling-config.xml [--choices]
    python scripts/labelstudio.py serve --ner models/ner [--triggers models/triggers] [--port 9090]
    python scripts/labelstudio.py push --project 1 --ner models/ner --rank uncertainty --n 20 data/articles/
    python scripts/labelstudio.py pull --project 1 --out data/labelstudio.jsonl
    python scripts/train.py configs/ner.yaml --train_file data/labelstudio.jsonl

``push`` and ``pull`` talk to Label Studio through its SDK: ``--url`` and ``--api-key``, or
``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY`` (a personal access token). ``serve`` is the
model backend to enter in the project's Settings → Model (see train/labelstudio/backend.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text
from train.cli import run_main
from train.corpus.schema import load_schema

PROG = "labelstudio.py"


def _connection(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--url", help="Label Studio's address (default: $LABEL_STUDIO_URL, else http://localhost:8080)")
    ap.add_argument("--api-key", help="personal access token or legacy token (default: $LABEL_STUDIO_API_KEY)")


def _models(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--ner", help="entity tagger: published folder or Hub name")
    ap.add_argument("--triggers", help="event-trigger tagger: published folder or Hub name")
    ap.add_argument("--events", help="sentence event classifier: published folder or Hub name")
    ap.add_argument("--device", help="cpu, cuda, cuda:1 … (default: the GPU when there is one)")


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type for a limit: a number above zero (a zero limit would refuse every request)."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)

    c = sub.add_parser("config", help="write the labeling config (XML) for the schema")
    c.add_argument("--schema", help="label schema (default: configs/schema.yaml)")
    c.add_argument("--out", help="output file (default: standard output)")
    c.add_argument("--no-entities", action="store_true", help="leave out the entity labels")
    c.add_argument("--no-events", action="store_true", help="leave out the event-trigger labels")
    c.add_argument("--choices", action="store_true", help="also ask the task's event types (PLOVER choices)")
    c.add_argument("--title", help="a header shown above the text")

    s = sub.add_parser("serve", help="run the model backend Label Studio calls")
    _models(s)
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=9090)
    s.add_argument("--basic-auth-user", help="require HTTP basic auth (default: $ML_BASIC_AUTH_USER)")
    s.add_argument("--basic-auth-pass", help="its password (default: $ML_BASIC_AUTH_PASS)")
    s.add_argument("--allow-unauthenticated", action="store_true",
                   help="serve on a non-loopback --host without basic auth (not recommended)")
    s.add_argument("--max-request-mb", type=_positive(float), default=10.0,
                   help="answer 413 to a request body over this many MiB, before reading it (default 10; older "
                        "Label Studio's /train posts the whole project, so raise it for a large one)")
    s.add_argument("--max-task-chars", type=_positive(int), default=200_000,
                   help="answer 413 to a task whose text is longer than this (default 200,000 characters)")
    s.add_argument("--train-config", help="YAML train config: new annotations train a new NER model with it")
    s.add_argument("--runs-dir", default="runs/labelstudio", help="where the backend's training runs go")
    s.add_argument("--train-every", type=int, default=0,
                   help="train after this many new annotations (default 0: only on Label Studio's Start Training)")
    s.add_argument("--schema", help="label schema (default: configs/schema.yaml)")
    _connection(s)

    p = sub.add_parser("push", help="import articles as tasks with predictions, the most uncertain first")
    p.add_argument("inputs", nargs="+", help=".txt files, folders of .txt files, or .jsonl files ({id, text})")
    p.add_argument("--project", type=int, required=True, help="Label Studio project id")
    _models(p)
    p.add_argument("--rank", choices=("uncertainty", "random", "none"), default="uncertainty",
                   help="which documents first: most uncertain, a seeded random sample, or input order")
    p.add_argument("--measure", choices=("entropy", "margin"), default="entropy", help="token uncertainty measure")
    p.add_argument("--n", type=int, default=20, help="how many tasks to import (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seed of --rank random")
    p.add_argument("--no-predictions", action="store_true", help="import the texts only, without pre-annotations")
    _connection(p)

    q = sub.add_parser("pull", help="export the project's annotations and convert them to the corpus format")
    q.add_argument("--project", type=int, required=True, help="Label Studio project id")
    q.add_argument("--out", required=True, help="corpus JSONL to write (training reads it directly)")
    q.add_argument("--export", help="also keep Label Studio's raw JSON export here")
    q.add_argument("--schema", help="label schema (default: configs/schema.yaml)")
    q.add_argument("--annotator", help="where a task has several annotations, take this user's (id or e-mail)")
    q.add_argument("--no-snap", action="store_true", help="fail on spans off word boundaries instead of snapping them")
    _connection(q)
    return ap


def cmd_config(args: argparse.Namespace) -> int:
    from train.formats.labelstudio_config import label_config

    xml = label_config(load_schema(args.schema), entities=not args.no_entities, events=not args.no_events,
                       choices=args.choices, title=args.title)
    if args.out:
        atomic_write_text(args.out, [xml])
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(xml)
    return 0


def _need_model(args: argparse.Namespace) -> None:
    if not (args.ner or args.triggers or args.events):
        raise SystemExit(f"{PROG}: error: give at least one model: --ner, --triggers or --events")


def cmd_serve(args: argparse.Namespace) -> int:
    from train.labelstudio import backend as b

    _need_model(args)
    limits = b.Limits(request_bytes=int(args.max_request_mb * 2**20), task_chars=args.max_task_chars)
    auth = b.credentials(args.basic_auth_user, args.basic_auth_pass)
    b.check_binding(args.host, auth, args.allow_unauthenticated)
    training = None
    if args.train_config:
        if not Path(args.train_config).is_file():
            raise b.BackendError(f"--train-config {args.train_config}: no such file")
        source = None
        if args.api_key or os.environ.get("LABEL_STUDIO_API_KEY"):
            from train.labelstudio import client as lsc

            conn = lsc.connect(args.url, args.api_key)
            source = lambda project: lsc.export_tasks(conn, project)  # noqa: E731
        training = b.Training(config=args.train_config, runs_dir=Path(args.runs_dir), schema=load_schema(args.schema),
                              tasks_source=source, every=args.train_every)
    backend = b.Backend(b.Models(ner=args.ner, events=args.events, triggers=args.triggers, device=args.device), training, limits)
    app = b.create_app(backend, auth)
    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, app, threaded=True)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"serving {backend.models.describe()} on http://{args.host}:{server.server_port}"
          f" ({'basic auth' if auth else 'no auth'}; model_version {backend.models.version})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from train.commands.predict import iter_inputs
    from train.inference.predictor import Predictor
    from train.labelstudio import client as lsc
    from train.labelstudio.results import model_version, parse_controls, prediction

    if args.n < 1:
        raise SystemExit(f"{PROG}: error: --n must be at least 1")
    if not args.no_predictions or args.rank == "uncertainty":
        _need_model(args)
    conn = lsc.connect(args.url, args.api_key)
    controls = parse_controls(lsc.label_config(conn, args.project))
    have = lsc.existing_doc_ids(conn, args.project)
    inputs = list(iter_inputs(args.inputs, []))
    docs = [d for d in inputs if d.id not in have]
    already = len(inputs) - len(docs)
    predictor = Predictor.from_pretrained(ner=args.ner, events=args.events, triggers=args.triggers,
                                          device=args.device) if (args.ner or args.triggers or args.events) else None
    scores: list[float] | None = None
    if args.rank == "none":
        order = list(range(min(args.n, len(docs))))
    else:
        from train.inference.uncertainty import document_uncertainty, rank_documents

        if args.rank == "uncertainty":
            assert predictor is not None
            scores = document_uncertainty(predictor, docs, measure=args.measure)
        order = rank_documents(scores if scores is not None else [0.0] * len(docs), args.n, args.rank, args.seed)
    chosen = [docs[i] for i in order]
    records = list(predictor.predict(chosen)) if predictor is not None and not args.no_predictions else [None] * len(chosen)
    version = model_version(predictor.models()) if predictor else ""
    tasks: list[dict[str, Any]] = []
    for i, doc, rec in zip(order, chosen, records):
        data: dict[str, Any] = {controls.text_key: doc.text, "doc_id": doc.id}
        if scores is not None:
            data["uncertainty"] = round(scores[i], 6)
        task: dict[str, Any] = {"data": data}
        if rec is not None:
            task["predictions"] = [prediction(rec, controls, version)]
        tasks.append(task)
    ids = lsc.import_tasks(conn, args.project, tasks)
    how = {"uncertainty": f"most uncertain ({args.measure})", "random": f"random (seed {args.seed})", "none": "input order"}[args.rank]
    print(f"project {args.project}: imported {len(ids)} task(s) of {len(docs)} new document(s), {how}"
          f"{'' if args.no_predictions else ', with predictions'}; {already} input(s) already in the project were left out",
          file=sys.stderr)
    for doc, i in zip(chosen, order):
        print(f"{doc.id}\t{scores[i]:.4f}" if scores is not None else doc.id)
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    import json

    from train.corpus.document import write_jsonl
    from train.labelstudio import client as lsc

    schema = load_schema(args.schema)
    conn = lsc.connect(args.url, args.api_key)
    tasks = lsc.export_tasks(conn, args.project)
    if args.export:
        atomic_write_text(args.export, [json.dumps(tasks, ensure_ascii=False, indent=1), "\n"])
    docs, report = lsc.convert_export(tasks, schema, f"project {args.project}", snap=not args.no_snap,
                                      annotator=args.annotator)
    print(report.summary(), file=sys.stderr)
    if report.errors:
        for p in report.errors:
            print(p, file=sys.stderr)
        print(f"{PROG}: error: {len(report.errors)} problem(s) in project {args.project}'s export; nothing written "
              f"(spans off word boundaries: leave out --no-snap)", file=sys.stderr)
        return 1
    write_jsonl(args.out, docs, schema)
    print(f"wrote {len(docs)} document(s) to {args.out}", file=sys.stderr)
    return 0


COMMANDS = {"config": cmd_config, "serve": cmd_serve, "push": cmd_push, "pull": cmd_pull}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return COMMANDS[args.command](args)


def _subject(argv: list[str]) -> str | None:
    """What a failure was about: the project, the models, the files."""
    from train.cli import describe_args

    return describe_args(argv[1:], "--project", "--ner", "--triggers", "--events", "--out", "--export", "--url",
                         positional="input" if argv[:1] == ["push"] else None,
                         takes_value=("--rank", "--measure", "--n", "--seed", "--device", "--api-key"))


def cli(argv: list[str] | None = None) -> int:
    return run_main(main, argv, prog=PROG, subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
