#!/usr/bin/env python
"""``python scripts/compare_run_ner.py ...``: :mod:`train.commands.compare_run_ner`."""

import sys
from pathlib import Path

# Run as a file, scripts/ is first on sys.path, where scripts/train.py would shadow the `train` package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

from train.commands.compare_run_ner import cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli())
