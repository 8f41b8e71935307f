"""Atomic writes (:mod:`dativo_infra.fsutil`): exact bytes, permissions, nothing left behind on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dativo_infra.fsutil import atomic_write_many, atomic_write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_many_writes_the_exact_text_in_new_directories(tmp_path: Path) -> None:
    texts = {
        tmp_path / "a" / "one.yaml": "k: v\r\nw: x\r\n",  # line breaks kept as they are
        tmp_path / "a" / "two.yaml": "\ufeffé: '{{x}}'\n" + "y" * 200_000,  # BOM, non-ASCII, large
        tmp_path / "b" / "c" / "three.yaml": "",
    }
    atomic_write_many([(path, text, 0o640) for path, text in texts.items()])
    for path, text in texts.items():
        assert path.read_bytes() == text.encode("utf-8")
        assert _mode(path) == 0o640
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "one.yaml",
        "three.yaml",
        "two.yaml",
    ]


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "job.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o604)
    atomic_write_many([(target, "new\n", 0o600)])
    assert target.read_text() == "new\n" and _mode(target) == 0o604
    atomic_write_text(target, "newer\n")
    assert target.read_text() == "newer\n" and _mode(target) == 0o604


def test_a_new_file_without_a_mode_is_private(tmp_path: Path) -> None:
    atomic_write_many([(tmp_path / "job.yaml", "x\n", None)])
    assert _mode(tmp_path / "job.yaml") == 0o600


def test_a_failed_batch_changes_nothing_and_leaves_no_temp_file(tmp_path: Path) -> None:
    kept = tmp_path / "kept.yaml"
    kept.write_text("old\n")
    (tmp_path / "dir.yaml").mkdir()  # replacing a directory by a file fails
    with pytest.raises(OSError):
        atomic_write_many([(kept, "new\n", None), (tmp_path / "dir.yaml", "x\n", None)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.yaml", "kept.yaml"]


def test_text_that_cannot_be_encoded_leaves_no_temp_file(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        atomic_write_many([(tmp_path / "job.yaml", "bad \ud800\n", None)])
    assert list(tmp_path.iterdir()) == []
