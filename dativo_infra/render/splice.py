"""Placeholders in one YAML text: find them with their exact spans, and splice values in.

:func:`find_placeholders` reads a job's text as parser events to find every scalar that holds a
placeholder (:class:`ScalarSite`: path, line, quoting style and exact character span);
:func:`render_text` replaces those spans only, each with a YAML scalar that reads back as exactly
the output's value (:func:`double_quoted`, :func:`single_quoted`, :func:`plain`, :func:`flow_value`,
block scalars kept in place when safe). Every other byte of the text is kept. Text in, text out:
nothing here reads or writes a file. The rules are in :mod:`dativo_infra.render`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)

from dativo_infra.config.placeholders import (
    FIRST_CHAR,
    PLACEHOLDER_RE,
    ScalarSite,
    may_hold_placeholders,
    skip_properties,
)
from dativo_infra.config.schema import LOOSE_PLACEHOLDER_RE, JobConfig
from dativo_infra.config.yamlpos import PathKey, dotted, parse_events
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render.outputs import StackOutputs

_CDKTF_SENSITIVE_HINT = (
    " (cdktf leaves sensitive outputs out of the file unless --outputs-file-include-sensitive-outputs)"
)


#: Loader of rewritten block scalars (checked to read back as intended): the C parser.
_parser = YAML(typ="safe", pure=False)


# --- finding placeholders ----------------------------------------------------------------------


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


def find_placeholders(text: str, file: str) -> list[ScalarSite]:
    """Every scalar of a one-document YAML ``text`` whose value holds a placeholder, in file order
    (the loader finds the same in the text it reads: :func:`~dativo_infra.config.placeholders.node_sites`)."""
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
        for event in parse_events(text):
            if isinstance(event, ScalarEvent):
                value = event.value
                # the literal test first: most scalars hold no placeholder
                if "terraform_outputs" in value and PLACEHOLDER_RE.search(value):
                    path, is_key = position()
                    start, tagged = skip_properties(text, event.start_mark.index, event.end_mark.index)
                    style = event.style or None  # the C parser says '' for plain
                    if text[start : start + 1] != FIRST_CHAR.get(style or "", value[:1]):
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


def document_strings(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    """(path, text) of every string value and mapping key of a loaded document or JSON value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from document_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from document_strings(item, (*path, index))


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
        (t for _path, t in document_strings(found.value, ()) if LOOSE_PLACEHOLDER_RE.search(t)), None
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


def _needs_recheck(site: ScalarSite, outputs: StackOutputs) -> bool:
    """Whether filling ``site`` can make a valid template an invalid job: a value inserted as data
    (not text), or text in a field the schema models other than ``resource_identifiers`` (whose
    rendered values only need to be text). Keys outside the schema (source, target, ...) are free."""
    as_data = _as_data(site, outputs.values[site.matches[0].group(1)].value)
    modelled = bool(site.path) and site.path[0] in JobConfig.model_fields
    return as_data or (modelled and tuple(site.path[:2]) != ("infrastructure", "resource_identifiers"))


class RenderedText(NamedTuple):
    """A job's text with its placeholders filled."""

    text: str
    #: How many placeholders were filled.
    filled: int
    #: Whether the rendered job must be validated again (:func:`_needs_recheck`).
    recheck: bool


def render_text(
    text: str,
    file: str,
    outputs: StackOutputs,
    allow_sensitive: bool = False,
    sites: Sequence[ScalarSite] | None = None,
) -> RenderedText:
    """Fill every placeholder of a job's YAML ``text`` (``sites``: its placeholder sites when known,
    :func:`find_placeholders` of ``text``; None: found here).

    Raises :class:`ErrorReport` with one error per placeholder that cannot be filled (nothing is
    returned half-done).
    """
    if sites is None:
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
    return RenderedText("".join(out), count, recheck)
