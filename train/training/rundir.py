"""The run folder: work happens in ``<output_dir>.partial`` and becomes ``<output_dir>`` only when done.

So a finished run is never clobbered by accident, a killed run leaves no folder that looks
finished, and ``--resume`` finds its checkpoints in the ``.partial`` folder.

Under ``torchrun`` or ``accelerate launch`` every process runs the same runner; only the main
process (global rank 0) creates, writes and renames the run folder. :func:`start_run` has the
others wait until the folder is ready, :func:`end_run` until it is renamed, so that every
process sees the same files when the next run (a fold, the final model) begins.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from train.atomic import replace_dir


class RunError(RuntimeError):
    """A run that cannot start or finish (for example a finished run in the way); the message says why."""


def partial_dir(output_dir: str | Path) -> Path:
    return Path(str(Path(output_dir)).rstrip("/") + ".partial")


def _dist():
    """``torch.distributed`` when a process group with more than one process is running, else None."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch is a dependency
        return None
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist
    return None


def process_rank() -> int:
    """This process's global rank: from the process group, else ``RANK`` (torchrun, accelerate), else 0."""
    dist = _dist()
    if dist is not None:
        return dist.get_rank()
    try:
        return int(os.environ.get("RANK", "0") or 0)
    except ValueError:
        return 0


def is_main_process() -> bool:
    return process_rank() == 0


_WAIT_GROUP: list = []


def wait_for_all() -> None:
    """A barrier across the processes of a distributed run; nothing in a single process.

    It runs on a gloo group of its own with a week's timeout: the other processes may wait here
    while rank 0 evaluates a large test split, longer than the training group's timeout
    (``ddp_timeout``, 30 minutes) would allow. The group is made the first time (every rank
    reaches the first barrier at the same point of the run).
    """
    dist = _dist()
    if dist is None:
        return
    if not _WAIT_GROUP:
        from datetime import timedelta

        _WAIT_GROUP.append(dist.new_group(backend="gloo", timeout=timedelta(days=7)))
    dist.barrier(group=_WAIT_GROUP[0])


def start_run(training_args, output_dir: str | Path, resume: bool, overwrite: bool) -> Path:
    """:func:`prepare_run_dir` on the main process; the others check the same and wait for it.

    ``training_args.world_size`` sets up the process group (torchrun, accelerate launch) before
    the ranks are compared; a single process is unaffected. Cross-validation passes ``None``: its
    folds' runs set the group up.
    """
    if training_args is not None:
        _ = training_args.world_size
    if is_main_process():
        try:
            part = prepare_run_dir(output_dir, resume, overwrite)
        finally:
            wait_for_all()  # released even on failure; the others then fail their own check or the launcher stops them
        return part
    wait_for_all()
    check_run_dir(output_dir, overwrite)
    return partial_dir(output_dir)


def end_run() -> None:
    """Every process waits here until the main process has written and renamed the run folder."""
    wait_for_all()


def check_run_dir(output_dir: str | Path, overwrite: bool) -> None:
    out = Path(output_dir)
    if out.exists() and not overwrite:
        raise RunError(f"{out} already holds a finished run; set overwrite_output: true or choose another output_dir")


def prepare_run_dir(output_dir: str | Path, resume: bool, overwrite: bool) -> Path:
    """The ``<output_dir>.partial`` working directory; refuses to clobber a finished run."""
    part = partial_dir(output_dir)
    check_run_dir(output_dir, overwrite)
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
