"""The whole-pipeline bench (train/benchmark/pipeline.py): the sweep that finds each word's covering span
gives what scanning every span gives, overlapping, nested and unsorted spans included; the word labels of
every model's output; the rows over a user's model set."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from train.benchmark.pipeline import agreement_by_output, agreement_words, covering_labels, word_labels


def _brute(spans: list[tuple[int, int, str]], words: list[tuple[int, int]], none: str) -> list[str]:
    """The first listed span that covers the word, by looking at every span."""
    return [next((lab for x, y, lab in spans if x <= a and b <= y), none) for a, b in words]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(["وصل", "حفتر", "ab", "x", " ", "  ", ".", "، "]) for _ in range(rng.randrange(0, 40)))


def _spans(rng: random.Random, n: int, count: int) -> list[tuple[int, int, str]]:
    """Random spans over ``n`` characters: overlapping, nested, repeated, empty and past the end alike."""
    out = []
    for k in range(count):
        a = rng.randrange(0, n + 3)
        out.append((a, a + rng.randrange(0, 12), f"L{k}"))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_the_sweep_equals_scanning_every_span(seed):
    rng = random.Random(seed)
    for _ in range(50):
        text = _text(rng)
        words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
        spans = _spans(rng, len(text), rng.randrange(0, 15))
        assert covering_labels(spans, words, "O") == _brute(spans, words, "O"), (text, spans)


def test_word_labels_of_a_record_and_their_agreement():
    rec = {"text": "وصل حفتر إلى موسكو. التقى شويغو.",
           "entities": [{"start": 4, "end": 8, "label": "PERS"}, {"start": 13, "end": 18, "label": "LOC"}],
           "sentences": [{"start": 0, "end": 19, "event_types": [{"label": "TRAVEL"}, {"label": "CONSULT"}],
                          "triggers": [{"start": 0, "end": 3, "label": "TRAVEL"}]},
                         {"start": 20, "end": 32, "event_types": [], "triggers": []}],
           "events": [{"type": "TRAVEL", "trigger": {"start": 0, "end": 3}, "source": {"start": 4, "end": 8},
                       "target": {"start": 13, "end": 18}},
                      {"type": "CONSULT", "trigger": None, "source": None, "target": None}]}
    assert word_labels(rec) == [("O", "TRAVEL", "CONSULT,TRAVEL", "O"), ("PERS", "O", "CONSULT,TRAVEL", "SOURCE"),
                                ("O", "O", "CONSULT,TRAVEL", "O"), ("LOC", "O", "CONSULT,TRAVEL", "TARGET"),
                                ("O", "O", "", "O"), ("O", "O", "", "O")]
    other = {**rec, "entities": rec["entities"][:1], "events": rec["events"][:1]}
    other["events"] = [{**rec["events"][0], "target": None}]
    assert agreement_by_output([rec], [other]) == {"entities": 5 / 6, "triggers": 1.0, "event_types": 1.0}
    # Only the outputs of the models a run has are pooled: an absent model would agree by default.
    assert agreement_by_output([rec], [other], ["entities", "roles"]) == {"entities": 5 / 6, "roles": 5 / 6}
    assert agreement_words([rec], [other], ["entities", "roles"]) == 5 / 6


def test_the_pipeline_rows_run_every_model_of_a_set_and_leave_its_folders_untouched(tmp_path):
    """``bench.py --pipeline-models SET``: every model of the set runs at each precision, row names count the
    models, the agreement pools only their outputs, and the graphs are exported into copies."""
    from train.benchmark.models import build_model
    from train.benchmark.pipeline import build_pipeline_models, pipeline_rows, set_models

    texts = ["وصل خليفة حفتر إلى موسكو يوم الاثنين.", "التقى وزير الدفاع الروسي بوفد ليبي في طرابلس.",
             "أعلنت الحكومة عن اتفاق جديد للتعاون العسكري."] * 4
    stand = build_pipeline_models(build_model(tmp_path / "ner-model", texts, quick=True), tmp_path, texts)
    users = tmp_path / "set"
    for task in ("ner", "events"):
        shutil.copytree(stand[task], users / task)
    dirs = set_models(str(users), tmp_path / "work")
    assert sorted(dirs) == ["events", "ner"] and all(Path(d).parent == tmp_path / "work" for d in dirs.values())
    docs = [("a", " ".join(texts[:3])), ("b", " ".join(texts[3:6]))]
    rows = pipeline_rows(dirs, docs, ntok=100)
    assert [r["name"] for r in rows] == ["pipeline2_fp32", "pipeline2_int8", "pipeline2_auto"]
    assert all(set(r["agreement_words_by_output"]) == {"entities", "event_types"} for r in rows)
    assert rows[0]["agreement_words"] == 1.0 and rows[1]["precision"] == "int8"
    assert not (users / "ner" / "onnx").exists() and (Path(dirs["ner"]) / "onnx" / "model_quantized.onnx").is_file()
