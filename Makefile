# Arabic news IE: fine-tune CAMeLBERT for NER and event classification.
PY_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Offline only where it must be (the tests, the demo); `make train` downloads the base model from the Hub.
test test-fast demo publish-demo: export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup test test-fast lint lock demo train clean publish-demo

# The exact versions the suite is green with (every package, direct and transitive) are in
# requirements.lock, made from pyproject.toml by `make lock`; setup installs from it.
LOCK := requirements.lock
PIP_VERSION := 26.3
UV_VERSION := 0.13.9
TORCH_VERSION := 2.13.0

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PY_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION) uv==$(UV_VERSION)
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r $(LOCK)
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

# Re-resolve every dependency from pyproject.toml (the dev extra included) to the newest versions
# it allows, with torch held at the CPU build that setup installs; commit the result on its own.
# The resolver lives in its own small venv, so a lock can be made before .venv exists.
LOCK_VENV := .venv-lock
lock:
	test -x $(LOCK_VENV)/bin/uv || ($(PY_BOOT) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet uv==$(UV_VERSION))
	echo "torch==$(TORCH_VERSION)" > $(LOCK_VENV)/torch-constraint.txt
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml --extra dev --extra bench --quiet --no-header --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -c $(LOCK_VENV)/torch-constraint.txt \
		$(if $(wildcard /opt/wheels),--find-links /opt/wheels) -o $(LOCK).tmp
	sed -e 's/^torch==$(TORCH_VERSION)+cpu$$/torch==$(TORCH_VERSION)/' $(LOCK).tmp > $(LOCK).new
	(echo "# Every package of the CPU install, pinned. Made by \`make lock\` (uv pip compile pyproject.toml --extra dev --extra bench);"; \
	 echo "# torch is installed first by \`make setup\` (the CPU build, $(TORCH_VERSION))."; cat $(LOCK).new) > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK) && rm -f $(LOCK).new

$(VENV): $(VENV)/.installed

setup: $(VENV)

# The whole suite, one worker per core; tests that share a trained model run in one worker.
test: $(VENV)
	$(PY) -m pytest -q -n auto --dist loadgroup

# The edit-test loop: no training, no servers (tests marked slow or server are left out).
test-fast: $(VENV)
	$(PY) -m pytest -q -n auto -m "not slow and not server"

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

# Train the model set from one corpus, each task from its own config (configs/<task>.yaml), by the
# base model's Hub name (the configs pin refs/pr/1, the revision with safetensors): runs/ner, runs/events,
# runs/triggers and, when the corpus has roles, runs/roles. TASKS="ner events" trains a subset,
# CORPUS=FILE sets the corpus, ARGS="..." reaches every task's train.py. With a warm cache
# `HF_HUB_OFFLINE=1 make train` needs no network.
RUNS ?= runs
CORPUS ?= data/seed.jsonl
TASKS ?=
train: $(VENV)
	$(PY) scripts/train_set.py --runs $(RUNS) --corpus $(CORPUS) $(if $(strip $(TASKS)),--tasks $(TASKS)) -- $(ARGS)

clean:
	rm -rf models/demo runs/demo

# Last step of `make demo`: publish the three demo runs as clean model folders with cards.
publish-demo: $(VENV)
	$(PY) scripts/publish.py runs/demo/ner --out models/demo/ner --train-file data/seed.jsonl
	$(PY) scripts/publish.py runs/demo/events --out models/demo/events --train-file data/seed.jsonl
	$(PY) scripts/publish.py runs/demo/triggers --out models/demo/triggers --train-file data/seed.jsonl
