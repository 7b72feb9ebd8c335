"""The GPU check, ready for when a machine with a GPU is lent: `scripts/device_check.sh`.

Two measurements, each against the CPU fp32 path of the same work, so one short run says whether
the accelerator path is both faster and right:

1. **Training.** The same steps of the base-shaped token classifier (random weights, fixed random
   labels, one seed) with autocast bf16 (fp16 with a loss scaler where the GPU has no bf16) on the
   device, and in fp32 on the CPU; the two loss curves side by side.
2. **Inference.** The whole pipeline (entities, event types, triggers) with ``--precision auto`` on
   the device against fp32 on the CPU: tokens/s of each, and the word-label agreement
   (:func:`train.benchmark.pipeline.agreement_words`).

``--cpu`` runs the same code with a small model, few steps and few documents, on the CPU alone
(the "device" is the CPU too), so the suite keeps the script working on machines without a GPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text


def _training_losses(model_dir: Path, texts: list[str], device: str, precision: str, steps: int, seed: int = 0) -> dict[str, Any]:
    """Per-step losses of ``steps`` AdamW steps on fixed random labels: the same batches for every call."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    torch.manual_seed(seed)
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForTokenClassification.from_pretrained(str(model_dir), use_safetensors=True).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5)
    gen = torch.Generator().manual_seed(seed)
    batch = tok(texts[:16], truncation=True, max_length=128, padding=True, return_tensors="pt")
    labels = torch.randint(0, model.config.num_labels, batch["input_ids"].shape, generator=gen)
    labels[batch["attention_mask"] == 0] = -100
    batch = {k: v.to(device) for k, v in batch.items()}
    labels = labels.to(device)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler(device.split(":")[0]) if precision == "fp16" else None
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.split(":")[0], dtype=dtype, enabled=dtype is not None):
            loss = model(**batch, labels=labels).loss
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        losses.append(float(loss.detach().float().cpu()))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return {"device": device, "precision": precision, "losses": losses, "seconds": time.perf_counter() - start}


def _pipeline(dirs: dict[str, Path], docs: list[tuple[str, str]], device: str, precision: str) -> dict[str, Any]:
    from train.inference.predictor import InputDocument, Predictor

    pred = Predictor.from_pretrained(ner=str(dirs["ner"]), events=str(dirs["events"]), triggers=str(dirs["triggers"]),
                                     device=device, precision=precision, batch_size=32)
    inputs = [InputDocument(i, t) for i, t in docs]
    list(pred.predict(inputs[:1]))  # warm-up
    start = time.perf_counter()
    records = list(pred.predict(inputs))
    secs = time.perf_counter() - start
    tokens = sum(len(pred.ner.tokenizer(t)["input_ids"]) for _, t in docs)
    return {"device": device, "precision": pred.precision, "reason": pred.precision_reason, "seconds": secs,
            "tokens_per_s": tokens / secs, "docs_per_s": len(docs) / secs, "records": records}


def run(cpu_only: bool, out: Path | None, steps: int | None = None, max_docs: int | None = None) -> dict[str, Any]:
    import torch

    from train.benchmark.data import load_documents, sentences_of
    from train.benchmark.models import build_model
    from train.benchmark.paths import ROOT
    from train.benchmark.pipeline import agreement_words, build_pipeline_models

    device = "cpu" if cpu_only or not torch.cuda.is_available() else "cuda"
    gpu_bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    train_precision = "bf16" if cpu_only or gpu_bf16 else "fp16"
    steps = steps or (3 if cpu_only else 30)
    news = ROOT.parent / "shared" / "news"
    docs, source = load_documents(news if news.is_dir() else None, max_docs or (2 if cpu_only else 40))
    texts = [docs[k][1][a:b] for k, a, b in sentences_of(docs)]
    with tempfile.TemporaryDirectory(prefix="device-check-") as tmp:
        work = Path(tmp)
        model_dir = build_model(work / "model", texts, quick=cpu_only)
        ref = _training_losses(model_dir, texts, "cpu", "fp32", steps)
        acc = _training_losses(model_dir, texts, device, train_precision, steps)
        diffs = [abs(a - b) / max(abs(a), 1e-9) for a, b in zip(ref["losses"], acc["losses"])]
        dirs = build_pipeline_models(model_dir, work, texts)
        cpu = _pipeline(dirs, docs, "cpu", "fp32")
        dev = _pipeline(dirs, docs, device, "auto")
    result = {
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "mode": "cpu smoke" if cpu_only else "accelerator",
        "torch": torch.__version__,
        "inputs": {"source": source, "documents": len(docs), "sentences": len(texts)},
        "training": {"steps": steps, "reference": {k: v for k, v in ref.items()},
                     "accelerated": {k: v for k, v in acc.items()},
                     "max_relative_loss_difference": max(diffs), "final_relative_loss_difference": diffs[-1]},
        "pipeline": {"cpu_fp32": {k: v for k, v in cpu.items() if k != "records"},
                     "device_auto": {k: v for k, v in dev.items() if k != "records"},
                     "speedup": dev["tokens_per_s"] / cpu["tokens_per_s"],
                     "agreement_words": agreement_words(cpu["records"], dev["records"])},
    }
    if out is not None:
        atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    return result


def render(result: dict[str, Any]) -> str:
    tr, pl = result["training"], result["pipeline"]
    lines = [f"device check ({result['mode']}): {result['device']}, torch {result['torch']}, "
             f"{result['inputs']['documents']} documents from {result['inputs']['source']}",
             f"training, {tr['steps']} steps: CPU fp32 losses {', '.join(f'{x:.4f}' for x in tr['reference']['losses'])}",
             f"  {tr['accelerated']['device']} {tr['accelerated']['precision']} losses "
             f"{', '.join(f'{x:.4f}' for x in tr['accelerated']['losses'])}",
             f"  largest relative loss difference {tr['max_relative_loss_difference']:.4f}, at the last step "
             f"{tr['final_relative_loss_difference']:.4f}; {tr['reference']['seconds']:.1f} s against "
             f"{tr['accelerated']['seconds']:.1f} s",
             f"pipeline: CPU fp32 {pl['cpu_fp32']['tokens_per_s']:.0f} tokens/s; {pl['device_auto']['device']} auto "
             f"({pl['device_auto']['precision']}: {pl['device_auto']['reason']}) {pl['device_auto']['tokens_per_s']:.0f} "
             f"tokens/s, {pl['speedup']:.2f}x; agreement_words {pl['agreement_words']:.4f}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpu", action="store_true", help="smoke mode: a small model and few steps, on the CPU alone")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--steps", type=int, help="training steps (default: 30, or 3 with --cpu)")
    ap.add_argument("--max-docs", type=int, help="documents for the pipeline (default: 40, or 2 with --cpu)")
    args = ap.parse_args(argv)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    result = run(args.cpu, args.json, args.steps, args.max_docs)
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
