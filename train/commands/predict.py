#!/usr/bin/env python
"""Annotate Arabic news with entities, sentence event types, triggers and event records.

    python scripts/predict.py --models models articles/ --output out.jsonl
    python scripts/predict.py --models my-org/camelbert-arabic-news --text "وصل وزير الدفاع إلى موسكو."
    python scripts/predict.py --ner models/demo/ner --events models/demo/events \\
        --triggers models/demo/triggers articles/ --output out.jsonl
    python scripts/predict.py --ner models/demo/ner --text "وصل وزير الدفاع إلى موسكو."
    cat docs.jsonl | python scripts/predict.py --ner models/demo/ner --format labelstudio > tasks.json

Inputs: paths to ``.txt`` files (one document each), folders (every ``.txt`` under them),
JSON Lines files (``.jsonl``: one document per line with ``text`` and an optional ``id``),
Parquet files (``.parquet``: a ``text`` column, optional ``id`` and ``meta`` columns),
``--text`` for text on the command line, or standard input (``-``, or no input at all; JSON
Lines when it starts with ``{``, else one document). Inputs are read lazily and records are
written as they are done. Every offset is a character offset into the original text.

``--engine ray --workers N`` runs the same predictor in N Ray actors (``pip install .[ray]``;
a local Ray instance, or ``--ray-address`` for a cluster) and writes the same records in the
same order (:mod:`train.inference.ray_engine`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from train.corpus.document import has_lone_surrogate, not_text_problems
from train.corpus.text import sniff_utf16, utf16_message
from train.folders import FolderWalk, InputCount, link_notes, walk_files
from train.inference.backends import PredictorError, backend_names
from train.inference.output import (
    FORMATS,
    RESUMABLE,
    OutputError,
    check_output_path,
    check_resume,
    open_output,
    part_path,
    read_done_ids,
    run_path,
)
from train.inference.precision import PRECISIONS
from train.inference.predictor import InputDocument, Predictor, peek


class InputError(ValueError):
    """Input that cannot be read; the message names the file, line and field (one problem a line)."""


# Called with each bad input record's one line; the default raises, so that a caller that
# wants every problem at once (check_unique_ids) or a run that skips bad records passes its own.
Report = Callable[[str], None]


def _raise(message: str) -> None:
    raise InputError(message)


def _utf16_check(path: Path) -> str | None:
    order = sniff_utf16(path)
    return f"{path}: {utf16_message(order)}" if order else None


def _read_text(path: Path) -> str:
    problem = _utf16_check(path)
    if problem:
        raise InputError(problem)
    try:
        # newline="" keeps \r\n as it is, so offsets point into the file's exact text.
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte offset {exc.start})") from None


def _not_text(source: str, doc: InputDocument, report: Report, warn: Report | None) -> bool:
    """Whether ``doc`` is text: a lone surrogate anywhere is reported (False); NUL is a warning to ``warn``."""
    record = {"id": doc.id, "text": doc.text, "meta": doc.meta}
    if not has_lone_surrogate(record) and (warn is None or "\x00" not in doc.text):
        return True  # the common case: one scan, nothing to say
    problems = not_text_problems(record, source, None)
    for p in problems:
        if p.level == "error":
            report(str(p))
        elif warn is not None:
            warn(str(p))
    return not any(p.level == "error" for p in problems)


def _jsonl_sourced(lines: Iterator[tuple[int, str | None]], source: str,
                   report: Report = _raise) -> Iterator[tuple[str, InputDocument]]:
    """``(FILE:LINE, document)`` for every good line of a JSON Lines input; each bad one goes to ``report``.

    ``lines`` gives ``(line number, text)``, with ``None`` for a line already reported.
    """
    for lineno, line in lines:
        if line is None or not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            report(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            report(f"{where}: text: each line needs a \"text\" string")
            continue
        doc_id = obj.get("id", f"{Path(source).stem}:{lineno}")
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            report(f"{where}: id: must be a string or an integer")
            continue
        meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
        yield where, InputDocument(str(doc_id), obj["text"], meta)


def _jsonl_lines(path: Path, report: Report = _raise) -> Iterator[tuple[int, str | None]]:
    """Lines decoded one at a time, so that a bad byte is reported with its line and file offset.

    A line that is not UTF-8 is reported and given as ``None``; the lines after it still come.
    A file in UTF-16 without a BOM is reported once, as a whole.
    """
    problem = _utf16_check(path)
    if problem:
        report(problem)
        return
    offset = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                yield lineno, raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                report(f"{path}:{lineno}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte offset "
                       f"{offset + exc.start})")
                yield lineno, None
            offset += len(raw)


def _stdin_sourced(report: Report = _raise) -> Iterator[tuple[str, InputDocument]]:
    stream = sys.stdin
    first = stream.readline()
    if first.lstrip().startswith("{"):
        yield from _jsonl_sourced(enumerate(_chain_first(first, stream), start=1), "<stdin>", report)
    else:
        yield "<stdin>", InputDocument("stdin", first + stream.read())


def _chain_first(first: str, rest) -> Iterator[str]:
    yield first
    yield from rest


def _input_files(paths: list[str], walks: list[FolderWalk] | None = None,
                 report: Report = _raise) -> Iterator[tuple[Path | None, str]]:
    """``(file, id)`` for every input file in order; ``(None, "-")`` for standard input.

    A folder's ``.txt`` files include those of symlinked sub-folders (each real folder once);
    ``walks`` collects what each folder held, for the count at the end.
    """
    for p in paths:
        if p == "-":
            yield None, "-"
            continue
        path = Path(p)
        if path.is_dir():
            walk = walk_files(path, ".txt")
            if walks is not None:
                walks.append(walk)
            if not walk.files:
                report(f"{path}: no .txt files in this folder" + link_notes([walk]))
            for f in walk.files:
                yield f, f.relative_to(path).as_posix()
        elif path.is_file():
            yield path, path.name
        else:
            report(f"{p}: no such file or folder (use --text for text on the command line)")


def _is_jsonl(path: Path) -> bool:
    return path.suffix.lower() in (".jsonl", ".ndjson")


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _parquet_sourced(path: Path, ids_only: bool = False) -> Iterator[tuple[str, InputDocument]]:
    """``(FILE:ROW, document)`` for every row of a Parquet file (``text``; optional ``id``, ``meta``),
    read one record batch at a time. ``ids_only``: the text column is not read (texts come back empty)."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid/OSError kinds
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
    names = set(pf.schema_arrow.names)
    if "text" not in names:
        raise InputError(f"{path}: text: a Parquet input needs a \"text\" column (columns: {', '.join(sorted(names))})")
    cols = [c for c in ("id", "text", "meta") if c in names and not (ids_only and c != "id")]
    row = 0
    for batch in pf.iter_batches(batch_size=1024, columns=cols or None):
        data = batch.to_pydict() if cols else {}
        n = batch.num_rows
        for j in range(n):
            row += 1
            source = f"{path}:{row}"
            text = data["text"][j] if "text" in data else ""
            if not isinstance(text, str):
                raise InputError(f"{source}: text: each row needs a \"text\" string")
            doc_id = data["id"][j] if "id" in data and data["id"][j] is not None else f"{path.stem}:{row}"
            if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
                raise InputError(f"{source}: id: must be a string or an integer")
            meta = data["meta"][j] if "meta" in data else None
            if isinstance(meta, str):
                try:
                    meta = json.loads(meta)
                except json.JSONDecodeError:
                    meta = None
            yield source, InputDocument(str(doc_id), text, meta if isinstance(meta, dict) else {})


def iter_inputs(paths: list[str], texts: list[str], report: Report = _raise,
                warn: Report | None = None) -> Iterator[InputDocument]:
    """Every input document, lazily, in the order given; an id seen before is an :class:`InputError`.

    The check runs as documents arrive, so that standard input (which :func:`check_unique_ids`
    cannot read ahead) is covered too: a second document never passes as one already done. A
    bad record (not JSON, no text, not UTF-8, a lone surrogate) goes to ``report`` and is left
    out, so with a ``report`` that does not raise nothing valid before or after it is lost;
    ``warn`` hears of text that is kept but is not quite text (NUL characters).
    """
    seen: dict[str, str] = {}
    for source, doc in _sourced_inputs(paths, texts, report):
        if not _not_text(source, doc, report, warn):
            continue
        _claim(seen, doc.id, source)
        yield doc


def _sourced_inputs(paths: list[str], texts: list[str], report: Report = _raise) -> Iterator[tuple[str, InputDocument]]:
    for k, t in enumerate(texts, start=1):
        yield f"--text #{k}", InputDocument(f"text-{k}", t)
    if not paths and not texts:
        paths = ["-"]
    for f, doc_id in _input_files(paths, report=report):
        if f is None:
            yield from _stdin_sourced(report)
        elif _is_jsonl(f):
            yield from _jsonl_sourced(_jsonl_lines(f, report), str(f), report)
        elif _is_parquet(f):
            try:
                yield from _parquet_sourced(f)
            except InputError as exc:
                report(str(exc))
        else:
            try:
                text = _read_text(f)
            except InputError as exc:
                report(str(exc))
                continue
            yield str(f), InputDocument(doc_id, text, {"source": str(f)})


def _claim(seen: dict[str, str], doc_id: str, source: str, report: Report = _raise) -> None:
    if doc_id in seen:
        report(f"{source}: id {doc_id!r} is also the id of {seen[doc_id]}; every input needs its own id "
               "(--resume skips the ids already written); give JSON Lines records distinct \"id\"s, "
               "or rename one of the files")
        return
    seen[doc_id] = source


def check_unique_ids(paths: list[str], texts: list[str]) -> InputCount:
    """Refuse bad inputs before any model is loaded, every problem at once, each naming its source.

    Ids come from ``--text`` order, file names, paths relative to a folder, or a JSON Lines
    record's ``id`` (else ``NAME:LINE``), so two inputs can meet on one: both sources are named.
    Every JSON Lines line is read and checked (JSON, a text, an id, UTF-8, no lone surrogate),
    and every file's first bytes for UTF-16 without a BOM; a ``.txt`` file is not read further.
    Standard input is checked as it is read (:func:`iter_inputs`). Raises :class:`InputError`
    with one problem a line.
    """
    problems: list[str] = []
    report = problems.append
    seen: dict[str, str] = {}
    count = InputCount()
    for k in range(1, len(texts) + 1):
        _claim(seen, f"text-{k}", f"--text #{k}", report)
    for f, doc_id in _input_files(paths or ([] if texts else ["-"]), count.walks, report):
        if f is None:
            continue
        count.files += 1
        if _is_jsonl(f):
            for source, doc in _jsonl_sourced(_jsonl_lines(f, report), str(f), report):
                if _not_text(source, doc, report, None):
                    _claim(seen, doc.id, source, report)
        elif _is_parquet(f):
            try:
                for source, doc in _parquet_sourced(f, ids_only=True):
                    _claim(seen, doc.id, source, report)
            except InputError as exc:
                report(str(exc))
        else:
            problem = _utf16_check(f)
            if problem:
                report(problem)
            _claim(seen, doc_id, str(f), report)
    if len(problems) > 1:
        problems.append(f"{len(problems)} problems in the input, every one listed above; nothing was predicted")
    if problems:
        raise InputError("\n".join(problems))
    return count


def _same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` are one file: the same path once links are resolved, or (both existing) one inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def check_output(output: str | None, paths: list[str], fmt: str = "jsonl") -> None:
    """Refuse an ``--output`` that is one of the inputs, also through a link, or a folder, before any model loads.

    The output (and its ``.part`` and ``.run.json``) would be written over the input: gold
    entities or article texts would be gone. Only file names are compared; nothing is read.
    """
    if not output:
        return
    check_output_path(output, fmt)
    mine = [Path(output), part_path(output), run_path(output)]
    for f, _ in _input_files(paths):
        if f is not None and any(_same_file(m, f) for m in mine):
            raise InputError(f"{output}: --output is also an input ({f}); predict.py would write over it; "
                             "give another --output")


def _stat_digest(base: Path, files: list[Path]) -> str:
    """A digest of each file's path under ``base``, size and modification time."""
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        name = f.relative_to(base).as_posix() if f != base else ""
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def run_record(paths: list[str], texts: list[str], models: dict[str, str | None],
               options: dict[str, object]) -> dict[str, object]:
    """What makes this run: its inputs, texts, models and the options that change the records.

    ``--resume`` continues an output only when its ``FILE.run.json`` holds the same record
    (:func:`train.inference.output.check_resume`). Files are named by their resolved path and
    known by size and modification time (nothing is read, so it costs nothing on a large corpus);
    a model folder by the same of its files, a Hub model by its name.
    """
    inputs: list[dict[str, object]] = []
    for p in paths or ([] if texts else ["-"]):
        if p == "-":
            inputs.append({"input": "-"})
            continue
        files = [f for f, _ in _input_files([p]) if f is not None]
        inputs.append({"input": os.path.realpath(p), "files": len(files), "stat": _stat_digest(Path(p), files)})
    text_hash = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()
    described: dict[str, dict[str, str]] = {}
    for kind, name in models.items():
        if not name:
            continue
        folder = Path(name)
        if folder.is_dir():
            files = sorted(f for f in folder.rglob("*") if f.is_file())
            described[kind] = {"model": os.path.realpath(folder), "stat": _stat_digest(folder, files)}
        else:
            described[kind] = {"model": name}
    return {"inputs": inputs, "texts": text_hash, "models": described, "options": dict(options)}


def _export_graphs(models: list[str], allow_pickle: bool) -> None:
    """``--export-onnx``: the ONNX graphs of every model that has none, written once where later runs find them."""
    from train.inference.backends import OnnxExportError
    from train.publishing.onnx_export import ensure_onnx

    for m in models:
        try:
            where = ensure_onnx(m, allow_pickle=allow_pickle)
        except OnnxExportError as exc:
            raise PredictorError(str(exc)) from None
        if where is not None:
            print(f"predict.py: exported the ONNX graphs of {m} into {where}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", help=".txt files, folders of .txt files, .jsonl or .parquet files, or - for stdin")
    ap.add_argument("--text", action="append", default=[], help="a document given on the command line (repeatable)")
    ap.add_argument("--models", metavar="DIR|ORG/NAME",
                    help="the published model set: a folder holding ner, events, triggers, roles folders "
                         "(publish.py RUNS --out DIR), or their Hub prefix (ORG/NAME-ner, ORG/NAME-events, ...); "
                         "--ner, --events, --triggers, --roles choose or override one model")
    ap.add_argument("--ner", help="NER model: a published folder or a Hub name")
    ap.add_argument("--events", help="sentence event-type classifier: a published folder or a Hub name")
    ap.add_argument("--triggers", help="event trigger tagger: a published folder or a Hub name")
    ap.add_argument("--roles", help="role model (source and target of each event's trigger; needs --triggers): "
                                    "a published folder or a Hub name")
    ap.add_argument("--format", choices=FORMATS, default="jsonl", help="output format (default: jsonl)")
    ap.add_argument("--output", "-o", help="output file (default: standard output)")
    ap.add_argument("--resume", action="store_true", help="continue an interrupted run: skip ids already in --output (only an output this run "
                         "wrote, as its FILE.run.json records)")
    ap.add_argument("--no-text", action="store_true", help="leave the document text out of jsonl records")
    ap.add_argument("--backend", choices=backend_names(), default="torch", help="inference backend (default: torch)")
    ap.add_argument("--precision", default=None, metavar="|".join(PRECISIONS),
                    help="fp32 (default with --backend torch; other backends run their own graph); bf16/fp16: the torch model cast; int8: the exported ONNX int8 graph; "
                         "auto: the fastest path that keeps the labels (bf16 on CPUs with AMX and on GPUs with bf16, fp16 on "
                         "other GPUs, else int8 where every model has an ONNX int8 graph, else fp32)")
    ap.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: the GPU when there is one)")
    ap.add_argument("--batch-size", type=int, default=32, help="sentences or windows per forward pass")
    ap.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: PyTorch's own choice)")
    ap.add_argument("--chunk-sentences", type=int, default=256,
                    help="sentences of consecutive documents batched together (default: 256); with --engine ray "
                         "a chunk is the unit one actor takes, so smaller chunks spread a small input wider")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="local: this process (default); ray: Ray Data actors, each loading the models once "
                         "(pip install .[ray]); the records and their order are the same")
    ap.add_argument("--workers", type=int, default=2, help="--engine ray: number of actors (default: 2)")
    ap.add_argument("--threads-per-worker", type=int, default=1,
                    help="--engine ray: CPU threads (and Ray CPUs) per actor (default: 1)")
    ap.add_argument("--gpus-per-worker", type=float, default=0.0,
                    help="--engine ray: GPUs per actor, fractions allowed (default: 0, CPU)")
    ap.add_argument("--ray-address", help="--engine ray: join this cluster (auto, ray://HOST:10001) instead of "
                                          "starting a local Ray instance")
    ap.add_argument("--export-onnx", action="store_true",
                    help="give each model without ONNX graphs its fp32 and int8 graphs first (a local folder's onnx/, "
                         "a Hub model's snapshot in the Hugging Face cache), once; --precision auto then takes int8 "
                         "where bf16 is not faster (no AMX, or a model narrower than 512)")
    ap.add_argument("--allow-pickle", action="store_true",
                    help="accept a model folder with only pickle (.bin) weights; loading a pickle can run code")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.models:
        from train.inference.model_set import resolve_model_set

        try:
            found = resolve_model_set(args.models)
        except PredictorError as exc:
            print(f"predict.py: {exc}", file=sys.stderr)
            return 1
        for task, model in found.items():
            if getattr(args, task) is None:
                setattr(args, task, model)
        if args.roles and not args.triggers:  # a role model reads triggers; without a trigger model it has none
            args.roles = None
    if not (args.ner or args.events or args.triggers):
        print("predict.py: give at least one model: --models, --ner, --events or --triggers", file=sys.stderr)
        return 2
    if args.resume and not args.output:
        print("predict.py: --resume needs --output FILE", file=sys.stderr)
        return 2
    if args.resume and args.format not in RESUMABLE:
        print(f"predict.py: --resume works with --format {'/'.join(RESUMABLE)}, not {args.format}", file=sys.stderr)
        return 2
    if args.precision is not None and args.precision not in PRECISIONS:
        print(f"predict.py: --precision {args.precision!r} is not one of {', '.join(PRECISIONS)}", file=sys.stderr)
        return 2
    if args.engine == "ray":
        if args.workers < 1 or args.threads_per_worker < 1 or args.gpus_per_worker < 0:
            print("predict.py: --workers and --threads-per-worker must be at least 1, --gpus-per-worker at least 0",
                  file=sys.stderr)
            return 2
        from train.inference.ray_engine import RayMissing, require_ray

        try:
            require_ray()
        except RayMissing as exc:
            print(f"predict.py: {exc}", file=sys.stderr)
            return 2
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    skipped_bad: list[str] = []

    def say(message: str) -> None:
        print(f"predict.py: {message}", file=sys.stderr)

    def bad_input(message: str) -> None:
        skipped_bad.append(message)
        say(message)

    try:
        count = check_unique_ids(args.inputs, args.text)
        check_output(args.output, args.inputs, args.format)
        run = run_record(args.inputs, args.text,
                         {"ner": args.ner, "events": args.events, "triggers": args.triggers, "roles": args.roles},
                         {"format": args.format, "text": not args.no_text, "backend": args.backend,
                          "precision": args.precision})
        if args.resume:
            check_resume(args.output, run)
        done = read_done_ids(args.output) if args.resume else set()  # a bad output is said before any model loads
        predictor_kwargs = dict(ner=args.ner, events=args.events, triggers=args.triggers, roles=args.roles,
                                backend=args.backend,
                                device=args.device, batch_size=args.batch_size, allow_pickle=args.allow_pickle,
                                precision=args.precision)
        # Loaded here under either engine: the errors and the precision line come before any work,
        # and the writers take the model names and precision from it.
        if args.export_onnx:
            _export_graphs([m for m in (args.ner, args.events, args.triggers, args.roles) if m], args.allow_pickle)
        predictor = Predictor.from_pretrained(**predictor_kwargs, chunk_sentences=max(1, args.chunk_sentences))
        print(f"predict.py: precision {predictor.precision} ({predictor.precision_reason})", file=sys.stderr)
        # Files were checked above; what is only seen now (standard input, a .txt file that is not
        # UTF-8) is said and left out, and the run goes on, so nothing valid after it is lost.
        docs = (d for d in iter_inputs(args.inputs, args.text, report=bad_input, warn=say) if d.id not in done)
        head, docs = peek(docs, 2)
        if args.engine == "ray":
            from train.inference.ray_engine import RayOptions, predict_records

            options = RayOptions(workers=args.workers, threads_per_worker=args.threads_per_worker,
                                 gpus_per_worker=args.gpus_per_worker, address=args.ray_address)
            records = predict_records(docs, {**predictor_kwargs, "chunk_sentences": predictor.chunk_sentences}, options,
                                      chunk_sentences=predictor.chunk_sentences)
        else:
            records = predictor.predict(docs)
        if len(head) > 1 and not args.no_progress:
            from tqdm import tqdm

            records = tqdm(records, unit="doc", desc="predict", file=sys.stderr)
        n = 0
        with open_output(args.output, args.format, resume=args.resume, include_text=not args.no_text,
                         models=predictor.models(), precision=predictor.precision, run=run) as out:
            for rec in records:
                out.write(rec)
                n += 1
    except (PredictorError, InputError, OutputError) as exc:
        for line in str(exc).splitlines() or [""]:
            print(f"predict.py: {line}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as exc:  # standard input that is not UTF-8
        print(f"predict.py: input is not valid UTF-8 ({exc.reason}: byte 0x{exc.object[exc.start]:02x})", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader (head, less) stopped early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("predict.py: interrupted; run again with --resume to continue", file=sys.stderr)
        return 130
    skipped = f", {len(done)} already done" if done else ""
    print(f"predict.py: {n} document(s){skipped}{count.summary()}" + (f" -> {args.output}" if args.output else ""), file=sys.stderr)
    if skipped_bad:
        print(f"predict.py: {len(skipped_bad)} bad input record(s) left out, each listed above", file=sys.stderr)
        return 1
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--models", "--ner", "--events", "--triggers", "--roles", "--output", "-o", positional="input",
                         takes_value=("--text", "--format", "--backend", "--precision", "--device", "--batch-size", "--threads", "--chunk-sentences",
                                      "--engine", "--workers", "--threads-per-worker", "--gpus-per-worker",
                                      "--ray-address"))


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="predict.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
