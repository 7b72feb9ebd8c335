#!/usr/bin/env python
"""``python scripts/bench_events.py ...``: :mod:`train.commands.bench_events`."""

import sys
from pathlib import Path

# Run as a file, scripts/ is first on sys.path, where scripts/train.py would shadow the `train` package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

from train.commands.bench_events import cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli())
