"""CoNLL / IOB2 files: read them into corpus documents, and write documents back out.

Reading (``token TAG [TAG ...]`` per line, one blank line between sentences):

- ``-DOCSTART-`` lines start a new document, and such a document is kept whole. Files (or the
  part of a file) without ``-DOCSTART-`` have no real document boundaries, so their sentences
  are grouped into documents of at most ``sentences_per_doc`` sentences (default 20), which keeps
  training windows sane for ANERcorp and Wojood; ``doc_per_sentence=True`` makes one document
  of every sentence.
- ``layer`` picks the tag column for nested corpora: 0 is the first tag column (in Wojood the
  outermost layer); a token with fewer columns is ``O`` on that layer.
- Tags may be IOB2, IOB1 or IOBES. An ``I-X`` that does not continue an ``X`` starts a new
  entity, as seqeval's default mode reads it.
- ``label_map`` renames types or drops them (``None``), ``labels`` keeps only the listed types;
  dropped types become ``O``.
- The text is rebuilt with one space between tokens and a newline between sentences; offsets
  and ``sentences`` are computed on that text from the file's own sentence boundaries. Spans are
  trimmed of punctuation at their edges (ANERcorp has tokens such as ``(د``), so they start and
  end on words as the corpus format requires.
- The last sentence is kept when the file does not end with a newline.

Writing: one ``-DOCSTART- O`` line and a blank line per document, then the document's tokens,
one per line with its IOB2 tag, a blank line after each sentence. Tokens are the words of
:func:`train.corpus.text.word_spans` plus every other visible character as a token of its own, so
the tokens do not depend on any model's tokenizer. A sentence boundary that a span crosses is
not written, so every span survives the round trip.

Round trip: reading a written file gives the same spans, in the same order, over the same
tokens; their offsets differ only as the text is rebuilt with single spaces. :func:`rebuild_offsets`
maps original offsets onto the rebuilt text, and tests compare spans exactly through it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from train.atomic import atomic_write_text
from train.corpus.document import (
    SPAN_KINDS,
    CorpusError,
    Document,
    Problem,
    Span,
    validate_document,
)
from train.corpus.iob import chunks, parse_tag
from train.corpus.schema import Schema
from train.corpus.text import is_word_char, utf16_message, utf16_without_bom, word_spans
from train.formats.common import ImportReport

NAME = "conll"
DOCSTART = "-DOCSTART-"


@dataclass
class _Token:
    text: str
    tag: str
    line: int


def read_conll(
    path: str | Path,
    *,
    layer: int = 0,
    label_map: Mapping[str, str | None] | None = None,
    labels: Collection[str] | None = None,
    doc_per_sentence: bool = False,
    sentences_per_doc: int | None = 20,
    skip_tokens: Collection[str] = (),
    schema: Schema | None = None,
    report=None,
) -> list[Document]:
    """Read a CoNLL/IOB file into documents; raise :class:`CorpusError` on malformed lines.

    ``skip_tokens`` drops tokens such as Wojood's ``$#$`` marker from the text. With ``schema``,
    each label is routed to ``entities`` or ``events`` by the schema, and labels that are not in
    it are errors naming the line and column; then every document is also checked as a corpus
    document (:func:`train.corpus.document.validate_document`: offsets, words, overlaps,
    sentences), its problems located at the document's first line. Without ``schema``, every
    span is an entity and only the file's lines are checked.
    ``report`` (a :class:`train.formats.common.ImportReport`) receives counts and problems
    (the warnings; errors are raised, all of them at once, in the :class:`CorpusError`).
    """
    file = str(path)
    problems: list[Problem] = []
    col = 1 + layer
    col_name = f"column {col + 1} (tag, layer {layer})"
    docs_tokens: list[tuple[bool, list[list[_Token]]]] = []  # (marked by DOCSTART, sentences)
    sent: list[_Token] = []
    current: list[list[_Token]] = []
    marked = False
    skipped_tokens = 0

    def flush_sentence() -> None:
        nonlocal sent
        if sent:
            current.append(sent)
        sent = []

    def flush_doc() -> None:
        nonlocal current
        flush_sentence()
        if current:
            docs_tokens.append((marked, current))
        current = []

    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise CorpusError([Problem(file, None, "", "file not found")]) from None
    order = utf16_without_bom(raw[:65536])
    if order:
        raise CorpusError([Problem(file, None, "", utf16_message(order))])
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError([Problem(file, line, "", f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}")]) from None
    for lineno, line in enumerate(content.split("\n"), start=1):
        fields = line.split()
        if not fields:
            flush_sentence()
            continue
        if fields[0] == DOCSTART:
            flush_doc()
            marked = True
            continue
        if len(fields) < 2:
            problems.append(Problem(file, lineno, "column 2 (tag)", f"token {fields[0]!r} has no tag"))
            continue
        tag = fields[col] if col < len(fields) else "O"
        if parse_tag(tag) is None:
            problems.append(Problem(file, lineno, col_name, f"tag {tag!r} is not O or B-/I-/E-/S- followed by a type"))
            continue
        if fields[0] in skip_tokens:
            skipped_tokens += 1
            continue
        sent.append(_Token(fields[0], tag, lineno))
    flush_doc()

    # Split unmarked stretches into bounded documents.
    groups: list[list[list[_Token]]] = []
    for is_marked, sents in docs_tokens:
        size = 1 if doc_per_sentence else (None if is_marked else sentences_per_doc)
        if not size:
            groups.append(sents)
        else:
            groups += [sents[k : k + size] for k in range(0, len(sents), size)]

    keep = set(labels) if labels is not None else None
    dropped: dict[str, int] = {}
    trimmed_away = 0
    docs: list[Document] = []
    stem = Path(path).stem
    width = max(4, len(str(len(groups))))
    for n, sents in enumerate(groups, start=1):
        parts: list[str] = []
        sentences: list[tuple[int, int]] = []
        lists: dict[str, list[Span]] = {k: [] for k in SPAN_KINDS}
        pos = 0
        for s in sents:
            if parts:
                parts.append("\n")
                pos += 1
            starts: list[int] = []
            s_start = pos
            for j, tok in enumerate(s):
                if j:
                    parts.append(" ")
                    pos += 1
                starts.append(pos)
                parts.append(tok.text)
                pos += len(tok.text)
            sentences.append((s_start, pos))
            text_so_far = None
            for a, b, typ in chunks([tok.tag for tok in s]):
                line = s[a].line
                target = label_map.get(typ, typ) if label_map and typ in label_map else typ
                if target is None or (keep is not None and target not in keep):
                    dropped[typ] = dropped.get(typ, 0) + 1
                    continue
                kind = "entities"
                if schema is not None:
                    kind = schema.kind_of(target)
                    if kind is None:
                        via = f" (mapped from {typ!r})" if target != typ else ""
                        problems.append(Problem(file, line, col_name, f"label {target!r}{via} is not in the schema; rename or drop it with a label map"))
                        continue
                start = starts[a]
                end = starts[b - 1] + len(s[b - 1].text)
                if text_so_far is None:
                    text_so_far = "".join(parts)
                while start < end and not is_word_char(text_so_far[start]):
                    start += 1
                while end > start and not is_word_char(text_so_far[end - 1]):
                    end -= 1
                if start >= end:
                    trimmed_away += 1
                    if report is not None:
                        report.warn(line, col_name, f"{typ} span over tokens without letters or digits was dropped")
                    continue
                lists[kind].append(Span(start, end, target))
        text = "".join(parts)
        doc_id = f"{stem}-{n:0{width}d}"
        first_line = sents[0][0].line if sents and sents[0] else None
        docs.append(Document(id=doc_id, text=text, entities=lists["entities"], events=lists["events"],
                             sentences=sentences, meta={"source": file, "first_line": first_line}))
    if problems:
        raise CorpusError(problems)
    if report is not None:
        for k, v in dropped.items():
            report.dropped_labels[k] += v
        if skipped_tokens:
            report.skipped["skipped token"] += skipped_tokens
        if trimmed_away:
            report.skipped["span without a word"] += trimmed_away
    if schema is not None:
        checks = [p for d in docs for p in validate_document(d, schema, file, d.meta.get("first_line"))]
        if any(p.level == "error" for p in checks):
            raise CorpusError(checks)
        if report is not None:
            report.problems += checks
    return docs


# --------------------------------------------------------------------------- writing


def tokenize(text: str) -> list[tuple[int, int]]:
    """Words by :func:`word_spans`, plus each other visible character as its own token.

    White space and invisible format characters (U+200F, U+FEFF ...) are not tokens.
    """
    words = word_spans(text)
    out: list[tuple[int, int]] = []
    w = 0
    i = 0
    n = len(text)
    while i < n:
        if w < len(words) and words[w][0] == i:
            out.append(words[w])
            i = words[w][1]
            w += 1
            continue
        ch = text[i]
        if not ch.isspace() and unicodedata.category(ch) != "Cf":
            out.append((i, i + 1))
        i += 1
    return out


def _doc_lines(doc: Document, kind: str) -> Iterable[str]:
    toks = tokenize(doc.text)
    tags = ["O"] * len(toks)
    index = {a: k for k, (a, _) in enumerate(toks)}
    ends = {b: k for k, (_, b) in enumerate(toks)}
    covered_pairs: set[int] = set()  # k: a span covers tokens k and k+1
    for s in sorted(doc.spans(kind)):
        if s.start not in index or s.end not in ends:
            raise ValueError(f"document {doc.id!r}: span [{s.start}, {s.end}) {s.label} does not sit on token boundaries")
        a, b = index[s.start], ends[s.end]
        tags[a] = f"B-{s.label}"
        for k in range(a + 1, b + 1):
            tags[k] = f"I-{s.label}"
        covered_pairs.update(range(a, b))
    sents = doc.sentences or [(x.start, x.end) for x in _split(doc.text)]
    sent_starts = sorted(a for a, _ in sents)
    yield f"{DOCSTART} O\n\n"
    si = 0
    for k, (a, b) in enumerate(toks):
        if k:
            # a sentence boundary lies between the previous token and this one
            prev_end = toks[k - 1][1]
            brk = False
            while si < len(sent_starts) and sent_starts[si] <= a:
                if sent_starts[si] >= prev_end:
                    brk = True
                si += 1
            if brk and (k - 1) not in covered_pairs:
                yield "\n"
        yield f"{doc.text[a:b]} {tags[k]}\n"
    if toks:
        yield "\n"


def _split(text: str):
    from train.corpus.sentences import split_sentences

    return split_sentences(text)


def write_conll(docs: Iterable[Document], path: str | Path, *, kind: str = "entities") -> None:
    """Write documents as IOB2 (one list of spans: ``entities`` by default), atomically."""
    docs = list(docs)

    def chunks() -> Iterable[str]:
        for d in docs:
            yield from _doc_lines(d, kind)

    lines = list(chunks())  # build everything first: a bad document writes nothing
    atomic_write_text(path, lines)


def rebuild_offsets(text: str) -> tuple[str, dict[int, int], dict[int, int]]:
    """The single-spaced token text the reader rebuilds, and maps of original offsets to it.

    Returns ``(new_text, starts, ends)``: ``starts`` maps each token's start offset and ``ends``
    each token's end offset (two maps, because one token can end where the next begins, as in
    ``word،``). Sentence breaks are ignored here (a newline and a space have the same length),
    so the maps are exact for any document written by :func:`write_conll`.
    """
    toks = tokenize(text)
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    pos = 0
    parts: list[str] = []
    for k, (a, b) in enumerate(toks):
        if k:
            pos += 1
            parts.append(" ")
        starts[a] = pos
        pos += b - a
        ends[b] = pos
        parts.append(text[a:b])
    return "".join(parts), starts, ends


# The `convert` adapter (train.formats registry): schema checks and an import report.
def read(path: str | Path, *, schema: Schema, label_map: Mapping[str, str | None] | None = None,
         snap: bool = False, annotator: str | None = None,
         extend_sentences: bool = False, layer: int = 0,
         sentences_per_doc: int | None = 20, doc_per_sentence: bool = False) -> tuple[list[Document], ImportReport]:
    """Spans come from whole tokens, so ``--snap`` has nothing to do; labels go through the schema."""
    report = ImportReport(str(path), NAME)
    if annotator is not None:
        report.notes.append("CoNLL files hold one annotation; --annotator is ignored")
    try:
        docs = read_conll(path, layer=layer, label_map=label_map, schema=schema, report=report,
                          sentences_per_doc=sentences_per_doc, doc_per_sentence=doc_per_sentence)
    except CorpusError as exc:  # line and document checks, both made by read_conll
        report.problems += exc.problems
        return [], report
    report.documents = len(docs)
    report.spans["entities"] = sum(len(d.entities) for d in docs)
    report.spans["events"] = sum(len(d.events) for d in docs)
    report.notes.append("text rebuilt with single spaces between tokens; offsets refer to it")
    return docs, report


def write(docs: list[Document], path: str | Path, *, schema: Schema | None = None) -> None:
    """Entities only: IOB2 has one tag per token, and event triggers may overlap entities."""
    write_conll(docs, path, kind="entities")


def read_conll_token_tags(
    path: str | Path,
    *,
    layer: int = 0,
    label_map: Mapping[str, str | None] | None = None,
    labels: Collection[str] | None = None,
    skip_tokens: Collection[str] = (),
) -> list[tuple[list[str], list[str]]]:
    """The file's own tokens and their IOB2 tags, one ``(tokens, tags)`` per sentence, in file order.

    The units a CoNLL benchmark is scored on. Sentences are the same as :func:`read_conll`'s
    (blank lines; ``-DOCSTART-`` lines are no tokens), tags of any scheme are read as
    :func:`read_conll` reads them and written back as IOB2; ``label_map`` and ``labels`` drop
    or rename types the same way. Malformed lines raise :class:`CorpusError` (through
    :func:`read_conll`, which is called first to check the file).
    """
    read_conll(path, layer=layer, doc_per_sentence=True, skip_tokens=skip_tokens)  # the line checks
    keep = set(labels) if labels is not None else None
    out: list[tuple[list[str], list[str]]] = []
    for lines in sentence_lines(path):
        rows = [line.split() for line in lines]
        rows = [f for f in rows if f[0] not in skip_tokens]
        if not rows:
            continue
        toks = [f[0] for f in rows]
        tags = [f[1 + layer] if 1 + layer < len(f) else "O" for f in rows]
        iob2 = ["O"] * len(toks)
        for a, b, typ in chunks(tags):
            target = label_map.get(typ, typ) if label_map and typ in label_map else typ
            if target is None or (keep is not None and target not in keep):
                continue
            iob2[a] = f"B-{target}"
            for k in range(a + 1, b):
                iob2[k] = f"I-{target}"
        out.append((toks, iob2))
    return out


def sentence_lines(path: str | Path) -> list[list[str]]:
    """The file's sentences as their token lines, unchanged: blocks between blank lines, with
    ``-DOCSTART-`` lines dropped (they end a sentence too). No checks: :func:`read_conll` makes them."""
    out: list[list[str]] = []
    cur: list[str] = []
    for line in Path(path).read_bytes().decode("utf-8-sig").split("\n"):
        fields = line.split()
        if not fields or fields[0] == DOCSTART:
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(line)
    if cur:
        out.append(cur)
    return out


def token_offsets(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Character offsets of the CoNLL tokens of one sentence ``text[start:end]`` of a document
    :func:`read_conll` built (tokens joined by single spaces)."""
    out: list[tuple[int, int]] = []
    pos = start
    for tok in text[start:end].split(" "):
        out.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return out
