# Two entry points do all set-up on a fresh Debian/Ubuntu machine:
#   make demo   install MAME if missing, create .venv, install mame_zoo, play a Boxing match (random agents)
#   make test   the same set-up, then the whole test suite against every supported MAME version: the system's
#               (Debian 12: 0.251) and the newer Debian packages (scripts/provision_mame.sh, cached outside
#               the repo in MAME_ZOO_MAME_CACHE)
#   make test MAME=/path/to/mame   the whole suite against that one MAME binary only
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXTRAS ?= test,train,docs
TORCH ?= torch==2.13.0
# Ray RLlib pins an older gymnasium, so its test runs in a venv of its own (the main one keeps the newest)
RAY_VENV ?= .venv-ray
# The newer MAME versions the suite runs on besides the system's: Debian suites (trixie: 0.276, sid: newest)
MAME_SUITES ?= trixie sid
# One MAME binary to test against instead of all of them (e.g. make test MAME=/usr/local/bin/mame)
MAME ?=
# Test workers (pytest-xdist): one per core; XDIST= runs the suite in one process
XDIST ?= -n auto

.PHONY: demo test test-deps docs docs-serve bench soak setup mame mame-versions venv ray-venv clean

demo: setup
	$(VENV)/bin/mame-zoo demo

test: setup test-deps ray-venv
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
ifeq ($(strip $(MAME)),)
	$(PY) -m pytest -ra --durations=25 $(XDIST)
	@for suite in $(MAME_SUITES); do \
		launcher=$$(scripts/provision_mame.sh $$suite) || exit 1; \
		echo "=== the test suite on $$($$launcher -version) (Debian $$suite: $$launcher)"; \
		MAME_ZOO_MAME=$$launcher $(PY) -m pytest -ra --durations=25 $(XDIST) -m "not no_mame and not first_mame" || exit 1; \
	done
else
	MAME_ZOO_MAME=$(MAME) $(PY) -m pytest -ra --durations=25 $(XDIST)
endif
	$(if $(strip $(MAME)),MAME_ZOO_MAME=$(MAME) )$(RAY_VENV)/bin/python -m pytest -ra tests/test_rllib.py tests/test_scale.py

# Provision the newer MAME versions (Debian roots + launchers) and print their launchers
mame-versions:
	@for suite in $(MAME_SUITES); do scripts/provision_mame.sh $$suite; done

# The bridge and env benchmarks on every supported MAME (or on MAME=...), each against raw MAME of its version.
# Run on a quiet machine: one MAME-heavy job at a time.
bench: setup
	@for mame in $(if $(strip $(MAME)),$(MAME),$$($(PY) -c 'from mame_zoo.bridge import find_mame; print(find_mame())') $$(for s in $(MAME_SUITES); do scripts/provision_mame.sh $$s; done)); do \
		echo "=== benchmarks on $$mame"; \
		MAME_ZOO_MAME=$$mame $(PY) benchmarks/bench_bridge.py || exit 1; \
		MAME_ZOO_MAME=$$mame $(PY) benchmarks/bench_env.py || exit 1; \
	done

# 1 M steps of two Boxing envs with random actions, watching RSS and speed (about 30 min here; not part of `make test`)
soak: setup
	$(PY) benchmarks/soak.py --json soak.json

setup: mame venv

# MAME: keep any binary the user already has (MAME_ZOO_MAME, PATH, Debian's /usr/games/mame).
mame:
	@if [ -n "$$MAME_ZOO_MAME" ] || command -v mame >/dev/null 2>&1 || [ -x /usr/games/mame ]; then \
		echo "MAME found"; \
	else \
		echo "MAME not found: installing it with apt-get"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q mame; \
	fi

# What only the tests need from the system: a virtual X display (MAME's window is tested on every version) and
# headless Chromium with its driver (the documentation site is checked in a real browser)
test-deps:
	@command -v Xvfb >/dev/null 2>&1 || { echo "Xvfb not found: installing it with apt-get"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q xvfb; }
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
		echo "chromium or chromedriver not found: installing them with apt-get"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver; }

# The documentation site, built strictly (any warning fails) into site/; docs-serve serves it on localhost:8000
docs: venv
	$(VENV)/bin/mkdocs build --strict

docs-serve: venv
	$(VENV)/bin/mkdocs serve

venv: $(VENV)/.installed-$(EXTRAS)

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { \
		echo "python3-venv missing: installing it with apt-get"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"  # first: the CPU build; any other torch spec pulls GBs of CUDA
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

ray-venv: $(RAY_VENV)/.installed

$(RAY_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(RAY_VENV)
	$(RAY_VENV)/bin/python -m pip install -q --upgrade pip
	$(RAY_VENV)/bin/python -m pip install -q "$(TORCH)"
	$(RAY_VENV)/bin/python -m pip install -q -e ".[test,ray]"
	touch $@

clean:
	rm -rf $(VENV) $(RAY_VENV) site build dist *.egg-info .pytest_cache .ruff_cache
