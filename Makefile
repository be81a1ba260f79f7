# Two commands do all set-up:  `make lab`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PATH := $(abspath $(VENV))/bin:$(PATH)
# Debian packages the tests and lectures need (installed by `make test` when run as root with apt).
APT_PACKAGES := dataset-fashion-mnist bubblewrap chromium git python3
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Every package pinned (make lock refreshes it each semester; a test fails when it is stale).
LOCK := requirements.lock
# PyTorch: the CPU build unless asked otherwise (`make test TORCH=cuda` on a GPU hub takes PyPI's CUDA build).
# PyTorch's CPU wheel index is named only when it answers within 3 s, so a machine that cannot reach it
# (a firewalled lab, CI here) installs at normal speed from what it has (PyPI, a local wheel).
TORCH ?= cpu
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
TORCH_INDEX_REACHABLE = $(shell curl -s -m 3 -o /dev/null $(TORCH_CPU_INDEX)/ && echo yes)
TORCH_FLAGS = $(if $(filter cpu,$(TORCH)),$(if $(TORCH_INDEX_REACHABLE),--extra-index-url $(TORCH_CPU_INDEX),),)
PIP_INSTALL = $(PY) -m pip install --quiet -c $(LOCK) $(TORCH_FLAGS)

.PHONY: links lab test venv system-deps benchmark site slides clean-runtime lock torch-source

venv: $(STAMP)

CHP := $(VENV)/node/node_modules/.bin/configurable-http-proxy

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@$(MAKE) --no-print-directory torch-source
	$(PIP_INSTALL) -e '.[course,hub,test]'
	@touch $(STAMP)

# Where PyTorch comes from (printed by every install).
torch-source:
	@if [ "$(TORCH)" != cpu ]; then echo "PyTorch: TORCH=$(TORCH): the build on PyPI (CUDA on Linux)"; \
	elif [ -n "$(TORCH_INDEX_REACHABLE)" ]; then echo "PyTorch: CPU build from $(TORCH_CPU_INDEX)"; \
	else echo "PyTorch: $(TORCH_CPU_INDEX) is unreachable from here; installing torch from PyPI or a local wheel" \
	  "(on Linux without a local CPU wheel that is the large CUDA build)"; fi

# Refresh requirements.lock from pyproject.toml (each semester, or after changing a dependency).
lock: $(STAMP)
	@mkdir -p build
	$(PY) -m pip install --dry-run --ignore-installed --quiet --report build/lock.json $(TORCH_FLAGS) -e '.[course,hub,test]'
	$(PY) -m dlcourse.lock write build/lock.json

# JupyterHub's proxy, from the npm registry (for the hub test and deploy/jupyterhub).
$(CHP):
	@command -v npm >/dev/null || { echo "MISSING: npm (Node.js) is needed for configurable-http-proxy" >&2; exit 1; }
	npm install --silent --no-fund --no-audit --prefix $(VENV)/node configurable-http-proxy

# The README's Binder badge and nbgitpuller links, from pyproject.toml's [tool.dlcourse] repository/branch/hub.
links: $(STAMP)
	$(PY) -m dlcourse.links write

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
$(SLIDE_ASSETS): | $(CHP)        # one npm at a time in .venv/node (`make -j2 test` runs npm beside pip)
	@command -v npm >/dev/null || { echo "MISSING: npm (Node.js) is needed for the offline slides" >&2; exit 1; }
	npm install --silent --no-fund --no-audit --prefix $(VENV)/node reveal.js@4 mathjax@2 requirejs jquery@2

slides: $(STAMP) $(SLIDE_ASSETS)
	timeout 900 $(PY) -m dlcourse.site --slides --assets $(VENV)/node/node_modules --out build/slides

# Test files run in parallel (pytest-xdist, one file per worker at a time, so each file's shared fixtures,
# such as one graded class per homework, are built once); much of the suite waits on kernels, servers and
# browsers, so 3 workers keep 2 cores busy. `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= 3
test: $(STAMP) $(CHP) $(SLIDE_ASSETS) system-deps
	$(VENV)/bin/ruff check lib tests benchmarks
	$(PY) -m dlcourse.lock check
	$(PY) -m dlcourse.links check
	$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

benchmark: $(STAMP)
	$(PY) benchmarks/gd_softmax.py
	$(PY) benchmarks/sgd_epoch.py
	$(PY) benchmarks/conv2d.py
	$(PY) benchmarks/explorers.py
	$(PY) benchmarks/explorers_lecture3.py
	$(PY) benchmarks/explorers_lecture4.py
	$(PY) benchmarks/grading.py

site: $(STAMP) $(SLIDE_ASSETS)
	timeout 900 $(PY) -m dlcourse.site --assets $(VENV)/node/node_modules --lectures lectures --out build/site

# Course hub (as root): accounts from the roster and the nbgrader exchange. make hub-accounts ROSTER=roster.csv
ROSTER ?= roster.csv
HUB_HOMES ?= /home
HUB_PASSWORDS ?= /root/course-passwords.csv
HUB_EXCHANGE ?= /srv/nbgrader/exchange
HUB_INSTRUCTOR ?= $(shell awk -F, 'NR>1 && $$2=="instructor" {print $$1; exit}' $(ROSTER) 2>/dev/null)
.PHONY: hub-accounts
hub-accounts: $(STAMP)
	$(PY) deploy/jupyterhub/course_setup.py accounts $(ROSTER) --homes $(HUB_HOMES) --passwords $(HUB_PASSWORDS)
	$(PY) deploy/jupyterhub/course_setup.py exchange --root $(HUB_EXCHANGE) --owner $(HUB_INSTRUCTOR)

clean-runtime:
	rm -rf build submitted autograded feedback grades gradebook.db
