# The newcomer's whole set-up: `make demo` and `make test` (each creates .venv when missing).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8001
ARCHIVE ?= data/archive.db

.PHONY: demo test browse bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)        ## crawl the bundled sample portal into data/archive.db
	$(PY) -m newsspider.demo --archive $(ARCHIVE)

test: $(STAMP)        ## the whole test suite
	$(PY) -m pytest -q

browse: $(STAMP)      ## Datasette on the archive, read-only, on 127.0.0.1:$(PORT)
	$(PY) -m newsspider.browse --archive $(ARCHIVE) --port $(PORT)

clean:
	rm -rf $(VENV) build *.egg-info
