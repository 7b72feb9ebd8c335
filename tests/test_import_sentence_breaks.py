"""Issue 26 row 11: importers split sentences around annotated spans, never through them.

A doccano (Label Studio, brat, Prodigy ...) export has no sentences, so the project's splitter
makes them; an abbreviation inside a span (``P.J. Clarke's``, ``T.W.A.``, ``ش.م.م.``) used to end a
sentence there, and the sentence check then refused the document. Now the sentence is joined
with the next and the import report counts the moved breaks. Sources that store their own
sentences (the corpus JSONL) are still refused, as before.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import load_script

from train.corpus.document import Document, Span
from train.corpus.schema import load_schema
from train.corpus.sentences import split_sentences
from train.formats import get_format

SCHEMA = load_schema()
EN = "We met at P.J. Clarke's on Third Avenue. Later we toured the T.W.A. Flight Center at Kennedy airport."
AR = "أعلنت شركة ش.م.م. للاستثمار عن أرباحها. وقال المدير إن الشركة ستتوسع."
SPANS = {
    EN: [("P.J. Clarke's", "FAC"), ("Third Avenue", "LOC"), ("T.W.A. Flight Center", "FAC")],
    AR: [("شركة ش.م.م. للاستثمار", "ORG")],
}


def _label(text: str) -> list[list]:
    return [[text.index(w), text.index(w) + len(w), lab] for w, lab in SPANS[text]]


def _export(tmp_path: Path) -> Path:
    p = tmp_path / "export.jsonl"
    rows = [{"id": 1, "text": EN, "label": _label(EN)}, {"id": 2, "text": AR, "label": _label(AR)}]
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return p


def _read_corpus(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_the_splitter_alone_cuts_these_spans():
    """The premise: without the fix these three spans each cross a sentence break."""
    for text, spans in SPANS.items():
        sents = split_sentences(text)
        cut = [w for w, _ in spans
               if not any(s.start <= text.index(w) and text.index(w) + len(w) <= s.end for s in sents)]
        assert cut == [w for w, _ in spans if "." in w]


def test_doccano_convert_keeps_abbreviation_spans_whole_and_counts_the_moved_breaks(tmp_path, capsys):
    out = tmp_path / "corpus.jsonl"
    rc = load_script("corpus").main(["convert", "--from", "doccano", "--to", "jsonl", str(_export(tmp_path)), str(out)])
    printed = capsys.readouterr()
    assert rc == 0, printed.err
    assert "3 sentence break(s) moved to keep spans whole" in printed.out
    docs = _read_corpus(out)
    for d in docs:
        assert [(d["text"][e["start"]:e["end"]], e["label"]) for e in d["entities"]] == SPANS[d["text"]]
        sents = [(s["start"], s["end"]) for s in d["sentences"]]
        for e in d["entities"]:
            assert any(a <= e["start"] and e["end"] <= b for a, b in sents), e
        assert all(b <= a2 for (_, b), (a2, _) in zip(sents, sents[1:]))
    en, ar = (next(d for d in docs if d["text"] == t) for t in (EN, AR))
    # Joined with the next sentence only where a span needed it; other breaks stay.
    assert [en["text"][s["start"]:s["end"]] for s in en["sentences"]] == [
        "We met at P.J. Clarke's on Third Avenue.", "Later we toured the T.W.A. Flight Center at Kennedy airport."]
    assert [ar["text"][s["start"]:s["end"]] for s in ar["sentences"]] == [
        "أعلنت شركة ش.م.م. للاستثمار عن أرباحها.", "وقال المدير إن الشركة ستتوسع."]
    # The written corpus validates as it stands (its sentences are stored now).
    assert load_script("corpus").main(["validate", str(out)]) == 0


def test_every_importer_that_splits_keeps_spans_whole(tmp_path):
    """Label Studio, brat and Prodigy split sentences themselves too: the same repair, the same count."""
    docs = [Document(str(k), t, entities=[Span(a, b, lab) for a, b, lab in _label(t)]) for k, t in enumerate(SPANS)]
    for name, target in (("labelstudio", tmp_path / "ls.json"), ("brat", tmp_path / "brat"), ("prodigy", None)):
        if target is None:  # Prodigy has no writer: its db-out shape, by hand
            target = tmp_path / "prodigy.jsonl"
            target.write_text("".join(json.dumps({"text": d.text, "meta": {"id": d.id}, "answer": "accept", "spans": [
                {"start": s.start, "end": s.end, "label": s.label} for s in d.entities]}, ensure_ascii=False) + "\n"
                for d in docs), encoding="utf-8")
        else:
            get_format(name).write(docs, target)
        back, report = get_format(name).read(target, schema=SCHEMA)
        assert not report.errors, (name, [str(p) for p in report.errors])
        assert report.sentence_breaks_moved == 3, name
        assert "3 sentence break(s) moved to keep spans whole" in report.summary()
        for d in back:
            assert sorted((d.text[s.start:s.end], s.label) for s in d.entities) == sorted(SPANS[d.text])
            assert all(any(a <= s.start and s.end <= b for a, b in d.sentences) for s in d.entities)


def test_stored_sentences_that_cut_a_span_are_still_refused(tmp_path, capsys):
    """The corpus JSONL stores its sentences: a span they cut is the source's fault, and stays an error."""
    src = tmp_path / "stored.jsonl"
    doc = Document("en", EN, entities=[Span(a, b, lab) for a, b, lab in _label(EN)]).with_sentences()
    assert len(doc.sentences) == 4  # the plain splitter's sentences, which cut two spans
    src.write_text(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    lm = tmp_path / "map.yaml"
    lm.write_text("FAC: FAC\n", encoding="utf-8")
    corpus = load_script("corpus")
    for extra in ([], ["--label-map", str(lm)]):
        out = tmp_path / "out.jsonl"
        assert corpus.main(["convert", "--from", "jsonl", "--to", "jsonl", *extra, str(src), str(out)]) == 1
        err = capsys.readouterr().err
        assert "FAILED: 2 error(s); nothing written" in err and "(stored sentences)" in err
        assert "crosses the boundary" in err and not out.exists()
    assert corpus.main(["validate", str(src)]) == 1
    assert "FAILED: 2 error(s)" in capsys.readouterr().err


def test_labelstudio_choices_split_around_spans_outside_the_judged_regions(tmp_path):
    """A judged region is the source's sentence; the splitter fills the rest, around the spans."""
    doc = Document("en", EN, entities=[Span(a, b, lab) for a, b, lab in _label(EN)])
    ls = tmp_path / "ls.json"
    get_format("labelstudio").write([doc], ls)
    tasks = json.loads(ls.read_text(encoding="utf-8"))
    region = "Later we toured the T.W.A. Flight Center at Kennedy airport."
    a = EN.index(region)
    tasks[0]["annotations"][0]["result"].append({"id": "c0", "from_name": "type", "to_name": "text", "type": "choices",
                                                 "value": {"start": a, "end": a + len(region), "choices": ["CONSULT"]}})
    ls.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    back, report = get_format("labelstudio_choices").read(ls, schema=SCHEMA)
    assert not report.errors, [str(p) for p in report.errors]
    assert report.sentence_breaks_moved == 1  # the break after "P.J."; the region holds T.W.A. whole
    assert back[0].sentences == [(0, EN.index(" Later")), (a, a + len(region))]
    assert sorted(back[0].text[s.start:s.end] for s in back[0].entities) == sorted(w for w, _ in SPANS[EN])
