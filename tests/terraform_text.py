"""How Terraform reads the text of a ``.tf.json`` file: the oracle the tests check literal escaping with
(the package only ever escapes; it never needs to read its own output back)."""

from __future__ import annotations

import json
import re
from typing import Any


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


#: A Terraform reference written bare in an HCL expression (``aws_x.id.attr``, ``data.aws_x.id.attr``).
_BARE_REFERENCE = re.compile(r'(?<![\w"${.])((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_]+\.[a-z_]+)')


def jsonencoded(expression: str) -> Any:
    """The value of a ``${jsonencode({...})}`` expression cdktf wrote, as JSON, each bare reference
    written back as the ``${...}`` string it stands for (e.g. a state machine's ``definition``)."""
    assert expression.startswith("${jsonencode(") and expression.endswith(")}"), expression[:40]
    body = expression[len("${jsonencode(") : -len(")}")]
    body = re.sub(r'"\s=\s', '": ', body)
    body = _BARE_REFERENCE.sub(lambda m: '"${' + m.group(1) + '}"', body)
    return json.loads(body)
