"""``task: mlm`` (issue 15): domain-adaptive pretraining on unlabelled text, offline on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, SEED

pytestmark = pytest.mark.slow


def _config(base: Path, out: Path, **extra) -> dict:
    cfg = {
        "task": "mlm", "model_name_or_path": str(base), "train_file": str(SEED), "output_dir": str(out),
        "max_seq_length": 128, "mlm_holdout": 0.2, "num_train_epochs": 5, "learning_rate": 0.002,
        "warmup_steps": 0.1, "weight_decay": 0.0, "per_device_train_batch_size": 8, "save_strategy": "no",
        "seed": 42, "use_cpu": True, "cpu_threads": 1, "disable_tqdm": True, "report_to": [],
    }
    cfg.update(extra)
    return cfg


def _run(cfg: dict) -> dict:
    from train.training.config import parse_config
    from train.training.mlm import run_mlm_from_args

    m, d, t = parse_config(cfg)
    return run_mlm_from_args(m, d, t, set(cfg))


@pytest.fixture(scope="module")
def dapt_dir(tiny_model_dir, tmp_path_factory, one_torch_thread) -> Path:
    out = tmp_path_factory.mktemp("dapt") / "base"
    _run(_config(tiny_model_dir, out))
    return out


def test_short_run_lowers_heldout_mlm_loss(dapt_dir):
    m = json.loads((dapt_dir / "metrics.json").read_text())
    assert m["task"] == "mlm" and m["whole_word_masking"] and m["heldout_examples"] > 0
    assert m["eval_loss_after"] < m["eval_loss_before"] - 0.1, m
    assert (dapt_dir / "model.safetensors").is_file() and not list(dapt_dir.glob("*.bin"))


def test_saved_base_model_loads_into_the_ner_path_with_its_normaliser(dapt_dir, tmp_path):
    import torch
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    from train.features.tokenization import has_diacritics_normalizer
    from train.training.config import parse_config
    from train.training.modeling import load_base_tokenizer, load_token_model

    # The tokenizer.json on disk removes diacritics by itself (a plain transformers user gets it).
    assert has_diacritics_normalizer(Tokenizer.from_file(str(dapt_dir / "tokenizer.json")))
    m, d, _ = parse_config({"task": "ner", "model_name_or_path": str(dapt_dir), "train_file": str(SEED),
                            "output_dir": str(tmp_path / "ner")})
    tok = load_base_tokenizer(m)
    assert tok("مُحَمَّدٌ")["input_ids"] == tok("محمد")["input_ids"]
    model = load_token_model(m, ["O", "B-PERS", "I-PERS"])
    saved = load_file(str(dapt_dir / "model.safetensors"))
    key = next(k for k in saved if k.endswith("word_embeddings.weight"))
    assert torch.equal(model.bert.embeddings.word_embeddings.weight.detach(), saved[key])


def test_whole_word_masking_masks_every_subword_of_a_chosen_word(tiny_model_dir):
    from train.features.tokenization import load_tokenizer
    from train.training.mlm import TextDoc, WholeWordMaskCollator, make_examples

    tok = load_tokenizer(tiny_model_dir)
    text = "أعلنت الحكومة الفلسطينية والمستوطنات الإسرائيلية اليوم"
    ex = make_examples(tok, [TextDoc(text, [(0, len(text))])], 64)[0]
    col = WholeWordMaskCollator(tok, 0.5, seed=1)
    for _ in range(20):
        ids, labels = col.mask(ex["input_ids"], ex["word_ids"])
        for w in set(ex["word_ids"]) - {-1}:
            pos = [p for p, x in enumerate(ex["word_ids"]) if x == w]
            assert len({labels[p] == -100 for p in pos}) == 1  # all of a word's sub-words, or none


def test_text_sources(tmp_path):
    from train.training.mlm import load_texts

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("جملة أولى. جملة ثانية.", encoding="utf-8")
    (tmp_path / "t.jsonl").write_text(json.dumps({"text": "نص واحد."}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert len(load_texts(str(tmp_path / "a"))) == 1
    assert [d.text for d in load_texts(str(tmp_path / "t.jsonl"))] == ["نص واحد."]
    assert len(load_texts(str(SEED))) == len(SEED.read_text(encoding="utf-8").splitlines())


def test_killed_mlm_run_resumes(tiny_model_dir, tmp_path, monkeypatch, one_torch_thread):
    from transformers import TrainerCallback

    import train.training.mlm as mlm

    out = tmp_path / "dapt"
    cfg = _config(tiny_model_dir, out, save_strategy="steps", save_steps=2, num_train_epochs=2, overwrite_output=True)
    real = mlm.csv_log_callback

    class Killed(RuntimeError):
        pass

    def dying(*a, **k):
        base = real(*a, **k)

        class Dies(base, TrainerCallback):
            def on_save(self, args, state, control, **kw):
                raise Killed(f"killed after saving step {state.global_step}")

        return Dies

    monkeypatch.setattr(mlm, "csv_log_callback", dying)
    with pytest.raises(Killed):
        _run(cfg)
    part = Path(str(out) + ".partial")
    assert not out.exists() and (part / "checkpoint-2" / "trainer_state.json").is_file()
    monkeypatch.setattr(mlm, "csv_log_callback", real)
    _run({**cfg, "resume": True, "overwrite_output": False})
    m = json.loads((out / "metrics.json").read_text())
    assert not part.exists() and m["epochs_run"] == 2.0 and m["eval_loss_before"] is not None
    assert (out / "model.safetensors").is_file() and not list(out.glob("checkpoint-*"))


def test_dapt_configs_parse():
    from train.training.config import load_yaml_config, parse_config

    for name in ("dapt.yaml", "demo-dapt.yaml"):
        raw = load_yaml_config(ROOT / "configs" / name)
        if not Path(raw["train_file"]).exists() and not (ROOT / raw["train_file"]).exists():
            continue  # ../shared/news absent on this machine
        m, d, t = parse_config(raw)
        assert d.task == "mlm" and d.extra_args["MlmArguments"].mlm_probability == 0.15
