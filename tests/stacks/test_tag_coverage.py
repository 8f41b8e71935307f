"""FinOps coverage: in every example stack, every resource whose type accepts tags/labels carries every
merged tag with its cloud-rendered value.

Which types accept tags is read from the provider bindings (the resource class's constructor has a
``tags`` — or, on GCP, ``labels`` — parameter), independently of how the TaggingAspect decides.
Resources that cannot carry tags are listed in the test output (run with ``-s`` to see them).
"""

from __future__ import annotations

import importlib
import inspect
from functools import cache
from typing import Any

import pytest

from dativo_infra.cdk import library
from dativo_infra.config.settings import load_settings
from dativo_infra.contract import PROVIDER_OF_RUNTIME, Provider
from dativo_infra.literal import deep_literal
from dativo_infra.tags import merged_tags, render_tags

ATTRIBUTE = {Provider.AWS: "tags", Provider.AZURE: "tags", Provider.GCP: "labels"}


@cache
def accepts(resource_type: str, attribute: str) -> bool:
    """Whether the provider binding of ``resource_type`` takes ``attribute`` as a constructor argument."""
    prefix, _, rest = resource_type.partition("_")
    module = importlib.import_module(f"{library().provider_package(prefix)}.{rest}")
    classes = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if getattr(c, "TF_RESOURCE_TYPE", None) == resource_type
    ]
    assert len(classes) == 1, f"no binding class for {resource_type}"
    return attribute in inspect.signature(classes[0].__init__).parameters


def test_every_taggable_resource_of_every_example_carries_every_merged_tag(
    example_jobs: list, example_synth: dict[str, Any]
) -> None:
    settings = load_settings()
    untaggable: dict[str, set[str]] = {}
    checked = 0
    for job in example_jobs:
        provider = PROVIDER_OF_RUNTIME[job.config.runtime.type]
        attribute = ATTRIBUTE[provider]
        expected = deep_literal(render_tags(merged_tags(job, settings), provider))
        stack = example_synth[job.stack_name]
        for resource_type, resources in sorted(stack.get("resource", {}).items()):
            if not accepts(resource_type, attribute):
                untaggable.setdefault(job.stack_name, set()).add(resource_type)
                continue
            for name, body in resources.items():
                actual = body.get(attribute)
                assert isinstance(actual, dict), (
                    f"{job.stack_name}: {resource_type}.{name} has no {attribute}"
                )
                for key, value in expected.items():
                    assert actual.get(key) == value, (
                        f"{job.stack_name}: {resource_type}.{name}: {attribute}[{key!r}] is {actual.get(key)!r}, "
                        f"expected {value!r}"
                    )
                checked += 1
    assert checked >= 25  # 6 example stacks, each with several taggable resources
    print(f"\n{checked} taggable resources carry every merged tag. Resources that cannot carry tags:")
    for stack, types in sorted(untaggable.items()):
        print(f"  {stack}: {', '.join(sorted(types))}")


@pytest.mark.parametrize(
    ("resource_type", "attribute", "expected"),
    [
        ("aws_ecs_cluster", "tags", True),
        ("aws_iam_role_policy", "tags", False),
        ("google_cloud_run_v2_job", "labels", True),
        ("google_service_account", "labels", False),
        ("azurerm_container_app", "tags", True),
        ("azurerm_role_assignment", "tags", False),
    ],
)
def test_capability_is_read_from_the_bindings(resource_type: str, attribute: str, expected: bool) -> None:
    assert accepts(resource_type, attribute) is expected
