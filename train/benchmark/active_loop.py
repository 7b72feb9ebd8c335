"""A simulated annotation loop: does choosing sentences by model uncertainty pay over choosing at random?

The training split of a CoNLL corpus is the pool of unannotated sentences (its tags are the
annotator, revealed only for the sentences chosen). Per seed: ``start`` sentences drawn at
random train the first model; then for ``rounds`` rounds, ``step`` more sentences join the
training set, chosen either by the previous round's model
(:func:`~train.inference.uncertainty.document_uncertainty`, each pool sentence one document, the
most uncertain first) or at random, and a model is trained again from the same base on all of
them. Every model is trained by the project's runner
(:func:`train.training.token_classification.run_from_args`) with a config built like
``configs/demo-ner.yaml``: the best epoch is picked on the validation file, and the test file's
strict seqeval F1 is what the runner reports. Round 0 is the same for both strategies, so it is
trained once per seed.

The base is the tiny random-init BERT of ``scripts/make_tiny_model.py``, its vocabulary from the
pool's text (unannotated text is what an annotation project has): its F1 is a floor, not what
CAMeLBERT reaches.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from train.atomic import atomic_write_text
from train.benchmark.report import write_json
from train.formats.conll import sentence_lines as conll_sentences  # the pool's units: a sentence's lines
from train.training.config import AUTO, model_learning_rate

STRATEGIES = ("uncertainty", "random")


@dataclass
class LoopSettings:
    """What one loop run reads, writes and trains with."""

    train_file: Path
    validation_file: Path
    test_file: Path
    out_dir: Path
    rounds: int = 5
    start: int = 50
    step: int = 100
    seeds: Sequence[int] = (0, 1, 2)
    strategies: Sequence[str] = STRATEGIES
    measure: str = "entropy"
    epochs: int = 20
    learning_rate: float | str = 0.001  # or "auto": by the base model's width, as in a config
    batch_size: int = 8
    patience: int = 6
    threads: int = 1
    conll_layer: int = 0
    base_model: Path | None = None  # default: built from the pool's text into <out_dir>/base
    extra: dict[str, Any] = field(default_factory=dict)  # further runner keys (``--key value`` of train.py)

    def check(self) -> None:
        """Refuse settings that cannot run, one line each, before anything trains."""
        bad = [s for s in self.strategies if s not in STRATEGIES]
        if bad:
            raise ValueError(f"strategies: {', '.join(bad)} not among {', '.join(STRATEGIES)}")
        for name in ("rounds", "step", "epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be at least 1, got {getattr(self, name)}")
        if self.start < 1:
            raise ValueError(f"start: must be at least 1, got {self.start}")
        if not self.seeds:
            raise ValueError("seeds: give at least one")
        missing = [str(p) for p in (self.train_file, self.validation_file, self.test_file) if not Path(p).is_file()]
        if missing:
            raise FileNotFoundError(f"not found: {', '.join(missing)}")


def sentence_text(lines: Sequence[str]) -> str:
    """A pool sentence as the model reads it: its tokens joined by spaces."""
    return " ".join(line.split()[0] for line in lines)


def write_sentences(path: Path, sentences: Sequence[Sequence[str]]) -> None:
    """The chosen sentences as a CoNLL file (one blank line between), written atomically."""
    atomic_write_text(path, "".join("\n".join(s) + "\n\n" for s in sentences))


def round_config(s: LoopSettings, base: Path, train_file: Path, output_dir: Path, seed: int) -> dict[str, Any]:
    """The runner's config of one round: ``configs/demo-ner.yaml``'s recipe on the CoNLL splits."""
    return {
        "task": "ner", "model_name_or_path": str(base), "data_format": "conll", "conll_layer": s.conll_layer,
        "train_file": str(train_file), "validation_file": str(s.validation_file), "test_file": str(s.test_file),
        "output_dir": str(output_dir), "max_seq_length": 128, "window_overlap": 32,
        "num_train_epochs": s.epochs, "learning_rate": s.learning_rate, "warmup_steps": 10, "weight_decay": 0.0,
        "per_device_train_batch_size": s.batch_size, "per_device_eval_batch_size": 32,
        "early_stopping_patience": s.patience, "save_total_limit": 1, "seed": seed, "use_cpu": True,
        "cpu_threads": s.threads, "overwrite_output": True, "disable_tqdm": True, "report_to": [],
        **s.extra,
    }


def train_round(s: LoopSettings, base: Path, sentences: Sequence[Sequence[str]], run_dir: Path, seed: int) -> dict[str, Any]:
    """Train one model on ``sentences`` with the project's runner; its dev and test F1."""
    from train.training.config import parse_config
    from train.training.token_classification import run_from_args

    run_dir.mkdir(parents=True, exist_ok=True)
    write_sentences(run_dir / "train.txt", sentences)
    cfg = round_config(s, base, run_dir / "train.txt", run_dir / "model", seed)
    t0 = time.perf_counter()
    model_args, data_args, training_args = parse_config(cfg)
    metrics = run_from_args(model_args, data_args, training_args, set(cfg))
    seconds = time.perf_counter() - t0
    conll = metrics["test"].get("conll_tokens") or {}
    return {
        "model": str(run_dir / "model"),
        "dev_f1": float(metrics["dev"]["micro"]["f1"]),
        "test_f1": float(metrics["test"]["micro"]["f1"]),
        "test_f1_conll_tokens": float(conll["micro"]["f1"]) if conll else None,
        "train_seconds": round(seconds, 2),
    }


def pool_scores(model_dir: str | Path, texts: Sequence[str], measure: str) -> list[float]:
    """Each pool sentence's uncertainty under the model of the last round (one document each)."""
    from train.inference.predictor import Predictor, TokenTagger
    from train.inference.uncertainty import document_uncertainty

    return document_uncertainty(Predictor(ner=TokenTagger(str(model_dir))), list(texts), measure=measure)


def build_base(s: LoopSettings, texts: Sequence[str]) -> Path:
    """The tiny base model (``scripts/make_tiny_model.py``), vocabulary from the pool's text, built once."""
    if s.base_model is not None:
        return Path(s.base_model)
    from train.commands.make_tiny_model import build

    return build(Path(s.out_dir) / "base", list(texts))


def run_loop(s: LoopSettings, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Every seed and strategy, every round; the figures (also written as JSON and markdown)."""
    import torch

    from train.inference.uncertainty import rank_documents

    s.check()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    torch.set_num_threads(s.threads)
    pool = conll_sentences(s.train_file)
    texts = [sentence_text(x) for x in pool]
    need = s.start + s.rounds * s.step
    if need > len(pool):
        raise ValueError(f"{s.train_file}: {len(pool)} sentences, but start + rounds × step = {need}")
    out = Path(s.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    base = build_base(s, texts)
    runs: list[dict[str, Any]] = []
    for seed in s.seeds:
        initial = [int(i) for i in np.random.default_rng(seed).permutation(len(pool))[: s.start]]
        say(f"seed {seed}, round 0: {len(initial)} sentences")
        first = train_round(s, base, [pool[i] for i in initial], out / f"seed{seed}" / "round0", seed)
        say(f"  test F1 {100 * first['test_f1']:.1f} ({first['train_seconds']:.0f} s)")
        for strategy in s.strategies:
            chosen = list(initial)
            rounds = [{"round": 0, "train_sentences": len(chosen), "train_tokens": sum(len(pool[i]) for i in chosen),
                       "pool_before": len(pool), "added": initial, **first}]
            model = first["model"]
            for r in range(1, s.rounds + 1):
                taken = set(chosen)
                left = [i for i in range(len(pool)) if i not in taken]
                t0 = time.perf_counter()
                scores = pool_scores(model, [texts[i] for i in left], s.measure) if strategy == "uncertainty" \
                    else [0.0] * len(left)
                picks = rank_documents(scores, s.step, strategy, seed=seed * 1000 + r)
                rank_seconds = time.perf_counter() - t0
                added = [left[k] for k in picks]
                chosen += added
                say(f"seed {seed}, {strategy}, round {r}: {len(chosen)} sentences")
                res = train_round(s, base, [pool[i] for i in chosen], out / f"seed{seed}" / strategy / f"round{r}", seed)
                say(f"  test F1 {100 * res['test_f1']:.1f} ({res['train_seconds']:.0f} s)")
                rounds.append({"round": r, "train_sentences": len(chosen), "train_tokens": sum(len(pool[i]) for i in chosen),
                               "pool_before": len(left), "added": added,
                               "mean_added_score": float(np.mean([scores[k] for k in picks])) if strategy == "uncertainty" else None,
                               "rank_seconds": round(rank_seconds, 2), **res})
                model = res["model"]
            runs.append({"seed": seed, "strategy": strategy, "rounds": rounds})
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(s).items()}
    settings["seeds"], settings["strategies"] = list(s.seeds), list(s.strategies)
    if s.learning_rate == AUTO:
        from transformers import AutoConfig

        settings["learning_rate_resolved"] = model_learning_rate(AutoConfig.from_pretrained(str(base)))
    result = {"settings": settings, "base_model": str(base), "pool_sentences": len(pool),
              "trainings": len(s.seeds) * (1 + len(s.strategies) * s.rounds),
              "total_seconds": round(time.perf_counter() - t_all, 1), "runs": runs, "summary": summarise(runs)}
    write_json(out / "active_loop.json", result)
    atomic_write_text(out / "active_loop.md", markdown(result))
    return result


def summarise(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per strategy and round: test F1 mean and sample sd over the seeds, and each seed's; mean training tokens."""
    out: list[dict[str, Any]] = []
    for strategy in dict.fromkeys(r["strategy"] for r in runs):
        mine = [r for r in runs if r["strategy"] == strategy]
        for k, row in enumerate(mine[0]["rounds"]):
            f1 = [float(r["rounds"][k]["test_f1"]) for r in mine]
            out.append({"strategy": strategy, "round": row["round"], "train_sentences": row["train_sentences"],
                        "train_tokens_mean": float(np.mean([r["rounds"][k]["train_tokens"] for r in mine])),
                        "test_f1_mean": float(np.mean(f1)), "test_f1_sd": float(np.std(f1, ddof=1)) if len(f1) > 1 else None,
                        "test_f1_per_seed": {str(r["seed"]): float(r["rounds"][k]["test_f1"]) for r in mine}})
    return out


def markdown(result: dict[str, Any]) -> str:
    """Rounds × strategy (mean ± sd over seeds), then every seed's figure; F1 in percent.

    Beside each strategy, the tokens it trained on (mean over seeds): an annotator's time goes by
    tokens, and a strategy that picks longer sentences buys its F1 with more of them.
    """
    s = result["settings"]
    summ = result["summary"]
    strategies = list(dict.fromkeys(r["strategy"] for r in summ))
    seeds = [str(x) for x in s["seeds"]]
    cell = {(r["strategy"], r["round"]): r for r in summ}
    rounds = sorted({r["round"] for r in summ})

    def pm(r: dict[str, Any]) -> str:
        sd = r["test_f1_sd"]
        return f"{100 * r['test_f1_mean']:.1f}" + (f" ± {100 * sd:.1f}" if sd is not None else "")

    rate = str(s["learning_rate"]) + (f" ({s['learning_rate_resolved']:g})" if "learning_rate_resolved" in s else "")
    base = f"base model `{Path(result['base_model']).name}`; " if result.get("base_model") else ""
    lines = [f"Test micro-F1 (strict seqeval, %), mean ± sd over seeds {', '.join(seeds)}; {base}"
             f"measure `{s['measure']}`, {s['epochs']} epochs at most (best on val), learning rate {rate}, "
             f"pool {result['pool_sentences']} sentences.", "",
             "| round | train sentences | " + " | ".join(f"{st} F1 | {st} tokens" for st in strategies) + " |",
             "|---:|---:|" + "---:|---:|" * len(strategies)]
    for r in rounds:
        first = cell[(strategies[0], r)]
        lines.append(f"| {r} | {first['train_sentences']} | "
                     + " | ".join(f"{pm(cell[(st, r)])} | {cell[(st, r)]['train_tokens_mean']:,.0f}" for st in strategies) + " |")
    lines += ["", "Per seed:", "",
              "| round | " + " | ".join(f"{st} s{x}" for st in strategies for x in seeds) + " |",
              "|---:|" + "---:|" * (len(strategies) * len(seeds))]
    for r in rounds:
        lines.append(f"| {r} | " + " | ".join(f"{100 * cell[(st, r)]['test_f1_per_seed'][x]:.1f}"
                                              for st in strategies for x in seeds) + " |")
    lines += ["", f"{result['trainings']} trainings, {result['total_seconds'] / 60:.1f} minutes in all."]
    return "\n".join(lines) + "\n"
