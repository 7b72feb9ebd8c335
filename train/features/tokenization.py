"""The fast tokenizer, with Arabic diacritics and tatweel removed inside the tokenizer itself.

CAMeLBERT was pre-trained on text without diacritics (U+064B–U+0652, U+0670) or tatweel
(U+0640). The removal is a ``tokenizers`` normaliser prepended to the tokenizer's own, so it
is saved in ``tokenizer.json`` and every user of the saved model (a plain ``pipeline`` too)
gets it, while offsets still point into the original text.

Two details matter for the offsets:

* ``Replace(pattern, "")`` drops the removed characters from the alignment, so a word that
  *ends* in a diacritic (``مشيراً``) would get an end offset inside the word. A replaced match
  takes the alignment of its last character, so for each Arabic letter a rule replaces
  "letter + trailing marks at the end of a word" by the letter: the word's end offset then
  covers the marks. The tokens are the same either way.
* Lower-casing and accent stripping (``BertNormalizer(lowercase=True)``) remove hamza and
  madda (إلى → الى); such a tokenizer is refused unless ``allow_lossy`` is set.

The tokenizer is wrapped as a generic ``PreTrainedTokenizerFast(tokenizer_object=...)``:
a saved ``BertTokenizer`` rebuilds its pipeline from its arguments and drops the normaliser.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from train.corpus.text import DIACRITICS_PATTERN

SPECIAL_TOKENS = {
    "unk_token": "[UNK]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}
HAMZA_PROBE = "إلى أحمد آمن"
# Base letters that may carry trailing diacritics: the Arabic letters (no tatweel), alef wasla.
_ARABIC_LETTERS = [chr(c) for c in range(0x0621, 0x064B) if c != 0x0640] + ["\u0671"]
# "At the end of a word": not followed by a letter, digit or mark.
_WORD_END = r"(?![\p{L}\p{N}\p{M}])"


class LossyTokenizerError(ValueError):
    """The tokenizer removes hamza or madda (lower-casing / accent stripping)."""


def diacritics_normalizer() -> normalizers.Normalizer:
    """Remove diacritics and tatweel; keep trailing marks inside the preceding letter's offsets."""
    marks = DIACRITICS_PATTERN  # a character class
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(Regex(f"{letter}{marks}+{_WORD_END}"), letter) for letter in _ARABIC_LETTERS
    ]
    steps.append(normalizers.Replace(Regex(marks), ""))
    return normalizers.Sequence(steps)


def _normalizer_list(norm: normalizers.Normalizer | None) -> list[normalizers.Normalizer]:
    if norm is None:
        return []
    if isinstance(norm, normalizers.Sequence):
        return [norm[i] for i in range(len(json.loads(norm.__getstate__())["normalizers"]))]
    return [norm]


def has_diacritics_normalizer(tok: Tokenizer) -> bool:
    """Whether the backend tokenizer already removes diacritics (idempotent wrapping)."""
    if tok.normalizer is None:
        return False
    probe = "مُحَمَّدٌ ـقال"
    return tok.normalizer.normalize_str(probe).replace("مُحَمَّدٌ", "") == tok.normalizer.normalize_str("محمد قال")


def with_diacritics_normalizer(tok: Tokenizer) -> Tokenizer:
    """A copy of ``tok`` whose normaliser first removes diacritics and tatweel."""
    tok = Tokenizer.from_str(tok.to_str())
    if not has_diacritics_normalizer(tok):
        tok.normalizer = normalizers.Sequence([diacritics_normalizer(), *_normalizer_list(tok.normalizer)])
    return tok


def wrap_tokenizer(tok: Tokenizer, model_max_length: int = 512, **special: str) -> PreTrainedTokenizerFast:
    """A generic fast tokenizer around ``tok``; it saves and reloads with its normaliser."""
    kwargs = {**SPECIAL_TOKENS, **{k: v for k, v in special.items() if v}}
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=model_max_length, **kwargs)


def lossy_reason(tokenizer: PreTrainedTokenizerFast) -> str | None:
    """Why the tokenizer loses hamza/madda, or None when ``إ أ آ`` survive normalisation."""
    norm = tokenizer.backend_tokenizer.normalizer
    normalized = norm.normalize_str(HAMZA_PROBE) if norm is not None else HAMZA_PROBE
    lost = [c for c in "إأآ" if c not in normalized]
    if lost:
        return (
            f"the tokenizer's normaliser turns {HAMZA_PROBE!r} into {normalized!r}, losing {' '.join(lost)} "
            "(lower-casing or accent stripping); CAMeLBERT needs do_lower_case=False"
        )
    return None


def prepare_tokenizer(tokenizer, allow_lossy: bool = False) -> PreTrainedTokenizerFast:
    """Add the diacritics normaliser to a loaded fast tokenizer and check it keeps hamza."""
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("a fast tokenizer (tokenizer.json or a BERT vocab) is required for offsets")
    backend = with_diacritics_normalizer(tokenizer.backend_tokenizer)
    special = {k: getattr(tokenizer, k, None) for k in SPECIAL_TOKENS}
    special = {k: str(v) for k, v in special.items() if v is not None}
    max_len = tokenizer.model_max_length if 0 < tokenizer.model_max_length < 100_000 else 512
    wrapped = wrap_tokenizer(backend, model_max_length=max_len, **special)
    reason = lossy_reason(wrapped)
    if reason and not allow_lossy:
        raise LossyTokenizerError(reason + "; set allow_lossy_tokenizer: true to use it anyway")
    unk = wrapped.unk_token_id
    ids = wrapped(HAMZA_PROBE, add_special_tokens=False)["input_ids"]
    if ids and unk is not None and all(i == unk for i in ids) and not allow_lossy:
        raise LossyTokenizerError(f"every token of {HAMZA_PROBE!r} is {wrapped.unk_token}: the vocabulary was not loaded")
    return wrapped


def load_tokenizer(name_or_path: str | Path, allow_lossy: bool = False, **kwargs) -> PreTrainedTokenizerFast:
    """Load a fast tokenizer (local directory or Hub name) and prepare it; never remote code."""
    kwargs.pop("trust_remote_code", None)
    tok = AutoTokenizer.from_pretrained(str(name_or_path), use_fast=True, trust_remote_code=False, **kwargs)
    return prepare_tokenizer(tok, allow_lossy=allow_lossy)


def _wordpiece_vocab(words: Counter[str], vocab_size: int, min_frequency: int, specials: list[str],
                     alphabet: Iterable[str] = ()) -> list[str]:
    """WordPiece (BPE-style) merges over word counts, with every tie broken by token string.

    The ``tokenizers`` trainer breaks ties in hash order, which differs from process to
    process, so two builds from the same text learned different sub-words (and the tiny
    models' learning tests passed or failed by chance). Here the most frequent pair wins,
    and among equal counts the smallest ``(left, right)`` pair: the same text always gives
    the same vocabulary.
    """
    names = sorted(words)
    cont: dict[str, str] = {}  # one "##c" string per character, shared by every word that holds it
    seqs = [[w[0], *(cont.setdefault(c, "##" + c) for c in w[1:])] for w in names]
    freqs = [words[w] for w in names]
    vocab = list(specials)
    known = set(vocab)
    for sym in sorted({s for seq in seqs for s in seq}.union(alphabet)):
        if sym not in known:
            vocab.append(sym)
            known.add(sym)
    counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, seq in enumerate(seqs):
        for pair in zip(seq, seq[1:]):
            counts[pair] += freqs[i]
            where[pair].add(i)
    heap = [(-c, a, b) for (a, b), c in counts.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        neg, a, b = heapq.heappop(heap)
        if counts.get((a, b), 0) != -neg or -neg <= 0:
            continue  # stale entry: the pair's count changed since it was pushed
        if -neg < min_frequency:
            break
        merged = a + b[2:]
        if merged not in known:
            vocab.append(merged)
            known.add(merged)
        changed: set[tuple[str, str]] = set()
        for i in sorted(where.pop((a, b), ())):
            seq, f = seqs[i], freqs[i]
            for pair in zip(seq, seq[1:]):
                counts[pair] -= f
                changed.add(pair)
            out: list[str] = []
            k = 0
            while k < len(seq):
                if k + 1 < len(seq) and seq[k] == a and seq[k + 1] == b:
                    out.append(merged)
                    k += 2
                else:
                    out.append(seq[k])
                    k += 1
            old_pairs = set(zip(seq, seq[1:]))
            new_pairs = set(zip(out, out[1:]))
            for pair in zip(out, out[1:]):
                counts[pair] += f
                changed.add(pair)
            for pair in old_pairs - new_pairs:
                where[pair].discard(i)
            for pair in new_pairs:
                where[pair].add(i)
            seqs[i] = out
        counts.pop((a, b), None)
        for pair in sorted(changed):
            c = counts.get(pair, 0)
            if c > 0 and pair != (a, b):
                heapq.heappush(heap, (-c, *pair))
            elif c <= 0:  # a pair no word holds any more: forgotten, so memory follows the live pairs
                counts.pop(pair, None)
                if not where.get(pair, True):
                    del where[pair]
        if len(heap) > 2 * len(counts) + 1024:  # mostly stale entries: rebuilt, so memory follows the live pairs
            heap = [(-c, x, y) for (x, y), c in counts.items() if c > 0]
            heapq.heapify(heap)
    return vocab


MAX_WORDS = 200_000  # distinct words the merges learn from: the most frequent (ties by string)


def train_wordpiece(texts: Iterable[str], vocab_size: int = 4000, min_frequency: int = 1,
                    max_words: int = MAX_WORDS) -> PreTrainedTokenizerFast:
    """A BERT-style WordPiece tokenizer trained on ``texts`` with the project's normaliser.

    Deterministic: the same texts give the same vocabulary and ids in every process (see
    :func:`_wordpiece_vocab`), so the tiny test and demo models are the same on every build.
    Streams: ``texts`` is read one item at a time into word counts, so a generator over a large
    file is never held whole; the merges then learn from the ``max_words`` most frequent words,
    so their memory (about 2 kB a word) stays bounded however much text there is.
    """
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.Sequence(
        [diacritics_normalizer(), normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)]
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words: Counter[str] = Counter()
    for text in texts:
        normalized = tok.normalizer.normalize_str(text)
        words.update(w for w, _ in tok.pre_tokenizer.pre_tokenize_str(normalized) if len(w) <= 100)
    alphabet: set[str] = set()
    if len(words) > max_words:  # every character stays a token (none becomes [UNK]); rare words leave the merges
        alphabet = {w[0] for w in words} | {"##" + c for w in words for c in w[1:]}
        words = Counter(dict(heapq.nsmallest(max_words, words.items(), key=lambda kv: (-kv[1], kv[0]))))
    learned = _wordpiece_vocab(words, vocab_size, min_frequency, specials, alphabet)[len(specials):]
    # Ids by token string, so the order is readable and stable.
    vocab = {t: i for i, t in enumerate(specials + sorted(learned, key=lambda t: (t.startswith("##"), len(t), t)))}
    tok.model = models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return wrap_tokenizer(tok)
