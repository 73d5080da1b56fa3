# Two commands on a fresh machine:
#   make build   -- set up .venv and build dist/ from source/
#   make test    -- set up .venv (with test tools) and run the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: build test bench lint clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

build: $(VENV)/.installed
	$(BIN)/deckpress build

# A real Anki desktop for the sync tests, in its own virtualenv (shared/anki-desktop.md).
# If it cannot be installed, those tests skip and say why.
ANKI_DESKTOP ?= .anki-desktop

$(ANKI_DESKTOP)/bin/anki:
	$(PYTHON) -m venv $(ANKI_DESKTOP) && \
	$(ANKI_DESKTOP)/bin/pip install -q 'aqt[qt]==26.9.3' 'anki==26.9.3' \
	  || echo "warning: Anki desktop could not be installed; the sync tests will be skipped"

test: $(VENV)/.installed-test $(ANKI_DESKTOP)/bin/anki chromium
	$(BIN)/ruff check deckpress tests bench
	$(BIN)/pytest -q

# Headless Chromium for the screenshot test of dist/cards.html, only if missing; when
# apt-get cannot install it (not root, offline) that test is skipped and says why.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
	  || command -v google-chrome >/dev/null \
	  || (apt-get update -qq && apt-get install -y -qq chromium) \
	  || echo "chromium could not be installed: the screenshot test will be skipped"

# The benchmark suite; writes bench/RESULTS.md. Needs pandoc for the baseline; measures
# the machine as the README sets it up (without the optional libharfbuzz-subset0, hidden
# from WeasyPrint if installed: bench/readme_only/).
bench: $(VENV)/.installed
	command -v pandoc >/dev/null || (apt-get update -qq && apt-get install -y -qq pandoc)
	$(BIN)/python bench/run.py --write

lint: $(VENV)/.installed-test
	$(BIN)/ruff check deckpress tests bench
	$(BIN)/ruff format --check deckpress tests bench

clean:
	rm -rf dist $(VENV) $(ANKI_DESKTOP)
