# elumo pass. `make run` serves the demo; `make test` runs every check. Both set up what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS ?= $(HOME)/.cache/elumo-pass/tools
# Compiled crates live outside the clone, so a fresh clone (CI) and a second checkout reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/elumo-pass/target
export PATH := $(TOOLS)/bin:$(PATH)
export ELUMO_SERVER_BIN := $(CARGO_TARGET_DIR)/release/server
export ELUMO_SITE_ROOT ?= $(CURDIR)/target/site

.PHONY: help tools build run test check fmt-check browser-deps clippy unit e2e e2e-deps size bench soak clean-data

help:
	@echo "make run    build and serve the demo on http://127.0.0.1:3000"
	@echo "make test   formatting, clippy, every cargo test and the Playwright suite"
	@echo "make size   the phone page's first-load size (raw and compressed)"
	@echo "make bench  pass issuance, load, SMS latency, memory, page weight and speed (server/benches/*.md)"
	@echo "make soak   faults at full size (kill -9 in 1,000 journeys, 60 s SMS outage, locked DB,"
	@echo "            PostgreSQL restart) and fuzzing (a million phone inputs, 20,000 requests)"

tools:
	@.ci/install-tools

## Release build: the server binary and the site (WASM, JS, CSS), precompressed.
build: tools
	cargo leptos build --release --precompress

run: build
	@mkdir -p data
	$(ELUMO_SERVER_BIN) serve

test: tools fmt-check browser-deps clippy unit e2e
	@echo "make test: all checks passed"

fmt-check:
	cargo fmt --all -- --check

browser-deps:
	@.ci/browser-deps

clippy:
	cargo clippy -p app -p domain -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

unit:
	@if [ -z "$$ELUMO_TEST_DATABASE_URL" ]; then \
	  echo "make test: ELUMO_TEST_DATABASE_URL is not set, so the PostgreSQL half of the store suite is SKIPPED (SQLite runs)."; \
	  echo "           Set it to a PostgreSQL server URL (as .ci/run does) to run both."; \
	else echo "make test: store suite runs on SQLite and on PostgreSQL"; fi
	cargo test -p app -p domain -p server

e2e-deps:
	@cd end2end && if [ ! -d node_modules/@playwright/test ]; then \
	  echo "installing Playwright's test runner from npm (no browser download; Debian's chromium is used)"; \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; fi
	@test -x /usr/bin/chromium || { echo "Chromium is missing: apt-get install -y chromium"; exit 1; }

e2e: build e2e-deps
	cd end2end && npx playwright test

size: build
	@.ci/page-weight

bench: tools e2e-deps
	@.ci/bench

# The PostgreSQL restart case needs ELUMO_TEST_DATABASE_URL and a local cluster it may restart.
soak:
	@cluster=$$(command -v pg_lsclusters >/dev/null && pg_lsclusters -h | awk 'NR==1 {print $$1" "$$2}'); \
	if [ -n "$$ELUMO_TEST_DATABASE_URL" ] && [ -n "$$cluster" ]; then \
	  export SOAK_PG_RESTART="pg_ctlcluster $$cluster restart"; ignored=--include-ignored; \
	else echo "make soak: no ELUMO_TEST_DATABASE_URL or local PostgreSQL cluster: the PostgreSQL restart case is SKIPPED"; fi; \
	SOAK=1 cargo test --release -p server --test soak --test fuzz -- $$ignored --test-threads=1 --nocapture

clean-data:
	rm -rf data
