"""The package's layering, read from the source: what may import what (docs/architecture.md).

Every ``import`` and ``from ... import`` counts, at module level or inside a function, so a lazy
import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "train"

# Each subpackage and what it may import (besides itself and the shared top-level modules).
ALLOWED: dict[str, set[str]] = {
    "corpus": set(),
    "formats": {"corpus"},
    "features": {"corpus"},
    "evaluation": {"corpus"},
    "inference": {"corpus", "features", "formats"},
    "training": {"corpus", "formats", "features", "evaluation", "inference", "publishing"},
    "publishing": {"corpus", "features", "evaluation", "inference"},
    # event data from records (scripts/events.py): inference-side, never training
    "eventdata": {"corpus", "inference"},
    # the benchmark runs the programs (make_tiny_model, train) as a user does, by their main()
    "benchmark": {"corpus", "formats", "features", "evaluation", "inference", "training", "publishing", "commands",
                  "eventdata"},
    "commands": {"corpus", "formats", "features", "evaluation", "inference", "training", "publishing", "benchmark",
                 "labelstudio", "eventdata"},
    # the model backend serves published models and runs training as a separate program (a process)
    "labelstudio": {"corpus", "formats", "features", "inference"},
}
SHARED = {"atomic", "cli", "folders"}  # top-level modules anyone may use; they import no subpackage


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """The ``train.*`` modules that ``path`` imports, resolved to module names that exist."""
    names: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)  # ``from train.x import module``
    return {n for n in names if n == "train" or n.startswith("train.")} & ALL_MODULES


SOURCES = sorted(PACKAGE.rglob("*.py"))
ALL_MODULES = {module_name(p) for p in SOURCES}
GRAPH = {module_name(p): imported_modules(p) - {module_name(p)} for p in SOURCES}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_is_read():
    """Guards the test itself: known edges are found, including lazy ones inside functions."""
    assert "train.corpus.document" in GRAPH["train.formats.jsonl"]
    assert "train.training.modeling" in GRAPH["train.commands.train"] or any(
        m.startswith("train.training") for m in GRAPH["train.commands.train"])
    assert len(GRAPH) > 30


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_follow_the_layers(module):
    own = layer(module)
    if own in SHARED or module == "train":
        allowed: set[str] = set()
    else:
        assert own in ALLOWED, f"{module}: subpackage {own!r} is not in the layering (docs/architecture.md)"
        allowed = ALLOWED[own] | {own} | SHARED
    bad = sorted(m for m in GRAPH[module] if layer(m) and layer(m) not in allowed)
    assert not bad, f"{module} may not import {bad}"


def test_inference_imports_nothing_from_training():
    bad = {m: sorted(d for d in deps if layer(d) == "training") for m, deps in GRAPH.items() if layer(m) == "inference"}
    assert not {m: d for m, d in bad.items() if d}


def test_no_two_modules_import_each_other():
    pairs = sorted({tuple(sorted((a, b))) for a, deps in GRAPH.items() for b in deps
                    if a in GRAPH.get(b, set()) and b != "train" and a != "train" and b != a})
    assert not pairs, f"modules that import each other: {pairs}"
