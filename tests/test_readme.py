"""The README is part of the product: its commands, output table and CLI table match the code."""

from __future__ import annotations

import re
from pathlib import Path

from dativo_infra.cli import app
from dativo_infra.contract import OUTPUTS

README = Path("README.md").read_text()


def test_the_first_two_commands_are_the_main_job_and_the_tests_and_ci_runs_the_same() -> None:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    ci = Path(".ci/run").read_text()
    assert re.search(r"^make test$", ci, re.M), ci


def test_the_output_table_lists_exactly_the_contract() -> None:
    for runtime, outputs in OUTPUTS.items():
        row = re.search(rf"^\| `{runtime.value}` \| (.*) \|$", README, re.M)
        assert row is not None, runtime
        assert sorted(re.findall(r"`(\w+)`", row.group(1))) == sorted(outputs), runtime


def test_every_cli_command_is_documented() -> None:
    names = {command.name or command.callback.__name__ for command in app.registered_commands}  # type: ignore[union-attr]
    documented = set(re.findall(r"^\| `([a-z-]+)[ `]", README, re.M))
    assert names <= documented, names - documented
