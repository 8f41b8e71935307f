# The two commands of the README:
#   make run   - the main job: set up, validate, synthesize every example job, deploy the AWS ones to
#                a local moto cloud with the cdktf CLI, render outputs, read tags back, destroy
#   make test  - set up and run the whole test suite (slow end-to-end tests included)
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/node-bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/.venv/bin:$(PATH)
export TF_CLI_CONFIG_FILE := $(CURDIR)/.gen/terraform.rc
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_TELEMETRY := true

.PHONY: setup run test test-fast lint bench clean

setup:
	@scripts/setup.sh

run: setup
	dativo-infra validate jobs
	dativo-infra local-run --jobs jobs --workdir .gen/local-run

test: setup
	python -m pytest

test-fast: setup
	python -m pytest -m "not slow"

lint: setup
	ruff check .
	ruff format --check .
	python -m mypy

bench: setup
	python benchmarks/run.py

clean:
	rm -rf cdktf.out state .gen .pytest_cache
