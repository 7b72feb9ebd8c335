"""The bench models: a random-weight CAMeLBERT-base with a shaped head, and a trained tiny model.

The model has random weights and the exact CAMeLBERT-base configuration. A random
classifier head gives near-ties between all 21 labels on every token, which no real tagger
does; so the head reads the encoder's principal directions (as a fine-tuned head does) and
its ``O`` bias is set so that about one word in four is tagged as an entity, as in the seed
corpus. The encoder, where all the computation is, keeps its random weights.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.benchmark.paths import DEMO_NER, ROOT, SEED
from train.publishing.onnx_export import export_dir

ENTITY_WORD_SHARE = 0.25  # share of sub-words the random head tags as entities


def entity_labels() -> list[str]:
    from train.corpus.schema import load_schema

    return ["O"] + [f"{p}-{t}" for t in load_schema().entity_labels for p in ("B", "I")]


def build_model(out: Path, texts: Sequence[str], quick: bool, seed: int = 0) -> Path:
    """Random-weight CAMeLBERT-base (or a small BERT with ``quick``) + a WordPiece tokenizer."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    from train.features.tokenization import train_wordpiece

    labels = entity_labels()
    size = dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512) if quick else \
        dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    config = BertConfig(vocab_size=30000, max_position_embeddings=512, type_vocab_size=2, **size,
                        num_labels=len(labels), id2label=dict(enumerate(labels)),
                        label2id={lab: i for i, lab in enumerate(labels)})
    torch.manual_seed(seed)
    model = BertForTokenClassification(config).eval()
    tok = train_wordpiece(texts, vocab_size=30000)
    shape_head(model, tok, texts, seed)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def shape_head(model: Any, tok: Any, texts: Sequence[str], seed: int, sample: int = 96) -> None:
    """Point the random head at the encoder's 16 principal directions; tag ~25% as entities."""
    import torch

    rng = np.random.default_rng(seed)
    picks = [texts[i] for i in rng.choice(len(texts), size=min(sample, len(texts)), replace=False)]
    hidden = []
    with torch.inference_mode():
        for t in picks:
            enc = tok(t, return_tensors="pt", truncation=True, max_length=128)
            hidden.append(model.bert(**enc).last_hidden_state[0])
    h = torch.cat(hidden).double()
    mean = h.mean(0)
    _, _, v = torch.linalg.svd(h - mean, full_matrices=False)
    k = min(16, v.shape[0])
    proj = torch.from_numpy(rng.standard_normal((model.config.num_labels, k))).double()
    w = proj @ v[:k]
    z = (h - mean) @ w.T
    w = w * (3.0 / z.std())  # logits of a confident tagger: a few units apart
    b = -(w @ mean)
    logits = h @ w.T + b
    margin = logits[:, 1:].max(1).values - logits[:, 0]
    b[0] += torch.quantile(margin, 1 - ENTITY_WORD_SHARE)
    model.classifier.weight.data.copy_(w.float())
    model.classifier.bias.data.copy_(b.float())


def shape_classifier_head(model: Any, tok: Any, texts: Sequence[str], seed: int, positive_share: float = 0.1,
                          sample: int = 96) -> None:
    """The sentence classifier's random head made to decide as a trained one does: logits a few
    units apart along the pooled output's principal directions, each type over its threshold
    (logit 0, probability 0.5) for about ``positive_share`` of sentences. A random head leaves every
    probability next to 0.5, so half the types flip on any rounding: no published model decides so."""
    import torch

    rng = np.random.default_rng(seed)
    picks = [texts[i] for i in rng.choice(len(texts), size=min(sample, len(texts)), replace=False)]
    with torch.inference_mode():
        pooled = torch.cat([model.bert(**tok(t, return_tensors="pt", truncation=True, max_length=128)).pooler_output
                            for t in picks]).double()
    mean = pooled.mean(0)
    _, _, v = torch.linalg.svd(pooled - mean, full_matrices=False)
    k = min(16, v.shape[0])
    w = torch.from_numpy(rng.standard_normal((model.config.num_labels, k))).double() @ v[:k]
    z = (pooled - mean) @ w.T
    w = w * (3.0 / z.std(0, keepdim=True).T.clamp_min(1e-9))
    z = (pooled - mean) @ w.T
    b = -(w @ mean) - torch.quantile(z, 1 - positive_share, dim=0)
    model.classifier.weight.data.copy_(w.float())
    model.classifier.bias.data.copy_(b.float())


def dense_macs_per_token(config: Any) -> int:
    """Weight multiply-adds per token in the encoder (≈85 M for BERT-base)."""
    h, i, n = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    return n * (4 * h * h + 2 * h * i)


def trained_tiny_model(workdir: Path, given: str | None) -> Path | None:
    """A trained tiny NER model: ``--trained-model``, ``models/demo/ner``, or one trained now."""
    if given:
        return Path(given)
    if (DEMO_NER / "model.safetensors").is_file():
        return DEMO_NER
    from train.commands import make_tiny_model
    from train.commands import train as train_command

    base = make_tiny_model.build(workdir / "tiny-base", make_tiny_model.corpus_texts([str(SEED)]))
    out = workdir / "tiny-ner"
    rc = train_command.main([str(ROOT / "configs" / "demo-ner.yaml"), "--model_name_or_path", str(base),
                              "--train_file", str(SEED), "--validation_file", str(SEED), "--output_dir", str(out)])
    return out if rc == 0 else None


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def exported_copy(src: Path, dst: Path) -> Path:
    """A scratch copy, exported to ONNX, so that a published folder is left untouched."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors", *TOKENIZER_FILES):
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    export_dir(dst)
    return dst


def export_timed(model_dir: Path) -> float:
    """Seconds to export ``model_dir`` to ONNX (fp32 and int8), next to its weights."""
    t = time.perf_counter()
    export_dir(model_dir)
    return time.perf_counter() - t
