"""Placeholders as a YAML text holds them: the pattern, and the scalars that hold one (:class:`ScalarSite`).

``render`` and ``validate --rendered`` need every scalar of a job's text that holds a placeholder,
with its exact character span. :func:`node_sites` finds them in the nodes the loader composes anyway
(:func:`~dativo_infra.config.yamlpos.parse_positioned` with ``placeholders=True``), so the text is
parsed once; :func:`dativo_infra.render.splice.find_placeholders` finds the same sites from the
parser's events (for a text the loader did not parse, and for the rare documents :func:`node_sites`
leaves to it). Both give equal results: tests/config/test_placeholders.py checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode

#: A placeholder: ``{{ terraform_outputs.<name> }}``.
PLACEHOLDER_RE = re.compile(r"\{\{\s*terraform_outputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

PathKey = tuple[str | int, ...]

#: The first character of a scalar of each style (plain: the value's own first character).
FIRST_CHAR = {'"': '"', "'": "'", "|": "|", ">": ">"}


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


def may_hold_placeholders(text: str) -> bool:
    """False when no scalar of ``text`` can hold a placeholder (no need to look at its scalars).

    Folded line breaks turn into spaces, so a placeholder split over lines is not one; only an
    escape sequence in a double-quoted scalar can spell one without the literal text.
    """
    return "terraform_outputs" in text or "\\" in text


def skip_properties(text: str, index: int, end: int) -> tuple[int, bool]:
    """Move past an anchor (``&a``) and a tag (``!!str``) before a scalar; say whether a tag was seen."""
    tagged = False
    while index < end and text[index] in "&!":
        tagged = tagged or text[index] == "!"
        while index < end and text[index] not in " \t\r\n":
            index += 1
        while index < end and text[index] in " \t\r\n":
            index += 1
    return index, tagged


#: What a collection's text must hold for :func:`node_sites` to look inside: a placeholder's literal
#: text or an escape (:func:`may_hold_placeholders`), or an anchor (its nodes may be repeated later).
_NEEDLES = ("terraform_outputs", "\\", "&")


class _Unsupported(Exception):
    """A document :func:`node_sites` leaves to the event reader."""


def node_sites(root: Node, text: str) -> tuple[ScalarSite, ...] | None:
    """The sites of the composed document ``root`` of ``text``, in file order: what
    ``find_placeholders(text, ...)`` returns, found without parsing ``text`` again.

    Each node is looked at once, where the text writes it (a node an alias repeats was seen at its
    anchor; the event reader skips aliases too). None when the nodes do not say what the event reader
    would: an alias used as a mapping key (the event reader names the paths after it ``*anchor``, a
    name the nodes do not keep), or a scalar whose recorded position does not start the way its style
    says (the event reader reports that).
    """
    if not may_hold_placeholders(text):
        return ()
    sites: list[ScalarSite] = []
    shared = "&" in text  # without an anchor no node is reached twice
    seen: set[int] = set()

    def first(node: Node) -> bool:
        if not shared:
            return True
        if id(node) in seen:
            return False
        seen.add(id(node))
        return True

    def scalar(node: ScalarNode, path: PathKey, is_key: bool, flow: bool) -> None:
        value = node.value
        if not PLACEHOLDER_RE.search(value):
            return
        start, tagged = skip_properties(text, node.start_mark.index, node.end_mark.index)
        style = node.style or None  # the C composer says '' for plain
        if text[start : start + 1] != FIRST_CHAR.get(style or "", value[:1]):
            raise _Unsupported
        sites.append(
            ScalarSite(
                path, node.start_mark.line + 1, value, style, start, node.end_mark.index, is_key, flow, tagged
            )
        )

    def walk(node: CollectionNode, path: PathKey, flow: bool) -> None:
        start, end = node.start_mark.index, node.end_mark.index  # the collection's whole text
        if all(text.find(needle, start, end) < 0 for needle in _NEEDLES):
            return  # no scalar of it can hold a placeholder, and no node of it is named for an alias
        flow = flow or bool(node.flow_style)
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if not first(key_node):
                    raise _Unsupported
                key: str | int
                if isinstance(key_node, ScalarNode):
                    key_text: str = key_node.value
                    key = key_text
                    if "terraform_outputs" in key_text:
                        scalar(key_node, (*path, key), True, flow)
                else:
                    key = "?"
                    walk(key_node, (*path, key), flow)
                if first(value_node):
                    if isinstance(value_node, ScalarNode):
                        if "terraform_outputs" in value_node.value:
                            scalar(value_node, (*path, key), False, flow)
                    else:
                        walk(value_node, (*path, key), flow)
            return
        for index, item in enumerate(node.value):
            if first(item):
                if isinstance(item, ScalarNode):
                    if "terraform_outputs" in item.value:
                        scalar(item, (*path, index), False, flow)
                else:
                    walk(item, (*path, index), flow)

    first(root)
    try:
        if isinstance(root, CollectionNode):
            walk(root, (), False)
        elif isinstance(root, ScalarNode) and "terraform_outputs" in root.value:
            scalar(root, (), False, False)
    except _Unsupported:
        return None
    return tuple(sites)
