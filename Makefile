# The newcomer's whole set-up: `make demo` and `make test` (each creates .venv when missing).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8001
# make browse: the real archive when it exists, else the demo's (or ARCHIVE=...)
ARCHIVE ?=
DEMO_PORT ?= 0

# pywb (the WARC tests' replay peer) pins redis 2.10.6, which the distributed mode cannot
# use: it lives in a venv of its own, made from scratch when missing.
PYWB_VENV := $(VENV)/pywb
PYWB_STAMP := $(PYWB_VENV)/.installed-stamp
PYWB_VERSION := 2.10.0

.PHONY: demo test browser redis browse bench clean cluster-demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)        ## crawl the bundled sample portal into data/demo.db (DEMO_PORT=N: its local port)
	$(PY) -m newsspider.demo --archive data/demo.db --port $(DEMO_PORT)

test: $(STAMP) $(PYWB_STAMP) browser redis ## the whole test suite
	$(PY) -m pytest -q

$(PYWB_STAMP):
	test -x $(PYWB_VENV)/bin/python || $(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYWB_VENV)/bin/python -m pip install --quiet "pywb==$(PYWB_VERSION)"
	touch $(PYWB_STAMP)

# The distributed mode's tests and `make cluster-demo` start a real redis-server on
# 127.0.0.1: Debian's package (7.0; the PyPI wheel's 6.0.9 is built for Python 3.8 only).
# Installed when missing and we are root (CI is); elsewhere those tests skip with a reason.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null) \
	      || { echo "could not install redis-server"; [ "$$CI" != true ]; }; \
	  else echo "redis-server missing and not root: the cluster tests will skip"; fi; }

# The browser tests drive Debian's Chromium (with a Bangla font for the screenshots).
# Installed when missing and we are root (CI is); elsewhere those tests skip with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-lohit-beng-bengali fonts-noto-core >/dev/null) \
	      || { echo "could not install chromium"; [ "$$CI" != true ]; }; \
	  else echo "chromium missing and not root: the browser tests will skip"; fi; }

cluster-demo: $(STAMP) redis ## a distributed crawl: Redis, the sample portal, 3 crawlers and the writer into data/cluster-demo.db
	$(PY) -m newsspider.cluster.demo --archive data/cluster-demo.db

browse: $(STAMP)      ## Datasette on the archive, read-only, on 127.0.0.1:$(PORT)
	$(PY) -m newsspider.browse $(if $(ARCHIVE),--archive $(ARCHIVE)) --port $(PORT)

bench: $(STAMP) redis ## speed, memory and search figures: tables, bench/out/perf.json, search.json and cluster.json (BENCH_ARGS=--quick; SEARCH_ARGS=--sizes 50000,500000)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench.perf $(BENCH_ARGS)
	$(PY) -m bench.search $(if $(findstring --quick,$(BENCH_ARGS)),--quick) $(SEARCH_ARGS)
	$(PY) -m bench.cluster $(if $(findstring --quick,$(BENCH_ARGS)),--quick)

clean:
	rm -rf $(VENV) build *.egg-info
