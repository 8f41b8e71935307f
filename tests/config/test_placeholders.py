"""The placeholder sites the loader finds in its own nodes (:func:`node_sites`) are exactly the sites
:func:`~dativo_infra.render.splice.find_placeholders` finds by reading the text's events again, for
texts with placeholders in every YAML scalar style; render uses them only for the text they came from."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml.error import YAMLError

from dativo_infra.config.loader import load_jobs
from dativo_infra.config.placeholders import node_sites
from dativo_infra.config.yamlpos import compose_all, parse_bytes, parse_positioned
from dativo_infra.errors import JobError
from dativo_infra.render.outputs import parse_outputs
from dativo_infra.render.splice import find_placeholders, render_text
from tests.render import GOLDEN_JOB, GOLDEN_OUTPUTS

PIECES = [
    "{{terraform_outputs.a}}",
    "{{ terraform_outputs.b_2 }}",
    "{{terraform_outputs}}",
    "terraform_outputs.a",
    "x",
    " ",
    "-",
    ":",
    " #",
    "'",
    '"',
    "\\",
    "é",
]
_texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)
_safe = st.lists(
    st.sampled_from(["{{terraform_outputs.a}}", "{{ terraform_outputs.b }}", "x", "-", "/"]), max_size=4
)


@st.composite
def _scalar(draw: st.DrawFn, indent: int, flow: bool) -> str:
    """One scalar in a random style (and maybe with an anchor or a tag) holding placeholders or not."""
    style = draw(
        st.sampled_from(["plain", "single", "double", "escaped"] + ([] if flow else ["literal", "folded"]))
    )
    prefix = draw(
        st.sampled_from(
            ["", f"&a{draw(st.integers(0, 10**9))} ", "!!str ", f"&t{draw(st.integers(0, 10**9))} !!str "]
        )
    )
    if style == "plain":
        value = "p" + "".join(draw(_safe)) + "z"
        if flow:
            value = value.replace("{", "").replace("}", "")  # flow indicators end a plain scalar
        return prefix + value
    text = draw(_texts)
    if style == "single":
        return prefix + "'" + text.replace("'", "''") + "'"
    if style == "double":
        return prefix + json.dumps(text)
    if style == "escaped":  # a placeholder spelled with escapes only
        return prefix + '"\\x7b{terraform_outputs.a}\\x7D ' + json.dumps(text)[1:]
    header = draw(st.sampled_from(["|", "|-", "|+", ">", ">-", "|2"]))
    pad = " " * (indent + 2)
    lines = draw(st.lists(_texts.map(lambda t: t.replace("\\", "/").strip() or "y"), min_size=1, max_size=3))
    return prefix + header + "".join("\n" + pad + line for line in lines) + "\n"


@st.composite
def _flow(draw: st.DrawFn, depth: int) -> str:
    items = []
    mapping = draw(st.booleans())
    for index in range(draw(st.integers(0, 3))):
        item = draw(_flow(depth + 1)) if depth < 2 and draw(st.booleans()) else draw(_scalar(0, True))
        items.append(f"f{index}: {item}" if mapping else item)
    return ("{" if mapping else "[") + ", ".join(items) + ("}" if mapping else "]")


@st.composite
def _block(draw: st.DrawFn, indent: int) -> str:
    """A block mapping at ``indent``: scalars, flow collections, nested mappings and sequences,
    aliases, merge keys, quoted keys with placeholders and comments."""
    pad = " " * indent
    out = []
    for index in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["scalar", "flow", "map", "seq", "alias", "merge", "key", "comment"]))
        if kind == "comment":
            out.append(f"{pad}# {{{{terraform_outputs.c}}}} comment\n")
            continue
        key = f"k{index}"
        if kind == "key":
            key = json.dumps(f"{{{{terraform_outputs.k}}}}{index}")
        if kind in ("scalar", "key"):
            value = draw(_scalar(indent, False))
            out.append(f"{pad}{key}: {value}" + ("" if value.endswith("\n") else "\n"))
        elif kind == "flow":
            out.append(f"{pad}{key}: {draw(_flow(0))}  # note\n")
        elif kind == "map" and indent < 6:
            out.append(f"{pad}{key}: &n{draw(st.integers(0, 10**9))}\n{draw(_block(indent + 2))}")
        elif kind == "seq" and indent < 6:
            out.append(f"{pad}{key}:\n")
            for _ in range(draw(st.integers(1, 3))):
                value = draw(_scalar(indent + 2, False))
                out.append(f"{pad}  - {value}" + ("" if value.endswith("\n") else "\n"))
        elif kind == "alias":
            out.append(f"{pad}{key}: *s{draw(st.integers(0, 3))}\n")
        elif kind == "merge":
            out.append(f"{pad}<<: *m{draw(st.integers(0, 3))}\n")
        else:
            out.append(f"{pad}{key}: plain\n")
    return "".join(out)


#: Anchors the generated aliases and merge keys may name (a body may define them again).
PREAMBLE = (
    "tenant_id: t\n"
    "anchors: [&s0 a, &s1 '{{terraform_outputs.a}}', &s2 \"x {{ terraform_outputs.b }}\", &s3 {c: d}]\n"
    "bases:\n  - &m0 {k9: '{{terraform_outputs.m}}'}\n  - &m1 {k8: v}\n"
    "  - &m2\n    k7: p{{terraform_outputs.n}}\n  - &m3 {}\n"
)


def _sites_agree(text: str) -> None:
    """``node_sites`` says what ``find_placeholders`` says, or leaves the text to it (None) where it
    cannot: the event reader then raises (a scalar whose marks do not point at it, as in a text that
    still starts with a byte-order mark) or names an alias key."""
    try:
        root = compose_all(text)[0]
    except (YAMLError, IndexError):
        assume(False)
        return
    found = node_sites(root, text)
    try:
        expected = find_placeholders(text, "job.yaml")
    except RuntimeError:
        assert found is None
        return
    assert found is not None and list(found) == expected


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(_block(0), st.booleans(), st.booleans())
def test_node_sites_equal_the_event_reader(body: str, crlf: bool, bom: bool) -> None:
    text = ("\ufeff" if bom else "") + PREAMBLE + body
    if crlf:
        text = text.replace("\n", "\r\n")
    _sites_agree(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_block(0), st.booleans())
def test_the_loader_keeps_the_sites_of_the_text_it_read(body: str, bom: bool) -> None:
    raw = (b"\xef\xbb\xbf" if bom else b"") + body.encode()
    try:
        document = parse_bytes(raw, "job.yaml", placeholders=True)  # the byte-order mark removed
        expected = find_placeholders(body, "job.yaml")
    except JobError:
        assume(False)
        return
    assert document.placeholders_in(body) == tuple(expected)
    assert document.placeholders_in(body + "\n") is None  # another text: found there
    assert parse_positioned(body, "job.yaml").placeholders_in(body) is None  # not asked for


@pytest.mark.parametrize(
    "text",
    [
        "a: &x b\n*x : '{{terraform_outputs.a}}'\n",  # an alias as a key: the event reader names it *x
        "a: &x [b]\n? *x\n: '{{terraform_outputs.a}}'\n",
    ],
)
def test_an_alias_key_is_left_to_the_event_reader(text: str) -> None:
    assert node_sites(compose_all(text)[0], text) is None
    assert find_placeholders(text, "job.yaml")  # which finds the sites, under '*x'


@pytest.mark.parametrize(
    "text",
    [
        "a:\n  ? [x, '{{terraform_outputs.a}}']\n  : '{{terraform_outputs.b}}'\n",  # a complex key
        "- '{{terraform_outputs.a}}'\n- {b: \"{{terraform_outputs.b}}\"}\n",  # a sequence document
        '"{{terraform_outputs.a}}"\n',  # a scalar document
        "a: no placeholder\n",
        'a: "\\x7b{terraform_outputs.a}}"\n',
    ],
)
def test_other_documents(text: str) -> None:
    _sites_agree(text)


def test_render_with_the_loaders_sites_is_the_same() -> None:
    text = GOLDEN_JOB.read_text()
    outputs = parse_outputs(GOLDEN_OUTPUTS.read_text(), "outputs.json").for_stack("s")
    sites = parse_positioned(text, "golden", placeholders=True).placeholders_in(text)
    assert sites
    assert render_text(text, "golden", outputs, sites=sites) == render_text(text, "golden", outputs)


def test_only_rendering_loads_keep_the_sites() -> None:
    assert all(job.source.placeholders is None for job in load_jobs(["jobs"]))
    jobs = load_jobs(["jobs"], rendered=True)
    assert any(job.source.placeholders for job in jobs)
    for job in jobs:
        assert job.source.placeholders_in(job.text) == tuple(find_placeholders(job.text, job.file))
