"""predict.py and the predictor: offsets, streaming, formats, parity with the plain pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.jsonl"


def _seed_texts() -> list[str]:
    return [json.loads(line)["text"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_tiny_models(out: Path, bias_label: str | None = None) -> dict[str, Path]:
    """A tiny NER tagger, trigger tagger and event classifier with random weights.

    ``bias_label`` makes the taggers predict that label on every word, so they reliably tag.
    """
    import torch
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertForTokenClassification,
        PreTrainedTokenizerFast,
    )

    from train.corpus.schema import load_schema
    from train.corpus.text import DIACRITICS_PATTERN

    schema = load_schema()
    tk = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tk.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(DIACRITICS_PATTERN), ""),
        normalizers.BertNormalizer(lowercase=False, strip_accents=False, clean_text=True, handle_chinese_chars=True),
    ])
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tk.decoder = decoders.WordPiece()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tk.train_from_iterator(_seed_texts(), trainers.WordPieceTrainer(vocab_size=800, special_tokens=special))
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tk.token_to_id("[CLS]")), ("[SEP]", tk.token_to_id("[SEP]"))],
    )
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]", mask_token="[MASK]", model_max_length=512)

    def cfg(labels: list[str], **kw) -> BertConfig:
        return BertConfig(vocab_size=tk.get_vocab_size(), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                          intermediate_size=64, max_position_embeddings=512,
                          id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)}, **kw)

    torch.manual_seed(0)
    dirs = {}
    for name, kind in (("ner", "entities"), ("triggers", "events")):
        labels = ["O"] + [f"{p}-{x}" for x in schema.labels(kind) for p in "BI"]
        model = BertForTokenClassification(cfg(labels))
        if bias_label:
            want = bias_label if kind == "entities" else "B-" + schema.event_labels[1]
            with torch.no_grad():
                model.classifier.bias[labels.index(want)] += 50.0
        dirs[name] = out / name
        model.save_pretrained(dirs[name])
        tok.save_pretrained(dirs[name])
    ev = schema.event_labels
    model = BertForSequenceClassification(cfg(ev, problem_type="multi_label_classification"))
    model.config.thresholds = {x: 0.5 for x in ev}
    if bias_label:
        with torch.no_grad():
            model.classifier.bias[1] += 50.0
    dirs["events"] = out / "events"
    model.save_pretrained(dirs["events"])
    tok.save_pretrained(dirs["events"])
    return dirs


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    return build_tiny_models(tmp_path_factory.mktemp("tiny_models"), bias_label="B-PERS")


pytestmark = pytest.mark.usefixtures("one_torch_thread")




@pytest.fixture(scope="module")
def predict_cli():
    return load_script("predict")


def run_predict(cli, capsys, *args: str) -> tuple[int, str, str]:
    rc = cli.main([*map(str, args), "--no-progress"])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _jsonl(s: str) -> list[dict]:
    return [json.loads(line) for line in s.splitlines() if line.strip()]


def check_offsets(rec: dict, text: str | None = None) -> None:
    """Every span slices the original text to its own ``text``; sentences lie in the document."""
    text = rec["text"] if text is None else text
    spans = list(rec["entities"]) + [t for s in rec["sentences"] for t in s.get("triggers", [])]
    for s in spans:
        assert 0 <= s["start"] < s["end"] <= len(text)
        assert text[s["start"]:s["end"]] == s["text"], s
        assert 0.0 <= s["score"] <= 1.0
    prev = 0
    for s in rec["sentences"]:
        assert prev <= s["start"] < s["end"] <= len(text)
        prev = s["end"]
    for ev in rec["events"]:
        sent = rec["sentences"][ev["sentence"]]
        for role in ("actors", "places", "dates", "others"):
            for e in ev[role]:
                assert sent["start"] <= e["start"] and e["end"] <= sent["end"]
                assert text[e["start"]:e["end"]] == e["text"]


# --------------------------------------------------------------------------- predictor


def test_records_on_seed_articles(tiny_models):
    from train.inference.predictor import Predictor

    p = Predictor.from_pretrained(ner=str(tiny_models["ner"]), events=str(tiny_models["events"]),
                                  triggers=str(tiny_models["triggers"]))
    texts = _seed_texts()
    recs = list(p.predict(texts))
    assert [r["text"] for r in recs] == texts
    for r in recs:
        check_offsets(r)
        assert r["entities"] and r["events"]
        for s in r["sentences"]:
            assert {"start", "end", "event_types", "triggers"} <= set(s)
        for ev in r["events"]:
            assert set(ev) >= {"type", "score", "trigger", "actors", "places", "dates", "others"}
            assert ev["type"] in {t["label"] for t in r["sentences"][ev["sentence"]]["event_types"]}


def test_records_do_not_depend_on_batching(tiny_models):
    """Batching across documents and chunking give the same records as one document at a time."""
    from train.inference.predictor import Predictor

    texts = _seed_texts()[:3]
    a = Predictor.from_pretrained(ner=str(tiny_models["ner"]), batch_size=64)
    b = Predictor.from_pretrained(ner=str(tiny_models["ner"]), batch_size=3)
    b.chunk_sentences = 5
    one = [a.predict_one(t) for t in texts]
    many = list(b.predict(texts))
    strip = [[(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in one]
    assert strip == [[(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in many]


def test_role_grouping():
    from train.inference.records import build_events

    text = "التقى بوتين وفد ليبيا في موسكو يوم الثلاثاء بحضور وزير."
    ents = []
    for word, label in (("بوتين", "PERS"), ("ليبيا", "GPE"), ("موسكو", "GPE"), ("الثلاثاء", "DATE"), ("وزير", "OCC")):
        a = text.index(word)
        ents.append({"start": a, "end": a + len(word), "label": label, "text": word, "score": 0.9})
    trig = {"start": 0, "end": 5, "label": "CONSULT", "text": "التقى", "score": 0.8}
    sents = [{"start": 0, "end": len(text), "event_types": [{"label": "CONSULT", "score": 0.97}], "triggers": [trig]}]
    (ev,) = build_events(text, sents, ents, have_classifier=True)
    assert ev["type"] == "CONSULT" and ev["trigger"]["text"] == "التقى"
    assert [e["text"] for e in ev["actors"]] == ["بوتين", "ليبيا"]
    assert [e["text"] for e in ev["places"]] == ["موسكو"]
    assert [e["text"] for e in ev["dates"]] == ["الثلاثاء"]
    assert [e["text"] for e in ev["others"]] == ["وزير"]
    (ev,) = build_events(text, sents, ents, have_classifier=False)  # triggers only
    assert ev["type"] == "CONSULT" and ev["score"] == 0.8


def test_offsets_point_into_text_with_diacritics_and_crlf(tiny_models, predict_cli, capsys, tmp_path):
    text = "قالَ الرئيسُ الروسـيّ\r\nإنّ موسكو مستعدة.\r\n\r\nوصلَ الوفد إلى طرابلس؟ نعم!"
    f = tmp_path / "doc.txt"
    f.write_bytes(text.encode("utf-8"))
    rc, out, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], "--triggers",
                               tiny_models["triggers"], f)
    assert rc == 0, err
    (rec,) = _jsonl(out)
    assert rec["text"] == text and rec["id"] == "doc.txt"
    check_offsets(rec)
    assert rec["entities"] and len(rec["sentences"]) == 4


@pytest.mark.slow
def test_long_document_is_not_truncated(tiny_models):
    """200,000 characters in one document: every sentence is read, up to the last one."""
    from train.inference.predictor import Predictor

    base = "\n".join(_seed_texts())
    text = (base * (200_000 // len(base) + 1))[:200_000]
    text = text[: text.rindex("\n")] + "\nوصل الرئيس الروسي فلاديمير بوتين إلى مدينة طرابلس الليبية"
    # one sentence longer than the model's 512 positions goes through windows
    text += "\n" + " ".join(["وصل الوفد الروسي إلى بنغازي"] * 150)
    p = Predictor.from_pretrained(ner=str(tiny_models["ner"]))
    rec = p.predict_one(text)
    check_offsets(rec)
    last = rec["sentences"][-1]
    assert last["end"] == len(text)
    in_last = [e for e in rec["entities"] if e["start"] >= last["start"]]
    assert len(in_last) == 750  # the biased tiny model tags every word of the windowed sentence
    assert rec["entities"][-1]["end"] == len(text)


# --------------------------------------------------------------------------- the script


def test_inputs_files_folders_jsonl_text_and_stdin(tiny_models, predict_cli, capsys, tmp_path, monkeypatch):
    import io

    texts = _seed_texts()
    folder = tmp_path / "news" / "sub"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(texts[0], encoding="utf-8")
    (tmp_path / "news" / "b.txt").write_text(texts[1], encoding="utf-8")
    (tmp_path / "news" / "skip.md").write_text("not read", encoding="utf-8")
    jl = tmp_path / "docs.jsonl"
    jl.write_text(json.dumps({"id": "x1", "text": texts[2]}, ensure_ascii=False) + "\n"
                  + json.dumps({"text": texts[3]}, ensure_ascii=False) + "\n", encoding="utf-8")
    rc, out, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], tmp_path / "news", jl,
                               "--text", "وصل بوتين إلى موسكو.", "--no-text")
    assert rc == 0, err
    recs = _jsonl(out)
    assert [r["id"] for r in recs] == ["text-1", "b.txt", "sub/a.txt", "x1", "docs:2"]
    assert all("text" not in r for r in recs)
    wanted = ["وصل بوتين إلى موسكو.", texts[1], texts[0], texts[2], texts[3]]
    for r, t in zip(recs, wanted):
        check_offsets(r, t)

    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(texts))))
    rc, out, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"])
    assert rc == 0, err
    assert [r["id"] for r in _jsonl(out)] == [str(i) for i in range(len(texts))]
    monkeypatch.setattr("sys.stdin", io.StringIO(texts[4]))
    rc, out, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], "-")
    (rec,) = _jsonl(out)
    assert rc == 0 and rec["id"] == "stdin" and rec["text"] == texts[4]


def test_bad_inputs_and_options(tiny_models, predict_cli, capsys, tmp_path):
    rc, _, err = run_predict(predict_cli, capsys, "--text", "نص")
    assert rc == 2 and "--ner" in err
    rc, _, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], tmp_path / "missing.txt")
    assert rc == 1 and "missing.txt" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "نص"}\n{"id": "b"}\n', encoding="utf-8")
    rc, _, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], bad)
    assert rc == 1 and "bad.jsonl:2: text" in err
    rc, _, err = run_predict(predict_cli, capsys, "--ner", tiny_models["events"], "--text", "نص")
    assert rc == 1 and "token-classification model is needed" in err
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    for f in tiny_models["ner"].iterdir():
        if f.name != "model.safetensors":
            (pickled / f.name).write_bytes(f.read_bytes())
    (pickled / "pytorch_model.bin").write_bytes(b"not loaded")
    rc, _, err = run_predict(predict_cli, capsys, "--ner", pickled, "--text", "نص")
    assert rc == 1 and "safetensors" in err
    rc, _, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], "--text", "نص", "--resume")
    assert rc == 2 and "--output" in err


def test_output_file_and_resume(tiny_models, predict_cli, capsys, tmp_path):
    texts = _seed_texts()
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    out = tmp_path / "out" / "pred.jsonl"
    rc, stdout, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], src, "--output", out)
    assert rc == 0 and stdout == "" and not Path(str(out) + ".part").exists()
    full = out.read_text(encoding="utf-8")
    assert [r["id"] for r in _jsonl(full)] == [f"d{i}" for i in range(len(texts))]

    # an interrupted run: two records and half of a third in FILE.part
    lines = full.splitlines(keepends=True)
    out.unlink()
    Path(str(out) + ".part").write_text(lines[0] + lines[1] + lines[2][:50], encoding="utf-8")
    rc, _, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], src, "--output", out, "--resume")
    assert rc == 0, err
    assert "2 already done" in err
    assert out.read_text(encoding="utf-8") == full
    # resuming a finished file does nothing and keeps it whole
    rc, _, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], src, "--output", out, "--resume")
    assert rc == 0 and out.read_text(encoding="utf-8") == full
    rc, _, err = run_predict(predict_cli, capsys, "--ner", tiny_models["ner"], src, "--output", tmp_path / "x.html",
                             "--format", "html", "--resume")
    assert rc == 2 and "--resume" in err


def test_corpus_conll_and_doccano_formats(tiny_models, predict_cli, capsys, tmp_path):
    from train.corpus.document import read_jsonl
    from train.corpus.schema import load_schema
    from train.formats import get_format

    texts = _seed_texts()[:2]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    args = ["--ner", tiny_models["ner"], "--triggers", tiny_models["triggers"], src]
    rc, out, err = run_predict(predict_cli, capsys, *args)
    ref = _jsonl(out)

    corpus = tmp_path / "pred.corpus.jsonl"
    assert run_predict(predict_cli, capsys, *args, "--format", "corpus", "-o", corpus)[0] == 0
    docs, problems = read_jsonl(corpus)  # predictions validate like gold
    assert [d.id for d in docs] == ["d0", "d1"]
    for d, r in zip(docs, ref):
        assert [(s.start, s.end, s.label) for s in d.entities] == [(e["start"], e["end"], e["label"]) for e in r["entities"]]
        assert d.sentences == [(s["start"], s["end"]) for s in r["sentences"]]

    schema = load_schema()
    for fmt in ("doccano", "conll"):
        path = tmp_path / f"pred.{fmt}"
        rc, _, err = run_predict(predict_cli, capsys, *args, "--format", fmt, "-o", path)
        assert rc == 0, err
        back, _ = get_format(fmt).read(path, schema=schema, label_map=None, snap=False)
        assert len(back) == 2
        if fmt == "doccano":
            for d, r in zip(back, ref):
                assert {(s.start, s.end, s.label) for s in d.entities} == {(e["start"], e["end"], e["label"]) for e in r["entities"]}
        else:  # CoNLL rebuilds single-spaced text: compare the entity strings
            for d, r in zip(back, ref):
                assert [d.text[s.start:s.end].split() for s in d.entities] == [e["text"].split() for e in r["entities"]]


@pytest.mark.slow
def test_labelstudio_export_round_trips_through_importer(tiny_models, predict_cli, capsys, tmp_path):
    from train.corpus.schema import load_schema
    from train.formats import get_format

    texts = _seed_texts()
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    args = ["--ner", tiny_models["ner"], "--triggers", tiny_models["triggers"], src]
    ref = _jsonl(run_predict(predict_cli, capsys, *args)[1])
    tasks_path = tmp_path / "tasks.json"
    rc, _, err = run_predict(predict_cli, capsys, *args, "--format", "labelstudio", "-o", tasks_path)
    assert rc == 0, err
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert len(tasks) == len(texts)
    for t in tasks:
        assert t["annotations"] == [] and t["predictions"][0]["result"]
        assert all(0 <= item["score"] <= 1 for item in t["predictions"][0]["result"])
    # The pre-annotations come back through the importer exactly as predict.py wrote them.
    docs, report = get_format("labelstudio").read(tasks_path, schema=load_schema(), label_map=None, snap=False,
                                                  from_predictions=True)
    assert not report.errors and not report.skipped
    # And once an annotator accepts each one, Label Studio exports it as an annotation.
    for t in tasks:
        t["annotations"] = [{"id": t["id"], "result": t.pop("predictions")[0]["result"], "was_cancelled": False}]
    accepted = tmp_path / "accepted.json"
    accepted.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    accepted_docs, _ = get_format("labelstudio").read(accepted, schema=load_schema(), label_map=None, snap=False)
    assert [(d.id, d.text, d.entities, d.events) for d in accepted_docs] == [(d.id, d.text, d.entities, d.events) for d in docs]
    assert not report.errors
    assert [d.id for d in docs] == [r["id"] for r in ref]
    for d, r in zip(docs, ref):
        assert d.text == r["text"]
        assert sorted((s.start, s.end, s.label) for s in d.entities) == [(e["start"], e["end"], e["label"]) for e in r["entities"]]
        trig = sorted((t["start"], t["end"], t["label"]) for s in r["sentences"] for t in s["triggers"])
        assert sorted((s.start, s.end, s.label) for s in d.events) == trig


def test_html_page_marks_every_entity_at_its_offsets(tiny_models, predict_cli, capsys, tmp_path):
    from html.parser import HTMLParser

    text = _seed_texts()[1] + '\n<script>alert("x")</script> & وصل بوتين'
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a<b>", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["--ner", tiny_models["ner"], "--events", tiny_models["events"], "--triggers", tiny_models["triggers"], src]
    (rec,) = _jsonl(run_predict(predict_cli, capsys, *args)[1])
    page = tmp_path / "page.html"
    rc, _, err = run_predict(predict_cli, capsys, *args, "--format", "html", "-o", page)
    assert rc == 0, err

    class Marks(HTMLParser):
        def __init__(self):
            super().__init__()
            self.marks, self.open, self.types, self.tags, self.in_sent = [], None, [], set(), None
            self.sent_text = {}

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.tags.add(tag)
            if tag == "html":
                assert a.get("dir") == "rtl" and a.get("lang") == "ar"
            if tag == "mark" and "data-start" in a:
                self.open = [int(a["data-start"]), int(a["data-end"]), a["data-label"], ""]
            if tag == "span" and a.get("class") == "type":
                self.types.append(a["data-label"])
            if tag == "p" and a.get("class") == "text":
                self.in_sent = len(self.sent_text)
                self.sent_text[self.in_sent] = ""

        def handle_endtag(self, tag):
            if tag == "mark" and self.open:
                self.marks.append(tuple(self.open))
                self.open = None
            if tag == "p":
                self.in_sent = None

        def handle_data(self, data):
            if self.open is not None:
                self.open[3] += data
            if self.in_sent is not None:
                self.sent_text[self.in_sent] += data

    parser = Marks()
    html = page.read_text(encoding="utf-8")
    parser.feed(html)
    assert "script" not in parser.tags and "<script>" not in html
    assert parser.marks == [(e["start"], e["end"], e["label"], e["text"]) for e in rec["entities"]]
    assert all(text[a:b] == t for a, b, _, t in parser.marks)
    # the sentences read back as the original text, entity by entity and word by word
    assert [parser.sent_text[k] for k in range(len(rec["sentences"]))] == \
        [text[s["start"]:s["end"]] for s in rec["sentences"]]
    assert parser.types == [t["label"] for s in rec["sentences"] for t in s["event_types"]]


@pytest.fixture(scope="session")
def trained_ner(tmp_path_factory) -> Path:
    """The tiny NER model trained briefly on the seed corpus with the project's features (once per session)."""
    import torch
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
    )

    from train.corpus.document import read_jsonl
    from train.corpus.schema import load_schema
    from train.training.token_classification import TokenTask, make_features

    out = tmp_path_factory.mktemp("trained")
    d = build_tiny_models(out / "base")["ner"]
    tok = AutoTokenizer.from_pretrained(d)
    model = AutoModelForTokenClassification.from_pretrained(d)
    docs, _ = read_jsonl(SEED)
    feats = make_features(tok, docs, TokenTask("entities", load_schema().entity_labels), 128, 32)
    collate = DataCollatorForTokenClassification(tok)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    model.train()
    for _ in range(60):
        order = torch.randperm(len(feats)).tolist()
        for b in range(0, len(order), 16):
            batch = collate([feats[i] for i in order[b:b + 16]])
            loss = model(**batch).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
    torch.set_num_threads(before)
    model.eval()
    model.save_pretrained(out / "ner")
    tok.save_pretrained(out / "ner")
    return out / "ner"


def test_parity_with_plain_pipeline_on_seed_articles(trained_ner):
    """predict.py's entities equal pipeline(aggregation_strategy="first") on the same sentences.

    The pipeline's spans are snapped to whole words first (:func:`snap_to_words`), because of
    two artefacts of its offsets around diacritics that the normaliser removes: a span ends
    before a trailing diacritic ("رئيسا" for "رئيساً"), and its word heuristic (sub-word length
    against original length) can glue the next token, the colon of "رئيساً:", onto a word.
    Spans in this project start and end on whole words. Labels and word extents must agree.
    """
    from transformers import pipeline

    from train.corpus.text import snap_to_words
    from train.inference.predictor import Predictor

    pipe = pipeline("token-classification", model=str(trained_ner), aggregation_strategy="first")
    pred = Predictor.from_pretrained(ner=str(trained_ner))
    total = 0
    for rec in pred.predict(_seed_texts()):
        text = rec["text"]
        ours = sorted((e["start"], e["end"], e["label"]) for e in rec["entities"])
        ref = []
        for s in rec["sentences"]:
            for e in pipe(text[s["start"]:s["end"]]):
                snapped = snap_to_words(text, s["start"] + e["start"], s["start"] + e["end"])
                if snapped:
                    ref.append((*snapped, e["entity_group"]))
        assert ours == sorted(ref), rec["id"]
        total += len(ours)
    assert total > 200  # the trained model tags the seed articles


NEWS = ROOT.parent / "shared" / "news"
DEMO_MODELS = ROOT / "models" / "demo"


@pytest.mark.skipif(not NEWS.is_dir(), reason="../shared/news is absent (research-licensed news, read by path only)")
def test_predict_over_shared_news(tiny_models, trained_ner, predict_cli, capsys, tmp_path):
    """Every .txt under ../shared/news, with the demo models when published (else the test models)."""
    models = {k: DEMO_MODELS / k if (DEMO_MODELS / k / "model.safetensors").is_file() else tiny_models[k]
              for k in ("ner", "events", "triggers")}
    if not (DEMO_MODELS / "ner" / "model.safetensors").is_file():
        models["ner"] = trained_ner
    files = sorted(NEWS.rglob("*.txt"))
    out = tmp_path / "news.jsonl"
    rc, _, err = run_predict(predict_cli, capsys, "--ner", models["ner"], "--events", models["events"],
                             "--triggers", models["triggers"], NEWS, "-o", out, "--threads", "1")
    assert rc == 0, err
    recs = _jsonl(out.read_text(encoding="utf-8"))
    assert len(recs) == len(files)
    for rec, f in zip(recs, files):
        with open(f, encoding="utf-8", newline="") as fh:
            assert rec["text"] == fh.read()
        check_offsets(rec)


def test_parquet_inputs_give_ids_text_and_meta(tmp_path):
    """A Parquet file (``text``; optional ``id`` and ``meta``) is an input like a JSON Lines file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    predict = load_script("predict")
    pq.write_table(pa.table({"id": ["a", None], "text": ["نص أول.", "نص ثان."], "meta": ['{"src": "x"}', None]}),
                   tmp_path / "docs.parquet")
    pq.write_table(pa.table({"text": ["ثالث"]}), tmp_path / "bare.parquet")
    paths = [str(tmp_path / "docs.parquet"), str(tmp_path / "bare.parquet")]
    predict.check_unique_ids(paths, [])
    docs = list(predict.iter_inputs(paths, []))
    assert [(d.id, d.text, d.meta) for d in docs] == [("a", "نص أول.", {"src": "x"}), ("docs:2", "نص ثان.", {}),
                                                      ("bare:1", "ثالث", {})]
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "bad.parquet")
    with pytest.raises(predict.InputError, match="text"):
        predict.check_unique_ids([str(tmp_path / "bad.parquet")], [])
    pq.write_table(pa.table({"id": ["a"], "text": ["again"]}), tmp_path / "dup.parquet")
    with pytest.raises(predict.InputError, match="also the id"):
        predict.check_unique_ids([paths[0], str(tmp_path / "dup.parquet")], [])


def test_parquet_output_holds_the_jsonl_records(tmp_path):
    """``--format parquet``: one row per record, the jsonl record's fields as strings and JSON."""
    import pyarrow.parquet as pq

    from train.inference.output import OutputError, open_output

    recs = [{"id": "a", "text": "نص", "meta": {"source": "x"}, "sentences": [{"start": 0, "end": 2}],
             "entities": [{"start": 0, "end": 2, "label": "GPE", "text": "نص", "score": 0.5}], "events": []},
            {"id": "b", "text": "آخر", "meta": {}, "sentences": [], "entities": [], "events": []}]
    for fmt in ("jsonl", "parquet"):
        with open_output(tmp_path / f"out.{fmt}", fmt) as out:
            for r in recs:
                out.write(r)
    want = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    got = [{"id": r["id"], "text": r["text"], **({"meta": json.loads(r["meta"])} if r["meta"] else {}),
            **{k: json.loads(r[k]) for k in ("entities", "sentences", "events")}} for r in rows]
    assert got == want and not (tmp_path / "out.parquet.part").exists()
    # a Parquet output is a Parquet input again: same ids, texts and meta
    docs = list(load_script("predict").iter_inputs([str(tmp_path / "out.parquet")], []))
    assert [(d.id, d.text, d.meta) for d in docs] == [("a", "نص", {"source": "x"}), ("b", "آخر", {})]
    with pytest.raises(OutputError, match="--output"), open_output(None, "parquet"):
        pass
