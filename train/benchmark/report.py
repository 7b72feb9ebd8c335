"""The bench's outputs: the markdown table printed, and the figures as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from train.atomic import atomic_write_text


def table(result: dict[str, Any]) -> str:
    lim = result["forward_limit_tokens_per_s"]
    base = {r["name"]: r for r in result["rows"]}["pipeline"]["tokens_per_s"]
    lines = [
        "| row | tokens/s | docs/s | × pipeline | / forward limit | % of FLOP limit | agreement | agreement, no diacritics "
        "| peak MiB | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['name']} | {r['tokens_per_s']:.0f} | {r['docs_per_s']:.3f} | {r['tokens_per_s'] / base:.2f} | "
                     f"{r['tokens_per_s'] / lim:.2f} | {100 * r['flops_ratio']:.1f} | {100 * r['agreement']:.2f}% | "
                     f"{100 * r['agreement_clean']:.2f}% | {r['peak_mb']:.0f} | {r['seconds']:.1f} |")
    vs = [f"{r['name']} {100 * r['agreement_vs_fp32']:.2f}%" for r in result["rows"]
          if "agreement_vs_fp32" in r and r["name"] != "predictor"]
    gflops = result["flops_limit_gflops"]
    lines.append(f"| forward limit bs=32×seq=64 (mean of {', '.join(f'{x:.0f}' for x in result['forward_limit_runs'])}) | {lim:.0f} | | {lim / base:.2f} | 1.00 | "
                 f"{100 * lim * result['gflop_per_token'] / gflops:.1f} | | | | |")
    fl = result.get("forward_limits_interleaved")
    if fl:
        bf16_row = {r["name"]: r for r in result["rows"]}.get("predictor_bf16", {})
        lines.append(f"\nforward limits measured in turns (best of each): fp32 {fl['fp32']:.0f}, bf16 {fl['bf16']:.0f} tokens/s "
                     f"(bf16 / fp32 {fl['bf16_over_fp32']:.2f}); predictor_bf16 / bf16 limit "
                     f"{bf16_row.get('bf16_forward_limit_ratio', float('nan')):.2f}")
    if vs:
        lines.append(f"\nentity spans identical to the fp32 predictor's: {', '.join(vs)}")
    lines.append("")
    by = ", ".join(f"{k} {v:.0f}" for k, v in result["flops_by"].items() if k != "limit")
    lines.append(f"FLOP limit (fp32 {2048 if not result['model']['quick'] else 1024}² matmul, best of {by}): {gflops:.1f} GFLOP/s; model: {result['gflop_per_token'] * 1e3:.1f} MFLOP per token "
                 f"(2 × {result['macs_per_token'] / 1e6:.1f} M multiply-adds)")
    tr = result["training"]
    if tr:
        lines.append("")
        lines.append("| training (Trainer steps) | tokens/s | steps timed |")
        lines.append("|---|---:|---:|")
        for k in ("dynamic_grouped", "padded_128"):
            lines.append(f"| {k} | {tr[k]['tokens_per_s']:.0f} | {tr[k]['steps_timed']} |")
        lines.append(f"\ndynamic padding + length grouping vs padding to {tr['max_seq_length']}: {tr['speedup']:.2f}×")
    for a in result["label_agreement"]:
        lines.append("")
        lines.append(f"labels, {a['name']} ({a['tokens']} sub-words): ONNX fp32 vs torch {100 * a['onnx_fp32_vs_torch']:.3f}%, "
                     f"int8 vs fp32 {100 * a['onnx_int8_vs_fp32']:.3f}%, torch bf16 vs fp32 {100 * a['torch_bf16_vs_fp32']:.3f}%; files: safetensors {a['safetensors_mb']} MiB, "
                     f"onnx/model.onnx {a['fp32_mb']} MiB, onnx/model_quantized.onnx {a['int8_mb']} MiB "
                     f"({a['int8_mb'] / a['fp32_mb']:.2f} of fp32)")
    return "\n".join(lines)


def new_rows_table(result: dict[str, Any]) -> str:
    """The whole pipeline (its models at fp32, int8 and auto) and the predict.py memory row."""
    rows = result["whole_pipeline"]
    outputs = ", ".join(rows[0]["agreement_words_by_output"]) if rows else "entities, triggers, event_types"
    lines = [f"| whole pipeline ({outputs}) | precision | docs/s | tokens/s | × fp32 | agreement_words "
             "| by output | not forward | peak MiB | seconds |", "|---|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        by = " / ".join(f"{v:.4f}" for v in r.get("agreement_words_by_output", {}).values())
        prof = r.get("profile")
        other = f"{1 - prof['forward']:.1%}" if prof else "—"
        lines.append(f"| {r['name']} | {r['precision']} ({r['precision_reason']}) | {r['docs_per_s']:.3f} | "
                     f"{r['tokens_per_s']:.0f} | {r['x_fp32']:.2f} | {r.get('agreement_words', 1.0):.4f} | {by} | {other} | "
                     f"{r['peak_mb']:.0f} | {r['seconds']:.1f} |")
    m = result["memory"]
    lines.append("")
    lines.append(f"| predict.py peak RSS ({m['model']}) | documents | peak MiB | docs/s | seconds |")
    lines.append("|---|---:|---:|---:|---:|")
    for n in (m["small_docs"], m["large_docs"]):
        d = m[f"docs_{n}"]
        lines.append(f"| {m['name']} | {n} | {d['peak_rss_mb']:.0f} | {d['docs_per_s']:.1f} | {d['seconds']:.1f} |")
    lines.append(f"\npeak at {m['large_docs']} documents / peak at {m['small_docs']}: {m['ratio']:.3f}"
                 + (f" ({m['note']})" if m.get("note") else ""))
    return "\n".join(lines)


def write_json(path: str | Path, result: dict[str, Any]) -> None:
    """The figures as indented JSON (UTF-8, not escaped), written atomically."""
    atomic_write_text(path, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
