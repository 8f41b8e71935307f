"""How Terraform reads the text of a ``.tf.json`` file: the oracle the tests check literal escaping with
(the package only ever escapes; it never needs to read its own output back)."""

from __future__ import annotations

import re


def unliteral(text: str) -> str:
    """What Terraform makes of an escaped string (the inverse of :func:`literal`)."""
    return re.sub(r"([$%])\1\{", r"\1{", text)


def unescaped(text: str) -> list[str]:
    """The ``${...}`` / ``%{...}`` sequences Terraform would evaluate in ``text`` (escaped ones skipped)."""
    found, i = [], 0
    while i < len(text) - 1:
        if text[i] in "$%" and text[i + 1] == text[i] and text[i + 2 : i + 3] == "{":
            i += 3
        elif text[i] in "$%" and text[i + 1] == "{":
            end = text.find("}", i)
            found.append(text[i : end + 1 if end >= 0 else len(text)])
            i = end + 1 if end >= 0 else len(text)
        else:
            i += 1
    return found


def contains_unescaped(text: str) -> bool:
    """True when ``text`` (as written in .tf.json) holds a ``${``/``%{`` Terraform would evaluate."""
    return bool(unescaped(text))
