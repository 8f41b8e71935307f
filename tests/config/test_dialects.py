"""The three dialects through one call, and list-valued tags (``compliance: [GDPR, SOC2]``) in every
dialect: joined the way every list becomes tag text, then judged by each cloud's renderer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.config.assets import LIST_SEPARATOR
from dativo_infra.config.dialects import canonical, dialect_of, join_list_tags
from dativo_infra.config.loader import load_job, load_jobs
from dativo_infra.config.yamlpos import PositionedDocument, parse_positioned
from dativo_infra.errors import ErrorReport
from dativo_infra.tags import AWS_VALUE_MAX, AZURE_VALUE_MAX, merged_tags, render_tags
from tests.cli import in_process

AWS = Path("tests/fixtures/jobs/valid/minimal_aws.yaml").read_text()
LEGACY = Path("tests/fixtures/jobs/valid/legacy_ecs.yaml").read_text()
AZURE = Path("jobs/globex/hubspot_contacts_to_adls.yaml").read_text()
GCP = Path("jobs/initech/salesforce_accounts_to_bq.yaml").read_text()
SEEDS = Path("tests/fixtures/jobs/seeds")


def with_tag(text: str, tag: str) -> str:
    """``text`` with ``tag`` (YAML lines under ``infrastructure.tags``) added as its first tag."""
    head, tail = text.split("  tags:\n", 1)
    return f"{head}  tags:\n{tag}{tail}"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(text)
    return path


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(write(tmp_path, text))])
    return [f"{e.line}: {e.path}: {e.problem}; got {e.got}" for e in caught.value]


def line(text: str, needle: str) -> int:
    return next(n for n, row in enumerate(text.splitlines(), 1) if needle in row)


@pytest.mark.parametrize(
    ("path", "dialect"),
    [
        (Path("tests/fixtures/jobs/valid/minimal_aws.yaml"), "canonical"),
        (Path("tests/fixtures/jobs/valid/legacy_ecs.yaml"), "older"),
        (SEEDS / "seed004_aws_ecs_basic.yaml", "seed004"),
    ],
)
def test_each_file_knows_its_dialect(path: Path, dialect: str) -> None:
    loaded = load_job(path)
    assert loaded.dialect == dialect_of(loaded.source.value) == dialect
    assert loaded.legacy is (dialect == "older")


def test_a_canonical_job_whose_resource_refs_were_mapped_is_still_canonical(tmp_path: Path) -> None:
    refs = "  terraform:\n    resource_refs:\n      cluster_name: shared\n"
    job = load_job(write(tmp_path, AWS.replace("infrastructure:\n", "infrastructure:\n" + refs, 1)))
    assert job.document is not job.source and job.dialect == "canonical"


def test_a_canonical_file_without_list_tags_is_returned_as_it_is() -> None:
    doc = parse_positioned(AWS, "job.yaml")
    assert canonical(doc) is doc


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (AWS, "    compliance: [GDPR, SOC2]\n"),
        (LEGACY, "    Compliance:\n      - GDPR\n      - SOC2\n"),  # older dialect: the key is snake-cased
        (GCP, "    compliance: [GDPR, SOC2]\n"),
        (AZURE, "    compliance: [GDPR, SOC2]\n"),
    ],
    ids=["canonical", "older", "gcp", "azure"],
)
def test_list_tags_are_joined_in_every_dialect(tmp_path: Path, text: str, tag: str) -> None:
    (job,) = load_jobs([str(write(tmp_path, with_tag(text, tag)))])
    assert merged_tags(job)["compliance"] == "GDPR,SOC2"
    assert job.document.line_of(("infrastructure", "tags", "compliance")) == line(
        with_tag(text, tag), "ompliance"
    )


@pytest.mark.parametrize(
    ("items", "at", "got"),
    [
        ("[GDPR, 2024]", 0, "2024"),
        ("[GDPR, true]", 0, "true"),
        ("[GDPR, null]", 0, "null"),
        ("[GDPR, '']", 0, "''"),
        ("[GDPR, [SOC2]]", 0, "a list"),
        ("\n      - GDPR\n      - {a: 1}", 2, "a mapping"),
    ],
)
def test_a_list_item_that_is_not_text_is_an_error_at_its_line(
    tmp_path: Path, items: str, at: int, got: str
) -> None:
    text = with_tag(AWS, f"    compliance: {items}\n")
    assert errors(tmp_path, text) == [
        f"{line(text, 'compliance') + at}: infrastructure.tags.compliance[1]: a list item of a tag must be text; got {got}"
    ]


def test_an_empty_list_tag_is_an_error(tmp_path: Path) -> None:
    text = with_tag(AWS, "    compliance: []\n")
    assert errors(tmp_path, text) == [
        f"{line(text, 'compliance')}: infrastructure.tags.compliance: an empty list gives no tag value; got an empty list"
    ]


@pytest.mark.parametrize(
    ("text", "limit"), [(AWS, AWS_VALUE_MAX), (AZURE, AZURE_VALUE_MAX)], ids=["aws", "azure"]
)
def test_a_joined_value_too_long_for_the_cloud_is_the_renderers_error_at_the_tag(
    tmp_path: Path, text: str, limit: int
) -> None:
    items = [f"REGULATION-{i:03d}" for i in range(20)]  # 20 x 14 characters + 19 commas = 299
    text = with_tag(text, f"    compliance: [{', '.join(items)}]\n")
    (message,) = errors(tmp_path, text)
    assert message.startswith(
        f"{line(text, 'compliance')}: infrastructure.tags.compliance: tag 'compliance': "
    )
    assert message.endswith(f"tag values are at most {limit} characters; got 299 characters")


def test_a_joined_value_too_long_for_a_gcp_label_is_cut_and_hashed_as_any_value(tmp_path: Path) -> None:
    items = [f"REGULATION-{i:03d}" for i in range(20)]
    (job,) = load_jobs([str(write(tmp_path, with_tag(GCP, f"    compliance: [{', '.join(items)}]\n")))])
    label = render_tags(merged_tags(job), job.config.infrastructure.provider)["compliance"]
    assert len(label) == 63 and label.startswith("regulation-000_regulation-001")


def test_the_cli_validates_the_seed_snippets_and_tags_prints_the_joined_value() -> None:
    valid = [
        str(SEEDS / f"seed004_{name}.yaml") for name in ("aws_ecs_basic", "tag_propagation", "gcp_cloud_run")
    ]
    result = in_process("validate", *valid)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 job file(s) valid (3 in the seed 004 dialect)"
    tags = in_process("tags", valid[1])
    assert tags.returncode == 0, tags.stderr
    assert json.loads(tags.stdout)["compliance"] == "GDPR,SOC2"
    rendered = in_process("tags", "--rendered", valid[1])
    assert json.loads(rendered.stdout)["compliance"] == "GDPR+SOC2"


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8).filter(
    lambda s: bool(s.strip())
)


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(st.lists(TEXT, min_size=1, max_size=5))
def test_a_list_of_text_becomes_its_items_joined_with_the_one_separator(items: list[str]) -> None:
    data = {"infrastructure": {"tags": {"compliance": items, "team": "data"}}}
    doc, found = join_list_tags(PositionedDocument("job.yaml", data, {}))
    assert found == []
    assert doc.value["infrastructure"]["tags"] == {"compliance": LIST_SEPARATOR.join(items), "team": "data"}


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(TEXT, st.integers(), st.booleans(), st.none()), min_size=1, max_size=5))
def test_a_list_is_joined_or_each_bad_item_is_an_error(items: list[object]) -> None:
    data = {"infrastructure": {"tags": {"compliance": items}}}
    doc, found = join_list_tags(PositionedDocument("job.yaml", data, {}))
    bad = [i for i, item in enumerate(items) if not isinstance(item, str)]
    assert [e.path for e in found] == [f"infrastructure.tags.compliance[{i}]" for i in bad]
    if not bad:
        assert doc.value["infrastructure"]["tags"]["compliance"] == ",".join(map(str, items))
