"""What the sentence classifier reads, shared by training, evaluation and the predictor.

Kept light (no torch, no training code) so that :mod:`train.inference.predictor` builds exactly the same
inputs as training did:

- :func:`sentence_contexts`: the second text segment of each sentence (``context`` option);
- :func:`sentence_windows`: the windows of one sentence. A sentence whose sub-words do not fit
  in ``max_length`` is read in overlapping windows (``overlap`` sub-words shared), each with the
  whole (short) context; nothing of the sentence is dropped. Training, evaluation and
  prediction all score a sentence as the **maximum over its windows** of each type's logit
  (equivalently of its sigmoid probability): a type is reported if some window reports it.
  The context segment is the only thing that can be cut: to at most a quarter of the window
  (the end of a previous sentence, the start of a headline), so that the sentence keeps room.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CONTEXT_MODES = ("none", "previous", "headline")
CONFIG_KEY = "sentence_inputs"  # config.json: {"context", "max_length", "window_overlap", "aggregation"}


def headline_span(text: str) -> tuple[int, int]:
    """Offsets of the first non-blank line, so sentences inside it can be recognised."""
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            return pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
    return 0, 0


def sentence_contexts(text: str, sentences: Sequence[tuple[int, int]], mode: str,
                      numbers: Sequence[int] | None = None) -> list[str | None]:
    """The context segment of each sentence: ``None`` for ``none``; ``""`` where there is none.

    ``previous``: the sentence before in the same document; empty for the first, and where
    ``numbers`` (sources that keep only some sentences, such as the GSR) shows a gap.
    ``headline``: the document's first non-blank line; empty for sentences inside it.
    """
    if mode not in CONTEXT_MODES:
        raise ValueError(f"context must be one of {CONTEXT_MODES}, got {mode!r}")
    if mode == "none":
        return [None] * len(sentences)
    if numbers is not None and len(numbers) != len(sentences):
        numbers = None
    out: list[str | None] = []
    head_a, head_b = headline_span(text)
    head = text[head_a:head_b].strip()
    for k, (a, b) in enumerate(sentences):
        if mode == "previous":
            known = k > 0 and (numbers is None or numbers[k - 1] == numbers[k] - 1)
            out.append(text[sentences[k - 1][0] : sentences[k - 1][1]] if known else "")
        else:
            out.append("" if (head_a <= a and b <= head_b) else head)
    return out


def _cut_context(tokenizer: Any, context: str, room: int, keep_start: bool) -> str:
    """``context`` cut on a sub-word boundary to at most ``room`` sub-words (its end, or its start)."""
    enc = tokenizer(context, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    if len(offsets) <= room:
        return context
    if room <= 0:
        return ""
    return context[: offsets[room - 1][1]] if keep_start else context[offsets[len(offsets) - room][0] :]


def sentence_windows(tokenizer: Any, text: str, context: str | None, max_length: int,
                     overlap: int = 64, context_mode: str = "previous") -> list[dict[str, list[int]]]:
    """Encoded windows (``input_ids``, ``attention_mask``, ``token_type_ids``) covering the whole sentence.

    The tokenizer's own overflow (``truncation="only_first"``, ``stride``) makes the windows, so
    consecutive windows share ``overlap`` sub-words and every window carries the context.
    """
    if context is not None:
        context = _cut_context(tokenizer, context, max_length // 4, context_mode == "headline")
    special = tokenizer.num_special_tokens_to_add(pair=context is not None)
    ctx_len = len(tokenizer(context, add_special_tokens=False)["input_ids"]) if context else 0
    size = max_length - special - ctx_len
    stride = max(min(overlap, size // 2), 0)
    enc = tokenizer(text, context, truncation="only_first" if context is not None else True, max_length=max_length,
                    stride=stride, return_overflowing_tokens=True)
    keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
    return [{k: list(enc[k][i]) for k in keys} for i in range(len(enc["input_ids"]))]
