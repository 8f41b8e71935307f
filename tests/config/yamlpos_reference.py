"""The positioned YAML loader as it was before its fast path (kept only as the reference the fast one is
compared with, in tests/config/test_yamlpos.py): ruamel's own ``YAML(typ="safe", pure=False).compose_all``
(a loader class per call, ruamel's resolver, no memo), every tag read as text, the alias-aware size
count on every document and one ``build`` call per node."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

from dativo_infra.config.yamlpos import MAX_DEPTH, MAX_NODES, PathKey, PositionedDocument, dotted
from dativo_infra.errors import JobError

_BOOL = {"true": True, "false": False}
_yaml = YAML(typ="safe", pure=False)


class _Resolver(VersionedResolver):
    @property
    def processing_version(self) -> Any:
        return self._loader_version or (1, 2)


_yaml.Resolver = _Resolver


def _tag(node: Node) -> str:
    tag = node.tag
    return getattr(tag, "value", tag) or ""


def _scalar(node: ScalarNode) -> Any:
    tag, text = _tag(node), node.value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return _BOOL.get(text.lower(), text)
    if tag.endswith(":int"):
        try:
            return int(text.replace("_", ""), 0) if not text.lstrip("+-").startswith("0o") else int(text, 8)
        except ValueError:
            return text
    if tag.endswith(":float"):
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
    return text


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[PathKey, int] = {}
        self._sizes: dict[int, int] = {}

    def error(self, node: Node, path: PathKey, problem: str, got: object, expected: str) -> JobError:
        return JobError.at(
            self.file, node.start_mark.line + 1, dotted(path) or "(document)", problem, got, expected
        )

    def expanded_size(self, node: Node, depth: int = 0) -> int:
        key = id(node)
        if key in self._sizes:
            return self._sizes[key]
        if depth > MAX_DEPTH:
            raise JobError(
                self.file,
                node.start_mark.line + 1,
                "",
                "document nests too deeply",
                f"more than {MAX_DEPTH} levels",
                f"at most {MAX_DEPTH} levels",
            )
        self._sizes[key] = MAX_NODES + 1
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

    def build(self, node: Node, path: PathKey) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        out: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if _tag(key_node).endswith(":merge"):
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
            key = _scalar(key_node)
            if not isinstance(key, str):
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
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        for k, v in merged.items():
            out.setdefault(k, v)
        return out


def compose_all(text: str) -> list[Node]:
    return list(_yaml.compose_all(io.StringIO(text)))


def parse_positioned(text: str, file: str) -> PositionedDocument:
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
    except ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1 if isinstance(exc.position, int) else 1
        if isinstance(exc.character, int):
            problem = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
        else:
            problem = str(exc).strip().splitlines()[0] if str(exc).strip() else str(exc)
        raise JobError(file, line, "", f"invalid YAML: {problem}") from None
    except YAMLError as exc:
        text_ = str(exc)
        raise JobError(
            file, 1, "", f"invalid YAML: {text_.strip().splitlines()[0] if text_.strip() else text_}"
        ) from None
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
    if builder.expanded_size(root) > MAX_NODES:
        raise JobError(
            file,
            root.start_mark.line + 1,
            "",
            "document expands to too many nodes through anchors/aliases",
            f"more than {MAX_NODES}",
            f"at most {MAX_NODES} nodes after alias expansion",
        )
    if not isinstance(root, MappingNode):
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
    return PositionedDocument(file, value, builder.lines)
