"""Step outputs for GitHub Actions (the ``$GITHUB_OUTPUT`` file): ``name=value`` lines, and for a value
with a line break the multi-line form ``name<<DELIMITER`` / value lines / ``DELIMITER``.

The delimiter is derived from the value (``dativo_eof_`` + a hash of it), so it is deterministic and
cannot be guessed into the value: a value can only end its own block early by containing a hash of
itself. Names are GitHub's output identifiers (letters, digits, ``_`` and ``-``; not starting with a
digit or ``-``). Pure Python.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

#: A step output name GitHub Actions accepts (and an expression can reference as ``steps.x.outputs.name``).
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def delimiter(value: str) -> str:
    """The end marker of ``value``'s multi-line block: never a line of ``value``."""
    marker = "dativo_eof_" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    while marker in value.splitlines():  # only a value holding its own hash: lengthen until absent
        marker += "_"
    return marker


def output_lines(outputs: Mapping[str, str]) -> str:
    """``outputs`` as ``$GITHUB_OUTPUT`` text, in the mapping's order; line breaks in a value are
    written as ``\\n`` (the runner reads ``\\r\\n``, ``\\r`` and ``\\n`` alike). Raises ValueError for a
    name that is not an output identifier."""
    text = []
    for name, value in outputs.items():
        if not NAME_RE.fullmatch(name):
            raise ValueError(f"{name!r} is not a GitHub Actions output name")
        if "\n" in value or "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")  # the runner reads each as a line break
            end = delimiter(value)
            text.append(f"{name}<<{end}\n{value}\n{end}\n")
        else:
            text.append(f"{name}={value}\n")
    return "".join(text)
