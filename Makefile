# Arabic news IE: fine-tune CAMeLBERT for NER and event classification.
PY_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Offline only where it must be (the tests, the demo); `make train` downloads the base model from the Hub.
test demo publish-demo: export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup test lint demo train clean publish-demo

$(VENV)/.installed: pyproject.toml
	$(PY_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV): $(VENV)/.installed

setup: $(VENV)

test: $(VENV)
	$(PY) -m pytest -q

lint: $(VENV)
	$(VENV)/bin/ruff check train scripts tests

DEMO_BASE := models/demo/base

# Offline end-to-end demo: tiny BERT built from the seed corpus; NER, sentence events and event
# triggers trained and evaluated on it, then published to models/demo/ and run on an article.
demo: $(VENV)
	$(PY) scripts/make_tiny_model.py $(DEMO_BASE)
	$(PY) scripts/train.py configs/demo-ner.yaml
	@cat runs/demo/ner/eval_report.md
	$(PY) scripts/train.py configs/demo-events.yaml
	@cat runs/demo/events/eval_report.md
	$(PY) scripts/train.py configs/demo-triggers.yaml
	@cat runs/demo/triggers/eval_report.md
	$(MAKE) --no-print-directory publish-demo
	$(PY) scripts/predict.py --ner models/demo/ner --events models/demo/events --triggers models/demo/triggers \
		--no-progress --format html --output runs/demo/seed.html data/seed.jsonl
	@echo "Published models: models/demo/{ner,events,triggers}; the seed articles as a page: runs/demo/seed.html"

# Fine-tune CAMeLBERT-MSA by its Hub name (configs/ner.yaml pins refs/pr/1, the revision with safetensors);
# with a warm cache `HF_HUB_OFFLINE=1 make train` needs no network. Ends with a model in output_dir (runs/ner).
train: $(VENV)
	$(PY) scripts/train.py configs/ner.yaml $(ARGS)

clean:
	rm -rf models/demo runs/demo

# Last step of `make demo`: publish the three demo runs as clean model folders with cards.
publish-demo: $(VENV)
	$(PY) scripts/publish.py runs/demo/ner --out models/demo/ner --train-file data/seed.jsonl
	$(PY) scripts/publish.py runs/demo/events --out models/demo/events --train-file data/seed.jsonl
	$(PY) scripts/publish.py runs/demo/triggers --out models/demo/triggers --train-file data/seed.jsonl
