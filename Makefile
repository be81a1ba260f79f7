# Two commands do all set-up:  `make lab`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PATH := $(abspath $(VENV))/bin:$(PATH)
# Debian packages the tests and lectures need (installed by `make test` when run as root with apt).
APT_PACKAGES := dataset-fashion-mnist bubblewrap chromium
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test venv system-deps benchmark site slides clean-runtime

venv: $(STAMP)

CHP := $(VENV)/node/node_modules/.bin/configurable-http-proxy

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[course,hub,test]'
	@touch $(STAMP)

# JupyterHub's proxy, from the npm registry (for the hub test and deploy/jupyterhub).
$(CHP):
	@command -v npm >/dev/null || { echo "MISSING: npm (Node.js) is needed for configurable-http-proxy" >&2; exit 1; }
	npm install --silent --no-fund --no-audit --prefix $(VENV)/node configurable-http-proxy

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "MISSING system packages:$$missing -- install them with: sudo apt-get install$$missing" >&2; \
	  echo "(the tests that need them will FAIL, not skip)" >&2; \
	fi

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip 127.0.0.1 --no-browser $(ROOT_FLAG)

# reveal.js, MathJax, require.js and jQuery for decks that work offline (`make slides`).
SLIDE_ASSETS := $(VENV)/node/node_modules/reveal.js/dist/reveal.js
$(SLIDE_ASSETS):
	@command -v npm >/dev/null || { echo "MISSING: npm (Node.js) is needed for the offline slides" >&2; exit 1; }
	npm install --silent --no-fund --no-audit --prefix $(VENV)/node reveal.js@4 mathjax@2 requirejs jquery@2

slides: $(STAMP) $(SLIDE_ASSETS)
	timeout 900 $(PY) -m dlcourse.site --slides --assets $(VENV)/node/node_modules --out build/slides

test: $(STAMP) $(CHP) $(SLIDE_ASSETS) system-deps
	$(PY) -m pytest

benchmark: $(STAMP)
	$(PY) benchmarks/gd_softmax.py
	$(PY) benchmarks/explorers.py
	$(PY) benchmarks/grading.py

site: $(STAMP) $(SLIDE_ASSETS)
	timeout 900 $(PY) -m dlcourse.site --assets $(VENV)/node/node_modules --lectures lectures --out build/site

clean-runtime:
	rm -rf build submitted autograded feedback grades gradebook.db
