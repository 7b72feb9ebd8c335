"""Where the benchmarks find the repository's data and the shared inputs next to it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
NEWS = SHARED / "news"
SEED = ROOT / "data" / "seed.jsonl"
DEMO_NER = ROOT / "models" / "demo" / "ner"
