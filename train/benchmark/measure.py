"""Wall time and peak resident memory of one measured call."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any


class PeakMemory:
    """Peak resident memory (MiB) of this process while the block runs, sampled every 10 ms."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()

    def _rss(self) -> float:
        try:
            import psutil

            return psutil.Process().memory_info().rss / 2**20
        except ImportError:  # pragma: no cover - psutil ships with accelerate
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _loop(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        gc.collect()
        self.peak = self._rss()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    with PeakMemory() as mem:
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
    return out, dt, mem.peak


def best_seconds(fn, reps: int) -> float:
    """Best wall time of ``reps`` calls of ``fn``, after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best
