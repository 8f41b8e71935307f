"""TaggingAspect on tiny stacks built here: every taggable resource gets the map, explicit tags win,
data sources / providers / non-map tag attributes are untouched, GCP gets labels (never its
Resource Manager ``tags``). One synth per stack per session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.literal import deep_literal

MERGED = {
    "cost_center": "FINOPS-001",
    "managed_by": "dativo-infra",
    "team": "data_platform",
    "note": "${not.a.reference}",
}
ESCAPED = deep_literal(MERGED)


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    from dativo_infra.cdk import (
        Aspects,
        TerraformStack,
        TerraformVariable,
        Testing,
        Token,
        provider_aws,
        provider_google,
    )
    from dativo_infra.stacks.tagging import TaggingAspect

    app = Testing.app()
    aws = TerraformStack(app, "aws")
    provider_aws.provider.AwsProvider(aws, "aws", region="us-east-1")
    bucket = provider_aws.s3_bucket.S3Bucket(aws, "bucket", bucket="b")
    provider_aws.s3_bucket_versioning.S3BucketVersioningA(
        aws, "versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
    )
    provider_aws.iam_role.IamRole(aws, "role", assume_role_policy="{}")
    provider_aws.s3_bucket.S3Bucket(
        aws, "explicit", bucket="e", tags={"team": "explicit_team", "extra": "kept"}
    )
    provider_aws.autoscaling_group.AutoscalingGroup(aws, "asg", max_size=1, min_size=0)
    provider_aws.data_aws_vpc.DataAwsVpc(aws, "vpc", tags={"Name": "main"})
    variable = TerraformVariable(aws, "tags_var", type="map(string)")
    provider_aws.s3_bucket.S3Bucket(aws, "expression", bucket="x", tags=Token.as_string_map(variable.value))
    aspect = TaggingAspect(ESCAPED)
    Aspects.of(aws).add(aspect)

    gcp = TerraformStack(app, "gcp")
    provider_google.provider.GoogleProvider(gcp, "google", project="p", add_terraform_attribution_label=False)
    provider_google.storage_bucket.StorageBucket(gcp, "bucket", name="b", location="EU")
    provider_google.project.Project(
        gcp,
        "project",
        name="p",
        project_id="p-123",
        tags={"tagKeys/123": "tagValues/456"},
        labels={"team": "explicit_team"},
    )
    provider_google.service_account.ServiceAccount(gcp, "sa", account_id="runtime")
    Aspects.of(gcp).add(TaggingAspect(ESCAPED))

    aws_json = json.loads(Testing.synth(aws))
    gcp_json = json.loads(Testing.synth(gcp))
    # A second visit (e.g. a second synth) must not change anything.
    aspect.visit(bucket)
    return {"aws": aws_json, "gcp": gcp_json, "bucket_tags_after_revisit": dict(bucket.tags_input or {})}


def test_every_taggable_aws_resource_gets_the_merged_tags(synthesized: dict[str, Any]) -> None:
    resources = synthesized["aws"]["resource"]
    assert resources["aws_s3_bucket"]["bucket"]["tags"] == ESCAPED
    assert resources["aws_iam_role"]["role"]["tags"] == ESCAPED


def test_explicit_tags_win_and_extra_explicit_keys_are_kept(synthesized: dict[str, Any]) -> None:
    tags = synthesized["aws"]["resource"]["aws_s3_bucket"]["explicit"]["tags"]
    assert tags == {**ESCAPED, "team": "explicit_team", "extra": "kept"}
    assert list(tags) == sorted(tags)


def test_values_are_written_escaped_once(synthesized: dict[str, Any]) -> None:
    assert synthesized["aws"]["resource"]["aws_s3_bucket"]["bucket"]["tags"]["note"] == "$${not.a.reference}"


def test_untaggable_resources_data_sources_and_providers_are_untouched(synthesized: dict[str, Any]) -> None:
    aws = synthesized["aws"]
    assert "tags" not in aws["resource"]["aws_s3_bucket_versioning"]["versioning"]
    assert set(aws["resource"]["aws_autoscaling_group"]["asg"]) == {"max_size", "min_size"}
    assert aws["data"]["aws_vpc"]["vpc"]["tags"] == {"Name": "main"}
    assert "default_tags" not in aws["provider"]["aws"][0]


def test_computed_tag_attributes_are_never_set(synthesized: dict[str, Any]) -> None:
    for stack in ("aws", "gcp"):
        for by_name in synthesized[stack]["resource"].values():
            for body in by_name.values():
                assert not {"tags_all", "effective_labels", "terraform_labels"} & set(body)


def test_explicit_tags_given_as_an_expression_are_left_alone(synthesized: dict[str, Any]) -> None:
    assert synthesized["aws"]["resource"]["aws_s3_bucket"]["expression"]["tags"] == "${var.tags_var}"


def test_visiting_again_changes_nothing(synthesized: dict[str, Any]) -> None:
    assert synthesized["bucket_tags_after_revisit"] == ESCAPED


def test_gcp_resources_get_labels_not_resource_manager_tags(synthesized: dict[str, Any]) -> None:
    resources = synthesized["gcp"]["resource"]
    assert resources["google_storage_bucket"]["bucket"]["labels"] == ESCAPED
    project = resources["google_project"]["project"]
    assert project["tags"] == {"tagKeys/123": "tagValues/456"}
    assert project["labels"] == {**ESCAPED, "team": "explicit_team"}
    assert "labels" not in resources["google_service_account"]["sa"]
    assert synthesized["gcp"]["provider"]["google"][0]["add_terraform_attribution_label"] is False


def test_capability_check_reads_the_declared_type(synthesized: dict[str, Any]) -> None:
    from dativo_infra.cdk import provider_aws, provider_google
    from dativo_infra.stacks.tagging import has_string_map

    assert has_string_map(provider_aws.s3_bucket.S3Bucket, "tags")
    assert not has_string_map(provider_aws.s3_bucket.S3Bucket, "labels")
    assert not has_string_map(provider_aws.autoscaling_group.AutoscalingGroup, "tags")  # only `tag` blocks
    assert not has_string_map(
        provider_google.compute_instance.ComputeInstance, "tags"
    )  # a list of network tags
    assert has_string_map(provider_google.compute_instance.ComputeInstance, "labels")
    assert has_string_map(
        provider_google.project.Project, "tags"
    )  # a string map, excluded by the google provider rule instead


@given(
    provider=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    rest=st.from_regex(r"[a-zA-Z0-9.]{0,30}", fullmatch=True),
)
def test_provider_of_a_prebuilt_jsii_type_is_its_package_name(provider: str, rest: str) -> None:
    from dativo_infra.stacks.tagging import provider_of_jsii_type

    assert provider_of_jsii_type(f"@cdktf/provider-{provider}.{rest}") == provider
    # CDK Terrain's bindings: a google resource must be known as google (labels), never tagged through
    # the Resource Manager `tags` map google 7+ added to Cloud Run
    assert provider_of_jsii_type(f"@cdktn/provider-{provider}.{rest}") == provider
    assert provider_of_jsii_type(f"{provider}.{rest}") is None  # a locally generated binding
    assert provider_of_jsii_type(f"@other/provider-{provider}.{rest}") is None


def test_provider_from_the_jsii_type_equals_the_generator_metadata() -> None:
    from dativo_infra.cdk import App, TerraformStack, provider_aws, provider_azurerm, provider_google
    from dativo_infra.stacks.tagging import provider_name, provider_of_jsii_type

    stack = TerraformStack(App(), "providers")
    resources = [
        provider_aws.iam_role.IamRole(stack, "role", assume_role_policy="{}"),
        provider_azurerm.resource_group.ResourceGroup(stack, "group", name="g", location="westeurope"),
        provider_google.storage_bucket.StorageBucket(stack, "bucket", name="b", location="EU"),
    ]
    for resource in resources:
        metadata = resource.terraform_generator_metadata
        assert metadata is not None
        assert provider_of_jsii_type(type(resource).__jsii_type__) == metadata.provider_name
        assert provider_name(resource) == metadata.provider_name
    assert [provider_name(r) for r in resources] == ["aws", "azurerm", "google"]
