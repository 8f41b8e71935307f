"""Every case of the hostile corpus (:mod:`tests.hostile_cases`) is refused the same safe way:
exit 2, no traceback, the secret outside the jobs tree never echoed, no output line a CI runner
would execute (``::``), no raw control character, no file changed, and the message that proves
the refusal. The CLI runs in-process, each case in its own workspace."""

from __future__ import annotations

import os
import shutil
import signal
import stat
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
import typer
from click.testing import CliRunner

from dativo_infra.cli import app
from dativo_infra.config import settings
from tests.hostile_cases import PRIVATE_KEY, SECRET, Case, all_cases

CASES = all_cases()
#: The click command behind the CLI, built once (typer rebuilds it on every call otherwise).
COMMAND = typer.main.get_command(app)
#: A case that blocks (a FIFO read) fails after this many seconds instead of hanging the suite.
CASE_TIMEOUT = 20


def test_the_corpus_is_large_and_covers_every_category() -> None:
    assert len(CASES) >= 200
    prefixes = {case.name.split("-")[0] for case in CASES}
    assert {"asset", "grant", "fifo", "newline", "dialect", "render", "strict", "fixture"} <= prefixes


def _tree(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every path under ``root`` with its mode and content (regular files), link target (symlinks)
    or nothing (FIFOs, directories): nothing that blocks is read."""
    state: dict[str, tuple[int, bytes | str | None]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            info = path.lstat()
            content: bytes | str | None = None
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                content = path.read_bytes()
            state[str(path.relative_to(root))] = (info.st_mode, content)
    return state


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``tmp/work`` holding a copy of the example jobs (the working directory), and
    ``tmp/private`` holding a secret the jobs tree must never leak."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "id_rsa").write_text(PRIVATE_KEY, encoding="utf-8")
    work = tmp_path / "work"
    shutil.copytree("jobs", work / "jobs", symlinks=True)
    monkeypatch.chdir(work)
    for name in ("DATIVO_PLATFORM_SETTINGS", "DATIVO_DEPLOY_TARGET"):
        monkeypatch.delenv(name, raising=False)
    settings._load.cache_clear()
    yield work
    settings._load.cache_clear()
    for path in work.rglob("*"):  # read-only files must not stop the clean-up
        if path.is_file() and not path.is_symlink():
            path.chmod(0o644)


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError(f"the command did not finish in {CASE_TIMEOUT} s")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_is_refused_safely(
    case: Case, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = case.build(workspace)
    for name, value in case.env:
        monkeypatch.setenv(name, value)
    before = _tree(workspace.parent)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_TIMEOUT)
    try:
        result = CliRunner().invoke(COMMAND, args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert SECRET not in output and "root:x:0:0" not in output
    for line in output.splitlines():
        assert not line.lstrip().startswith("::"), line
        assert line.isprintable(), repr(line)
    assert case.expect in output, output
    assert _tree(workspace.parent) == before
