"""Files a user names, read safely: the one bounded reader (:func:`yamlpos.read_bounded`), documents
described without their text, refused characters on their line, discovery of job files (links, case,
duplicates) and confined ``asset_path`` references (:mod:`dativo_infra.config.assets`)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from dativo_infra.config.loader import discover, load_job, load_jobs
from dativo_infra.config.settings import SETTINGS_ENV, load_settings
from dativo_infra.config.yamlpos import MAX_FILE_BYTES, parse_bytes, parse_positioned, read_bounded
from dativo_infra.errors import ErrorReport, JobError
from tests.cli import in_new_process

VALID = Path("tests/fixtures/jobs/valid/minimal_aws.yaml").resolve()
SECRET = "-----BEGIN PRIVATE KEY----- s3cr3t-marker"


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load_job(path)
    return [str(e) for e in caught.value]


# --- the bounded reader ---------------------------------------------------------------------------


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"a: 1\n" * 1000)
    assert read_bounded(path, "a.yaml") == b"a: 1\n" * 1000


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "job.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(JobError) as caught:
        read_bounded(fifo, "job.yaml")
    assert time.monotonic() - start < 5
    assert str(caught.value) == "job.yaml: not a regular file (a FIFO); expected a regular file"


@pytest.mark.parametrize(
    ("target", "kind"), [("/dev/zero", "a device"), ("/dev/urandom", "a device"), ("/dev/null", "a device")]
)
def test_a_link_to_a_device_is_refused(tmp_path: Path, target: str, kind: str) -> None:
    link = tmp_path / "job.yaml"
    link.symlink_to(target)
    with pytest.raises(JobError) as caught:
        read_bounded(link, "job.yaml")
    assert str(caught.value) == f"job.yaml: not a regular file ({kind}); expected a regular file"


def test_a_directory_and_a_socket_are_refused(tmp_path: Path) -> None:
    with pytest.raises(JobError, match=r"not a regular file \(a directory\); expected a regular file"):
        read_bounded(tmp_path, "d")
    path = tmp_path / "s.yaml"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(JobError, match=r"^s.yaml: not a regular file \(a socket\)"):
            read_bounded(path, "s.yaml")
    finally:
        server.close()


def test_the_limit_holds_when_stat_says_nothing(tmp_path: Path) -> None:
    """``/proc`` files report size 0: the reader stops at the limit whatever stat says."""
    proc = Path("/proc/self/maps")
    assert proc.stat().st_size == 0
    with pytest.raises(JobError) as caught:
        read_bounded(proc, "maps", limit=10)
    assert str(caught.value) == "maps: file is too large, got more than 10 bytes; expected at most 10 bytes"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 11)
    with pytest.raises(JobError, match="got 11 bytes; expected at most 10 bytes"):
        read_bounded(big, "big.yaml", limit=10)
    assert read_bounded(big, "big.yaml", limit=11) == b"#" * 11


def test_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(JobError) as caught:
        read_bounded(tmp_path / "nope.yaml", "nope.yaml")
    assert str(caught.value) == "nope.yaml: cannot read file (No such file or directory)"


def test_cli_on_endless_blocking_or_secret_job_files_exits_2_quickly(tmp_path: Path) -> None:
    """Links to endless devices, to a FIFO without a writer and to a key file: one ``validate`` run
    reports each (the devices and the FIFO unread, the key without its text), exit 2, no traceback."""
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "id_rsa").write_text(SECRET + "\n" + "x" * 200 + "\n")
    links = []
    for name, target in (
        ("zero", "/dev/zero"),
        ("random", "/dev/urandom"),
        ("fifo", tmp_path / "fifo"),
        ("key", tmp_path / "id_rsa"),
    ):
        links.append(tmp_path / f"{name}.yaml")
        links[-1].symlink_to(target)
    start = time.monotonic()
    # a new process: a read that blocks would hang the test process (here it is killed after 30 s)
    result = in_new_process("validate", *map(str, links), timeout=30)
    assert time.monotonic() - start < 30
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("not a regular file (a device)") == 2
    assert result.stderr.count("not a regular file (a FIFO)") == 1
    assert "document is not a mapping, got a scalar of" in result.stderr
    assert "s3cr3t" not in result.stderr and "xxxx" not in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr


def test_platform_settings_are_read_through_the_bounded_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "platform.yaml"
    settings.symlink_to("/dev/zero")
    with pytest.raises(ErrorReport) as caught:
        load_settings(settings)
    assert [e.problem for e in caught.value] == ["not a regular file (a device)"]


# --- documents are described, never echoed ---------------------------------------------------------


def test_a_scalar_document_is_described_without_its_text() -> None:
    with pytest.raises(JobError) as caught:
        parse_positioned(SECRET + "\n", "key.pem")
    assert str(caught.value) == (
        f"key.pem:1: document is not a mapping, got a scalar of {len(SECRET)} characters; "
        "expected a mapping with tenant_id, environment and infrastructure"
    )
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "char"),
    [
        ("a: 1\nb: 2\nc: x\x00y\n", 3, "0000"),
        ("a: 1\n\nb: 2\n\x07c: 3\n", 4, "0007"),
        ("a:\n  - 1\n  - 2\n  - \x1b[31m\n", 4, "001b"),
        ("\x00", 1, "0000"),
    ],
)
def test_a_refused_character_is_reported_on_its_line(text: str, line: int, char: str) -> None:
    with pytest.raises(JobError) as caught:
        parse_bytes(text.encode(), "f.yaml")
    assert str(caught.value) == (
        f"f.yaml:{line}: invalid YAML: unacceptable character #x{char}: control characters are not allowed"
    )


def test_oversized_bytes_name_their_size() -> None:
    with pytest.raises(JobError, match=f"got {MAX_FILE_BYTES + 1} bytes"):
        parse_bytes(b"#" * (MAX_FILE_BYTES + 1), "f.yaml")


# --- discovery -----------------------------------------------------------------------------------------


def jobs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "jobs"
    (directory / "acme").mkdir(parents=True)
    (directory / "acme" / "a.yaml").write_bytes(VALID.read_bytes())
    return directory


def test_one_file_given_twice_is_one_job(tmp_path: Path) -> None:
    directory = jobs_dir(tmp_path)
    twice = [str(directory / "acme" / "a.yaml"), str(directory / "acme" / ".." / "acme" / "a.yaml")]
    assert discover(twice) == [directory / "acme" / "a.yaml"]
    assert len(load_jobs([*twice, str(directory)])) == 1  # never "the same stack as itself"


def test_a_link_to_a_job_in_the_same_directory_is_that_job(tmp_path: Path) -> None:
    directory = jobs_dir(tmp_path)
    (directory / "acme" / "b.yaml").symlink_to("a.yaml")
    assert len(discover([str(directory)])) == 1


def test_broken_and_outside_links_and_wrong_case_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = jobs_dir(tmp_path)
    monkeypatch.chdir(tmp_path)  # short paths in the messages
    directory = Path("jobs")
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(SECRET)
    (directory / "acme" / "broken.yaml").symlink_to("gone.yaml")
    (directory / "acme" / "out.yaml").symlink_to(outside)
    (directory / "acme" / "upper.YAML").write_bytes(VALID.read_bytes())
    (directory / "acme" / "mixed.Yml").write_bytes(VALID.read_bytes())
    (directory / "platform.YAML").write_text("default_tags: {}\n")  # not a job, whatever its case
    (directory / "acme" / "assets").mkdir()
    (directory / "acme" / "assets" / "x.YAML").write_text("skipped\n")
    report = ErrorReport()
    assert discover([str(directory)], report) == [directory / "acme" / "a.yaml"]
    rel = os.path.relpath(directory)
    assert [str(e) for e in report] == [
        f"{rel}/acme/broken.yaml: broken symbolic link, got 'gone.yaml'; expected a link to a job file",
        f"{rel}/acme/mixed.Yml: job file extension is not lower case, got '.Yml'; "
        "expected a job file named *.yaml or *.yml (rename it)",
        f"{rel}/acme/out.yaml: symbolic link points outside {rel}, got 'elsewhere.yaml'; "
        f"expected a link to a job file inside {rel}",
        f"{rel}/acme/upper.YAML: job file extension is not lower case, got '.YAML'; "
        "expected a job file named *.yaml or *.yml (rename it)",
    ]
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(directory)])
    assert len(caught.value) == 4
    assert "s3cr3t" not in str(caught.value)


def test_a_fifo_in_a_jobs_directory_is_reported(tmp_path: Path) -> None:
    directory = jobs_dir(tmp_path)
    os.mkfifo(directory / "acme" / "pipe.yaml")
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(directory)])
    assert [e.problem for e in caught.value] == ["not a regular file (a FIFO)"]


# --- confined asset_path --------------------------------------------------------------------------------


def job_with_asset(directory: Path, asset_path: str) -> Path:
    job = directory / "job.yaml"
    job.parent.mkdir(parents=True, exist_ok=True)
    job.write_text(f"asset_path: {asset_path}\n" + VALID.read_text())
    return job


def asset_errors(job: Path) -> list[tuple[int, str, str, str | None, str | None]]:
    with pytest.raises(ErrorReport) as caught:
        load_job(job)
    return [(e.line, e.path, e.problem, e.got, e.expected) for e in caught.value]


@pytest.fixture
def jobs_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A jobs tree with platform settings (its directory is the allowed root) and an asset in it."""
    tree = tmp_path / "jobs"
    (tree / "assets").mkdir(parents=True)
    (tree / "platform.yaml").write_text("default_tags: {}\n")
    (tree / "assets" / "x.yaml").write_text("finops:\n  project: p1\n")
    monkeypatch.setenv(SETTINGS_ENV, str(tree / "platform.yaml"))
    return tree


def test_an_asset_up_the_jobs_tree_is_read(jobs_tree: Path) -> None:
    job = load_job(job_with_asset(jobs_tree / "acme", "../assets/x.yaml"))
    assert job.asset is not None and job.asset.finops["project"].value == "p1"


@pytest.mark.parametrize(
    ("asset_path", "problem"),
    [
        ("/etc/passwd", "asset_path must be relative to the job file"),
        ("~/.ssh/id_rsa", "asset_path must be relative to the job file"),
        ("../../secret.pem", "asset_path points outside the allowed directories"),
        ("../assets/../../secret.pem", "asset_path points outside the allowed directories"),
        ("link.yaml", "asset_path points outside the allowed directories"),
        ('"a\\0b"', "asset_path is not a usable file path"),
    ],
)
def test_an_asset_outside_the_jobs_tree_is_refused_unread(
    jobs_tree: Path, asset_path: str, problem: str
) -> None:
    secret = jobs_tree.parent / "secret.pem"
    secret.write_text(SECRET)
    (jobs_tree / "acme").mkdir()
    (jobs_tree / "acme" / "link.yaml").symlink_to(secret)
    job = job_with_asset(jobs_tree / "acme", asset_path)
    [(line, path, got_problem, got, expected)] = asset_errors(job)
    assert (line, path, got_problem) == (1, "asset_path", problem)
    assert got is not None and "s3cr3t" not in got and "\x00" not in got
    assert expected == f"a path relative to the job file that stays inside {os.path.relpath(jobs_tree)}"


def test_a_job_outside_the_jobs_tree_may_use_its_own_directory_only(jobs_tree: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.yaml").write_text("team: t\n")
    assert load_job(job_with_asset(other, "a.yaml")).asset is not None
    [(_line, _path, problem, _got, expected)] = asset_errors(job_with_asset(other, "../jobs/assets/x.yaml"))
    assert problem == "asset_path points outside the allowed directories"
    assert expected == f"a path relative to the job file that stays inside {os.path.relpath(other)}"


def test_asset_roots_of_the_platform_settings_are_allowed(
    jobs_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "s.yaml").write_text("team: shared\n")
    settings_file = jobs_tree / "with_roots.yaml"  # settings are cached by path: a new file
    settings_file.write_text("asset_roots: [../shared]\n")
    monkeypatch.setenv(SETTINGS_ENV, str(settings_file))
    job = load_job(job_with_asset(jobs_tree / "acme", "../../shared/s.yaml"))
    assert job.asset is not None and job.asset.governance["team"].value == "shared"


def test_an_asset_that_is_a_fifo_is_refused_at_asset_path(jobs_tree: Path) -> None:
    os.mkfifo(jobs_tree / "assets" / "pipe.yaml")
    [(line, path, problem, _got, _expected)] = asset_errors(
        job_with_asset(jobs_tree / "acme", "../assets/pipe.yaml")
    )
    assert (line, path, problem) == (1, "asset_path", "asset definition is not a regular file (a FIFO)")
