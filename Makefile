# Developer entry points; CI runs `make test` (see .ci/run).
VENV   := .venv
PYTEST := $(VENV)/bin/pytest
PYTEST_ARGS ?=

.PHONY: install test demo clean policy-sample config-sample

# Virtualenv with the project and its test extras, Keystone in its own
# virtualenv (.venv-keystone, for the --keystone sandbox and its tests), plus
# the Debian packages of the database servers the tests start (MariaDB,
# PostgreSQL).
install:
	bash tools/install-deps.sh

# Two workers: the sandboxes' servers mostly wait on each other, so two
# modules at a time fill the 2 cores CI has (tests/conftest.py).
TEST_WORKERS ?= 2

test: install
	$(PYTEST) -q -n $(TEST_WORKERS) tests $(PYTEST_ARGS)

demo: install
	$(VENV)/bin/python -m tricircle.sandbox.demo

# The committed policy samples, from the rules' defaults in code.
policy-sample:
	$(VENV)/bin/oslopolicy-sample-generator --namespace tricircle \
	    --output-file etc/tricircle-api-policy.yaml.sample
	$(VENV)/bin/oslopolicy-sample-generator --namespace tricircle-neutron \
	    --output-file etc/tricircle-neutron-policy.yaml.sample

# The committed config sample, from the options in code and the libraries'
# (namespaces listed in etc/oslo-config-generator/tricircle.conf).
config-sample:
	$(VENV)/bin/oslo-config-generator \
	    --config-file etc/oslo-config-generator/tricircle.conf

clean:
	rm -rf $(VENV) $(VENV)-keystone build .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
