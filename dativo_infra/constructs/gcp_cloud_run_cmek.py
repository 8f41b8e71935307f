"""CMEK of a Cloud Run service or job (``encryption_key``): the grant Cloud Run needs to use the key.

Cloud Run encrypts the container image with the key as the Cloud Run service agent of the project it
runs in, ``service-<project number>@serverless-robot-prod.iam.gserviceaccount.com``, which needs
``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on the key (cloud.google.com/run/docs/securing/using-cmek).
The project number is read with a ``google_project`` data source (``cmek_project``); the grant is one
non-authoritative ``google_kms_crypto_key_iam_member`` (``cmek_grant``), so other members of the key
are kept. Construct ids are in the job's ``Runtime`` scope (part of the contract). The deployer needs
``cloudkms.cryptoKeys.setIamPolicy`` on the key (a key in a security team's project: they may grant it
instead and the plan shows the binding as already present).
"""

from __future__ import annotations

from constructs import Construct

from dativo_infra.cdk import provider_google
from dativo_infra.clouds import gcp_run
from dativo_infra.config.runtimes import GcpCloudRunRuntime


def grant_run_agent(
    owner: Construct, runtime: GcpCloudRunRuntime
) -> provider_google.kms_crypto_key_iam_member.KmsCryptoKeyIamMember | None:
    """The key grant of the Cloud Run service agent, or None without ``encryption_key``."""
    if runtime.encryption_key is None:
        return None
    project = provider_google.data_google_project.DataGoogleProject(
        owner, "cmek_project", project_id=runtime.project_id
    )
    return provider_google.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
        owner,
        "cmek_grant",
        crypto_key_id=runtime.encryption_key,
        role=gcp_run.KMS_ENCRYPTER_DECRYPTER_ROLE,
        member=gcp_run.run_service_agent(project.number),
    )
