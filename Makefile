# Developer entry points; CI runs `make test` (see .ci/run).
VENV   := .venv
PYTEST := $(VENV)/bin/pytest
PYTEST_ARGS ?=

.PHONY: install test demo clean

# Virtualenv with the project and its test extras, plus the Debian packages
# of the database servers the tests start (MariaDB, PostgreSQL).
install:
	bash tools/install-deps.sh

test: install
	$(PYTEST) -q tests $(PYTEST_ARGS)

demo: install
	$(VENV)/bin/python -m tricircle.sandbox.demo

clean:
	rm -rf $(VENV) build .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
