# Two entry points do all set-up on a fresh Debian/Ubuntu machine:
#   make demo   install MAME if missing, create .venv, install mame_zoo, play a Boxing match (random agents)
#   make test   the same set-up, then the whole test suite against real MAME
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXTRAS ?= test,train
TORCH ?= torch==2.13.0
# Ray RLlib pins an older gymnasium, so its test runs in a venv of its own (the main one keeps the newest)
RAY_VENV ?= .venv-ray

.PHONY: demo test lint bench soak setup mame venv ray-venv clean

demo: setup
	$(VENV)/bin/mame-zoo demo

test: setup ray-venv
	$(PY) -m ruff check .
	$(PY) -m pytest -ra
	$(RAY_VENV)/bin/python -m pytest -ra tests/test_rllib.py tests/test_scale.py

bench: setup
	$(PY) benchmarks/bench_bridge.py

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
	rm -rf $(VENV) $(RAY_VENV) build dist *.egg-info .pytest_cache .ruff_cache
