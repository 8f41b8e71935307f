"""The one error type of the project and the report that collects many of them.

Every user-facing problem (a bad job file, a bad outputs file, a bad settings file) is a
:class:`JobError`. It always renders as::

    <file>:<line>: <dotted.path>: <problem>, got <value>; expected <allowed>

so that editors and CI logs can jump to the spot. ``got`` and ``expected`` are omitted only when
they carry no information (e.g. a file that cannot be read has no "got").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_MISSING = object()


def show_value(value: object, limit: int = 80) -> str:
    """A short, unambiguous rendering of a bad value for an error message."""
    if value is _MISSING:
        return "nothing"
    if isinstance(value, dict):
        text = "a mapping" if value else "an empty mapping"
    elif isinstance(value, list):
        text = "a list" if value else "an empty list"
    else:
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


@dataclass(frozen=True, order=True)
class JobError(Exception):
    """One user error, positioned in a file. Sortable by (file, line, path)."""

    file: str
    line: int
    path: str
    problem: str
    got: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.problem}" if self.path else f"{where}: {self.problem}"
        if self.got is not None:
            text += f", got {self.got}"
        if self.expected is not None:
            text += f"; expected {self.expected}"
        return text

    @classmethod
    def at(
        cls,
        file: str,
        line: int,
        path: str,
        problem: str,
        got: object = _MISSING,
        expected: str | None = None,
        *,
        show_got: bool = True,
    ) -> JobError:
        return cls(file, line, path, problem, show_value(got) if show_got else None, expected)


@dataclass
class ErrorReport(Exception):
    """Many :class:`JobError` at once (all errors of all files), raised as one exception."""

    errors: list[JobError] = field(default_factory=list)

    def add(self, error: JobError) -> None:
        self.errors.append(error)

    def extend(self, errors: Iterable[JobError]) -> None:
        self.errors.extend(errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __iter__(self) -> Iterator[JobError]:
        return iter(sorted(set(self.errors)))

    def __len__(self) -> int:
        return len(set(self.errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self
