"""The run folder: work happens in ``<output_dir>.partial`` and becomes ``<output_dir>`` only when done.

So a finished run is never clobbered by accident, a killed run leaves no folder that looks
finished, and ``--resume`` finds its checkpoints in the ``.partial`` folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from train.atomic import replace_dir


class RunError(RuntimeError):
    """A run that cannot start or finish (for example a finished run in the way); the message says why."""


def partial_dir(output_dir: str | Path) -> Path:
    return Path(str(Path(output_dir)).rstrip("/") + ".partial")


def prepare_run_dir(output_dir: str | Path, resume: bool, overwrite: bool) -> Path:
    """The ``<output_dir>.partial`` working directory; refuses to clobber a finished run."""
    out, part = Path(output_dir), partial_dir(output_dir)
    if out.exists() and not overwrite:
        raise RunError(f"{out} already holds a finished run; set overwrite_output: true or choose another output_dir")
    if part.exists() and not resume:
        shutil.rmtree(part)
    part.mkdir(parents=True, exist_ok=True)
    return part


def finish_run_dir(part: Path, output_dir: str | Path) -> None:
    """Drop checkpoints and rename ``<output_dir>.partial`` to ``<output_dir>`` (the run is complete)."""
    for ck in part.glob("checkpoint-*"):
        shutil.rmtree(ck, ignore_errors=True)
    replace_dir(part, output_dir)


def last_checkpoint(part: Path) -> str | None:
    """The newest complete checkpoint: Trainer writes ``trainer_state.json`` last, so a run
    killed while saving leaves a folder without it, which is skipped."""
    cks = [p for p in part.glob("checkpoint-*") if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()]
    cks.sort(key=lambda p: int(p.name.split("-")[-1]))
    return str(cks[-1]) if cks else None
