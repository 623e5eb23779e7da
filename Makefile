# One Makefile for people and CI. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
APT_PACKAGES := ffmpeg pkg-config libavcodec-dev libavformat-dev libavutil-dev libswscale-dev \
	libavdevice-dev libavfilter-dev chromium fonts-noto-core

.PHONY: install demo demo-serve bench-serve bench-taxii bench-sources test test-sqlite test-postgres lint format bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m raqib.demo

demo-serve: $(STAMP)
	$(BIN)/python -m raqib.demo --serve

test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	RAQIB_TEST_DATABASE=sqlite $(BIN)/pytest -n 2 -q

# The second run repeats only the tests that touch a database (see tests/conftest.py).
test-postgres: $(STAMP)
	RAQIB_TEST_DATABASE=$(PG_URL) RAQIB_TEST_DATABASE_ONLY=1 $(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP)
	$(BIN)/python bench/hash.py
	$(BIN)/python bench/match.py
	$(BIN)/python bench/text.py
	$(BIN)/python bench/console.py

# 10M PDQ hashes behind `raqib serve --workers 2`, a 10-minute soak: about 20 minutes.
bench-serve: $(STAMP)
	$(BIN)/python bench/serve.py --workers 2

# A TAXII collection of 1M indicators served and pulled (`raqib sync`): about 10 minutes.
bench-taxii: $(STAMP)
	$(BIN)/python bench/taxii.py

# A 1M-post Telegram-style export read, scanned, analysed and reported: about 20 minutes.
bench-sources: $(STAMP)
	$(BIN)/python bench/sources.py

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	else echo "system packages present"; fi

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
