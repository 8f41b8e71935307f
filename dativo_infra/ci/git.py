"""Git access for change detection: the committed content of one repository, read with the ``git``
executable (never the work tree). A failing ``git`` run, a bad revision or a missing repository
included, becomes a :class:`~dativo_infra.errors.JobError`; only a missing merge base is not an error
(the diff then starts at ``base``).

Paths are project-relative: the project root may be a subdirectory of the repository, and only
changes under it count.
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dativo_infra.errors import JobError

_ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class _Entry:
    """One changed path of ``git diff --raw``."""

    status: str  # A, M, D, T (renames and copies are split into D + A)
    old_blob: str
    new_blob: str
    path: str  # relative to the project root


class Git:
    """Runs ``git`` in one repository; every failure becomes a :class:`JobError`."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        out = self.run(
            ["rev-parse", "--show-toplevel", "--show-prefix"],
            what="a git work tree",
            where=str(cwd),
            expected="a directory inside a git repository",
        )
        top, _, prefix = out.partition("\n")
        self.top = Path(top)
        #: The project root relative to the repository root ('' or 'sub/dir/').
        self.prefix = prefix.strip()

    def run(
        self,
        args: list[str],
        *,
        what: str,
        where: str = "git",
        expected: str | None = None,
        stdin: bytes | None = None,
    ) -> str:
        return self.run_bytes(args, what=what, where=where, expected=expected, stdin=stdin).decode(
            "utf-8", "replace"
        )

    def run_bytes(
        self,
        args: list[str],
        *,
        what: str,
        where: str = "git",
        expected: str | None = None,
        stdin: bytes | None = None,
    ) -> bytes:
        try:
            proc = subprocess.run(
                ["git", "-c", "core.quotepath=off", *args],
                cwd=self.cwd,
                input=stdin,
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise JobError(
                where, 0, "", f"cannot run git ({exc.strerror or exc})", expected="git on PATH"
            ) from None
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise JobError(
                where,
                0,
                "",
                f"cannot read {what}" + (f" ({detail[-1]})" if detail else ""),
                expected=expected,
            )
        return proc.stdout

    def commit(self, ref: str, option: str) -> str:
        """Full SHA of the commit ``ref`` names; a clear error when it names nothing."""
        if not ref or ref.startswith("-"):
            raise JobError.at(option, 0, "", "not a git revision", ref, _REF_EXPECTED)
        try:
            return self.run(
                ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], what="revision"
            ).strip()
        except JobError:
            raise JobError.at(option, 0, "", "unknown git revision", ref, _REF_EXPECTED) from None

    def resolve(self, ref: str) -> str | None:
        """Full SHA of the commit ``ref`` names, or None when it names none in this clone."""
        if not ref or ref.startswith("-") or set(ref) == {"0"}:
            return None
        try:
            return self.commit(ref, "--base")
        except JobError:
            return None

    def merge_base(self, base: str, head: str) -> str:
        """The merge base of two commits, or ``base`` when they share no history."""
        proc = subprocess.run(
            ["git", "merge-base", base, head], cwd=self.cwd, capture_output=True, text=True, check=False
        )
        return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else base

    def diff(self, base: str, head: str) -> list[_Entry]:
        """Changed paths under the project root, renames split into delete + add."""
        raw = self.run_bytes(
            [
                "diff",
                "--raw",
                "-z",
                "--no-renames",
                "--full-index",
                "--no-ext-diff",
                base,
                head,
                "--",
                self.top_path("."),
            ],
            what="the diff",
        )
        parts = raw.split(b"\0")
        entries: list[_Entry] = []
        for meta, path in zip(parts[0::2], parts[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            _, _, old_blob, new_blob, status = meta.decode().split(" ")
            entries.append(
                _Entry(status[:1], old_blob, new_blob, self.local(path.decode("utf-8", "replace")))
            )
        return entries

    def tree(self, commit: str, directory: str) -> dict[str, str]:
        """``{path: blob sha}`` of every file under ``directory`` (project-relative) at ``commit``."""
        raw = self.run_bytes(
            ["ls-tree", "-r", "-z", "--full-tree", commit, "--", self.top_path(directory)], what="the tree"
        )
        files: dict[str, str] = {}
        for record in raw.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.partition(b"\t")
            _, kind, blob = meta.decode().split(" ")
            if kind == "blob":
                files[self.local(path.decode("utf-8", "replace"))] = blob
        return files

    def blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Contents of many blobs with one ``git cat-file --batch``."""
        wanted = sorted(set(shas) - {_ZERO_SHA})
        if not wanted:
            return {}
        out = self.run_bytes(
            ["cat-file", "--batch"], what="file contents", stdin="".join(f"{s}\n" for s in wanted).encode()
        )
        contents: dict[str, bytes] = {}
        pos = 0
        for sha in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode().split(" ")
            if len(header) != 3:
                raise JobError.at("git", 0, "", "blob missing from the repository", sha, "a complete clone")
            size = int(header[2])
            contents[sha] = out[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return contents

    def top_path(self, local: str) -> str:
        """A project-relative path as a path relative to the repository root (for ``--full-tree``)."""
        joined = (
            posixpath.normpath(posixpath.join(self.prefix, local))
            if self.prefix
            else posixpath.normpath(local)
        )
        return ":/" + ("" if joined == "." else joined)

    def local(self, top_relative: str) -> str:
        """A repository-root-relative path (as git prints it) made project-relative."""
        return (
            top_relative[len(self.prefix) :]
            if self.prefix and top_relative.startswith(self.prefix)
            else top_relative
        )


_REF_EXPECTED = (
    "a branch, tag or commit present in this clone (in CI fetch it first, e.g. checkout with fetch-depth: 0)"
)
