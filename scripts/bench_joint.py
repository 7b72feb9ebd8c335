#!/usr/bin/env python
"""``python scripts/bench_joint.py ...`` is the ``arabic-ie-bench-joint`` command: :mod:`train.commands.bench_joint`."""

import sys
from pathlib import Path

# Run as a file, scripts/ is first on sys.path, where scripts/train.py would shadow the `train` package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

from train.commands.bench_joint import cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli())
