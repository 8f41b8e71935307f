"""The extra roles of a GCP job's service account (``permissions.roles``): one non-authoritative IAM
member per (role, resource), so roles others granted on the same project or resource are kept.

* no resource: ``google_project_iam_member`` on the job's project;
* ``[projects/<p>/]datasets/<id>``: ``google_bigquery_dataset_iam_member`` (note from hashicorp/google
  6.50.0: the dataset IAM resources rewrite the dataset's access list, which drops authorized views);
* ``[projects/<p>/]topics/<id>``: ``google_pubsub_topic_iam_member``;
* ``buckets/<name>``: ``google_storage_bucket_iam_member``.

Construct ids ``role_<hash of role and resource>`` in the job's ``Runtime`` scope (part of the
contract). The role and resource grammars are :mod:`dativo_infra.clouds.gcp`'s; validation refused every
bad or privileged role before this runs.
"""

from __future__ import annotations

from constructs import Construct

from dativo_infra.cdk import TerraformResource, provider_google
from dativo_infra.clouds import gcp
from dativo_infra.config.runtimes.gcp_cloud_run import GcpCloudRunRuntime
from dativo_infra.naming import short_hash


def role_id(role: str, resource: str | None) -> str:
    """Construct id of the binding of ``role`` on ``resource`` (None: the project)."""
    return f"role_{short_hash(role + ' ' + (resource or ''))}"


def grant_roles(owner: Construct, runtime: GcpCloudRunRuntime, member: str) -> list[TerraformResource]:
    """One IAM member of ``member`` per entry of ``permissions.roles``, in the job's order."""
    project = runtime.project_id
    granted: list[TerraformResource] = []
    for grant in runtime.permissions.roles:
        construct_id = role_id(grant.role, grant.resource)
        if grant.resource is None:
            granted.append(
                provider_google.project_iam_member.ProjectIamMember(
                    owner, construct_id, project=project, role=grant.role, member=member
                )
            )
            continue
        target = gcp.parse_role_resource(grant.resource)
        if not isinstance(target, gcp.RoleResource):  # validation reports these first
            raise ValueError(f"not a role resource: {grant.resource!r}")
        if target.kind == "bucket":
            granted.append(
                provider_google.storage_bucket_iam_member.StorageBucketIamMember(
                    owner, construct_id, bucket=target.name, role=grant.role, member=member
                )
            )
        elif target.kind == "dataset":
            granted.append(
                provider_google.bigquery_dataset_iam_member.BigqueryDatasetIamMember(
                    owner,
                    construct_id,
                    project=target.project or project,
                    dataset_id=target.name,
                    role=grant.role,
                    member=member,
                )
            )
        else:
            granted.append(
                provider_google.pubsub_topic_iam_member.PubsubTopicIamMember(
                    owner,
                    construct_id,
                    project=target.project or project,
                    topic=target.name,
                    role=grant.role,
                    member=member,
                )
            )
    return granted
