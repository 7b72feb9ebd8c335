#!/usr/bin/env bash
# The GPU check (train/benchmark/device_check.py): a short bf16/fp16 training of the base-shaped model
# beside a CPU fp32 run of the same steps, and the whole pipeline with --precision auto on the GPU
# against CPU fp32 (tokens/s, word-label agreement). A few minutes on a machine with a GPU.
#
#   bash scripts/device_check.sh --json runs/device-check.json     # on the GPU machine
#   bash scripts/device_check.sh --cpu                            # smoke mode, CPU only (the suite runs it)
#
# PYTHON picks the interpreter (default .venv/bin/python); on a GPU machine it needs a CUDA build of torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
if [ ! -x "$PYTHON" ]; then
  echo "device_check.sh: $PYTHON not found; run make setup, or set PYTHON" >&2
  exit 2
fi
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
if [[ " $* " != *" --cpu "* ]] && ! "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "device_check.sh: torch sees no CUDA device here ($("$PYTHON" -c 'import torch; print(torch.__version__)')); use --cpu for the smoke mode" >&2
  exit 2
fi
exec "$PYTHON" -m train.benchmark.device_check "$@"
