# The two commands of the README:
#   make run   - the main job: set up, validate, synthesize every example job, deploy the AWS ones to
#                a local moto cloud with the cdktf CLI, render outputs, read tags back, destroy
#   make test  - set up (with the optional Dagster extra, for its tests) and run the whole test suite
#                (slow end-to-end tests included)
# CDK=cdktn (`make setup CDK=cdktn`, `make run CDK=cdktn`) sets .venv up with CDK Terrain and its cdktn
# CLI instead of cdktf (the default); a switch rebuilds .venv from scratch. The test suite runs on cdktf
# (its snapshots are cdktf's) and proves cdktn against it in .venv-cdktn (tests/test_cdk_equivalence.py).
SHELL := /bin/bash
CDK ?= cdktf
export PATH := $(CURDIR)/.venv/node-bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/cli/cdktn/node_modules/.bin:$(CURDIR)/.venv/bin:$(PATH)
export TF_CLI_CONFIG_FILE := $(CURDIR)/.gen/terraform.rc
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_TELEMETRY := true

.PHONY: setup setup-test run test test-fast lint bench clean

setup:
	@scripts/setup.sh --cdk $(CDK)

# the tests also cover the optional Dagster extra; `make run` does not install it. With cdktf (the
# default) they also compare its synth with cdktn's (tests/test_cdk_equivalence.py): .venv-cdktn and the
# cdktn CLI, beside the cdktf .venv.
setup-test:
	@if [[ "$(CDK)" != cdktf ]]; then \
	  echo "make $@: CDK=$(CDK): the test suite runs on cdktf (its snapshots are cdktf's) and tests CDK Terrain in .venv-cdktn (tests/test_cdk_equivalence.py); run it without CDK=" >&2; exit 2; fi
	@scripts/setup.sh --cdk cdktf --with-dagster --with-cdktn-venv

run: setup
	dativo-infra validate jobs
	dativo-infra local-run --jobs jobs --workdir .gen/local-run

test: setup-test
	python -m pytest

test-fast: setup-test
	python -m pytest -m "not slow"

lint: setup-test
	ruff check .
	ruff format --check .
	python -m mypy

bench: setup
	python benchmarks/run.py

clean:
	rm -rf cdktf.out state .gen .pytest_cache
