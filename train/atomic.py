"""Nothing half-written: every file and folder the project writes appears whole, or not at all.

The one pattern, for files and for folders: write into a temporary sibling (same folder, so the
rename cannot cross file systems), flush it to disk, then rename it over the destination. A
failure or an interrupt removes the temporary and leaves the destination as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def commit_file(tmp: str | Path, path: str | Path) -> None:
    """Flush a finished temporary file to disk and rename it over ``path``."""
    _fsync(Path(tmp))
    os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary sibling path to write ``path`` through (for writers that want a file name)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        commit_file(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, chunks: Iterable[str] | str) -> None:
    """Write text (one string or an iterable of chunks) to ``path`` atomically, UTF-8 with ``\\n``."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for chunk in [chunks] if isinstance(chunks, str) else chunks:
            fh.write(chunk)


def replace_dir(tmp: str | Path, path: str | Path) -> None:
    """Put the finished folder ``tmp`` in place of ``path``; the old ``path`` is kept until the swap is done."""
    tmp, path = Path(tmp), Path(path)
    old = path.with_name(f".{path.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if path.exists():
        os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        if old.exists() and not path.exists():
            os.replace(old, path)
        raise
    if old.exists():
        shutil.rmtree(old)


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """A temporary sibling folder to build ``path`` in; it replaces ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
