"""Writers for predictor records: JSON Lines, the corpus format, CoNLL, Label Studio, doccano, HTML, Parquet.

Each writer turns one record at a time into text, so output streams. Tool formats go through
the project's own exporters (:mod:`train.formats`, :mod:`train.formats.conll`), never a second copy.

A file is written to ``FILE.part`` and renamed into place when the run is done, so a reader
never sees half a file. An interrupted run leaves ``FILE.part``; ``--resume`` continues it
(or a finished ``FILE``), skipping the ids it already holds. Ids alone do not say whose file it
is, so a line-based output also gets ``FILE.run.json``: the run's inputs, models and options
(:func:`check_resume` compares them) and, once ``FILE`` is finished, its size and time.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from train.atomic import atomic_write_text, commit_file
from train.corpus.document import Arg, Document, Span

FORMATS = ("jsonl", "corpus", "conll", "labelstudio", "doccano", "html", "parquet")
# Line-based formats whose lines carry the document id.
RESUMABLE = ("jsonl", "corpus", "doccano")


class OutputError(RuntimeError):
    """Output that cannot be written or resumed."""


def record_to_document(rec: Mapping[str, Any]) -> Document:
    """A predictor record as a corpus document: entities, triggers as events (with the role model's
    source and target, where an event record has them), sentences."""
    triggers = [t for s in rec.get("sentences", []) for t in s.get("triggers", [])]
    args: dict[tuple[int, int, str], tuple[Arg, ...]] = {}
    for ev in rec.get("events", []):
        t = ev.get("trigger")
        if not t:
            continue
        found = tuple(Arg(role, ev[role]["start"], ev[role]["end"]) for role in ("source", "target")
                      if isinstance(ev.get(role), Mapping) and (ev[role]["start"], ev[role]["end"]) != (t["start"], t["end"]))
        if found:
            args[(t["start"], t["end"], t["label"])] = found
    meta = dict(rec.get("meta") or {})
    return Document(
        id=str(rec["id"]),
        text=rec["text"],
        entities=[Span(e["start"], e["end"], e["label"]) for e in rec.get("entities", [])],
        events=[Span(t["start"], t["end"], t["label"], args.get((t["start"], t["end"], t["label"]), ())) for t in triggers],
        sentences=[(s["start"], s["end"]) for s in rec.get("sentences", [])],
        meta=meta,
    )


class Writer:
    """Text for the start of the output, for each record, and for its end."""

    def __init__(self, include_text: bool = True, models: Mapping[str, str] | None = None,
                 precision: str | None = None):
        self.include_text = include_text
        self.models = dict(models or {})
        self.precision = precision  # run metadata: how the numbers were computed (fp32, bf16, int8 ...)
        self.count = 0

    def header(self) -> str:
        return ""

    def record(self, rec: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def footer(self) -> str:
        return ""


class JsonlWriter(Writer):
    def record(self, rec: Mapping[str, Any]) -> str:
        out = {"id": rec["id"]}
        if self.include_text:
            out["text"] = rec["text"]
        if rec.get("meta"):
            out["meta"] = rec["meta"]
        for key in ("entities", "sentences", "events"):
            out[key] = rec[key]
        return json.dumps(out, ensure_ascii=False) + "\n"


class CorpusWriter(Writer):
    def record(self, rec: Mapping[str, Any]) -> str:
        doc = record_to_document(rec)
        doc.meta = {**doc.meta, "predicted_by": self.models}
        if self.precision:
            doc.meta["precision"] = self.precision
        return json.dumps(doc.to_dict(), ensure_ascii=False) + "\n"


class ConllWriter(Writer):
    def record(self, rec: Mapping[str, Any]) -> str:
        from train.formats import conll

        lines = getattr(conll, "document_lines", None) or conll._doc_lines
        return "".join(lines(record_to_document(rec), "entities"))


class LabelStudioWriter(Writer):
    """A JSON array of tasks whose ``predictions`` annotators import and correct."""

    def header(self) -> str:
        return "[\n"

    def record(self, rec: Mapping[str, Any]) -> str:
        from train.formats import labelstudio

        task = labelstudio.to_tasks([record_to_document(rec)], as_predictions=True,
                                    model_version=_model_version(self.models, self.precision))[0]
        task["id"] = self.count + 1
        scores = _scores(rec)
        for pred in task.get("predictions", []):
            found = []
            for item in pred.get("result", []):
                v = item.get("value", {})
                key = (v.get("start"), v.get("end"), (v.get("labels") or [None])[0])
                if key in scores:
                    item["score"] = round(scores[key], 4)
                    found.append(scores[key])
            if found:
                pred["score"] = round(sum(found) / len(found), 4)
        sep = ",\n" if self.count else ""
        return sep + json.dumps(task, ensure_ascii=False)

    def footer(self) -> str:
        return "\n]\n"


class DoccanoWriter(Writer):
    def record(self, rec: Mapping[str, Any]) -> str:
        from train.formats import doccano

        return json.dumps(doccano.to_record(record_to_document(rec)), ensure_ascii=False) + "\n"


class HtmlWriter(Writer):
    def header(self) -> str:
        from train.inference.html import page_header

        return page_header(models={**self.models, **({"precision": self.precision} if self.precision else {})})

    def record(self, rec: Mapping[str, Any]) -> str:
        from train.inference.html import render_document

        return render_document(rec)

    def footer(self) -> str:
        from train.inference.html import page_footer

        return page_footer()


WRITERS: dict[str, type[Writer]] = {
    "jsonl": JsonlWriter,
    "corpus": CorpusWriter,
    "conll": ConllWriter,
    "labelstudio": LabelStudioWriter,
    "doccano": DoccanoWriter,
    "html": HtmlWriter,
}


def _scores(rec: Mapping[str, Any]) -> dict[tuple[int, int, str], float]:
    spans = list(rec.get("entities", [])) + [t for s in rec.get("sentences", []) for t in s.get("triggers", [])]
    return {(s["start"], s["end"], s["label"]): float(s.get("score", 1.0)) for s in spans}


def _model_version(models: Mapping[str, str], precision: str | None = None) -> str:
    names = ", ".join(f"{k}={v}" for k, v in models.items()) or "unknown"
    return f"{names}, precision={precision}" if precision else names


def part_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".part")


def run_path(path: str | Path) -> Path:
    """``FILE.run.json``: the record of the run that writes ``FILE`` (what ``--resume`` checks)."""
    path = Path(path)
    return path.with_name(path.name + ".run.json")


RUN_KEYS = ("inputs", "texts", "models", "options")


def _read_run(output: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads(run_path(output).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("run"), dict) else None


def _write_run(output: Path, run: Mapping[str, Any], complete: Path | None = None) -> None:
    """Write ``FILE.run.json``; ``complete``: the finished file, whose size and time it then records."""
    rec: dict[str, Any] = {"run": dict(run)}
    if complete is not None:
        st = complete.stat()
        rec["complete"] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    atomic_write_text(run_path(output), json.dumps(rec, ensure_ascii=False, indent=1) + "\n")


def check_resume(output: str | Path, run: Mapping[str, Any]) -> None:
    """Refuse to resume a file that this run did not write: ids alone would take any file with ids as done.

    ``FILE.part`` is this run's when ``FILE.run.json`` records the same run (a run that starts
    anew removes the old ``.part`` before it writes its record); a finished ``FILE`` also needs the
    size and time recorded when it was finished. Nothing written yet: nothing to check.
    """
    output = Path(output)
    part = part_path(output)
    if not part.is_file() and not output.is_file():
        return
    rec = _read_run(output)
    again = "give another --output, or run without --resume to write it anew"
    if rec is None:
        raise OutputError(f"{output}: --resume continues only a file that predict.py wrote for these inputs, models "
                          f"and options, and {run_path(output)}, its record of them, is missing or unreadable; {again}")
    differ = [k for k in RUN_KEYS if rec["run"].get(k) != run.get(k)]
    if differ:
        raise OutputError(f"{output}: --resume continues only the run recorded in {run_path(output)}, and its "
                          f"{' and '.join(differ)} differ from this run's; {again}")
    if not part.is_file():
        st = output.stat()
        done = rec.get("complete") or {}
        if (done.get("size"), done.get("mtime_ns")) != (st.st_size, st.st_mtime_ns):
            raise OutputError(f"{output}: changed since predict.py finished it (or it was never finished), so "
                              f"--resume cannot tell which records are its own; {again}")


SUFFIXES = {"jsonl": ".jsonl", "corpus": ".jsonl", "conll": ".conll", "labelstudio": ".json", "doccano": ".jsonl",
            "html": ".html", "parquet": ".parquet"}


def check_output_path(output: str | Path, fmt: str) -> None:
    """Refuse an output that cannot be a file before any work: a folder (the rename at the very end
    would fail), a ``.part`` that is a folder, or a path under a file."""
    path = Path(output)
    for p in (path, part_path(path)):
        if p.is_dir():
            raise OutputError(f"{p}: --output is a folder; give the name of a file to write, e.g. "
                              f"{path / ('predictions' + SUFFIXES.get(fmt, ''))}")
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise OutputError(f"{parent} is a file, not a folder: --output {output} cannot be written there")
            break


def _commit(part: Path, path: Path) -> None:
    """Rename the finished ``part`` into place; if that fails, the result stays in ``part`` and the error says so."""
    try:
        commit_file(part, path)
    except OSError as exc:
        raise OutputError(f"cannot put the result in place at {path}: {exc.strerror or exc}; it is kept in "
                          f"{part}") from None


def _complete_lines(path: Path) -> None:
    """Cut an incomplete last line (a run killed mid-write, at any byte) so appending stays valid.

    Read backwards from the end a block at a time, so a large output is not read whole.
    """
    with open(path, "rb+") as fh:
        end = fh.seek(0, 2)
        pos = end
        while pos > 0:
            start = max(0, pos - 65536)
            fh.seek(start)
            block = fh.read(pos - start)
            nl = block.rfind(b"\n")
            if nl >= 0:
                if start + nl + 1 < end:
                    fh.truncate(start + nl + 1)
                return
            pos = start
        fh.truncate(0)


def read_done_ids(output: str | Path) -> set[str]:
    """Ids already written to ``FILE.part`` (an interrupted run) or else to ``FILE``.

    Read as bytes, one line at a time: a run killed mid-write can cut its last line anywhere,
    inside a multi-byte character too, and that incomplete line is dropped here (and cut off by
    :func:`open_output`), never taken for bad text. A complete line that is not UTF-8 or not JSON
    names the output file and line.
    """
    part = part_path(output)
    src = part if part.is_file() else Path(output)
    if not src.is_file():
        return set()
    done: set[str] = set()
    with open(src, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n") or not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise OutputError(f"{src}:{lineno}: not valid UTF-8 (byte 0x{raw[exc.start]:02x}); this output was "
                                  "changed after predict.py wrote it; cannot resume this file") from None
            except json.JSONDecodeError:
                raise OutputError(f"{src}:{lineno}: not a JSON Lines record; cannot resume this file") from None
            if isinstance(obj, dict) and ("id" in obj or "doc_id" in obj):
                done.add(str(obj.get("id", obj.get("doc_id"))))
            elif isinstance(obj, dict) and isinstance(obj.get("meta"), dict) and "id" in obj["meta"]:
                done.add(str(obj["meta"]["id"]))
    return done


class _Sink:
    def __init__(self, fh: IO[str], writer: Writer):
        self.fh, self.writer = fh, writer

    def write(self, rec: Mapping[str, Any]) -> None:
        self.fh.write(self.writer.record(rec))
        self.writer.count += 1
        self.fh.flush()


class _ParquetSink:
    """Records as rows of a Parquet file, written a row group at a time.

    ``id`` and ``text`` are strings; ``meta``, ``entities``, ``sentences`` and ``events`` are the
    JSON of the jsonl record's fields (their nesting varies from record to record, which one
    Arrow schema cannot hold), so ``json.loads`` of a row's fields gives the jsonl record back.
    """

    COLUMNS = ("id", "text", "meta", "entities", "sentences", "events")

    def __init__(self, path: Path, include_text: bool = True, rows_per_group: int = 1000):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.columns = [c for c in self.COLUMNS if include_text or c != "text"]
        self.schema = pa.schema([(c, pa.string()) for c in self.columns])
        self.writer = pq.ParquetWriter(str(path), self.schema)
        self.rows: dict[str, list[str | None]] = {c: [] for c in self.columns}
        self.rows_per_group = rows_per_group

    def write(self, rec: Mapping[str, Any]) -> None:
        for c in self.columns:
            v = rec.get(c)
            if c in ("id", "text"):
                self.rows[c].append(str(v))
            else:
                self.rows[c].append(None if c == "meta" and not v else json.dumps(v, ensure_ascii=False))
        if len(self.rows["id"]) >= self.rows_per_group:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.rows["id"]:
            self.writer.write_table(pa.table(self.rows, schema=self.schema))
            self.rows = {c: [] for c in self.columns}

    def close(self) -> None:
        self.flush()
        self.writer.close()


@contextmanager
def _parquet_output(output: str | Path | None, include_text: bool) -> Iterator[_ParquetSink]:
    if output is None:
        raise OutputError("--format parquet needs --output FILE (a Parquet file is not written to standard output)")
    path = Path(output)
    part = part_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sink = _ParquetSink(part, include_text)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc}") from None
    ok = False
    try:
        yield sink
        sink.close()
        ok = True  # finished: from here on the .part is the result, kept whatever happens
        _commit(part, path)
    finally:
        if not ok:
            try:
                sink.writer.close()
            except Exception:  # already closed, or the failure was in closing it
                pass
            part.unlink(missing_ok=True)


@contextmanager
def open_output(output: str | Path | None, fmt: str, *, resume: bool = False, include_text: bool = True,
                models: Mapping[str, str] | None = None, precision: str | None = None,
                run: Mapping[str, Any] | None = None) -> Iterator[_Sink]:
    """A sink for records; to a file it writes ``FILE.part`` and renames it when done.

    ``models`` and ``precision`` are run metadata: the corpus format keeps them in each record's
    ``meta``, Label Studio in ``model_version``, HTML in the page header; jsonl has no place for them.
    ``run``: the run's record (inputs, models, options); a line-based file gets it as
    ``FILE.run.json``, for a later ``--resume`` to check (the caller runs :func:`check_resume`).
    """
    if fmt == "parquet":
        with _parquet_output(output, include_text) as sink:
            yield sink
        return
    if fmt not in WRITERS:
        raise OutputError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    writer = WRITERS[fmt](include_text=include_text, models=models, precision=precision)
    if output is None:
        sys.stdout.write(writer.header())
        yield _Sink(sys.stdout, writer)
        sys.stdout.write(writer.footer())
        sys.stdout.flush()
        return
    path = Path(output)
    part = part_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume and fmt in RESUMABLE:
            if not part.is_file() and path.is_file():
                shutil.copyfile(path, part)
            if part.is_file():
                _complete_lines(part)
        elif part.exists():
            part.unlink()
        if run is not None and fmt in RESUMABLE:
            _write_run(path, run)  # after the old .part is gone: a .part beside a record is that run's
        fh = open(part, "a" if resume else "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc}") from None
    ok = False
    try:
        with fh:
            if fh.tell() == 0:
                fh.write(writer.header())
            yield _Sink(fh, writer)
            fh.write(writer.footer())
        if run is not None and fmt in RESUMABLE:
            _write_run(path, run, complete=part)  # before the rename (which keeps size and time): FILE is recorded
        ok = True  # finished: from here on the .part is the result, kept whatever happens
        _commit(part, path)
    finally:
        if not ok and fmt not in RESUMABLE:
            part.unlink(missing_ok=True)
