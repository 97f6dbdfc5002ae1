# eventml — `make demo` and `make test` each set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install system-deps demo test test-faults lint typecheck unit integration bench lock clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install eventml with pinned dependencies

# Debian tools the tests drive: kcat (topics are plain Kafka), docker-compose (the compose
# file validates offline) and promtool from prometheus (alert rules and their unit tests).
SYSTEM_TOOLS := kcat:kcat docker-compose:docker-compose promtool:prometheus
system-deps: ## Install kcat, docker-compose and promtool from Debian's packages when missing
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
	      || echo "warning: could not install$$missing; tests needing them fail under CI=true"; \
	  else echo "note: missing$$missing (no root/apt); tests needing them skip (fail under CI=true)"; fi; fi

demo: $(STAMP) ## Run the demo on the embedded broker and Redis
	$(BIN)/eventml demo

lint: $(STAMP) ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy --strict on every package
	$(BIN)/mypy

test: system-deps lint typecheck ## Lint, type-check, then unit, contract, integration and e2e tests
	$(BIN)/pytest $(PYTEST_ARGS)

test-faults: $(STAMP) ## Every fault-injection test, including the known-flaky ones `make test` leaves out
	$(BIN)/pytest -m faults $(PYTEST_ARGS)

unit: $(STAMP) ## Only the fast tests without servers
	$(BIN)/pytest tests/unit tests/contract $(PYTEST_ARGS)

bench: $(STAMP) ## Run every benchmark; JSON and RESULTS.md in benchmarks/results/
	$(BIN)/eventml bench all --out benchmarks/results

lock: $(STAMP) ## Re-pin constraints.txt from the current environment
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^eventml' > constraints.tmp
	( echo '# Pinned versions for every environment (make, CI, users). Regenerate with `make lock`.'; cat constraints.tmp ) > constraints.txt
	rm constraints.tmp

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .eventml
