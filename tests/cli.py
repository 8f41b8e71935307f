"""Running the ``dativo-infra`` command line from tests.

:func:`in_process` runs it in the test process: the same exit code, stdout and stderr as
``python -m dativo_infra.cli ARGS``, without the ~0.7 s start-up of a new interpreter. Most tests use it.
:func:`in_new_process` runs the real thing, for tests whose point is the process itself: the installed
CLI exits 2 without a traceback (one test per command), ``sys.modules`` after a command, a timeout on a
read that could block.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from dativo_infra import cli
from dativo_infra.errors import ErrorReport, JobError

COMMAND = typer.main.get_command(cli.app)  # built once: typer builds it again on every app() call


def in_process(
    *args: str, cwd: Path | str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``dativo-infra ARGS`` in this process, as :func:`dativo_infra.cli.main` runs it.

    ``cwd``: the working directory during the run. ``env``: the whole environment during the run (as
    ``subprocess.run(env=...)``: variables missing from it are unset). Fails the test if an exception
    other than ``SystemExit`` escapes (the real CLI would print a traceback and exit 1).
    """
    overrides: dict[str, str | None] | None = None
    if env is not None:
        overrides = {name: None for name in os.environ if name not in env} | dict(env)
    crash = ""
    with (
        contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext(),
        CliRunner().isolation(env=overrides) as (stdout, stderr, _),
    ):
        try:
            COMMAND.main(args=list(args), prog_name="dativo-infra")
            returncode = 0
        except SystemExit as done:  # as the interpreter turns sys.exit(code) into an exit status
            returncode = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
            if not isinstance(done.code, int | None):
                print(done.code, file=sys.stderr)
        except (ErrorReport, JobError) as report:  # main()
            returncode = cli.report_errors(report)
        except Exception:
            crash = traceback.format_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        out, err = _text(stdout.getvalue()), _text(stderr.getvalue())
    if crash:
        pytest.fail(f"dativo-infra {' '.join(args)} raised (the real CLI prints a traceback):\n{crash}")
    return subprocess.CompletedProcess(["dativo-infra", *args], returncode, out, err)


def _text(data: bytes) -> str:
    """What ``subprocess.run(text=True)`` makes of a stream: decoded, universal newlines."""
    return data.decode().replace("\r\n", "\n").replace("\r", "\n")


def in_new_process(
    *args: str, cwd: Path | str | None = None, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m dativo_infra.cli ARGS`` in a new process (``cwd``, ``env``: as ``subprocess.run``)."""
    # -P elsewhere than the project root: a dativo_infra/ directory there must not shadow the package.
    safe_path = ["-P"] if cwd is not None else []
    return subprocess.run(
        [sys.executable, *safe_path, "-m", "dativo_infra.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
