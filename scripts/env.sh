# Source this to use the project's tools by hand: `source scripts/env.sh`, then `cdktf synth`,
# `cdktf deploy <stack>` (or `cdktn ...` after `make setup CDK=cdktn`), `dativo-infra ...`. (The
# Makefile sets the same for its targets.)
_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export PATH="$_root/.venv/node-bin:$_root/node_modules/.bin:$_root/cli/cdktn/node_modules/.bin:$_root/.venv/bin:$PATH"
export TF_CLI_CONFIG_FILE="$_root/.gen/terraform.rc"
export CHECKPOINT_DISABLE=1
export CDKTF_DISABLE_TELEMETRY=true
unset _root
