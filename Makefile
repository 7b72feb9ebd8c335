# Arabic news IE: fine-tune CAMeLBERT for NER and event classification.
PY_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup test lint demo train clean

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

clean:
	rm -rf models/demo runs/demo
