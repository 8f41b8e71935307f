"""Keep job-file text literal in Terraform: ``${`` -> ``$${`` and ``%{`` -> ``%%{``.

Terraform evaluates ``${...}`` interpolations and ``%{...}`` directives in every string of a
``.tf.json`` file, map keys included. Nothing that comes from a job file may be evaluated, so every
job-derived string passes through :func:`literal` once before it reaches a construct. The escape is
exactly Terraform's own (``$${`` reads back as ``${``), so the value that lands in the cloud is the
one the user wrote.
"""

from __future__ import annotations

import re
from typing import TypeVar, cast

from pydantic import BaseModel

_SEQUENCE = re.compile(r"([$%])\{")

T = TypeVar("T")


def literal(text: str) -> str:
    """Escape ``${`` and ``%{`` so Terraform reads ``text`` back unchanged.

    Already-escaped sequences are escaped again on purpose: ``$${x}`` typed in a job means the
    literal text ``$${x}``, which Terraform needs as ``$$${x}``.
    """
    return _SEQUENCE.sub(lambda m: m.group(1) * 2 + "{", text)


def deep_literal(value: T) -> T:
    """:func:`literal` applied to every string and mapping key inside ``value``."""
    if isinstance(value, str):
        return cast(T, literal(value))
    if isinstance(value, BaseModel):
        updates = {name: deep_literal(getattr(value, name)) for name in type(value).model_fields}
        return value.model_copy(update=updates)
    if isinstance(value, dict):
        return cast(T, {deep_literal(k): deep_literal(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return type(value)(deep_literal(v) for v in value)
    return value


_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _hcl_char(char: str) -> str:
    if char in _HCL_ESCAPES:
        return _HCL_ESCAPES[char]
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029):
        return f"\\u{code:04x}"
    return char


def hcl_string(text: str) -> str:
    """``text`` as a quoted HCL string that Terraform reads back as exactly ``text``: backslashes,
    quotes, line breaks and control characters escaped, ``${``/``%{`` escaped by :func:`literal`."""
    return '"' + literal("".join(_hcl_char(c) for c in text)) + '"'
