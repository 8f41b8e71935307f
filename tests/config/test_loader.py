"""The loader's batch behaviour not covered by the file and schema tests: the garbage collector is
paused while jobs load and left as it was found."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from dativo_infra.config.loader import _directory_jobs, collector_paused, load_jobs
from dativo_infra.errors import ErrorReport


def test_the_collector_is_paused_while_loading_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause found it paused: it stays paused
    assert gc.isenabled()


def test_the_collector_is_restored_when_loading_fails(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("tenant_id: [\n")
    with pytest.raises(ErrorReport):
        load_jobs([str(tmp_path)])
    assert gc.isenabled()
    gc.disable()
    try:
        load_jobs(["jobs"])
        assert not gc.isenabled()  # a caller that disabled it keeps it disabled
    finally:
        gc.enable()


def test_the_real_path_of_each_discovered_job_is_its_resolved_path(tmp_path: Path) -> None:
    """Discovery derives real paths from the directory's (one resolve per directory, not per file):
    the same paths ``Path.resolve`` gives, with linked files and linked directories around."""
    root = tmp_path / "jobs"
    (root / "acme" / "deep").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    for name in ("acme/a.yaml", "acme/deep/b.yml", "elsewhere/c.yaml"):
        (tmp_path / ("jobs/" + name if name.startswith("acme") else name)).write_text("tenant_id: x\n")
    (root / "acme" / "link.yaml").symlink_to("deep/b.yml")
    (root / "linked_dir").symlink_to(root / "acme" / "deep", target_is_directory=True)
    (tmp_path / "alias").symlink_to(root, target_is_directory=True)
    for given in (root, tmp_path / "alias", root / ".." / "jobs"):
        found = _directory_jobs(given, ErrorReport())
        assert [real for _sub, real in found] == [sub.resolve() for sub, _real in found]
        assert {sub.name for sub, _real in found} == {"a.yaml", "b.yml", "link.yaml"}
