"""Safe file writes: never a half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

#: Concurrent fsyncs of a batch write.
_FSYNC_THREADS = 16


def fsync_directory(directory: Path | str) -> None:
    """Make renames in ``directory`` durable where the OS allows it."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _temp_beside(
    path: Path, text: str, encoding: str, mode: int | None, fsync: bool, made: set[Path] | None = None
) -> str:
    """Write ``text`` to a new temp file in ``path``'s directory (created if needed) and return its
    name. It gets the permissions of the file it will replace, else ``mode`` (None: the temp file's
    0600); ``fsync`` flushes it to disk. A failure removes the temp file. ``made``: directories this
    batch created or found already (each is made once)."""
    if made is None or path.parent not in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(path.parent)
    data = text.encode(encoding)  # no newline translation: the text's own line breaks
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            try:
                os.fchmod(fd, os.stat(path).st_mode & 0o7777)
            except FileNotFoundError:
                if mode is not None:
                    os.fchmod(fd, mode)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically: temp file in the same directory, fsync, replace.

    Readers see the old content or the new one, never a mix; a failure leaves the old file intact.
    The file keeps the permissions of the file it replaces.
    """
    path = Path(path)
    tmp = _temp_beside(path, text, encoding, None, fsync=True)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_directory(path.parent)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_many(files: Sequence[tuple[Path, str, int | None]], encoding: str = "utf-8") -> None:
    """Write many files atomically and durably, flushing only those files and their directories.

    ``files`` holds ``(path, text, mode)``; ``mode`` is the permission bits of a file that does not
    exist yet (None: those of the file it replaces, else the temp file's 0600). Every text goes to a
    temp file beside its target; the temp files are fsynced concurrently (a few threads, so the file
    system can commit them together instead of one journal commit per file, and nothing else on the
    machine is flushed); then each temp file replaces its target (each replace atomic on its own) and
    each directory is synced once. A failure before the replaces leaves every target untouched and
    removes the temp files.
    """
    temps: list[tuple[str, Path]] = []
    replaced = 0
    made: set[Path] = set()
    try:
        for path, text, mode in files:
            temps.append((_temp_beside(path, text, encoding, mode, fsync=False, made=made), path))
        with ThreadPoolExecutor(max_workers=min(_FSYNC_THREADS, len(temps) or 1)) as pool:
            list(pool.map(_fsync, [tmp for tmp, _path in temps]))
        for tmp, path in temps:
            os.replace(tmp, path)
            replaced += 1
        for directory in sorted({path.parent for path, _text, _mode in files}):
            fsync_directory(directory)
    except BaseException:
        for tmp, _path in temps[replaced:]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
