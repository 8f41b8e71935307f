"""Public exposure, read from every synthesized example stack and compared with what its job asks for.

checkov has no checks for Cloud Run v2 or Container Apps, so these are ours. A stack is publicly
exposed where:

* AWS: an internet-facing load balancer (``internal`` false) accepts 0.0.0.0/0 on a listener port;
* Azure: a Container App's ingress is external (``external_enabled``) with no IP restriction;
* GCP: ``allUsers`` or ``allAuthenticatedUsers`` may invoke a Cloud Run service or job.

Each exposure must be one the job's own fields ask for (``ingress: external`` without allowed
networks; a public member listed in ``invokers``), and each such request must show in the JSON. The
expectation comes from the typed job models, the finding from the Terraform JSON: two independent
readings of the same job.
"""

from __future__ import annotations

from typing import Any

from dativo_infra.clouds.gcp import PUBLIC_MEMBERS
from dativo_infra.config.loaded import LoadedJob

ANYWHERE = "0.0.0.0/0"


def found_exposures(doc: dict[str, Any]) -> set[str]:
    resources = doc.get("resource", {})
    found = set()
    if any(lb.get("internal") is False for lb in resources.get("aws_lb", {}).values()):
        open_rules = resources.get("aws_vpc_security_group_ingress_rule", {}).values()
        if any(rule.get("cidr_ipv4") == ANYWHERE for rule in open_rules):
            found.add(f"aws load balancer open to {ANYWHERE}")
    for app in resources.get("azurerm_container_app", {}).values():
        ingress = app.get("ingress") or {}
        if ingress.get("external_enabled") and not ingress.get("ip_security_restriction"):
            found.add("azure external ingress from any address")
    for kind in ("google_cloud_run_v2_service_iam_member", "google_cloud_run_v2_job_iam_member"):
        for binding in resources.get(kind, {}).values():
            if binding.get("member") in PUBLIC_MEMBERS:
                found.add(f"gcp invoker {binding['member']}")
    return found


def requested_exposures(job: LoadedJob) -> set[str]:
    runtime: Any = job.config.runtime
    kind = runtime.type
    if kind == "aws_fargate":
        if runtime.mode == "service" and runtime.ingress == "external":
            allowed = runtime.load_balancer.allowed_cidrs
            if not allowed or ANYWHERE in allowed:
                return {f"aws load balancer open to {ANYWHERE}"}
    elif kind == "azure_container_apps":
        if runtime.mode == "service" and runtime.ingress == "external" and not runtime.ingress_allowed_cidrs:
            return {"azure external ingress from any address"}
    elif kind == "gcp_cloud_run":
        return {f"gcp invoker {member}" for member in runtime.invokers if member in PUBLIC_MEMBERS}
    return set()


def test_every_public_exposure_is_one_the_job_asks_for(
    example_jobs: list[LoadedJob], example_synth: dict[str, Any]
) -> None:
    seen = {}
    for job in example_jobs:
        found = found_exposures(example_synth[job.stack_name])
        assert found == requested_exposures(job), job.stack_name
        seen[job.stack_name] = found
    # The examples hold one deliberate exposure: the Azure webhook receiver takes calls from anywhere.
    assert {name: f for name, f in seen.items() if f} == {
        "globex-events-api-service": {"azure external ingress from any address"}
    }


def test_the_finder_sees_each_kind_of_exposure() -> None:
    """The finder itself, on minimal documents (so a silent miss cannot pass the test above)."""
    aws = {
        "aws_lb": {"lb": {"internal": False}},
        "aws_vpc_security_group_ingress_rule": {"r": {"cidr_ipv4": ANYWHERE}},
    }
    assert found_exposures({"resource": aws}) == {f"aws load balancer open to {ANYWHERE}"}
    assert found_exposures({"resource": {**aws, "aws_lb": {"lb": {"internal": True}}}}) == set()
    azure = {"azurerm_container_app": {"a": {"ingress": {"external_enabled": True}}}}
    assert found_exposures({"resource": azure}) == {"azure external ingress from any address"}
    restricted = {"external_enabled": True, "ip_security_restriction": [{"ip_address_range": "10.0.0.0/8"}]}
    assert found_exposures({"resource": {"azurerm_container_app": {"a": {"ingress": restricted}}}}) == set()
    gcp = {"google_cloud_run_v2_service_iam_member": {"i": {"member": "allUsers"}}}
    assert found_exposures({"resource": gcp}) == {"gcp invoker allUsers"}
