"""Matrix legs: the jobs to deploy and the stacks to destroy cut into GitHub Actions matrix legs, and
the :class:`ChangeSet` that prints them (the JSON on stdout, the lines for ``$GITHUB_OUTPUT``).

GitHub runs at most 256 legs per matrix, and a shared change selects every job. Jobs (and stacks to
destroy) are sorted by job path and cut into at most ``max_legs`` (default 256) contiguous legs whose
sizes differ by at most one; with no more jobs than ``max_legs`` every leg holds one job. Every leg, single or packed, has the same shape::

    {"name": "acme-orders", "key": "acme-orders",          # display name; concurrency/artifact key
     "jobs": "jobs/acme/orders.yaml",                     # comma-separated: a DATIVO_JOBS value
     "stacks": "acme-orders",                             # space-separated: `cdktf deploy $stacks`
     "providers": "aws"}                                  # space-separated, sorted, unique

The i-th stack of ``stacks`` belongs to the i-th job of ``jobs``. A one-job leg's name and key are
its stack name; a packed leg is named ``<first stack> and <n> more`` and keyed ``pack-<hash of its
stacks>``. Job paths holding ``,``, ``*``, ``?`` or ``[`` cannot travel in DATIVO_JOBS and are errors
(:func:`~dativo_infra.ci.detect.detect` reports them).

Known limitations. The workflows serialize state-writing legs per ``key``: for one-job legs that is
per stack, but packed legs of two runs may group a stack differently, so they can overlap (Terraform's
state lock then fails one of them rather than corrupting state). A concurrency group orders legs by
when they reach it, not by push: when a later push's leg reaches it first, the earlier push's leg
(an older configuration) runs after it and stays deployed until that job changes again; and GitHub
keeps only the newest waiting leg of a group, so a skipped middle configuration is never deployed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dativo_infra.ci.github_output import output_lines
from dativo_infra.naming import short_hash

#: GitHub Actions runs at most this many legs per matrix.
MAX_LEGS = 256
#: Characters a job path cannot hold to travel in DATIVO_JOBS (its separator, glob magic).
UNSAFE_JOB_PATH_CHARS = ",*?["


@dataclass(frozen=True, order=True)
class Deploy:
    """A job to synthesize and deploy."""

    job: str  # path relative to the project root (the working directory of ``cdktf``)
    stack: str
    provider: str  # aws | azure | gcp


@dataclass(frozen=True, order=True)
class Destroy:
    """A stack to destroy: its job file as it was at the ``base`` commit."""

    job: str
    stack: str
    provider: str


@dataclass(frozen=True)
class Leg:
    """One matrix leg: one or more jobs (see the module docstring for the JSON shape)."""

    name: str
    key: str
    jobs: tuple[str, ...]
    stacks: tuple[str, ...]
    providers: tuple[str, ...]

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "key": self.key,
            "jobs": ",".join(self.jobs),
            "stacks": " ".join(self.stacks),
            "providers": " ".join(self.providers),
        }


def make_leg(items: Sequence[Deploy | Destroy]) -> Leg:
    """The leg that carries ``items`` (in the given order)."""
    if not items:
        raise ValueError("a leg needs at least one job")
    stacks = tuple(i.stack for i in items)
    if len(stacks) == 1:
        name = key = stacks[0]
    else:
        name = f"{stacks[0]} and {len(stacks) - 1} more"
        key = f"pack-{short_hash(' '.join(stacks), 12)}"
    return Leg(name, key, tuple(i.job for i in items), stacks, tuple(sorted({i.provider for i in items})))


def pack(items: Iterable[Deploy | Destroy], max_legs: int = MAX_LEGS) -> list[Leg]:
    """``items`` sorted and cut into at most ``max_legs`` contiguous legs whose sizes differ by <= 1."""
    if max_legs < 1:
        raise ValueError(f"max_legs must be at least 1, got {max_legs}")
    ordered = sorted(items)
    if not ordered:
        return []
    count = min(len(ordered), max_legs)
    size, bigger = divmod(len(ordered), count)
    legs: list[Leg] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < bigger else 0)
        legs.append(make_leg(ordered[start:end]))
        start = end
    return legs


@dataclass(frozen=True)
class ChangeSet:
    """The result of :func:`~dativo_infra.ci.detect.detect`. Lists are sorted; the JSON form is
    deterministic."""

    include: list[Deploy]
    destroy: list[Destroy]
    all: bool  # True when every job at head is deployed (shared change, or no usable base)
    base: str  # full SHA of the commit the diff starts from ('' when there was none)
    head: str  # full SHA of --head
    warnings: list[str] = field(default_factory=list)
    max_legs: int = MAX_LEGS

    def deploy_legs(self) -> list[Leg]:
        return pack(self.include, self.max_legs)

    def destroy_legs(self) -> list[Leg]:
        return pack(self.destroy, self.max_legs)

    def to_json(self) -> dict[str, Any]:
        """The document printed to stdout: every job (``include``, ``destroy``) and the two
        matrices the workflows use (``matrix``, ``destroy_matrix``: ``{"include": [legs]}``)."""
        return {
            "include": [{"job": d.job, "stack": d.stack, "provider": d.provider} for d in self.include],
            "destroy": [{"job": d.job, "stack": d.stack, "provider": d.provider} for d in self.destroy],
            "all": self.all,
            "matrix": {"include": [leg.to_json() for leg in self.deploy_legs()]},
            "destroy_matrix": {"include": [leg.to_json() for leg in self.destroy_legs()]},
        }

    def github_output(self) -> str:
        """Lines for ``$GITHUB_OUTPUT``: ``matrix`` and ``destroy`` are ready for ``fromJSON`` in a
        ``strategy.matrix`` (``{"include": [legs]}``); flags are ``true``/``false`` strings."""
        doc = self.to_json()
        lines = {
            "matrix": json.dumps(doc["matrix"], sort_keys=True, separators=(",", ":")),
            "destroy": json.dumps(doc["destroy_matrix"], sort_keys=True, separators=(",", ":")),
            "has_changes": _flag(bool(self.include or self.destroy)),
            "has_deploy": _flag(bool(self.include)),
            "has_destroy": _flag(bool(self.destroy)),
            "all": _flag(self.all),
            "base": self.base,
            "head": self.head,
        }
        return output_lines(lines)


def _flag(value: bool) -> str:
    return "true" if value else "false"
