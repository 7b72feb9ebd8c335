"""Fuzzers for every importer (issue 14): random well-formed exports round-trip exactly; random
corruptions give clear errors, write nothing, and never raise anything else.

Each tool's export is built here from the tool's documented shape (not with the project's own
writers): Label Studio 1.x (``annotations``) and 0.x (``completions``), doccano current
(``text``/``label``, code points) and old (``data``/``labels``, UTF-16 code units as its
JavaScript front end counted them), brat standoff, Prodigy ``db-out`` and CoNLL/IOB2. Texts mix
Arabic with diacritics, Latin, digits, emoji (astral and ZWJ sequences), zero-width and bidi
marks; spans sit on random word boundaries.

Examples per test: the ``default`` profile runs a few dozen (the suite's time budget);
``pytest --hypothesis-profile long tests/test_fuzz_formats.py`` (or ``ARABIC_IE_HYPOTHESIS_PROFILE=long``)
runs 10,000 each (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import unicodedata
from pathlib import Path

from conftest import fuzz_settings, load_script
from hypothesis import assume, given
from hypothesis import strategies as st

from train.corpus.document import Span, read_jsonl
from train.corpus.schema import load_schema
from train.corpus.sentences import split_sentences
from train.corpus.text import word_spans
from train.formats import get_format
from train.formats.common import codepoint_to_utf16
from train.formats.conll import rebuild_offsets

SCHEMA = load_schema()
ENTITY_LABELS = SCHEMA.entity_labels
EVENT_LABELS = SCHEMA.event_labels

LETTERS = [chr(c) for c in range(0x0621, 0x064B) if unicodedata.category(chr(c)) == "Lo"]
DIACRITICS = [chr(c) for c in range(0x064B, 0x0653)] + ["\u0670"]
LATIN = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
DIGITS = list("0123456789٠١٢٣٤٥٦٧٨٩")
EMOJI = ["😀", "🇮🇶", "🚀", "💪🏽", "👨\u200d👩\u200d👧", "☕"]
MARKS = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202b", "\u202c", "\u2066", "\u2067", "\u2069", "\u061c"]
PUNCT = ["،", ".", "؟", "!", ":", "«", "»", "(", ")", "-"]

arabic_word = st.lists(st.tuples(st.sampled_from(LETTERS), st.sampled_from([""] * 4 + DIACRITICS)),
                       min_size=1, max_size=7).map(lambda xs: "".join(a + b for a, b in xs))
word = st.one_of(arabic_word, arabic_word, arabic_word, st.text(st.sampled_from(LATIN), min_size=1, max_size=6),
                 st.text(st.sampled_from(DIGITS), min_size=1, max_size=4))
separator = st.one_of(
    st.just(" "),
    st.sampled_from([" ", "  ", "\n", "\t", " ، ", ". ", "؟ ", " « ", " » ", " - ", "\u00a0"]),
    st.builds(lambda a, m, b: a + m + b, st.sampled_from(["", " "]), st.sampled_from(EMOJI + MARKS + PUNCT),
              st.sampled_from(["", " "])),
)


@st.composite
def documents(draw, events: bool = True, max_words: int = 14) -> tuple[str, list[Span], list[Span]]:
    """A text with spans on random word boundaries, each inside one sentence of the splitter."""
    n = draw(st.integers(1, max_words))
    parts = [draw(st.sampled_from(["", "", "\ufeff", "😀 ", "\u200f", " "]))]
    for k in range(n):
        if k:
            parts.append(draw(separator))
        parts.append(draw(word))
    parts.append(draw(st.sampled_from(["", ".", " 🚀", "\u200f", "\n"])))
    text = "".join(parts)
    words = word_spans(text)
    sentences = [(s.start, s.end) for s in split_sentences(text)]

    def spans(labels: list[str]) -> list[Span]:
        out: list[Span] = []
        i = 0
        while i < len(words):
            if draw(st.integers(0, 2)) == 0:
                j = i + draw(st.integers(1, 3))
                j = min(j, len(words))
                a, b = words[i][0], words[j - 1][1]
                if any(x <= a and b <= y for x, y in sentences):
                    out.append(Span(a, b, draw(st.sampled_from(labels))))
                    i = j
                    continue
            i += 1
        return out

    ents = spans(ENTITY_LABELS)
    evs = spans(EVENT_LABELS) if events else []
    return text, ents, evs


corpora = st.lists(documents(), min_size=1, max_size=3)


def _spans_of(docs) -> list[tuple[str, list[Span], list[Span]]]:
    return [(d.text, sorted(d.entities), sorted(d.events)) for d in docs]


def _expected(corpus) -> list[tuple[str, list[Span], list[Span]]]:
    return [(t, sorted(e), sorted(v)) for t, e, v in corpus]


# --------------------------------------------------------------------------- tool exports


def _ls_result(text: str, spans: list[Span], kind: str) -> list[dict]:
    return [{"id": f"{kind}{k}", "from_name": kind, "to_name": "text", "type": "labels", "origin": "manual",
             "value": {"start": s.start, "end": s.end, "text": text[s.start:s.end], "labels": [s.label]}}
            for k, s in enumerate(spans)]


def labelstudio_export(corpus, version: str) -> str:
    key = "annotations" if version == "1.x" else "completions"
    tasks = []
    for k, (text, ents, evs) in enumerate(corpus, start=1):
        result = _ls_result(text, ents, "label") + _ls_result(text, evs, "event")
        result.append({"id": "rel", "type": "relation", "from_id": "label0", "to_id": "label1"})
        ann = {"id": 100 + k, "completed_by": {"id": 1, "email": "a@example.org"}, "result": result,
               "was_cancelled": False, "lead_time": 3.5}
        tasks.append({"id": k, "data": {"text": text}, key: [ann], "predictions": []})
    return json.dumps(tasks, ensure_ascii=False, indent=1)


def doccano_export(corpus, version: str) -> str:
    lines = []
    for k, (text, ents, evs) in enumerate(corpus, start=1):
        spans = sorted(ents + evs)
        if version == "new":
            rec = {"id": k, "text": text, "label": [[s.start, s.end, s.label] for s in spans], "Comments": []}
        else:  # data/labels, offsets in UTF-16 code units (the JavaScript front end)
            rec = {"id": k, "data": text,
                   "labels": [[codepoint_to_utf16(text, s.start), codepoint_to_utf16(text, s.end), s.label] for s in spans]}
        lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
    return "".join(lines)


def prodigy_export(corpus) -> str:
    lines = []
    for k, (text, ents, evs) in enumerate(corpus, start=1):
        spans = [{"start": s.start, "end": s.end, "label": s.label} for s in sorted(ents + evs)]
        lines.append(json.dumps({"text": text, "spans": spans, "answer": "accept", "_input_hash": k, "_task_hash": 1000 + k,
                                 "_session_id": "news-ali", "meta": {"doc_id": f"p{k}"}}, ensure_ascii=False) + "\n")
    lines.append(json.dumps({"text": "مرفوض", "spans": [], "answer": "reject", "_input_hash": -1}, ensure_ascii=False) + "\n")
    return "".join(lines)


def brat_export(corpus, folder: Path) -> None:
    folder.mkdir()
    for k, (text, ents, evs) in enumerate(corpus, start=1):
        (folder / f"doc{k}.txt").write_bytes(text.encode("utf-8"))
        lines = []
        for n, s in enumerate(sorted(ents + evs), start=1):
            frag = text[s.start:s.end].replace("\n", " ")
            lines.append(f"T{n}\t{s.label} {s.start} {s.end}\t{frag}\n")
        if lines:
            lines.append("#1\tAnnotatorNotes T1\tملاحظة\n")
        (folder / f"doc{k}.ann").write_bytes("".join(lines).encode("utf-8"))


def write_export(fmt: str, corpus, tmp: Path) -> Path:
    name, _, version = fmt.partition(":")
    if name == "brat":
        brat_export(corpus, tmp / "brat")
        return tmp / "brat"
    if name == "labelstudio":
        content = labelstudio_export(corpus, version)
    elif name == "doccano":
        content = doccano_export(corpus, version)
    else:
        content = prodigy_export(corpus)
    p = tmp / f"export.{'json' if name == 'labelstudio' else 'jsonl'}"
    p.write_bytes(content.encode("utf-8"))
    return p


# name[:version] -> (import options of the tool's export, format and options of the re-import)
TOOLS = {
    "labelstudio:1.x": ({}, "labelstudio", {}),
    "labelstudio:0.x": ({}, "labelstudio", {}),
    "doccano:new": ({"offset_unit": "codepoint"}, "doccano", {"offset_unit": "codepoint"}),
    "doccano:old": ({"offset_unit": "utf16"}, "doccano", {"offset_unit": "codepoint"}),
    "brat": ({}, "brat", {}),
    "prodigy": ({}, "jsonl", {}),  # Prodigy reads the corpus JSONL: no export of its own
}


def _read(fmt: str, path: Path, **opts):
    docs, report = get_format(fmt).read(path, schema=SCHEMA, **opts)
    assert not report.errors, "\n".join(map(str, report.errors))
    return docs


def _round_trip(tool: str, corpus, tmp: Path) -> None:
    opts, back_fmt, back_opts = TOOLS[tool]
    first = _read(tool.partition(":")[0], write_export(tool, corpus, tmp), **opts)
    assert _spans_of(first) == _expected(corpus)
    for d in first:
        for s in d.entities + d.events:
            assert d.text[s.start:s.end].strip() == d.text[s.start:s.end]
    out = tmp / ("again" if back_fmt == "brat" else f"again.{back_fmt}")
    get_format(back_fmt).write(first, out, schema=SCHEMA)
    second = _read(back_fmt, out, **back_opts)
    assert _spans_of(second) == _spans_of(first)
    assert [d.id for d in second] == [d.id for d in first]
    assert [d.sentences for d in second] == [d.sentences for d in first]


def _given_round_trip(tool: str):
    from hypothesis import given

    @fuzz_settings(40)
    @given(corpus=corpora)
    def test(corpus):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            _round_trip(tool, corpus, Path(tmp))

    test.__name__ = f"test_round_trip_{tool.replace(':', '_').replace('.', '')}"
    return test


test_round_trip_labelstudio_1x = _given_round_trip("labelstudio:1.x")
test_round_trip_labelstudio_0x = _given_round_trip("labelstudio:0.x")
test_round_trip_doccano_new = _given_round_trip("doccano:new")
test_round_trip_doccano_old = _given_round_trip("doccano:old")
test_round_trip_brat = _given_round_trip("brat")
test_round_trip_prodigy = _given_round_trip("prodigy")


# --------------------------------------------------------------------------- CoNLL


@st.composite
def conll_documents(draw):
    """Sentences of (token, tag); returns the file content and each document's (text, entities)."""
    docs = []
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 2))):
        lines.append("-DOCSTART- O\n\n")
        sent_texts, ents, pos = [], [], 0
        for _ in range(draw(st.integers(1, 3))):
            toks: list[tuple[str, str]] = []
            run_label = None
            for _ in range(draw(st.integers(1, 8))):
                kind = draw(st.integers(0, 5))
                if kind == 0:
                    # a token holds something visible: CoNLL export writes visible characters only
                    toks.append((draw(st.sampled_from(EMOJI + PUNCT + ["\u200f«\u200b", "\u2067؟\u2069"])), "O"))
                    run_label = None
                    continue
                tok = draw(word)
                tag = "O"
                if draw(st.integers(0, 2)) == 0:
                    if run_label is not None and draw(st.booleans()):
                        tag = f"I-{run_label}"
                    else:
                        run_label = draw(st.sampled_from(ENTITY_LABELS))
                        tag = f"B-{run_label}"
                else:
                    run_label = None
                toks.append((tok, tag))
            sent = ""
            for tok, tag in toks:
                start = pos + len(sent) + (1 if sent else 0)
                sent = f"{sent} {tok}" if sent else tok
                if tag.startswith("B-"):
                    ents.append([start, start + len(tok), tag[2:]])
                elif tag.startswith("I-"):
                    ents[-1][1] = start + len(tok)
            lines += [f"{tok} {tag}\n" for tok, tag in toks] + ["\n"]
            sent_texts.append(sent)
            pos += len(sent) + 1
        docs.append(("\n".join(sent_texts), sorted(Span(a, b, lab) for a, b, lab in ents)))
    return "".join(lines), docs


def _conll_round_trip(content: str, expected, tmp: Path) -> None:
    p = tmp / "in.conll"
    p.write_bytes(content.encode("utf-8"))
    first = _read("conll", p)
    assert [(d.text, sorted(d.entities)) for d in first] == expected
    get_format("conll").write(first, tmp / "again.conll")
    second = _read("conll", tmp / "again.conll")
    # CoNLL's identity (docs/formats.md): the same spans over the same tokens, the text rebuilt with
    # single spaces (a symbol such as 🇮🇶 is one token per character on export), compared exactly
    # through rebuild_offsets.
    assert len(second) == len(first)
    for d, b in zip(first, second):
        text, starts, ends = rebuild_offsets(d.text)
        assert b.text.replace("\n", " ") == text
        assert [(s.start, s.end, s.label) for s in sorted(b.entities)] == [(starts[s.start], ends[s.end], s.label) for s in sorted(d.entities)]


@fuzz_settings(40)
@given(conll_documents())
def test_round_trip_conll(sample):
    import tempfile

    content, expected = sample
    with tempfile.TemporaryDirectory() as tmp:
        _conll_round_trip(content, expected, Path(tmp))


# --------------------------------------------------------------------------- corruptions

CORRUPTIONS = ("remove a field", "offsets past the end", "wrong type", "truncate")
OTHER_TYPES = [None, True, 3.5, "نص", [], {}, [1, 2], {"start": 0}, -7]


def _json_paths(obj, path=()):
    """Every (container path, key) in a JSON value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield path, k
            yield from _json_paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield path, i
            yield from _json_paths(v, (*path, i))


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def _offset_paths(obj):
    """(container, key) of every span offset in a JSON export."""
    return [(p, k) for p, k in _json_paths(obj)
            if (k in ("start", "end", "start_offset", "end_offset") and isinstance(_get(obj, p)[k], int))
            or (isinstance(k, int) and k in (0, 1) and p and p[-2:-1] and p[-2] in ("label", "labels")
                and isinstance(_get(obj, p)[k], int))]


def corrupt_json(objs: list, how: str, draw) -> bool:
    """Corrupt one of ``objs`` in place; True where an error must follow."""
    if how == "offsets past the end":
        cands = [(i, p, k) for i, o in enumerate(objs) for p, k in _offset_paths(o)]
        if not cands:
            return False
        i, p, k = draw(st.sampled_from(cands))
        _get(objs[i], p)[k] = 10_000 + draw(st.integers(0, 100))
        return True
    cands = [(i, p, k) for i, o in enumerate(objs) for p, k in _json_paths(o)]
    if not cands:
        return False
    i, p, k = draw(st.sampled_from(cands))
    container = _get(objs[i], p)
    if how == "remove a field":
        del container[k]
        return False  # many fields are optional (ids, value.text, lead_time ...)
    old = container[k]
    new = draw(st.sampled_from([v for v in OTHER_TYPES if type(v) is not type(old)]))
    container[k] = new
    return (k in ("start", "end") or (isinstance(k, int) and k in (0, 1) and p and p[-1:] and isinstance(p[-1], int)
                                       and len(p) >= 2 and p[-2] in ("label", "labels"))) and isinstance(old, int)


@functools.cache
def _corpus_script():
    return load_script("corpus")


def _convert(fmt: str, src: Path, out: Path, opts: list[str]) -> tuple[int, str]:
    corpus = _corpus_script()
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = corpus.main(["convert", "--from", fmt, "--to", "jsonl", *opts, str(src), str(out)])
    return rc, err.getvalue()


def _check_outcome(rc: int, err: str, src: Path, out: Path, must_fail: bool) -> None:
    assert "Traceback" not in err
    if rc == 0:
        assert not must_fail, err
        docs, problems = read_jsonl(out, SCHEMA, strict=False)
        assert not [p for p in problems if p.level == "error"]
        return
    assert rc == 1, err
    assert not out.exists() and not list(out.parent.glob(".out.jsonl.*"))  # nothing written, no temporary left
    lines = err.strip().splitlines()
    assert lines[-1].startswith("FAILED: ") and lines[-1].endswith("nothing written")
    assert len(lines) >= 2
    for line in lines[:-1]:
        assert line.startswith(str(src)), line  # each error names the file (record and field where there is one)


def _corrupt_and_convert(tool: str, corpus, how: str, draw, tmp: Path) -> None:
    name = tool.partition(":")[0]
    opts, _, _ = TOOLS[tool]
    cli_opts = ["--offset-unit", opts["offset_unit"]] if "offset_unit" in opts else []
    src = write_export(tool, corpus, tmp)
    must_fail = False
    if name == "brat":
        k = draw(st.integers(1, len(corpus)))
        ann, txt = src / f"doc{k}.ann", src / f"doc{k}.txt"
        lines = ann.read_text(encoding="utf-8").splitlines(keepends=True)
        t_lines = [i for i, ln in enumerate(lines) if ln.startswith("T")]
        if how == "truncate":
            target = draw(st.sampled_from([ann, txt]))
            raw = target.read_bytes()
            target.write_bytes(raw[: draw(st.integers(0, max(0, len(raw) - 1)))])
        elif t_lines:
            i = draw(st.sampled_from(t_lines))
            tid, rest, frag = lines[i].rstrip("\n").split("\t", 2)  # the text may hold a tab
            label, a, b = rest.split(" ")
            if how == "offsets past the end":
                lines[i] = f"{tid}\t{label} {a} {10_000 + int(b)}\t{frag}\n"
                must_fail = True
            elif how == "wrong type":
                lines[i] = f"{tid}\t{label} {a} {draw(st.sampled_from(['x', '3.5', '-1', '']))}\t{frag}\n"
                must_fail = True
            else:  # a field removed
                fields = [tid, rest, frag]
                del fields[draw(st.integers(0, 2))]
                lines[i] = "\t".join(fields) + "\n"
            ann.write_text("".join(lines), encoding="utf-8")
    else:
        raw = src.read_text(encoding="utf-8")
        if how == "truncate":
            data = raw.encode("utf-8")
            src.write_bytes(data[: draw(st.integers(0, max(0, len(data) - 2)))])
        else:
            objs = json.loads(raw) if name == "labelstudio" else [json.loads(ln) for ln in raw.splitlines()]
            must_fail = corrupt_json(objs, how, draw)
            if name == "labelstudio":
                src.write_text(json.dumps(objs, ensure_ascii=False), encoding="utf-8")
            else:
                src.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
    out = tmp / "out.jsonl"
    rc, err = _convert(name, src, out, cli_opts)
    _check_outcome(rc, err, src, out, must_fail)


def _given_corruption(tool: str):
    from hypothesis import given

    @fuzz_settings(30)
    @given(corpus=corpora, how=st.sampled_from(CORRUPTIONS), data=st.data())
    def test(corpus, how, data):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            _corrupt_and_convert(tool, corpus, how, data.draw, Path(tmp))

    test.__name__ = f"test_corrupted_{tool.replace(':', '_').replace('.', '')}"
    return test


test_corrupted_labelstudio_1x = _given_corruption("labelstudio:1.x")
test_corrupted_labelstudio_0x = _given_corruption("labelstudio:0.x")
test_corrupted_doccano_new = _given_corruption("doccano:new")
test_corrupted_doccano_old = _given_corruption("doccano:old")
test_corrupted_brat = _given_corruption("brat")
test_corrupted_prodigy = _given_corruption("prodigy")


@fuzz_settings(30)
@given(conll_documents(), st.sampled_from(["remove a field", "wrong type", "truncate"]), st.data())
def test_corrupted_conll(sample, how, data):
    import tempfile

    content, _ = sample
    lines = content.splitlines(keepends=True)
    token_lines = [i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("-DOCSTART-")]
    assume(token_lines)
    must_fail = False
    if how == "truncate":
        data_b = content.encode("utf-8")
        new = data_b[: data.draw(st.integers(0, max(0, len(data_b) - 2)))]
    else:
        i = data.draw(st.sampled_from(token_lines))
        tok, tag = lines[i].split()
        if how == "remove a field":
            lines[i] = f"{tok}\n"
        else:
            lines[i] = f"{tok} {data.draw(st.sampled_from(['B-NOPE', 'X-PERS', '7', 'B-']))}\n"
        must_fail = True
        new = "".join(lines).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.conll", Path(tmp) / "out.jsonl"
        src.write_bytes(new)
        rc, err = _convert("conll", src, out, [])
        _check_outcome(rc, err, src, out, must_fail)


# --------------------------------------------------------------------------- what the fuzzers found


def test_found_labelstudio_result_type_of_the_wrong_type(tmp_path):
    """A result whose ``type`` was a list raised TypeError (unhashable) instead of an error line."""
    export = json.loads(labelstudio_export([("قال علي", [Span(4, 7, "PERS")], [])], "1.x"))
    export[0]["annotations"][0]["result"][0]["type"] = []
    src = tmp_path / "ls.json"
    src.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    rc, err = _convert("labelstudio", src, tmp_path / "out.jsonl", [])
    assert rc == 1 and f"{src}:1: annotations[0].result[0].type: must be a string" in err
    _check_outcome(rc, err, src, tmp_path / "out.jsonl", True)


def test_found_prodigy_input_hash_of_the_wrong_type(tmp_path):
    """An ``_input_hash`` that was a list raised TypeError (unhashable) instead of an error line."""
    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps({"text": "قال علي", "spans": [], "answer": "accept", "_input_hash": [1]}) + "\n", encoding="utf-8")
    rc, err = _convert("prodigy", src, tmp_path / "out.jsonl", [])
    assert rc == 1 and f"{src}:1: _input_hash: must be an integer or a string, got list" in err
    _check_outcome(rc, err, src, tmp_path / "out.jsonl", True)
