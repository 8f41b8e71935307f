"""Workload profiles of the ``azure_container_apps`` runtime: the dedicated profiles the job's own
environment adds (``workload_profiles``) and the profile the app or job runs on (``workload_profile``),
checked against the rules in :mod:`dativo_infra.clouds.azure` (which the construct builds with too).
"""

from __future__ import annotations

from pydantic import Field

from dativo_infra.clouds import azure
from dativo_infra.config.fields import NonEmpty, Problem, Strict

_TYPES = ", ".join(azure.DEDICATED_PROFILE_SIZES)


class AzureWorkloadProfile(Strict):
    """One dedicated workload profile of the environment the job's stack creates: a pool of nodes of one
    size that apps and jobs of the environment can run on (billed per node, not per use)."""

    name: NonEmpty = Field(
        description=f"Profile name, unique in the environment: {azure.PROFILE_NAME_EXPECTED}"
    )
    type: NonEmpty = Field(
        description=f"Node size (workload_profile_type): {_TYPES} (D: 4 GiB per vCPU, E: 8 GiB per vCPU, NC: "
        "A100 GPUs, in the regions that offer them; a GPU profile can only be added when the environment is "
        "created)"
    )
    minimum_count: int = Field(0, description="Nodes kept running, 0 or more. Unset: 0 (none while idle)")
    maximum_count: int = Field(
        1,
        description="Most nodes the profile scales out to, at least 1 and at least minimum_count; the "
        "environment's dedicated cores (maximum_count x node vCPU, summed over its profiles) count against "
        f"the subscription quota (100 by default, at most {azure.MAX_DEDICATED_CORES}). Unset: 1",
    )

    def problems(self, where: tuple[str | int, ...]) -> list[Problem]:
        found: list[Problem] = []
        refusal = azure.profile_name_refusal(self.name, dedicated=True)
        if refusal is not None:
            found.append(Problem((*where, "name"), refusal.problem, self.name, refusal.expected))
        if self.type not in azure.DEDICATED_PROFILE_SIZES:
            found.append(
                Problem((*where, "type"), "not a dedicated workload profile type", self.type, _TYPES)
            )
        if self.minimum_count < 0:
            found.append(Problem((*where, "minimum_count"), "negative", self.minimum_count, "0 or more"))
        if self.maximum_count < 1:
            found.append(Problem((*where, "maximum_count"), "below 1", self.maximum_count, "1 or more"))
        elif self.minimum_count > self.maximum_count:
            found.append(
                Problem(
                    (*where, "minimum_count"),
                    f"above maximum_count {self.maximum_count}",
                    self.minimum_count,
                    f"0 to {self.maximum_count}",
                )
            )
        return found


def workload_problems(
    profiles: list[AzureWorkloadProfile], chosen: str, shared_environment: bool
) -> list[Problem]:
    """``workload_profiles`` and ``workload_profile`` (``shared_environment``: ``environment_id`` is given,
    so the environment's profiles are not this stack's and are not known here)."""
    found: list[Problem] = []
    if profiles and shared_environment:
        found.append(
            Problem(
                ("workload_profiles",),
                "an existing environment's profiles are managed where the environment is",
                [p.name for p in profiles],
                "no workload_profiles with environment_id (name one of its profiles in workload_profile)",
            )
        )
    seen: set[str] = set()
    cores, over = 0, False
    for index, profile in enumerate(profiles):
        found += profile.problems(("workload_profiles", index))
        if profile.name.casefold() in seen:
            found.append(
                Problem(("workload_profiles", index, "name"), "listed twice", profile.name, "each name once")
            )
        seen.add(profile.name.casefold())
        cores += profile.maximum_count * azure.DEDICATED_PROFILE_SIZES.get(profile.type, (0, 0))[0]
        if cores > azure.MAX_DEDICATED_CORES and not over:
            over = True
            found.append(
                Problem(
                    ("workload_profiles", index, "maximum_count"),
                    f"the profiles reach {cores} dedicated cores (maximum_count x node vCPU)",
                    profile.maximum_count,
                    f"at most {azure.MAX_DEDICATED_CORES} dedicated cores in one environment",
                )
            )
    refusal = azure.profile_name_refusal(chosen, dedicated=False)
    if refusal is not None:
        found.append(Problem(("workload_profile",), refusal.problem, chosen, refusal.expected))
    elif (
        not shared_environment
        and chosen != azure.CONSUMPTION_PROFILE
        and chosen not in {p.name for p in profiles}
    ):
        names = ", ".join([azure.CONSUMPTION_PROFILE, *(p.name for p in profiles)])
        found.append(
            Problem(
                ("workload_profile",),
                "not a profile of the job's environment",
                chosen,
                f"one of {names} (add it to workload_profiles)",
            )
        )
    return found
