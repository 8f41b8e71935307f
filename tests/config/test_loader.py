"""The loader's batch behaviour not covered by the file and schema tests: the garbage collector is
paused while jobs load and left as it was found."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from dativo_infra.config.loader import collector_paused, load_jobs
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
