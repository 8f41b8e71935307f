"""Write deployed Terraform output values back into job files.

After ``cdktf deploy`` every ``{{terraform_outputs.<name>}}`` placeholder of a job can be replaced by
the value the stack exported. This module reads the outputs, fills every placeholder of a job and
writes the job back, under these rules:

* **Outputs files.** Two shapes are read: ``terraform output -json`` (``{name: {value, type,
  sensitive}}``, one stack) and ``cdktf deploy --outputs-file`` (``{stack: {name: value}}``, one or
  many stacks; the job's stack is picked by :attr:`LoadedJob.stack_name`). cdktf leaves sensitive
  outputs out of that file unless ``--outputs-file-include-sensitive-outputs`` is given, and then
  writes them without a marker, so only the Terraform shape can say that an output is sensitive.
  Anything else is rejected with a :class:`JobError` that says what was found and what is allowed.
* **Where.** Every placeholder in any string value of the job, nested in mappings or lists, alone or
  inside longer text (``s3://{{terraform_outputs.bucket}}/x``). Placeholders in mapping keys and in
  comments are not values: keys are an error, comments are left alone.
* **Values are data.** A value is inserted once and never read as YAML: it is emitted as a YAML
  scalar that reads back as exactly that value. An output value that itself holds placeholder text
  (``{{terraform_outputs.x}}``, even malformed) is refused: a later render would expand it. A
  placeholder that is the whole value (surrounding spaces allowed) takes the output's type: numbers,
  booleans, lists and maps become YAML data, unless the value is tagged ``!!str``, which inserts the
  output as text. Inside longer text numbers and booleans are written as text; lists and maps there
  are an error. A null output is unresolved. The rendered text must still be a valid job (a number
  rendered into ``env.PORT`` would not be): otherwise nothing is written and the field is named.
* **The file is kept.** The renderer splices: it parses the file to find each scalar holding a
  placeholder (with its exact character span, path and style) and replaces that span only. Every
  other byte (comments, key order, quoting, flow lists, spacing, line endings, a byte-order mark)
  is kept exactly; the replaced scalar keeps its quoting style when the new value can be written in
  it (plain, single-quoted, block scalars), else it becomes double-quoted. A full YAML round trip
  (ruamel ``typ="rt"``) was measured to respace ``key:   value`` and ``[ a, b ]``, rewrite ``~`` and
  ``"\\u00e9"`` and re-indent sequences, and to take three times as long, so it is not used.
* **All or nothing.** Every placeholder of every job is resolved in memory first; one unresolved
  placeholder (missing, null, sensitive without ``allow_sensitive``, a list inside text) stops the
  whole run before anything is written, and every problem is reported with file, line and path.
  Each file is written atomically (:func:`dativo_infra.fsutil.atomic_write_many`: temp files, one
  flush to disk for the batch, then one atomic replace per file). Writers take an
  exclusive ``fcntl.flock`` on ``.dativo-render.lock`` in each target directory, so two renders of
  the same files never interleave (the second waits, then fails clearly after ``lock_timeout``).
  A file whose content would not change is not rewritten, so rendering twice is a no-op. A file
  system error (an ``--out`` under a regular file, a read-only directory) is a positioned error too.
  The lock files stay (removing a lock file another writer waits on would break the lock); they are
  git-ignored.

Pure Python: nothing here imports cdktf or jsii.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import math
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)

from dativo_infra.config.dialect import is_legacy, to_canonical
from dativo_infra.config.loader import (
    LoadedJob,
    check_unique_stacks,
    convert_errors,
    discover,
    display_path,
    load_jobs,
)
from dativo_infra.config.schema import PLACEHOLDER_RE, JobConfig
from dativo_infra.config.yamlpos import PathKey, dotted, load_positioned, parse_positioned
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.fsutil import atomic_write_many

#: Name of the lock file a writer holds in every directory it writes to.
LOCK_NAME = ".dativo-render.lock"
#: Seconds a render waits for another render's lock before it gives up.
DEFAULT_LOCK_TIMEOUT = 60.0

Shape = Literal["terraform", "cdktf"]
ALLOWED_SHAPES = (
    "`terraform output -json` ({name: {value, type, sensitive}}) "
    "or `cdktf deploy --outputs-file` ({stack: {name: value}})"
)
_TERRAFORM_KEYS = frozenset({"value", "type", "sensitive"})
_CDKTF_SENSITIVE_HINT = (
    " (cdktf leaves sensitive outputs out of the file unless --outputs-file-include-sensitive-outputs)"
)

#: Anything that looks like a placeholder, well-formed or not (``{{terraform_output.x}}``,
#: ``{{ terraform_outputs.log-group }}``): a value holding one is never a rendered value.
LOOSE_PLACEHOLDER_RE = re.compile(r"\{\{[^{}]*terraform_outputs?\b[^{}]*\}\}")

#: Event parser with exact character marks: the C parser (ruamel.yaml.clib, ~5x faster) when installed.
_parser = YAML(typ="safe", pure=False)
_FIRST_CHAR = {'"': '"', "'": "'", "|": "|", ">": ">"}


# --- outputs files ------------------------------------------------------------------------------


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


def parse_outputs(text: str, file: str) -> OutputsFile:
    """Parse the text of an outputs file and detect its shape; raise :class:`JobError` otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobError(
            file, exc.lineno, "", f"outputs file is not valid JSON ({exc.msg})", None, ALLOWED_SHAPES
        ) from None
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
    """Read and parse one outputs file."""
    file = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise JobError(file, 0, "", f"cannot read outputs file ({exc.strerror or exc})") from None
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


# --- loading jobs that may already be rendered ------------------------------------------------

_RENDERED_PATH = "infrastructure.resource_identifiers"


def _is_rendered_value(error: JobError) -> bool:
    """An error the schema raises for a rendered value (not for a placeholder naming a wrong output,
    nor for a malformed placeholder such as ``{{terraform_output.x}}``, which is never a value)."""
    return (
        error.path.startswith(_RENDERED_PATH)
        and not error.problem.startswith("output ")
        and "{{" not in (error.got or "")
    )


def _load_rendered(path: Path) -> LoadedJob:
    """Load a job whose ``resource_identifiers`` hold rendered values instead of placeholders.

    The schema requires a placeholder in every ``resource_identifiers`` value, so a rendered job
    fails :func:`load_job` there and only there. Everything else of the job is validated as usual;
    ``config.infrastructure.resource_identifiers`` is left empty.
    """
    file = display_path(path)
    try:
        document = to_canonical(load_positioned(path, file))
    except JobError as exc:
        raise ErrorReport([exc]) from None
    data = dict(document.value)
    if isinstance(data.get("infrastructure"), dict):
        data["infrastructure"] = {
            k: v for k, v in data["infrastructure"].items() if k != "resource_identifiers"
        }
    try:
        config = JobConfig.model_validate(data)
    except ValidationError as exc:
        raise ErrorReport(convert_errors(exc, document)) from None
    return LoadedJob(path, file, config, document, is_legacy(document.value.get("infrastructure")))


def load_jobs_for_render(paths: Sequence[str]) -> list[LoadedJob]:
    """:func:`dativo_infra.config.loader.load_jobs` for files that may be rendered already.

    Jobs are loaded with ``load_jobs`` (same discovery and checks). When that fails, and the only
    errors of some files are rendered values under ``infrastructure.resource_identifiers``, those
    files are loaded with :func:`_load_rendered` and the others with ``load_jobs`` again (rendering a
    rendered job is a no-op; ``validate --rendered`` checks it). Any other error is raised, all at once.
    """
    try:
        return load_jobs(list(paths))
    except ErrorReport as report:
        errors = list(report)
    if not all(_is_rendered_value(e) for e in errors):
        raise ErrorReport([e for e in errors if not _is_rendered_value(e)])
    files = discover(list(paths))
    rendered_files = {e.file for e in errors}
    rendered = [p for p in files if display_path(p) in rendered_files]
    jobs = load_jobs([str(p) for p in files if p not in rendered]) if len(rendered) < len(files) else []
    report = ErrorReport()
    for path in rendered:
        try:
            jobs.append(_load_rendered(path))
        except ErrorReport as exc:
            report.extend(exc.errors)
    jobs = sorted(jobs, key=lambda j: j.path)
    check_unique_stacks(jobs, report)
    report.raise_if_any()
    return jobs


# --- finding placeholders ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScalarSite:
    """A scalar of a YAML text that holds at least one placeholder."""

    path: PathKey
    line: int  # 1-based line of the scalar's first character
    value: str  # the scalar's value as YAML reads it
    style: str | None  # None (plain), "'", '"', "|" or ">"
    start: int  # index of the scalar's first character (after any anchor or tag)
    end: int  # index just past the scalar (block scalars: past their last line break)
    is_key: bool  # a mapping key, not a value
    flow: bool  # inside a flow collection ([...] or {...})
    tagged: bool  # written with an explicit tag such as !!str

    @property
    def matches(self) -> list[re.Match[str]]:
        return list(PLACEHOLDER_RE.finditer(self.value))


@dataclass
class _Frame:
    path: PathKey
    is_map: bool
    flow: bool
    expect_key: bool = True
    key: str | int = "?"
    index: int = 0


def _yaml_error(exc: YAMLError, file: str) -> JobError:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return JobError(file, mark.line + 1 if mark else 1, "", f"invalid YAML: {exc.problem or exc.context}")
    return JobError(file, 1, "", f"invalid YAML: {exc}")


def _skip_properties(text: str, index: int, end: int) -> tuple[int, bool]:
    """Move past an anchor (``&a``) and a tag (``!!str``) before a scalar; say whether a tag was seen."""
    tagged = False
    while index < end and text[index] in "&!":
        tagged = tagged or text[index] == "!"
        while index < end and text[index] not in " \t\r\n":
            index += 1
        while index < end and text[index] in " \t\r\n":
            index += 1
    return index, tagged


def may_hold_placeholders(text: str) -> bool:
    """False when no scalar of ``text`` can hold a placeholder (no need to parse it).

    Folded line breaks turn into spaces, so a placeholder split over lines is not one; only an
    escape sequence in a double-quoted scalar can spell one without the literal text.
    """
    return "terraform_outputs" in text or "\\" in text


def find_placeholders(text: str, file: str) -> list[ScalarSite]:
    """Every scalar of a one-document YAML ``text`` whose value holds a placeholder, in file order."""
    if not may_hold_placeholders(text):
        return []
    sites: list[ScalarSite] = []
    frames: list[_Frame] = []
    flow_depth = 0

    def position() -> tuple[PathKey, bool]:
        if not frames:
            return (), False
        top = frames[-1]
        if top.is_map:
            return ((*top.path, "?"), True) if top.expect_key else ((*top.path, top.key), False)
        return (*top.path, top.index), False

    def done(key: str | int) -> None:
        if not frames:
            return
        top = frames[-1]
        if not top.is_map:
            top.index += 1
        elif top.expect_key:
            top.key, top.expect_key = key, False
        else:
            top.expect_key = True

    try:
        for event in _parser.parse(io.StringIO(text)):
            if isinstance(event, ScalarEvent):
                path, is_key = position()
                value = event.value
                if PLACEHOLDER_RE.search(value):
                    start, tagged = _skip_properties(text, event.start_mark.index, event.end_mark.index)
                    style = event.style or None  # the C parser says '' for plain
                    if text[start : start + 1] != _FIRST_CHAR.get(style or "", value[:1]):
                        raise RuntimeError(
                            f"{file}: scalar position mismatch at line {event.start_mark.line + 1}"
                        )
                    if is_key:
                        path = (*path[:-1], value)
                    sites.append(
                        ScalarSite(
                            path,
                            event.start_mark.line + 1,
                            value,
                            style,
                            start,
                            event.end_mark.index,
                            is_key,
                            flow_depth > 0,
                            tagged,
                        )
                    )
                done(value)
            elif isinstance(event, AliasEvent):
                done(f"*{event.anchor}")
            elif isinstance(event, CollectionStartEvent):
                path, is_key = position()
                flow = bool(event.flow_style)
                flow_depth += flow
                frames.append(_Frame(path, isinstance(event, MappingStartEvent), flow))
            elif isinstance(event, CollectionEndEvent):
                frame = frames.pop()
                flow_depth -= frame.flow
                done("?")
    except YAMLError as exc:
        raise _yaml_error(exc, file) from None
    return sites


def unrendered_errors(jobs: Sequence[LoadedJob]) -> list[JobError]:
    """One error per placeholder left anywhere in the files of ``jobs`` (``validate --rendered``)."""
    errors: list[JobError] = []
    for job in jobs:
        try:
            text, _ = _read_text(job.path)
            sites = find_placeholders(text, job.file)
        except JobError as exc:
            errors.append(exc)
            continue
        for site in sites:
            for match in site.matches:
                errors.append(
                    JobError.at(
                        job.file,
                        site.line,
                        dotted(site.path),
                        "placeholder not rendered",
                        match.group(0),
                        "a value",
                    )
                )
        for path, text in _document_strings(job.data, ()):
            malformed = [
                m.group(0)
                for m in LOOSE_PLACEHOLDER_RE.finditer(text)
                if not PLACEHOLDER_RE.fullmatch(m.group(0))
            ]
            if malformed:
                errors.extend(
                    JobError.at(
                        job.file,
                        job.document.line_of(path),
                        dotted(path),
                        "malformed placeholder left",
                        bad,
                        "{{terraform_outputs.<name>}} (then render it) or a value",
                    )
                    for bad in malformed
                )
    return errors


def _document_strings(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    """(path, text) of every string value and mapping key of a loaded document or JSON value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from _document_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _document_strings(item, (*path, index))


# --- emitting YAML scalars ---------------------------------------------------------------------

_DQ_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]')

#: Plain scalars that no YAML 1.1 or 1.2 reader takes for anything but this string: a letter, '_' or
#: '/' first, then words of safe characters, single spaces between words, ':' never before a space.
_PLAIN_CHARS = r"[A-Za-z0-9_./@%+=~-]"
_PLAIN_WORD = rf"{_PLAIN_CHARS}+(?::{_PLAIN_CHARS}+)*"
_PLAIN_BLOCK = re.compile(rf"[A-Za-z_/]{_PLAIN_CHARS}*(?::{_PLAIN_CHARS}+)*(?: {_PLAIN_WORD})*")
#: In flow context ([...], {...}) no ':' and no spaces either.
_PLAIN_FLOW = re.compile(rf"[A-Za-z_/]{_PLAIN_CHARS}*")
_NOT_PLAIN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"})


def _escape_char(char: str) -> str:
    if char in _DQ_ESCAPES:
        return _DQ_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def double_quoted(text: str) -> str:
    """``text`` as a one-line YAML double-quoted scalar (valid in block and flow context)."""
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _escape_char(m.group(0)), text) + '"'


def single_quoted(text: str) -> str | None:
    """``text`` as a YAML single-quoted scalar, or None when that style cannot hold it on one line."""
    if _NEEDS_ESCAPE.search(text.replace("\\", "").replace('"', "")):
        return None
    return "'" + text.replace("'", "''") + "'"


def plain(text: str, flow: bool) -> str | None:
    """``text`` as a plain scalar, or None unless every YAML reader would read it back as this string."""
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    if not pattern.fullmatch(text) or text.lower() in _NOT_PLAIN_WORDS:
        return None
    return text


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:  # YAML 1.1 readers need the dot: 1.0e+100
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def flow_value(value: Any) -> str:
    """A JSON-like value as one line of YAML flow data that reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, str):
        return double_quoted(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{double_quoted(str(k))}: {flow_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_value(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def as_text(value: Any) -> str:
    """A scalar output value as the text it stands for inside a longer string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return json.dumps(value)
    return str(value)


def _block_tail(raw: str) -> str:
    """The line break(s) that end a block scalar's text (kept when the scalar is replaced)."""
    body = raw.rstrip(" \t\r\n")
    match = re.search(r"[\r\n]", raw[len(body) :])
    return raw[len(body) + match.start() :] if match else ""


def _block_in_place(raw: str, value: str, new_value: str, texts: list[str]) -> str | None:
    """Substitute placeholders inside a block scalar's own text, keeping the block; None if unsafe."""
    header, sep, body = raw.partition("\n")
    raw_matches = list(PLACEHOLDER_RE.finditer(body))
    if [m.group(1) for m in raw_matches] != [m.group(1) for m in PLACEHOLDER_RE.finditer(value)]:
        return None
    if any(re.search(r"[\r\n]", m.group(0)) for m in raw_matches):
        return None
    if any(
        t != t.strip() or _NEEDS_ESCAPE.search(t.replace("\\", "").replace('"', "").replace("\t", ""))
        for t in texts
    ):
        return None
    pieces = iter(texts)
    new_raw = header + sep + PLACEHOLDER_RE.sub(lambda _m: next(pieces), body)
    try:
        check = _parser.load("k: " + new_raw)
    except YAMLError:
        return None
    return new_raw if isinstance(check, dict) and check.get("k") == new_value else None


# --- rendering ---------------------------------------------------------------------------------


def _resolve(
    site: ScalarSite, match: re.Match[str], outputs: StackOutputs, file: str, allow_sensitive: bool
) -> tuple[Any, JobError | None]:
    name = match.group(1)
    path = dotted(site.path)
    found = outputs.values.get(name)
    if found is None:
        names = ", ".join(sorted(outputs.values)) or "none (the file has no outputs)"
        hint = _CDKTF_SENSITIVE_HINT if outputs.shape == "cdktf" else ""
        return None, JobError.at(
            file,
            site.line,
            path,
            f"output {name!r} not in {outputs.file}{hint}",
            match.group(0),
            f"one of {names}",
        )
    if found.value is None:
        return None, JobError.at(
            file,
            site.line,
            path,
            f"output {name!r} is null in {outputs.file}",
            match.group(0),
            "a deployed value (is the stack applied?)",
        )
    if found.sensitive and not allow_sensitive:
        return None, JobError.at(
            file,
            site.line,
            path,
            f"output {name!r} is sensitive",
            match.group(0),
            "--allow-sensitive to write it into the job file",
        )
    nested = next(
        (t for _path, t in _document_strings(found.value, ()) if LOOSE_PLACEHOLDER_RE.search(t)), None
    )
    if nested is not None:
        # Written once it would be filled by the next render: rendering would not be idempotent.
        return None, JobError.at(
            file,
            site.line,
            path,
            f"output {name!r} holds placeholder text",
            nested,
            "an output value without {{terraform_outputs...}}",
        )
    return found.value, None


def _as_data(site: ScalarSite, value: Any) -> bool:
    """Whether ``value`` (the first placeholder's output) goes into ``site`` as YAML data, not text: a
    non-text output whose placeholder is the whole, untagged value."""
    return (
        not site.tagged
        and len(site.matches) == 1
        and not isinstance(value, str)
        and PLACEHOLDER_RE.fullmatch(site.value.strip()) is not None
    )


def _render_site(
    text: str, site: ScalarSite, outputs: StackOutputs, file: str, allow_sensitive: bool
) -> tuple[str | None, list[JobError]]:
    """Replacement text for the span of ``site``, or the errors that prevent it."""
    path = dotted(site.path)
    matches = site.matches
    if site.is_key:
        return None, [
            JobError.at(
                file,
                site.line,
                path,
                "placeholder in a mapping key cannot be rendered",
                m.group(0),
                "placeholders in values only",
            )
            for m in matches
        ]
    values: list[Any] = []
    errors: list[JobError] = []
    for match in matches:
        value, error = _resolve(site, match, outputs, file, allow_sensitive)
        values.append(value)
        if error:
            errors.append(error)
    if errors:
        return None, errors
    raw = text[site.start : site.end]
    block = site.style in ("|", ">")
    if _as_data(site, values[0]):
        data = flow_value(values[0])
        return data + (_block_tail(raw) if block else ""), []
    for match, value in zip(matches, values, strict=True):
        if isinstance(value, (list, dict)):
            kind = "a list" if isinstance(value, list) else "a mapping"
            errors.append(
                JobError.at(
                    file,
                    site.line,
                    path,
                    f"output {match.group(1)!r} is {kind} and cannot be part of a text",
                    match.group(0),
                    "the placeholder alone as the whole value, or a text/number/bool output",
                )
            )
    if errors:
        return None, errors
    texts = [as_text(v) for v in values]
    pieces = iter(texts)
    new_value = PLACEHOLDER_RE.sub(lambda _m: next(pieces), site.value)
    if block:
        kept = _block_in_place(raw, site.value, new_value, texts)
        return (kept if kept is not None else double_quoted(new_value) + _block_tail(raw)), []
    if site.style is None:
        return plain(new_value, site.flow) or double_quoted(new_value), []
    if site.style == "'":
        return single_quoted(new_value) or double_quoted(new_value), []
    return double_quoted(new_value), []


def render_text(
    text: str, file: str, outputs: StackOutputs, allow_sensitive: bool = False
) -> tuple[str, int]:
    """Fill every placeholder of a job's YAML ``text``; return the new text and the number filled.

    Raises :class:`ErrorReport` with one error per placeholder that cannot be filled (nothing is
    returned half-done).
    """
    rendered, count, _recheck = _render_text(text, file, outputs, allow_sensitive)
    return rendered, count


def _needs_recheck(site: ScalarSite, outputs: StackOutputs) -> bool:
    """Whether filling ``site`` can make a valid template an invalid job: a value inserted as data
    (not text), or text in a field the schema models other than ``resource_identifiers`` (whose
    rendered values only need to be text). Keys outside the schema (source, target, ...) are free."""
    as_data = _as_data(site, outputs.values[site.matches[0].group(1)].value)
    modelled = bool(site.path) and site.path[0] in JobConfig.model_fields
    return as_data or (modelled and tuple(site.path[:2]) != ("infrastructure", "resource_identifiers"))


def _render_text(text: str, file: str, outputs: StackOutputs, allow_sensitive: bool) -> tuple[str, int, bool]:
    """:func:`render_text`, and whether the rendered job must be validated again (:func:`_needs_recheck`)."""
    sites = find_placeholders(text, file)
    report = ErrorReport()
    spans: list[tuple[int, int, str]] = []
    count = 0
    recheck = False
    for site in sites:
        replacement, errors = _render_site(text, site, outputs, file, allow_sensitive)
        report.extend(errors)
        if replacement is not None:
            spans.append((site.start, site.end, replacement))
            count += len(site.matches)
            recheck = recheck or _needs_recheck(site, outputs)
    report.raise_if_any()
    out: list[str] = []
    last = 0
    for start, end, replacement in spans:
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out), count, recheck


# --- files -------------------------------------------------------------------------------------


def _read_text(path: Path) -> tuple[str, bool]:
    """A job file's text (BOM removed) and whether it had a BOM."""
    file = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JobError(file, 0, "", f"cannot read file ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig"), raw.startswith(b"\xef\xbb\xbf")
    except UnicodeDecodeError as exc:
        raise JobError(file, raw[: exc.start].count(b"\n") + 1, "", "file is not UTF-8 text") from None


@dataclass
class RenderResult:
    """One job rendered in memory."""

    job: LoadedJob
    outputs: StackOutputs
    target: Path | None  # None: the caller prints ``text``
    original: str  # the source text as read (BOM removed)
    text: str  # the rendered text (BOM removed)
    bom: bool
    filled: int  # placeholders filled
    written: bool = False

    @property
    def data(self) -> str:
        """The bytes to write, as text (with the source's BOM)."""
        return ("\ufeff" if self.bom else "") + self.text


def render_job(
    job: LoadedJob, outputs: StackOutputs, target: Path | None, allow_sensitive: bool = False
) -> RenderResult:
    """Render one job in memory (nothing is written). Raises :class:`ErrorReport`, also when the
    rendered text would not be a valid job (:func:`rendered_job_errors`, run when a fill could
    change validity: :func:`_needs_recheck`)."""
    original, bom = _read_text(job.path)
    text, filled, recheck = _render_text(original, job.file, outputs, allow_sensitive)
    if recheck:
        ErrorReport(rendered_job_errors(job, text)).raise_if_any()
    return RenderResult(job, outputs, target, original, text, bom, filled)


_AS_TEXT_HINT = (
    '; to insert the output as text, write the placeholder as !!str "{{terraform_outputs.<name>}}"'
)


def rendered_job_errors(job: LoadedJob, text: str) -> list[JobError]:
    """Why the rendered ``text`` of ``job`` would not be a valid job, positioned at the source's lines.

    A placeholder that is a whole value takes its output's type, so a number output rendered into a
    field the schema wants as text (``env.PORT``) would turn a valid template into an invalid job:
    that is refused before anything is written. Rendered ``resource_identifiers`` must be text.
    """
    try:
        document = to_canonical(parse_positioned(text, job.file))
    except JobError as exc:
        return [exc]
    data = dict(document.value)
    errors: list[JobError] = []
    infra = data.get("infrastructure")
    if isinstance(infra, dict):
        data["infrastructure"] = {k: v for k, v in infra.items() if k != "resource_identifiers"}
        identifiers = infra.get("resource_identifiers")
        for key, value in identifiers.items() if isinstance(identifiers, dict) else ():
            if not isinstance(value, str):
                path = ("infrastructure", "resource_identifiers", key)
                errors.append(
                    JobError.at(
                        job.file,
                        job.document.line_of(path),
                        dotted(path),
                        "after rendering: a resource identifier must be text",
                        value,
                        "a text output" + _AS_TEXT_HINT,
                    )
                )
    try:
        JobConfig.model_validate(data)
    except ValidationError as exc:
        for error in convert_errors(exc, job.document):
            hint = _AS_TEXT_HINT if error.problem == "must be a string" else ""
            errors.append(
                JobError(
                    error.file,
                    error.line,
                    error.path,
                    f"after rendering: {error.problem}",
                    error.got,
                    (error.expected or "a valid value") + hint,
                )
            )
    return errors


@contextlib.contextmanager
def directory_locks(directories: Sequence[Path], timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on ``.dativo-render.lock`` in each directory (created if needed).

    Directories are locked in sorted order, so two writers never deadlock. A lock held by another
    process (or another open of the file in this one) is waited for up to ``timeout`` seconds.
    """
    handles: list[Any] = []
    try:
        for directory in sorted({d.resolve() for d in directories}):
            directory.mkdir(parents=True, exist_ok=True)
            lock_path = directory / LOCK_NAME
            handle = open(lock_path, "a")  # noqa: SIM115 - held until the with-block ends
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        handle.close()
                        raise JobError(
                            display_path(lock_path),
                            0,
                            "",
                            "another render is writing files in this directory",
                            f"the lock still held after {timeout:g} s",
                            "that render to finish first",
                        ) from None
                    time.sleep(0.05)
            handles.append(handle)
        yield
    finally:
        for handle in reversed(handles):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def _needs_write(result: RenderResult) -> bool:
    assert result.target is not None
    try:
        return result.target.read_bytes() != result.data.encode("utf-8")
    except FileNotFoundError:
        return True


def write_results(
    results: Sequence[RenderResult], allow_sensitive: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> list[RenderResult]:
    """Write every result that has a target and a change; return those written.

    Under the directory locks each source is read again: a job file changed since it was rendered
    is rendered again from its new text, and any error then still stops the run before a write.
    """
    targets = [r for r in results if r.target is not None]
    if not targets:
        return []
    current_target = targets[0].target
    try:
        with directory_locks([r.target.parent for r in targets if r.target], lock_timeout):
            report = ErrorReport()
            for result in targets:
                try:
                    current, bom = _read_text(result.job.path)
                except JobError as exc:
                    report.add(exc)
                    continue
                if current != result.original or bom != result.bom:
                    try:
                        again = render_job(result.job, result.outputs, result.target, allow_sensitive)
                    except ErrorReport as exc:
                        report.extend(exc.errors)
                        continue
                    # the caller's result describes what is written
                    result.original, result.text, result.bom, result.filled = (
                        again.original,
                        again.text,
                        again.bom,
                        again.filled,
                    )
            report.raise_if_any()
            pending = [r for r in targets if _needs_write(r)]
            # a new copy gets the job file's permissions, not the temp file's 0600
            atomic_write_many(
                [
                    (r.target, r.data, r.job.path.stat().st_mode & 0o777)  # type: ignore[misc]
                    for r in pending
                ]
            )
            for result in pending:
                result.written = True
            return pending
    except OSError as exc:
        named = exc.filename2 or exc.filename  # a replace names its target second
        where = display_path(Path(named)) if named else display_path(current_target)  # type: ignore[arg-type]
        raise JobError(
            where,
            0,
            "",
            f"cannot write ({exc.strerror or exc})",
            None,
            "a writable file path whose parent is a directory",
        ) from None


def _job_target(job: LoadedJob, out: Path | str | None, in_place: bool) -> Path | None:
    """Where ``--out`` puts a job: into ``out`` when it is a directory (or ends with '/'), else ``out``."""
    if in_place:
        return job.path
    if out is None:
        return None
    if Path(out).is_dir() or str(out).endswith(("/", os.sep)):
        return Path(out) / job.path.name
    return Path(out)


def render_one(
    job_path: Path,
    outputs_path: Path,
    out: Path | str | None = None,
    in_place: bool = False,
    allow_sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> RenderResult:
    """``dativo-infra render --job``: render one job file; write it unless ``out`` is None and not
    ``in_place`` (then the caller prints :attr:`RenderResult.text`)."""
    jobs = load_jobs_for_render([str(job_path)])
    if len(jobs) != 1:
        raise JobError.at(
            str(job_path), 0, "", "expected exactly one job", f"{len(jobs)} jobs", "one job file"
        )
    job = jobs[0]
    source = OutputsSource(outputs_path)
    if source.is_dir and not source.has(job.stack_name):
        raise source.missing(job)
    result = render_job(
        job, source.for_stack(job.stack_name), _job_target(job, out, in_place), allow_sensitive
    )
    write_results([result], allow_sensitive, lock_timeout)
    return result


def render_batch(
    jobs_dir: Path,
    outputs_path: Path,
    out_dir: Path | None = None,
    in_place: bool = False,
    allow_sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> list[RenderResult]:
    """``dativo-infra render --jobs``: render every job under ``jobs_dir``.

    Outputs come from a directory of ``<stack>.json`` files or from one cdktf outputs file. The
    results go to ``out_dir`` (mirroring each job's path relative to ``jobs_dir``) or back into the
    job files (``in_place``). Every job is rendered in memory first; any error (a job without
    outputs, an unresolved placeholder) stops the run before anything is written.
    """
    if (out_dir is None) == (not in_place):
        raise JobError("render", 0, "", "a batch render needs exactly one of --out DIR and --in-place")
    jobs = load_jobs_for_render([str(jobs_dir)])
    source = OutputsSource(outputs_path)
    report = ErrorReport()
    if not source.is_dir:
        try:
            whole = source.file(outputs_path)
        except JobError as exc:
            raise ErrorReport([exc]) from None
        if whole.shape == "terraform":
            raise ErrorReport(
                [
                    JobError(
                        whole.file,
                        0,
                        "",
                        "a `terraform output -json` file holds the outputs of one stack",
                        f"{len(jobs)} jobs under {display_path(jobs_dir)}",
                        "a cdktf outputs file ({stack: {name: value}}) or a directory of <stack>.json files",
                    )
                ]
            )
    results: list[RenderResult] = []
    for job in jobs:
        if not source.has(job.stack_name):
            report.add(source.missing(job))
            continue
        target = job.path if in_place else out_dir / os.path.relpath(job.path, jobs_dir)  # type: ignore[operator]
        try:
            results.append(render_job(job, source.for_stack(job.stack_name), target, allow_sensitive))
        except ErrorReport as exc:
            report.extend(exc.errors)
        except JobError as exc:
            report.add(exc)
    report.raise_if_any()
    write_results(results, allow_sensitive, lock_timeout)
    return results


def check_rendered(paths: Sequence[str]) -> list[LoadedJob]:
    """``validate --rendered``: load the jobs (rendered or not) and fail on any placeholder left."""
    jobs = load_jobs_for_render(paths)
    ErrorReport(unrendered_errors(jobs)).raise_if_any()
    return jobs
