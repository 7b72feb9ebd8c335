#!/usr/bin/env python
"""One tagger for entities and triggers against the two separate taggers, on the same folds and recipe.

    python scripts/bench_joint.py [--base-model ../shared/models/arabic-bert-tiny-news] [--seeds 42 43 44]
                                  [--gsr ../shared/data/PLOVER-Arabic-GSR | --no-gsr] [--out runs/bench-joint] [--json FILE]

The separate taggers are ``configs/ner.yaml`` and ``configs/triggers.yaml`` as shipped, with only
the base model changed (and ``--learning-rate``, ``--epochs`` when given: the same for all three
models). The joint tagger is the same recipe with one label set, the entity types and the event
types in IOB2 (:func:`~train.training.token_classification.joint_task`), trained on the union of
the spans; all three train through ``run_token_task`` (Trainer), the path ``scripts/train.py`` takes.

Folds: leave one seed document out (``--train-file``, the seed corpus). Two fold sets:

- ``seed``: every model trains on the four other seed documents;
- ``seed+gsr``: the trigger tagger and the joint tagger also train on the GSR's event spans
  (``gsr_spans`` reader). The GSR documents carry triggers only, so in the joint tagger their
  words are ``O`` for every entity type, which is what a user training on them gets; the
  entity tagger has nothing to learn from them and trains on the seed documents as in ``seed``.

Every model is scored on the held-out seed document: entity micro F1 and trigger micro F1
(seqeval strict IOB2, exact spans, over the tokenizer's words); the joint model's figures are
its predictions of each kind scored alone. Printed and written (``--json``): mean ± sample std
over the fold × seed runs, and the paired difference joint − separate.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from train.benchmark.paths import ROOT, SEED, SHARED
from train.benchmark.report import write_json
from train.corpus.document import read_jsonl
from train.training.crossval import mean_std

SMALL_ENCODER = SHARED / "models" / "arabic-bert-tiny-news"
GSR = SHARED / "data" / "PLOVER-Arabic-GSR"
# What the two configs may differ in: everything else is the recipe the comparison holds equal.
OWN_KEYS = {"task", "output_dir"}


def recipe_difference(ner: dict[str, Any], triggers: dict[str, Any]) -> list[str]:
    """Keys whose values differ between the two configs, besides the task and folder."""
    keys = (set(ner) | set(triggers)) - OWN_KEYS
    return sorted(k for k in keys if ner.get(k) != triggers.get(k))


def _args(config: Path, over: dict[str, Any]):
    from train.training.config import load_yaml_config, parse_config

    raw = load_yaml_config(config)
    model_args, data_args, training_args = parse_config(raw, over)
    return model_args, data_args, training_args, set(raw) | set(over)


def _train(args, task, train_docs, test_docs, out: Path, keep_model: bool) -> dict[str, Any]:
    from train.training.token_classification import run_token_task

    model_args, data_args, training_args, explicit = args
    t0 = time.time()
    metrics = run_token_task(model_args, data_args, training_args, task, train_docs, None, test_docs, out, explicit,
                             title=f"bench_joint: {out.name}")["test"]
    if not keep_model:
        (out / "model.safetensors").unlink(missing_ok=True)
    return {"metrics": metrics, "seconds": round(time.time() - t0, 1)}


def _figures(m: dict[str, Any], key: str) -> dict[str, float]:
    return {f: float(m[key][f]) for f in ("precision", "recall", "f1")}


def summarise(runs: list[dict[str, Any]], fold_set: str) -> dict[str, Any]:
    """Mean ± std of each model's figures over the fold set's runs, and joint − separate paired by (seed, fold)."""
    rows = [r for r in runs if r["fold_set"] == fold_set]
    sep = {(r["seed"], r["fold"]): r for r in rows if r["model"] == "separate"}
    joint = {(r["seed"], r["fold"]): r for r in rows if r["model"] == "joint"}
    out: dict[str, Any] = {"runs": len(sep)}
    for kind in ("entity", "trigger"):
        key = f"{kind}_f1"
        out[f"separate_{key}"] = mean_std([r[kind]["f1"] for r in sep.values()])
        out[f"joint_{key}"] = mean_std([r[kind]["f1"] for r in joint.values()])
        out[f"delta_{key}"] = mean_std([joint[k][kind]["f1"] - sep[k][kind]["f1"] for k in sep if k in joint])
    # The bar for offering the joint tagger: its mean within 1 F1 point of the separate taggers on both.
    out["within_1_point"] = all(out[f"delta_{k}_f1"]["mean"] >= -0.01 for k in ("entity", "trigger"))
    return out


def _pm(d: dict[str, float]) -> str:
    return f"{100 * d['mean']:.1f} ± {100 * d['std']:.1f}"


def render(summary: dict[str, Any]) -> str:
    lines = ["| fold set | model | entity micro F1 | trigger micro F1 | runs |", "|---|---|---:|---:|---:|"]
    for fs, s in summary.items():
        lines.append(f"| {fs} | separate (`ner` + `triggers`) | {_pm(s['separate_entity_f1'])} | {_pm(s['separate_trigger_f1'])} | {s['runs']} |")
        lines.append(f"| {fs} | joint | {_pm(s['joint_entity_f1'])} | {_pm(s['joint_trigger_f1'])} | {s['runs']} |")
        lines.append(f"| {fs} | joint − separate, paired | {_pm(s['delta_entity_f1'])} | {_pm(s['delta_trigger_f1'])} | {s['runs']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-model", default=str(SMALL_ENCODER), metavar="PATH", help="a local model folder")
    ap.add_argument("--train-file", default=str(SEED), help="the corpus the folds are drawn from (both kinds of span)")
    ap.add_argument("--gsr", default=str(GSR), help="the GSR event spans (a folder of *_spans.json, or one)")
    ap.add_argument("--no-gsr", action="store_true", help="only the seed fold set")
    ap.add_argument("--ner-config", default=str(ROOT / "configs" / "ner.yaml"))
    ap.add_argument("--triggers-config", default=str(ROOT / "configs" / "triggers.yaml"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--learning-rate", default="auto", help="'auto' (by the encoder's size) or a number; the config's with 'config'")
    ap.add_argument("--epochs", type=float, default=None, help="default: the configs' num_train_epochs")
    ap.add_argument("--max-folds", type=int, default=None, help="only the first N folds (a quick check)")
    ap.add_argument("--cpu-threads", type=int, default=1)
    ap.add_argument("--out", default="runs/bench-joint")
    ap.add_argument("--json", default=None, metavar="FILE")
    ap.add_argument("--keep-models", action="store_true", help="keep each fold's model.safetensors")
    a = ap.parse_args(argv)

    base = Path(a.base_model).expanduser()
    if not (base / "config.json").is_file():
        print(f"bench_joint.py: --base-model {a.base_model}: no config.json there (a local model folder is needed; "
              "the small encoder lies in ../shared/models, never in the project)", file=sys.stderr)
        return 2
    use_gsr = not a.no_gsr
    if use_gsr and not Path(a.gsr).exists():
        print(f"bench_joint.py: --gsr {a.gsr} does not exist (or pass --no-gsr for the seed fold set only)", file=sys.stderr)
        return 2

    from train.corpus.schema import load_schema
    from train.training.config import load_yaml_config
    from train.training.crossval import document_folds
    from train.training.token_classification import TokenTask, joint_documents, joint_task

    differ = recipe_difference(load_yaml_config(a.ner_config), load_yaml_config(a.triggers_config))
    if differ:
        print(f"bench_joint.py: {a.ner_config} and {a.triggers_config} differ in {', '.join(differ)}: "
              "the comparison needs one recipe for all three models", file=sys.stderr)
        return 2
    schema = load_schema()
    docs, problems = read_jsonl(a.train_file, schema)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        print(f"bench_joint.py: {errors[0]}", file=sys.stderr)
        return 1
    gsr_docs: list = []
    if use_gsr:
        from train.formats.gsr_spans import read as read_spans

        gsr_docs, report = read_spans(a.gsr, schema=schema)
        if report.errors:
            print(f"bench_joint.py: {report.errors[0]}", file=sys.stderr)
            return 1
    ent_types, ev_types = schema.labels("entities"), schema.labels("events")
    ner_task, trig_task, jt = TokenTask("entities", ent_types), TokenTask("events", ev_types), joint_task(ent_types, ev_types)
    out = Path(a.out)
    if not out.is_absolute():
        out = ROOT / out

    def args_for(config: str, seed: int):
        over: dict[str, Any] = {
            "model_name_or_path": str(base.resolve()), "model_revision": "main", "output_dir": str(out / "unused"),
            "seed": seed, "cross_validation": None, "validation_file": None, "use_cpu": True,
            "cpu_threads": a.cpu_threads, "save_strategy": "no", "report_to": "none", "disable_tqdm": True,
            "overwrite_output": True, "train_file": a.train_file,
        }
        if a.learning_rate != "config":
            over["learning_rate"] = a.learning_rate if a.learning_rate == "auto" else float(a.learning_rate)
        if a.epochs is not None:
            over["num_train_epochs"] = a.epochs
        return _args(Path(config), over)

    folds = document_folds(len(docs), "leave_one_document_out")[: a.max_folds]
    fold_sets = ["seed", *(["seed+gsr"] if use_gsr else [])]
    runs: list[dict[str, Any]] = []
    total = len(a.seeds) * len(folds) * (1 + 2 * len(fold_sets))
    done, t_start = 0, time.time()

    def note(what: str, secs: float) -> None:
        nonlocal done
        done += 1
        left = (time.time() - t_start) / done * (total - done)
        print(f"bench_joint.py: [{done}/{total}] {what}: {secs:.0f} s; about {left / 60:.0f} min left", file=sys.stderr, flush=True)

    for seed in a.seeds:
        ner_args, trig_args = args_for(a.ner_config, seed), args_for(a.triggers_config, seed)
        for k, held in enumerate(folds):
            test = [docs[i] for i in held]
            train = [d for i, d in enumerate(docs) if i not in held]
            where = out / f"seed-{seed}" / f"fold-{k}"
            # The entity tagger's data is the same in both fold sets (the GSR has no entities): trained once.
            ner = _train(ner_args, ner_task, train, test, where / "ner", a.keep_models)
            note(f"seed {seed} fold {k} ner", ner["seconds"])
            for fs in fold_sets:
                extra = gsr_docs if fs == "seed+gsr" else []
                tag = fs.replace("+", "-")
                trig = _train(trig_args, trig_task, [*train, *extra], test, where / f"triggers-{tag}", a.keep_models)
                note(f"seed {seed} fold {k} triggers ({fs})", trig["seconds"])
                joint = _train(ner_args, jt, joint_documents([*train, *extra]), joint_documents(test), where / f"joint-{tag}",
                               a.keep_models)
                note(f"seed {seed} fold {k} joint ({fs})", joint["seconds"])
                common = {"fold_set": fs, "seed": seed, "fold": k, "held_out": [d.id for d in test],
                          "train_documents": len(train) + len(extra)}
                runs.append({**common, "model": "separate", "entity": _figures(ner["metrics"], "micro"),
                             "trigger": _figures(trig["metrics"], "micro"), "seconds": ner["seconds"] + trig["seconds"]})
                runs.append({**common, "model": "joint", "entity": _figures(joint["metrics"], "micro_entities"),
                             "trigger": _figures(joint["metrics"], "micro_events"), "seconds": joint["seconds"]})
    summary = {fs: summarise(runs, fs) for fs in fold_sets}
    skip = OWN_KEYS | {"model_name_or_path", "model_revision", "train_file", "cross_validation", "seed"}
    hyper = {k: v for k, v in load_yaml_config(a.ner_config).items() if k not in skip}
    # The rate the runs trained at (``auto`` is resolved inside each run, by the encoder's size).
    used = json.loads((out / f"seed-{a.seeds[0]}" / "fold-0" / "ner" / "training_args.json").read_text(encoding="utf-8"))
    result = {
        "base_model": str(base), "train_file": a.train_file, "seeds": a.seeds, "folds": len(folds),
        "recipe": {**hyper, "learning_rate": used["learning_rate"], "num_train_epochs": used["num_train_epochs"],
                   "learning_rate_from": a.learning_rate},
        "gsr": {"path": a.gsr, "documents": len(gsr_docs), "triggers": sum(len(d.events) for d in gsr_docs),
                "entities": sum(len(d.entities) for d in gsr_docs),
                "entities_in_joint": "O (the GSR documents carry no entity annotation; their words are O for every entity type)"}
        if use_gsr else None,
        "runs": runs, "summary": summary,
        "seconds": round(time.time() - t_start, 1),
    }
    if a.json:
        write_json(a.json, result)
    print(render(summary))
    for fs, s in summary.items():
        verdict = "within" if s["within_1_point"] else "not within"
        print(f"{fs}: the joint tagger is {verdict} 1 F1 point of the separate taggers on both kinds (mean of paired differences)")
    if not a.keep_models:
        for p in out.glob("seed-*/fold-*/*/model.safetensors"):
            p.unlink()
    shutil.rmtree(out / "unused", ignore_errors=True)
    return 0


def _subject(argv: list[str]) -> str | None:
    from train.cli import describe_args

    return describe_args(argv, "--base-model", "--train-file", "--gsr", "--out",
                         takes_value=("--ner-config", "--triggers-config", "--learning-rate", "--epochs", "--max-folds",
                                      "--cpu-threads", "--json"))


def cli(argv: list[str] | None = None) -> int:
    """``main`` as the command line runs it: any exception is one line, a traceback only with --debug."""
    from train.cli import run_main

    return run_main(main, argv, prog="bench_joint.py", subject=_subject)


if __name__ == "__main__":
    sys.exit(cli())
