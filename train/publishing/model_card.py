"""Model cards: the README.md of a trained or published model, with YAML metadata the Hub reads.

The one card builder: training writes it into the run folder (sentence classifiers), and
``publish`` writes it again into the published folder, with the options given there.

The ``model-index`` figures are copied from the run's ``metrics.json`` (and ``cv_metrics.json``
when the run was cross-validated), never recomputed, and each metric's ``name`` is its dotted
path in that file, so anyone can check a figure against its source.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from train.corpus.schema import Schema, load_schema
from train.evaluation.reports import describe_base_model, pct
from train.features.windows import CONFIG_KEY

# "train_fit": figures measured on the training data itself (a final model without dev data), not an evaluation.
SKIP_KEYS = frozenset({"per_type", "per_label", "confusion", "support", "n", "std", "counts", "thresholds", "train_fit"})
METRIC_WORDS = ("f1", "precision", "recall", "accuracy")
# What a sentence classifier trained with a context segment (``context`` in ``sentence_inputs``) needs from its caller.
CONTEXT_HINTS = {
    "none": "",
    "previous": "Give the previous sentence as `text_pair` (the model was trained with it).",
    "headline": "Give the document's first line (its headline) as `text_pair` (the model was trained with it).",
}


def _metric_type(name: str) -> str | None:
    last = name.rsplit(".", 1)[-1].lower()
    for word in METRIC_WORDS:
        if word in last or (last == "mean" and word in name.lower()):
            return word
    return None


def headline_metrics(metrics: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """``(dotted path, value)`` of every precision/recall/F1/accuracy figure, without per-type detail."""
    for key, val in metrics.items():
        if key in SKIP_KEYS:
            continue
        path = f"{prefix}{key}"
        if isinstance(val, Mapping):
            yield from headline_metrics(val, path + ".")
        elif isinstance(val, (int, float)) and not isinstance(val, bool) and _metric_type(path):
            yield path, val


def lookup(metrics: Mapping[str, Any], path: str) -> Any:
    cur: Any = metrics
    for part in path.split("."):
        cur = cur[part]
    return cur


def _task(config: Any) -> str:
    arch = " ".join(getattr(config, "architectures", None) or [])
    return "token-classification" if "TokenClassification" in arch else "text-classification"


def label_types(config: Any) -> list[str]:
    """Entity or event types of a model, from its labels (IOB2 prefixes dropped)."""
    seen: list[str] = []
    for i in sorted(int(k) for k in config.id2label):
        lab = config.id2label[i]
        typ = lab.split("-", 1)[1] if lab[:2] in ("B-", "I-") else lab
        if typ != "O" and typ not in seen:
            seen.append(typ)
    return seen


def corpus_stats(path: str | Path, types: list[str], kind: str) -> dict[str, Any]:
    from train.corpus.document import read_jsonl
    from train.corpus.text import word_spans

    docs, _ = read_jsonl(path, strict=False)
    counts = Counter(s.label for d in docs for s in d.spans(kind))
    return {
        "file": str(path),
        "documents": len(docs),
        "sentences": sum(len(d.sentences) for d in docs),
        "words": sum(len(word_spans(d.text)) for d in docs),
        "spans": {t: counts.get(t, 0) for t in types},
    }


def _ms(d: Any) -> str:
    if isinstance(d, Mapping) and "mean" in d:
        return f"{pct(d['mean'])} ± {pct(d.get('std', 0.0))}"
    return pct(d)


def _eval_tables(metrics: Mapping[str, Any], title: str) -> list[str]:
    out: list[str] = []
    splits = {k: v for k, v in metrics.items() if isinstance(v, Mapping) and any(True for _ in headline_metrics(v))}
    flat = {k: v for k, v in metrics.items() if not isinstance(v, Mapping)}
    if any(_metric_type(k) for k in flat):
        splits = {"evaluation": {k: v for k, v in flat.items() if _metric_type(k)}, **splits}
        per = metrics.get("per_type") or metrics.get("per_label")
        if per:
            splits["evaluation"]["per_type"] = per
    for name, m in splits.items():
        out += [f"### {title}: {name}", "", "| figure | value (%) |", "|---|---:|"]
        out += [f"| {p} | {_ms(lookup(m, p))} |" for p in _headline_paths(m)]
        per = m.get("per_type") or m.get("per_label")
        if isinstance(per, Mapping) and per:
            out += ["", "| type | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
            for t, r in per.items():
                if isinstance(r, Mapping):
                    sup = r.get("support", "")
                    sup = sup.get("mean", "") if isinstance(sup, Mapping) else sup
                    out.append(f"| {t} | {_ms(r.get('precision'))} | {_ms(r.get('recall'))} | {_ms(r.get('f1'))} | {sup} |")
        out.append("")
    return out


def _headline_paths(m: Mapping[str, Any]) -> list[str]:
    paths = []
    for p, _ in headline_metrics(m):
        p = p[: -len(".mean")] if p.endswith(".mean") else p
        if p not in paths:
            paths.append(p)
    return paths


def _model_index(name: str, task: str, dataset: str, metrics: Mapping[str, Any], source: str) -> dict[str, Any]:
    figures = [{"type": _metric_type(p), "value": v, "name": f"{source}:{p}"} for p, v in headline_metrics(metrics)]
    task_name = "Named-entity recognition" if task == "token-classification" else "Event classification"
    return {"name": name, "results": [{
        "task": {"type": task, "name": task_name},
        "dataset": {"type": dataset, "name": dataset},
        "metrics": figures,
    }]}


def build_card(model_dir: str | Path, *, metrics: Mapping[str, Any], cv_metrics: Mapping[str, Any] | None = None,
               name: str | None = None, license: str = "apache-2.0", base_model: str | None = None,
               dataset: str = "arabic-news-seed", train_file: str | Path | None = None,
               schema: Schema | None = None, repo_id: str | None = None,
               model_set: Mapping[str, str] | None = None, set_ref: str | None = None,
               onnx: Mapping[str, Any] | None = None) -> str:
    """The full ``README.md`` text for a saved model folder.

    ``model_set`` (task -> repo id or folder) and ``set_ref`` (what ``predict.py --models`` takes)
    are given when the model is published as one of a set: the card links the others and shows
    the one command that runs them all. ``onnx``: the exported graphs' sizes and the int8 graph's
    agreement with fp32 (:func:`train.publishing.onnx_export.int8_agreement`), for the ONNX section.
    """
    from transformers import AutoConfig

    schema = schema or load_schema()
    config = AutoConfig.from_pretrained(str(model_dir), trust_remote_code=False)
    task = _task(config)
    types = label_types(config)
    kind = "entities" if all(t in schema.entities for t in types) else "events"
    is_roles = task == "token-classification" and sorted(types) == ["SOURCE", "TARGET"]
    is_triggers = task == "token-classification" and kind == "events" and not is_roles
    what = ("event triggers" if is_triggers else "named entities") if task == "token-classification" \
        else "sentence event types (multi-label)"
    if is_roles:
        what = "the source (who did it) and the target (to whom) of one marked event trigger"
    name = name or Path(model_dir).name
    base = base_model or metrics.get("base_model") or getattr(config, "_name_or_path", "") or "unknown"
    index_source = [("metrics.json", metrics)] + ([("cv_metrics.json", cv_metrics)] if cv_metrics else [])
    model_index = []
    for source, m in index_source:
        mi = _model_index(name, task, dataset, m, source)
        if mi["results"][0]["metrics"]:
            model_index += mi["results"]
    front: dict[str, Any] = {
        "language": ["ar"],
        "license": license,
        "base_model": str(base),
        "pipeline_tag": task,
        "library_name": "transformers",
        "tags": ["arabic", "bert", "camelbert", "news", task,
                 "event-extraction" if kind == "events" else "ner", "plover" if kind == "events" else "wojood"],
        "datasets": [dataset],
        "metrics": sorted({f["type"] for r in model_index for f in r["metrics"]}),
        "model-index": [{"name": name, "results": model_index}],
    }
    use = repo_id or name
    lines = ["---", yaml.safe_dump(front, allow_unicode=True, sort_keys=False).rstrip(), "---", "",
             f"# {name}", "",
             f"Finds {what} in Arabic news text. Fine-tuned from `{base}` on span-annotated Arabic news "
             "with the arabic-news-ie project. Offsets returned by the tokenizer point into the original "
             "text, diacritics included: the tokenizer removes Arabic diacritics and tatweel itself.", ""]
    inputs = getattr(config, CONFIG_KEY, None)
    if task == "text-classification" and isinstance(inputs, Mapping):
        lines += [(CONTEXT_HINTS.get(inputs.get("context", "none"), "") + " A sentence longer than the window in "
                   f"`config.json` (`{CONFIG_KEY}`) is read in overlapping windows and each type takes its highest "
                   "score over them, as in training and evaluation.").lstrip(), ""]
    if model_set:
        lines += ["## The model set", "", "Published together, trained on the same corpus; "
                  "`scripts/predict.py --models` runs them as one:", ""]
        lines += [f"- {t}: " + ("this model" if ref in (use, f"../{Path(use).name}") else _model_link(ref)) for t, ref in model_set.items()]
        lines += ["", "```bash", f"python scripts/predict.py --models {set_ref} article.txt", "```", ""]
    lines += ["## Labels", "", "| label | description |", "|---|---|"]
    desc = schema.labels(kind) and (schema.entities if kind == "entities" else schema.events)
    role_desc = {"SOURCE": "the actor that carries out or initiates the event",
                 "TARGET": "the actor the event is directed at"}
    for t in types:
        lines.append(f"| {t} | {role_desc.get(t, '') if is_roles else desc.get(t, '')} |")
    if task == "token-classification":
        lines += ["", "Tags are IOB2 (`B-`, `I-` and `O`); the first sub-word of each word carries its tag."]
    lines += ["", "## Training data", ""]
    run = metrics.get("run") if isinstance(metrics.get("run"), Mapping) else {}  # what a training run recorded
    if train_file and Path(train_file).is_file():
        st = corpus_stats(train_file, types, kind)
        lines += [f"`{Path(st['file']).name}`: {st['documents']} documents, {st['sentences']} sentences, "
                  f"{st['words']} words.", "", f"| {kind[:-1] if kind == 'events' else 'entity'} type | spans |",
                  "|---|---:|", *[f"| {t} | {n} |" for t, n in st["spans"].items()], ""]
    elif "train_sentences" in run and "train_documents" not in metrics:
        lines += [f"Training sentences: {run['train_sentences']}.", ""]
    else:
        lines += [f"Training documents: {metrics.get('train_documents', 'not recorded')}.", ""]
    counts = run.get("training_counts")
    if isinstance(counts, Mapping) and counts:
        lines += ["| event type | training sentences |", "|---|---:|", *[f"| {t} | {n} |" for t, n in counts.items()], ""]
    lines += ["## Evaluation", ""]
    # Which encoder produced these figures: a tiny local model and CAMeLBERT give very different ones.
    record = run if run.get("base_model") else ({"base_model": metrics["base_model"]} if metrics.get("base_model") else {})
    if record:
        lines += [f"Figures in `metrics.json` produced by fine-tuning {describe_base_model(record)}.", ""]
    mode = metrics.get("seqeval_mode")
    if mode:
        lines += [f"Span-level scores by seqeval ({mode} mode, {metrics.get('seqeval_scheme', 'IOB2')}).", ""]
    if any(isinstance(v, Mapping) and isinstance(v.get("conll_tokens"), Mapping) for v in metrics.values()):
        lines += ["The data came from CoNLL files: `micro`, `macro` are over the tokenizer's words; "
                  "`conll_tokens.*` are the same predictions scored over the file's own tokens and tags, "
                  "the units published CoNLL figures (such as CAMeLBERT's ANERcorp F1) are given in.", ""]
    lines += _eval_tables({k: v for k, v in metrics.items() if k not in ("types", "base_model")}, "metrics.json")
    if cv_metrics:
        lines += ["Cross-validated by document: mean ± sample standard deviation over folds"
                  + (f", fine-tuning {describe_base_model(cv_metrics)}" if cv_metrics.get("base_model") else "") + ".", ""]
        lines += _eval_tables({k: v for k, v in cv_metrics.items() if not k.startswith("base_model")}, "cross-validation")
    th = getattr(config, "thresholds", None)
    if isinstance(th, Mapping) and th:
        untrained = set(getattr(config, "untrained_labels", None) or [])
        lines += ["## Decision thresholds", "",
                  "A type is predicted when its sigmoid score reaches its threshold, stored in `config.json` "
                  f"(`thresholds`, strategy: {getattr(config, 'threshold_strategy', 'not recorded')})."
                  + (f" Tuned on: {run['thresholds_tuned_on']}." if run.get("thresholds_tuned_on") else ""), "",
                  "| type | threshold |", "|---|---:|"]
        lines += [f"| {t} | {'never predicted (no training examples)' if t in untrained else f'{float(v):.3f}'} |"
                  for t, v in th.items()]
        lines.append("")
    lines += ["## Intended use", "",
              "Pre-annotating and analysing Arabic (MSA) political and military news: who met whom, where and "
              "when. Run it with `scripts/predict.py` of the project, which splits documents into sentences and "
              "windows, or with plain `transformers` below.", "",
              "## Limitations", "",
              "- The training corpus is tiny: a handful of annotated news articles (five in the seed corpus). "
              "Figures measured on it are not benchmarks and do not transfer to other sources or topics.",
              "- A model trained and evaluated on the same documents shows that the pipeline learns, not that "
              "it generalises; prefer the cross-validated figures where given.",
              "- Modern Standard Arabic news only; dialects, social media and other domains are untested.",
              "- Predictions are suggestions for an annotator or analyst to check, not facts."]
    if str(base).startswith(("models/", "./", "/")):
        lines += [f"- The base model `{base}` is a local model (the offline demo's tiny BERT with random "
                  "initial weights), not CAMeLBERT: this model demonstrates the pipeline only."]
    lines.append("")
    lines += ["## Usage", "", "```python", "from transformers import pipeline", ""]
    if is_roles:
        lines += [f'tagger = pipeline("token-classification", model="{use}", aggregation_strategy="first")',
                  "# One trigger at a time: its sentence, the trigger wrapped in the marker words [ and ].",
                  'sentence = "وصل الوفد الروسي إلى ليبيا في زيارة رسمية."',
                  'a = sentence.index("زيارة"); b = a + len("زيارة")',
                  'marked = f"{sentence[:a]}[ {sentence[a:b]} ]{sentence[b:]}"',
                  "for span in tagger(marked):",
                  '    start, end = span["start"], span["end"]',
                  "    shift = 0 if end <= a else 2 if end <= b + 2 else 4  # back to the unmarked sentence",
                  '    print(span["entity_group"], sentence[start - shift:end - shift], round(span["score"], 3))']
    elif task == "token-classification":
        lines += [f'tagger = pipeline("token-classification", model="{use}", aggregation_strategy="first")',
                  'for span in tagger("وصل قائد الجيش الليبي خليفة حفتر إلى موسكو يوم الثلاثاء."):',
                  '    print(span["entity_group"], span["start"], span["end"], span["word"], round(span["score"], 3))']
    else:
        lines += ["from transformers import AutoConfig", "",
                  f'classifier = pipeline("text-classification", model="{use}", top_k=None)',
                  f'thresholds = AutoConfig.from_pretrained("{use}").thresholds',
                  'scores = classifier("التقى وزير الدفاع الروسي قائد الجيش الليبي في موسكو.")[0]',
                  'print([s["label"] for s in scores if s["score"] >= thresholds[s["label"]]])']
    if onnx:
        ort_cls = "ORTModelForTokenClassification" if task == "token-classification" else "ORTModelForSequenceClassification"
        lines += ["```", "", "## ONNX", "",
                  f"`onnx/model.onnx` (fp32, {onnx['fp32_mb']} MiB) and `onnx/model_quantized.onnx` (dynamic int8, "
                  f"{onnx['int8_mb']} MiB). The int8 graph agrees with fp32 on {100 * onnx['agreement']:.2f}% of "
                  f"{onnx['compared']} {onnx['unit']} ({onnx['sentences']} sentences of `{onnx['texts']}`, measured "
                  "at export). `scripts/predict.py --precision auto` takes it on a CPU where bf16 is not faster "
                  "(no AMX, or a model narrower than 512). With Optimum (`optimum-onnx`, whose releases up to 0.1.0 "
                  "need transformers below 4.58):", "",
                  "```python", f"from optimum.onnxruntime import {ort_cls}", "from transformers import AutoTokenizer, pipeline", "",
                  f'model = {ort_cls}.from_pretrained("{use}", subfolder="onnx", file_name="model_quantized.onnx")',
                  f'pipe = pipeline("{task}", model=model, tokenizer=AutoTokenizer.from_pretrained("{use}"))',
                  "```", "", "Or with ONNX Runtime alone: `onnxruntime.InferenceSession(\"onnx/model_quantized.onnx\")`, "
                  "inputs `input_ids`, `attention_mask`, `token_type_ids` (int64), output `logits`.", "",
                  "Whole documents (sentences, windows, event records, other output formats):", ""]
    else:
        lines += ["```", "", "Whole documents (sentences, windows, event records, other output formats):", ""]
    lines += ["```bash", (f"python scripts/predict.py --triggers TRIGGER_MODEL --roles {use} article.txt" if is_roles else
                          f"python scripts/predict.py --{'events' if task == 'text-classification' else ('triggers' if is_triggers else 'ner')} "
                          f"{use} article.txt"), "```", ""]
    return "\n".join(lines)


def _model_link(ref: str) -> str:
    """A sibling folder (``../ner``, a set published side by side) as a relative link, a Hub repo id
    as a link to its page."""
    if ref.startswith("../"):
        return f"[{ref[3:]}]({ref})"
    return f"[{ref}](https://huggingface.co/{ref})"


def read_front_matter(card: str) -> dict[str, Any]:
    """The YAML metadata block of a model card."""
    if not card.startswith("---\n"):
        raise ValueError("the card has no YAML front matter")
    end = card.index("\n---\n", 4)
    return yaml.safe_load(card[4:end])


def load_metrics(run_dir: str | Path, name: str = "metrics.json") -> dict[str, Any] | None:
    path = Path(run_dir) / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
