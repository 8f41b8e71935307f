"""Safe YAML reading with positions: a plain Python value plus the line of every path in it.

ruamel composes the document into nodes; we build the value ourselves so that we can
* report duplicate keys with both lines,
* refuse alias/anchor "billion laughs" bombs before anything is expanded,
* refuse non-scalar keys, multi-document files, empty files and oversized files,
* remember ``path -> line`` for every key and item, for error messages.

Everything here raises :class:`~dativo_infra.errors.JobError`; nothing returns a half-read value.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _ruamel_yaml import CParser  # type: ignore[import-not-found]  # ruamel.yaml.clib: no stubs
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import Event
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from dativo_infra.config.placeholders import PathKey as PathKey  # where the package imports it from
from dativo_infra.config.placeholders import ScalarSite, node_sites
from dativo_infra.errors import JobError

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

_BOOL = {"true": True, "false": False}


class _Resolver(VersionedResolver):
    """ruamel's YAML 1.2 resolver without its per-scalar version lookup: under the C parser that lookup
    always ends at the loader's version or YAML 1.2 (a ``%YAML`` directive is not seen there), which
    is what this returns directly."""

    @property
    def processing_version(self) -> Any:
        return self._loader_version or (1, 2)


_RESOLVER = _Resolver()
#: One :class:`Tag` per resolved tag name: every node resolved to ``int`` shares one object, so the
#: builder classifies an implicitly tagged node with one dict look-up (:data:`_KIND_OF_TAG`).
_TAGS: dict[str, Tag] = {}
#: ``id`` of each shared tag -> its kind (the tag objects live as long as the module).
_KIND_OF_TAG: dict[int, str] = {}
#: (node kind, scalar text, implicit flags) -> shared tag: resolving is a pure function of these
#: (no path resolvers, one YAML version), and most scalars of job files recur (keys, true, 1, ...).
_RESOLVED: dict[tuple[Any, Any, Any], Tag] = {}
_RESOLVED_LIMIT = 50_000  # entries: at most a few MB
_RESOLVED_TEXT = 200  # longer scalars are resolved but not remembered


def _kind(tag: str) -> str:
    """What the builder makes of a node tagged ``tag``: null, bool, int, float, merge or str."""
    for kind in ("null", "bool", "int", "float", "merge"):
        if tag.endswith(f":{kind}"):
            return kind
    return "str"  # str, timestamps (kept as written), binary and custom tags stay text


def _shared_tag(tag: Tag) -> Tag:
    name = str(tag)
    shared = _TAGS.get(name)
    if shared is None:
        # setdefault: two threads resolving a new name at once share one object, and only that
        # object (kept alive by _TAGS, so its id is never reused) is given a kind
        shared = _TAGS.setdefault(name, Tag(suffix=name))
        _KIND_OF_TAG[id(shared)] = _kind(name)
    return shared


class _Composer(CParser):  # type: ignore[misc]  # a class without type information
    """libyaml's scanner, parser and composer (ruamel.yaml.clib: nodes with their marks, ~25x faster than
    the pure Python composer) resolving implicit tags exactly as ``YAML(typ="safe")`` does, memoised.

    ``YAML(typ="safe", pure=False).compose_all`` builds the same nodes, but through a loader class
    created per call whose resolver rebuilds its tables and looks the YAML version up for every scalar.
    """

    def descend_resolver(self, parent: Any, index: Any) -> None:
        """No path resolvers (the composer calls this around every node)."""

    def ascend_resolver(self) -> None:
        """No path resolvers."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Tag:
        key = (kind, value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = _shared_tag(_RESOLVER.resolve(kind, value, implicit))
            if len(_RESOLVED) < _RESOLVED_LIMIT and (value is None or len(value) <= _RESOLVED_TEXT):
                _RESOLVED[key] = tag
        return tag


def parse_events(text: str) -> Iterator[Event]:
    """The parser events of ``text`` (libyaml's, with exact character marks), as
    ``YAML(typ="safe", pure=False).parse`` gives them, without its loader class per call."""
    parser = CParser(io.StringIO(text))
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def compose_all(text: str) -> list[Node]:
    """The node of every document of ``text`` (raises ruamel's YAML errors, as ``compose_all`` does)."""
    composer = _Composer(io.StringIO(text))
    try:
        nodes = []
        while composer.check_node():
            nodes.append(composer.get_node())
        return nodes
    finally:
        composer.dispose()


@dataclass(frozen=True)
class PositionedDocument:
    """A YAML document as plain Python data with the 1-based line of every path in it."""

    file: str
    #: The document's mapping (a job file, an asset definition, a settings file is one mapping).
    value: dict[str, Any]
    lines: dict[PathKey, int]
    #: The text the document was read from, and the scalars of it that hold a placeholder
    #: (:func:`~dativo_infra.config.placeholders.node_sites`), when read with ``placeholders=True``.
    text: str | None = field(default=None, compare=False, repr=False)
    placeholders: tuple[ScalarSite, ...] | None = field(default=None, compare=False, repr=False)

    def placeholders_in(self, text: str) -> tuple[ScalarSite, ...] | None:
        """The placeholder sites of ``text`` found while this document was read, when ``text`` is the
        text it was read from (None: find them in ``text``)."""
        return self.placeholders if self.text is not None and text == self.text else None

    def line_of(self, path: PathKey) -> int:
        """Line of ``path``, or of its nearest ancestor that exists in the file."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def display_path(path: Path) -> str:
    """``path`` as messages show it: relative to the working directory where that is possible."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _tag(node: Node) -> str:
    tag = node.tag
    return getattr(tag, "value", tag) or ""


def _node_kind(node: Node) -> str:
    """:func:`_kind` of the node's tag (one look-up for an implicitly resolved tag)."""
    kind = _KIND_OF_TAG.get(id(node.ctag))
    return kind if kind is not None else _kind(_tag(node))


def _scalar(node: ScalarNode) -> Any:
    kind, text = _node_kind(node), node.value
    if kind == "str":
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return _BOOL.get(text.lower(), text)
    if kind == "int":
        try:
            return int(text.replace("_", ""), 0) if not text.lstrip("+-").startswith("0o") else int(text, 8)
        except ValueError:
            return text
    if kind == "float":
        low = text.lower()
        if low in (".nan",):
            return float("nan")
        if low in (".inf", "+.inf"):
            return float("inf")
        if low == "-.inf":
            return float("-inf")
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text  # merge: '<<' as a value stays text


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[PathKey, int] = {}
        self._sizes: dict[int, int] = {}

    def error(self, node: Node, path: PathKey, problem: str, got: object, expected: str) -> JobError:
        return JobError.at(
            self.file, node.start_mark.line + 1, dotted(path) or "(document)", problem, got, expected
        )

    def too_deep(self, node: Node) -> JobError:
        return JobError(
            self.file,
            node.start_mark.line + 1,
            "",
            "document nests too deeply",
            f"more than {MAX_DEPTH} levels",
            f"at most {MAX_DEPTH} levels",
        )

    def expanded_size(self, node: Node, depth: int = 0) -> int:
        """Node count with aliases expanded, computed without expanding (memoised per node)."""
        key = id(node)
        if key in self._sizes:
            return self._sizes[key]
        if depth > MAX_DEPTH:
            raise self.too_deep(node)
        self._sizes[key] = MAX_NODES + 1  # a cycle counts as too large
        if isinstance(node, MappingNode):
            size = 1 + sum(
                self.expanded_size(k, depth + 1) + self.expanded_size(v, depth + 1) for k, v in node.value
            )
        elif isinstance(node, SequenceNode):
            size = 1 + sum(self.expanded_size(v, depth + 1) for v in node.value)
        else:
            size = 1
        self._sizes[key] = size
        return size

    def tree_size(self, node: Node, depth: int = 0) -> int:
        """:meth:`expanded_size` of a document without aliases (a text without ``&`` has no anchor, so
        no alias and no node reached twice): the same count and the same first too-deep node, in
        the same order, without the memo."""
        if depth > MAX_DEPTH:
            raise self.too_deep(node)
        value = node.value
        if isinstance(value, str):  # a scalar
            return 1
        size = 1
        depth += 1
        if isinstance(node, MappingNode):
            for key, item in value:
                size += self.tree_size(key, depth) + self.tree_size(item, depth)
        else:
            for item in value:
                size += self.tree_size(item, depth)
        return size

    def build(self, node: Node, path: PathKey) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return _scalar(node)
        lines = self.lines
        if isinstance(node, SequenceNode):
            out_list = []
            for index, item in enumerate(node.value):
                if isinstance(item, ScalarNode):  # what build(item, ...) does for a scalar
                    lines.setdefault((*path, index), item.start_mark.line + 1)
                    out_list.append(_scalar(item))
                else:
                    out_list.append(self.build(item, (*path, index)))
            return out_list
        out: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if _node_kind(key_node) == "merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, MappingNode):
                        raise self.error(
                            key_node,
                            path,
                            "merge key '<<' needs a mapping",
                            "a non-mapping",
                            "an alias of a mapping",
                        )
                    for k, v in self.build(source, path).items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(key_node, ScalarNode):
                raise self.error(
                    key_node, path, "mapping key is not a plain value", "a complex key", "a string key"
                )
            # 1: or true: as keys are kept as written (the scalar's value is its text or not a str)
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in key_lines:
                raise JobError.at(
                    self.file,
                    line,
                    dotted((*path, key)),
                    "duplicate key",
                    key,
                    f"each key once per mapping (first at line {key_lines[key]})",
                )
            key_lines[key] = line
            lines[(*path, key)] = line
            if isinstance(value_node, ScalarNode):  # its line is the key's, just recorded
                out[key] = _scalar(value_node)
            else:
                out[key] = self.build(value_node, (*path, key))
        for k, v in merged.items():
            out.setdefault(k, v)
        return out


#: What :func:`read_bounded` calls a file that is not a regular file, by ``stat`` type test.
_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISDIR, "a directory"),
)
_CHUNK = 64 * 1024


def _not_regular(mode: int, file: str) -> JobError | None:
    """The error for a file of ``mode`` that is not a regular file (None: it is one)."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a file")
    return JobError(file, 0, "", f"not a regular file ({kind})", None, "a regular file")


def too_large(file: str, limit: int, size: int | None = None) -> JobError:
    """The error for a file of more than ``limit`` bytes (``size``: its size, when known)."""
    got = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    return JobError(file, 0, "", "file is too large", got, f"at most {limit} bytes")


def read_bounded(path: Path, file: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (shown as ``file`` in messages), at most ``limit``.

    The one reader of every file a user names (job files, asset definitions, platform settings,
    outputs files). It never blocks and never reads more than ``limit + 1`` bytes, whatever the file
    is: opened non-blocking (a FIFO with no writer must not hang), the open descriptor is checked to be
    a regular file (FIFOs, sockets, devices such as ``/dev/zero`` and directories are refused), then
    read in chunks until end of file or ``limit + 1`` bytes, so a file that grows while it is read or
    a ``/proc`` file whose ``stat`` size is 0 is still bounded. Raises :class:`JobError` (line 0).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket (or a FIFO on some systems) cannot be opened
            with contextlib.suppress(OSError):
                refused = _not_regular(os.stat(path).st_mode, file)
                if refused is not None:
                    raise refused from None
        raise JobError(file, 0, "", f"cannot read file ({exc.strerror or exc})") from None
    try:
        status = os.fstat(fd)
        refused = _not_regular(status.st_mode, file)
        if refused is not None:
            raise refused
        if status.st_size > limit:
            raise too_large(file, limit, status.st_size)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise too_large(file, limit)
        return b"".join(chunks)
    except OSError as exc:
        raise JobError(file, 0, "", f"cannot read file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def load_positioned(path: Path, display: str | None = None) -> PositionedDocument:
    """Read one YAML file holding exactly one mapping document."""
    file = display or str(path)
    return parse_bytes(read_bounded(path, file), file)


def parse_bytes(raw: bytes, file: str, *, placeholders: bool = False) -> PositionedDocument:
    """A file's bytes (e.g. a git blob) as a positioned document: the size and encoding rules of
    :func:`load_positioned`, then :func:`parse_positioned` (``placeholders``: see there)."""
    if len(raw) > MAX_FILE_BYTES:
        raise too_large(file, MAX_FILE_BYTES, len(raw))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JobError(
            file,
            raw[: exc.start].count(b"\n") + 1,
            "",
            "file is not UTF-8 text",
            f"byte 0x{raw[exc.start]:02x}",
            "UTF-8",
        ) from None
    return parse_positioned(text, file, placeholders=placeholders)


def _one_line(text: str) -> str:
    """The first line of a parser's message (the rest repeats the file and position)."""
    return text.strip().splitlines()[0] if text.strip() else text


def parse_positioned(text: str, file: str, *, placeholders: bool = False) -> PositionedDocument:
    """``text`` as a positioned document; ``placeholders``: also find the scalars that hold a
    placeholder, in the same nodes (:attr:`PositionedDocument.placeholders`)."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise JobError(file, 1, "", "file is empty", "no YAML document", "one job mapping")
    try:
        nodes = compose_all(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise JobError(file, line, "", f"invalid YAML: {exc.problem or exc.context}") from None
    except ReaderError as exc:  # a character YAML refuses: its line, computed from its position
        line = text.count("\n", 0, max(exc.position, 0)) + 1 if isinstance(exc.position, int) else 1
        if isinstance(exc.character, int):
            problem = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
        else:
            problem = _one_line(str(exc))
        raise JobError(file, line, "", f"invalid YAML: {problem}") from None
    except YAMLError as exc:
        raise JobError(file, 1, "", f"invalid YAML: {_one_line(str(exc))}") from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise JobError(file, 1, "", "file is empty", "no YAML document", "one job mapping")
    if len(nodes) > 1:
        raise JobError(
            file,
            nodes[1].start_mark.line + 1,
            "",
            "more than one YAML document",
            f"{len(nodes)} documents",
            "one job per file",
        )
    root = nodes[0]
    builder = _Builder(file)
    size = builder.expanded_size(root) if "&" in text else builder.tree_size(root)
    if size > MAX_NODES:
        raise JobError(
            file,
            root.start_mark.line + 1,
            "",
            "document expands to too many nodes through anchors/aliases",
            f"more than {MAX_NODES}",
            f"at most {MAX_NODES} nodes after alias expansion",
        )
    if not isinstance(root, MappingNode):
        # never the text itself: the file may be anything (a key, a password file)
        kind = "a list" if isinstance(root, SequenceNode) else f"a scalar of {len(root.value)} characters"
        raise JobError(
            file,
            root.start_mark.line + 1,
            "",
            "document is not a mapping",
            kind,
            "a mapping with tenant_id, environment and infrastructure",
        )
    value = builder.build(root, ())
    if not placeholders:
        return PositionedDocument(file, value, builder.lines)
    return PositionedDocument(file, value, builder.lines, text, node_sites(root, text))
