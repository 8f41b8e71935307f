"""The one error type of the project and the report that collects many of them.

Every user-facing problem (a bad job file, a bad outputs file, a bad settings file) is a
:class:`JobError`. It always renders as::

    <file>:<line>: <dotted.path>: <problem>, got <value>; expected <allowed>

so that editors and CI logs can jump to the spot. ``got`` and ``expected`` are omitted only when
they carry no information (e.g. a file that cannot be read has no "got").

Every message is printed through :func:`safe_text`: values, keys and file names come from files a
hostile user may write, so control characters, line breaks and other unprintable characters are shown
escaped (``\\n``, ``\\x1b``, ``\\u2028``), long parts are cut, and no line can start with ``::``, which a
GitHub Actions runner reads as a workflow command (``::add-mask::``, ``::error file=...::``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_MISSING = object()

#: Longest dotted path and longest problem / expected text a message shows (values: ``show_value``).
MAX_PATH_CHARS = 160
MAX_TEXT_CHARS = 600
#: What a GitHub Actions runner reads as a workflow command at the start of a line.
_RUNNER_COMMAND = "::"


def safe_text(text: str, limit: int | None = None) -> str:
    """``text`` fit for one line of a terminal or CI log: every unprintable character escaped the
    way Python writes it (a line break is ``\\n``, ESC is ``\\x1b``), cut to ``limit`` characters."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def printable_json(value: object) -> str:
    """``value`` as indented JSON (sorted keys, non-ASCII letters kept) in which every unprintable
    character of a string is a ``\\uXXXX`` escape: the text a terminal or CI log shows as is."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return "".join(c if c.isprintable() or c == "\n" else _json_escape(c) for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def safe_line(text: str) -> str:
    """:func:`safe_text` of a whole output line that also cannot start (after blanks) with ``::``."""
    line = safe_text(text)
    return "./" + line if line.lstrip().startswith(_RUNNER_COMMAND) else line


def show_value(value: object, limit: int = 80) -> str:
    """A short, unambiguous rendering of a bad value for an error message."""
    if value is _MISSING:
        return "nothing"
    if value is None or isinstance(value, bool):  # as YAML writes them
        text = {None: "null", True: "true", False: "false"}[value]
    elif isinstance(value, dict):
        text = "a mapping" if value else "an empty mapping"
    elif isinstance(value, list):
        text = "a list" if value else "an empty list"
    else:
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


@dataclass(order=True, unsafe_hash=True)
class JobError(Exception):
    """One user error, positioned in a file. Sortable by (file, line, path); hashable by its fields
    (a report counts an error once). Not a frozen dataclass: Python and click set ``__traceback__``
    and ``__context__`` on an exception that passes through a ``with`` block, which a frozen
    dataclass refuses (the error would turn into a traceback). Its fields are never changed."""

    file: str
    line: int
    path: str
    problem: str
    got: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        file = safe_line(self.file)  # a file named '::x' is shown as './::x'
        where = f"{file}:{self.line}" if self.line else file
        problem = safe_text(self.problem, MAX_TEXT_CHARS)
        path = safe_text(self.path, MAX_PATH_CHARS)
        text = f"{where}: {path}: {problem}" if path else f"{where}: {problem}"
        if self.got is not None:
            text += f", got {safe_text(self.got, MAX_TEXT_CHARS)}"
        if self.expected is not None:
            text += f"; expected {safe_text(self.expected, MAX_TEXT_CHARS)}"
        # a file named ':' joined to its ': ' makes '::' too
        return "./" + text if text.lstrip().startswith(_RUNNER_COMMAND) else text

    def __reduce__(self) -> tuple[type[JobError], tuple[str, int, str, str, str | None, str | None]]:
        """Pickled by its fields (an exception pickles its constructor's positional arguments only, and
        one made by ``dataclasses.replace`` has none): a render worker process sends errors back."""
        return type(self), (self.file, self.line, self.path, self.problem, self.got, self.expected)

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
