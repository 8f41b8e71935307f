"""The output contract: which outputs each runtime exports for a job's configuration, in words too."""

from __future__ import annotations

from typing import Any

import pytest

from dativo_infra.config.runtimes import MODELS
from dativo_infra.config.schema import validation_context
from dativo_infra.contract import OUTPUTS, RuntimeType, When, exported_outputs

SHARED_ENV = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/Microsoft.App/"
    "managedEnvironments/shared-cae"
)


def runtime(runtime_type: RuntimeType, **fields: Any) -> Any:
    """A validated runtime model of ``runtime_type`` with these fields (GCP: a project id)."""
    if runtime_type is RuntimeType.GCP_CLOUD_RUN:
        fields.setdefault("project_id", "acme-data-dev")
    data = {"type": runtime_type.value, **fields}
    return MODELS[runtime_type].model_validate(data, context=validation_context(None))


_AWS = RuntimeType.AWS_FARGATE
_AZURE = RuntimeType.AZURE_CONTAINER_APPS
_GCP = RuntimeType.GCP_CLOUD_RUN
_AWS_SCHEDULE = {"schedule_name", "dead_letter_queue_arn", "dead_letter_queue_url"}


@pytest.mark.parametrize(
    ("runtime_type", "fields", "missing"),
    [
        (_AWS, {"schedule": "0 3 * * *"}, set()),
        (_AWS, {}, _AWS_SCHEDULE),
        (_AWS, {"mode": "service"}, {"state_machine_arn", *_AWS_SCHEDULE}),
        (
            _AWS,
            {"mode": "service", "ingress": "external", "load_balancer": {"allow_plain_http": True}},
            {"state_machine_arn", *_AWS_SCHEDULE},
        ),
        (
            _AWS,
            {"mode": "service", "ingress": "none"},
            {"service_endpoint", "state_machine_arn", *_AWS_SCHEDULE},
        ),
        (_AZURE, {"mode": "service"}, set()),
        (_AZURE, {"mode": "service", "ingress": "none"}, {"ingress_url"}),
        (_AZURE, {"schedule": "0 3 * * *"}, {"ingress_url"}),
        (_AZURE, {"environment_id": SHARED_ENV}, {"ingress_url", "log_analytics_workspace_id"}),
        (_AZURE, {"mode": "service", "environment_id": SHARED_ENV}, {"log_analytics_workspace_id"}),
        (_GCP, {"mode": "service"}, {"scheduler_job_name"}),
        (_GCP, {"mode": "service", "ingress": "none"}, {"scheduler_job_name"}),  # the URL still exists
        (_GCP, {"schedule": "0 3 * * *"}, {"service_url"}),
        (_GCP, {}, {"service_url", "scheduler_job_name"}),
    ],
)
def test_exported_outputs_per_configuration(
    runtime_type: RuntimeType, fields: dict[str, Any], missing: set[str]
) -> None:
    exported = exported_outputs(runtime(runtime_type, **fields))
    assert set(exported) == set(OUTPUTS[runtime_type]) - missing
    assert list(exported) == [name for name in OUTPUTS[runtime_type] if name in exported]  # contract order
    assert all(exported[name] == OUTPUTS[runtime_type][name].description for name in exported)


def test_conditions_in_words() -> None:
    aws = OUTPUTS[_AWS]
    assert aws["cluster_name"].condition() == "always"
    assert aws["state_machine_arn"].condition() == "in job mode"
    assert aws["schedule_name"].condition() == "in job mode with a schedule"
    assert aws["service_endpoint"].condition() == (
        "in job mode, or in service mode with ingress internal or external"
    )
    assert OUTPUTS[_AZURE]["log_analytics_workspace_id"].condition() == (
        "with its own environment (no environment_id)"
    )
    assert When(mode="service", ingress=False).text() == "in service mode with ingress none"
    assert When(scheduled=False, own_environment=False).text() == "without a schedule with environment_id"


def test_no_description_speaks_of_a_none_value() -> None:
    for outputs in OUTPUTS.values():
        for name, output in outputs.items():
            assert "'none'" not in output.description and '"none"' not in output.description, name
