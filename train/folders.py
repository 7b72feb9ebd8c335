"""The files of a folder, recursively, symlinked sub-folders included: each real folder read once.

``Path.rglob`` (Python 3.11) does not descend into a symlinked sub-folder, so its files were
skipped without a word. Here a linked folder is followed once; a link back to a folder that
holds it (a loop) or to a folder already read is not followed again, and both are counted,
so that the caller can say what it read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FolderWalk:
    """What :func:`walk_files` found under one folder: the files (paths through the links followed)."""

    root: Path
    files: list[Path] = field(default_factory=list)
    links_followed: int = 0
    loops_skipped: int = 0
    repeats_skipped: int = 0

    def notes(self) -> list[str]:
        """The links followed and skipped, in words; empty when there were none."""
        out = []
        if self.links_followed:
            out.append(f"{self.links_followed} linked folder{'s' * (self.links_followed != 1)} followed")
        if self.loops_skipped:
            out.append(f"{self.loops_skipped} link loop{'s' * (self.loops_skipped != 1)} skipped")
        if self.repeats_skipped:
            n = self.repeats_skipped
            out.append(f"{n} link{'s' * (n != 1)} to a folder already read skipped")
        return out


def link_notes(walks: list[FolderWalk]) -> str:
    """`` (1 linked folder followed, 1 link loop skipped)`` over several walks, or ``""``."""
    total = FolderWalk(Path("."))
    for w in walks:
        total.links_followed += w.links_followed
        total.loops_skipped += w.loops_skipped
        total.repeats_skipped += w.repeats_skipped
    notes = total.notes()
    return f" ({', '.join(notes)})" if notes else ""


@dataclass
class InputCount:
    """The input files a command read and what their folders held, for the count that ends a run."""

    files: int = 0
    walks: list[FolderWalk] = field(default_factory=list)

    def summary(self) -> str:
        """`` from 9 file(s) (1 linked folder followed)`` when a folder was read, else ``""``."""
        return f" from {self.files} file(s){link_notes(self.walks)}" if self.walks else ""


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def walk_files(root: str | Path, suffix: str) -> FolderWalk:
    """Every file under ``root`` whose name ends with ``suffix`` (case-sensitive, like ``rglob``), sorted.

    Real sub-folders are read first, so a file reached both directly and through a link keeps
    its direct path (and id). Then each symlinked sub-folder, in path order, is followed unless
    its target holds the link (a loop) or was read already. Symlinked files are kept, as
    ``rglob`` plus ``is_file`` kept them; broken links are not files and are left out.
    """
    root = Path(root)
    walk = FolderWalk(root)
    visited: set[str] = set()
    pending: list[Path] = []  # symlinked folders, by the path they are reached through

    def read_real(folder: Path) -> None:
        stack = [folder]
        while stack:
            here = stack.pop()
            real = os.path.realpath(here)
            if real in visited:
                continue
            visited.add(real)
            try:
                entries = sorted(os.scandir(here), key=lambda e: e.name)
            except OSError:
                continue  # unreadable folder: as rglob, nothing from it
            for e in entries:
                if e.is_symlink() and e.is_dir():
                    pending.append(Path(e.path))
                elif e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                elif e.name.endswith(suffix) and e.is_file():
                    walk.files.append(Path(e.path))

    read_real(root)
    while pending:
        pending.sort()
        link = pending.pop(0)
        target = os.path.realpath(link)
        if _inside(os.path.realpath(link.parent), target):
            walk.loops_skipped += 1
        elif any(_inside(target, v) for v in visited):
            walk.repeats_skipped += 1
        else:
            walk.links_followed += 1
            read_real(link)
    walk.files.sort()
    return walk
