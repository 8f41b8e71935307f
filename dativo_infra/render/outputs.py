"""Outputs files: the values deployed stacks exported, read for ``dativo-infra render``.

Both shapes (``terraform output -json`` and ``cdktf deploy --outputs-file``) are detected from the
content; anything else is a :class:`JobError` that says what was found and what is allowed
(:data:`ALLOWED_SHAPES`). :class:`OutputsSource` maps stacks to outputs for a batch: one file, or a
directory of ``<stack>.json`` files. The rules are in :mod:`dativo_infra.render`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.yamlpos import display_path, read_bounded
from dativo_infra.errors import JobError

Shape = Literal["terraform", "cdktf"]
ALLOWED_SHAPES = (
    "`terraform output -json` ({name: {value, type, sensitive}}) "
    "or `cdktf deploy --outputs-file` ({stack: {name: value}})"
)
_TERRAFORM_KEYS = frozenset({"value", "type", "sensitive"})
#: Largest outputs file read (``terraform output -json`` of a stack is a few KiB).
MAX_OUTPUTS_BYTES = 16 * 1024 * 1024
#: Deepest nesting of arrays/objects accepted in an outputs file: Terraform outputs are shallow
#: (an object of entries holding a value that is rarely more than a map of lists).
MAX_JSON_DEPTH = 64
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


@dataclass(frozen=True)
class OutputValue:
    """One output of a deployed stack."""

    value: Any
    #: True only when the outputs file says so (the Terraform shape); cdktf files carry no marker.
    sensitive: bool = False


@dataclass(frozen=True)
class StackOutputs:
    """The outputs of one stack, as read from one outputs file."""

    file: str  # the outputs file as shown in messages
    shape: Shape
    stack: str | None  # None for the Terraform shape, which does not name its stack
    values: Mapping[str, OutputValue]


@dataclass(frozen=True)
class OutputsFile:
    """A parsed outputs file of either shape."""

    file: str
    shape: Shape
    #: Terraform shape: one unnamed stack under the key ``None``; cdktf shape: stack name -> outputs.
    stacks: Mapping[str | None, StackOutputs]

    def for_stack(self, stack: str) -> StackOutputs:
        """The outputs of ``stack``; the Terraform shape holds one stack, whichever it is."""
        if self.shape == "terraform":
            return self.stacks[None]
        found = self.stacks.get(stack)
        if found is None:
            names = sorted(str(s) for s in self.stacks)
            raise JobError.at(
                self.file,
                0,
                "",
                f"no outputs for stack {stack!r}",
                ", ".join(names) if names else "no stacks",
                f"a top-level key {stack!r} (cdktf deploy {stack} --outputs-file ...)",
            )
        return found


def _json_line(text: str, key: str) -> int:
    """Line of the first ``"key":`` in a JSON text (0 when not found: messages omit the line)."""
    match = re.search(re.escape(json.dumps(key)) + r"\s*:", text)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def _terraform_entry(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and {"value", "type"} <= set(value)
        and set(value) <= _TERRAFORM_KEYS
        and isinstance(value.get("sensitive", False), bool)
    )


def _too_deep_line(text: str) -> int:
    """Line where the JSON ``text`` first nests deeper than :data:`MAX_JSON_DEPTH` (1 if not found)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return text.count("\n", 0, match.start()) + 1
        elif token in "]}":
            depth -= 1
    return 1


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _too_deep(file: str, text: str) -> JobError:
    return JobError(
        file,
        _too_deep_line(text),
        "",
        "outputs file nests too deeply",
        f"more than {MAX_JSON_DEPTH} levels of arrays/objects",
        f"at most {MAX_JSON_DEPTH} levels",
    )


def parse_outputs(text: str, file: str) -> OutputsFile:
    """Parse the text of an outputs file and detect its shape; raise :class:`JobError` otherwise
    (also for JSON nested deeper than :data:`MAX_JSON_DEPTH`: never a recursion error)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobError(
            file, exc.lineno, "", f"outputs file is not valid JSON ({exc.msg})", None, ALLOWED_SHAPES
        ) from None
    except RecursionError:
        raise _too_deep(file, text) from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise JobError(
            file,
            0,
            "",
            "outputs file is not valid JSON (a number with too many digits)",
            None,
            ALLOWED_SHAPES,
        ) from None
    # nesting needs an opening bracket per level: a text with few of them needs no walk
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _depth(data) > MAX_JSON_DEPTH:
        raise _too_deep(file, text)
    if not isinstance(data, dict):
        raise JobError.at(file, 1, "(document)", "outputs file is not a JSON object", data, ALLOWED_SHAPES)
    if all(_terraform_entry(v) for v in data.values()):  # also {}: `terraform output -json` of no outputs
        values = {k: OutputValue(v["value"], bool(v.get("sensitive", False))) for k, v in data.items()}
        return OutputsFile(file, "terraform", {None: StackOutputs(file, "terraform", None, values)})
    terraform_like = any(_terraform_entry(v) for v in data.values())
    for key, entry in data.items():
        if terraform_like and not _terraform_entry(entry):
            raise JobError.at(
                file,
                _json_line(text, key),
                key,
                "not a `terraform output -json` entry like the other keys",
                entry,
                ALLOWED_SHAPES,
            )
        if not isinstance(entry, dict):
            raise JobError.at(
                file, _json_line(text, key), key, "not a mapping of a stack's outputs", entry, ALLOWED_SHAPES
            )
    stacks: dict[str | None, StackOutputs] = {
        stack: StackOutputs(file, "cdktf", stack, {k: OutputValue(v) for k, v in outputs.items()})
        for stack, outputs in data.items()
    }
    return OutputsFile(file, "cdktf", stacks)


def read_outputs(path: Path) -> OutputsFile:
    """Read (a regular file of at most :data:`MAX_OUTPUTS_BYTES`, see
    :func:`~dativo_infra.config.yamlpos.read_bounded`) and parse one outputs file."""
    file = display_path(path)
    try:
        raw = read_bounded(path, file, MAX_OUTPUTS_BYTES)
    except JobError as exc:
        problem = exc.problem.replace("cannot read file", "cannot read outputs file")
        raise dataclasses.replace(exc, problem=problem) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JobError(file, 0, "", "outputs file is not UTF-8 text", None, ALLOWED_SHAPES) from None
    return parse_outputs(text, file)


class OutputsSource:
    """Where the outputs of many stacks come from: one outputs file, or a directory of
    ``<stack>.json`` files (each of either shape). Files are read once and cached."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_dir = path.is_dir()
        self._files: dict[Path, OutputsFile] = {}

    def file(self, path: Path) -> OutputsFile:
        """The parsed outputs file at ``path`` (read once)."""
        if path not in self._files:
            self._files[path] = read_outputs(path)
        return self._files[path]

    def has(self, stack: str) -> bool:
        if self.is_dir:
            return (self.path / f"{stack}.json").is_file()
        outputs = self.file(self.path)
        return outputs.shape == "terraform" or stack in outputs.stacks

    def for_stack(self, stack: str) -> StackOutputs:
        if self.is_dir:
            return self.file(self.path / f"{stack}.json").for_stack(stack)
        return self.file(self.path).for_stack(stack)

    def missing(self, job: LoadedJob) -> JobError:
        """The error for a job whose stack has no outputs here."""
        stack = job.stack_name
        if self.is_dir:
            expected = f"a file {display_path(self.path / f'{stack}.json')} (terraform output -json or cdktf outputs)"
        else:
            expected = f"a top-level key {stack!r} (cdktf deploy {stack} --outputs-file ...)"
        return JobError(
            job.file, 0, "", f"no outputs for stack {stack!r} in {display_path(self.path)}", None, expected
        )
