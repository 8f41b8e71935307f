"""Asset definitions: the governance, compliance and FinOps facts a job's tags inherit.

A job may name an asset definition with ``asset_path`` (relative to the job file)::

    asset_path: assets/stripe_customers.yaml

Two asset layouts are read, both as Dativo writes them:

* the ODCS v3 contract (``team``, ``compliance``, ``finops`` at the top level), and
* the older layout with everything under one top-level ``asset:`` mapping (``governance`` there).

Only these fields become tags; every other key of the asset file (schema, quality rules, ...) is
ignored. Keys produced here are snake_case:

============================  ==================  =========================================
asset field                   tag key             level (see :mod:`dativo_infra.tags`)
============================  ==================  =========================================
``team.owner``                ``owner``           governance
``team.name`` / ``team: x``   ``team``            governance
``governance.owner``          ``owner``           governance (wins over ``team.owner``)
``governance.team``           ``team``            governance (wins over ``team.name``)
``compliance.classification`` ``classification``  compliance
``compliance.regulations``    ``regulations``     compliance
``finops.cost_center``        ``cost_center``     finops
``finops.project``            ``project``         finops
``finops.business_unit``      ``business_unit``   finops
============================  ==================  =========================================

A ``team`` given as a list (ODCS v3 member list) carries no owner/team name and is ignored.
Scalars become text (``true``/``false`` for booleans); lists of scalars are joined with ``,``;
empty lists and nulls contribute nothing; a mapping (or a list holding one) where text is expected is
a positioned :class:`~dativo_infra.errors.JobError` in the asset file.

``asset_path`` is confined: symbolic links resolved, it must stay inside the jobs tree (the directory
of the platform settings file, when the job lies under it; otherwise the job file's directory) or a
directory listed in the platform settings' ``asset_roots`` (:func:`asset_roots`). An absolute path, a
``../`` climbing out or a link leading out is an error positioned at the job's ``asset_path`` line,
naming the path; the file is never read. A missing or unreadable asset file is an error positioned
at that line too; a file that is not valid YAML is an error positioned inside the asset file. Pure
Python: no cdktf.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dativo_infra.config.settings import PlatformSettings
from dativo_infra.config.yamlpos import PathKey, PositionedDocument, display_path, dotted, load_positioned
from dativo_infra.errors import JobError

#: Section -> (field in the file -> tag key) for governance facts, in increasing precedence.
GOVERNANCE_FIELDS: tuple[tuple[str, dict[str, str]], ...] = (
    ("team", {"owner": "owner", "name": "team"}),
    ("governance", {"owner": "owner", "team": "team"}),
)
#: Fields of a ``compliance`` section (asset or job) -> tag key.
COMPLIANCE_FIELDS: dict[str, str] = {"classification": "classification", "regulations": "regulations"}
#: Fields of a ``finops`` section (asset or job) -> tag key.
FINOPS_FIELDS: dict[str, str] = {
    "cost_center": "cost_center",
    "project": "project",
    "business_unit": "business_unit",
}

#: Separator of list values (``regulations: [GDPR, CCPA]`` -> ``GDPR,CCPA``).
LIST_SEPARATOR = ","


@dataclass(frozen=True)
class Sourced:
    """A tag value and the place it was written (for positioned errors about that tag)."""

    value: str
    file: str
    line: int
    path: str


@dataclass(frozen=True)
class AssetDefinition:
    """The tag-relevant facts of one asset definition file, each with its position."""

    file: str
    #: The asset's ``name`` (ODCS) or ``asset.name`` (older layout); None when it has none.
    name: str | None = None
    governance: dict[str, Sourced] = field(default_factory=dict)
    compliance: dict[str, Sourced] = field(default_factory=dict)
    finops: dict[str, Sourced] = field(default_factory=dict)


def as_tag_value(value: Any, document: PositionedDocument, path: PathKey) -> str | None:
    """``value`` as tag text (see the module docstring), ``None`` when it contributes nothing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        parts: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, list | dict):
                raise JobError.at(
                    document.file,
                    document.line_of((*path, index)),
                    dotted((*path, index)),
                    "list item cannot become tag text",
                    item,
                    "a string, a number or true/false",
                )
            text = as_tag_value(item, document, (*path, index))
            if text is not None:
                parts.append(text)
        return LIST_SEPARATOR.join(parts) if parts else None
    raise JobError.at(
        document.file,
        document.line_of(path),
        dotted(path),
        "cannot become tag text",
        value,
        "a string, a number, true/false or a list of those",
    )


def read_section(
    document: PositionedDocument, base: PathKey, section: str, fields: dict[str, str]
) -> tuple[dict[str, Sourced], list[JobError]]:
    """The tags found in ``<base>.<section>`` (a mapping) of ``document``; errors instead of raising.

    A missing section yields nothing; a section that is not a mapping is one error.
    """
    root: Any = document.value
    for part in base:
        root = root.get(part) if isinstance(root, dict) else None
    data = root.get(section) if isinstance(root, dict) else None
    path: PathKey = (*base, section)
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [
            JobError.at(
                document.file,
                document.line_of(path),
                dotted(path),
                "must be a mapping",
                data,
                "a mapping with " + ", ".join(sorted(fields)),
            )
        ]
    out: dict[str, Sourced] = {}
    errors: list[JobError] = []
    for name, key in fields.items():
        if name not in data:
            continue
        item_path: PathKey = (*path, name)
        try:
            text = as_tag_value(data[name], document, item_path)
        except JobError as exc:
            errors.append(exc)
            continue
        if text is not None:
            out[key] = Sourced(text, document.file, document.line_of(item_path), dotted(item_path))
    return out, errors


def _read_team(document: PositionedDocument, base: PathKey) -> tuple[dict[str, Sourced], list[JobError]]:
    """``team`` as a plain name, or a mapping with owner/name; a member list is ignored."""
    root: Any = document.value
    for part in base:
        root = root.get(part) if isinstance(root, dict) else None
    team = root.get("team") if isinstance(root, dict) else None
    if isinstance(team, str | int | float) and not isinstance(team, bool):
        path: PathKey = (*base, "team")
        return {"team": Sourced(str(team), document.file, document.line_of(path), dotted(path))}, []
    if isinstance(team, list):
        return {}, []
    return read_section(document, base, "team", GOVERNANCE_FIELDS[0][1])


def asset_roots(job_path: Path, settings: PlatformSettings | None = None) -> list[Path]:
    """The directories (resolved) an ``asset_path`` of the job file at ``job_path`` may point into: the
    jobs tree (the platform settings file's directory) when the job file lies under it, otherwise the
    job file's own directory; plus every ``asset_roots`` directory of the platform settings."""
    settings = settings or PlatformSettings()
    job_dir = Path(os.path.abspath(job_path)).parent
    tree = Path(os.path.abspath(settings.directory))
    roots = [tree if job_dir.is_relative_to(tree) else job_dir, *settings.asset_root_paths()]
    return [root.resolve() for root in roots]


def _confine(
    job_path: Path, asset_path: str, settings: PlatformSettings | None
) -> tuple[Path | None, str | None, str]:
    """Where ``asset_path`` (of the job file at ``job_path``) leads: ``(resolved path, None, expected)``
    when it stays inside :func:`asset_roots`, else ``(None, problem, expected)``. Nothing is read."""
    roots = asset_roots(job_path, settings)
    inside = " or ".join(display_path(root) for root in roots)
    expected = f"a path relative to the job file that stays inside {inside}"
    if os.path.isabs(asset_path) or asset_path.startswith("~"):
        return None, "asset_path must be relative to the job file", expected
    try:
        resolved = (job_path.parent / asset_path).resolve()
    except (OSError, RuntimeError, ValueError):  # a NUL byte, a link loop
        return None, "asset_path is not a usable file path", expected
    if not any(resolved.is_relative_to(root) for root in roots):
        return None, "asset_path points outside the allowed directories", expected
    return resolved, None, expected


def load_asset(
    job_path: Path, job: PositionedDocument, settings: PlatformSettings | None = None
) -> tuple[AssetDefinition | None, list[JobError]]:
    """Read the asset definition a job names (``asset_path``, relative to the job file at ``job_path``);
    ``(None, [])`` when it names none. Never raises for a user error: every problem is returned,
    positioned (a path outside :func:`asset_roots` and a file that cannot be read at the job's
    ``asset_path`` line, bad YAML in the asset). A path outside the allowed directories (symbolic
    links resolved first) is never read: the message names the path, not what it holds."""
    asset_path = job.value.get("asset_path")
    if not isinstance(asset_path, str):
        return None, []
    where = (job.file, job.line_of(("asset_path",)), "asset_path")
    path, problem, confined = _confine(job_path, asset_path, settings)
    if path is None:
        return None, [JobError.at(*where, problem or "asset_path is refused", asset_path, confined)]
    expected = f"an asset definition YAML file, relative to the job file (resolved to {display_path(path)})"
    if not path.exists():
        return None, [JobError.at(*where, "asset definition file not found", asset_path, expected)]
    try:
        document = load_positioned(path, display_path(path))
    except JobError as exc:
        if exc.line == 0 and exc.problem.startswith(("cannot read file", "not a regular file")):
            problem = exc.problem.replace("cannot read file", "asset definition file cannot be read")
            problem = problem.replace("not a regular file", "asset definition is not a regular file")
            return None, [JobError.at(*where, problem, asset_path, expected)]
        return None, [exc]
    return parse_asset(document)


def parse_asset(document: PositionedDocument) -> tuple[AssetDefinition, list[JobError]]:
    """The tag facts of an asset document (either layout), with every error found."""
    value = document.value
    base: PathKey = ("asset",) if isinstance(value.get("asset"), dict) else ()
    errors: list[JobError] = []
    governance, found = _read_team(document, base)
    errors.extend(found)
    section_tags, found = read_section(document, base, "governance", GOVERNANCE_FIELDS[1][1])
    governance.update(section_tags)
    errors.extend(found)
    compliance, found = read_section(document, base, "compliance", COMPLIANCE_FIELDS)
    errors.extend(found)
    finops, found = read_section(document, base, "finops", FINOPS_FIELDS)
    errors.extend(found)
    root = value.get("asset") if base else value
    name = root.get("name") if isinstance(root, dict) else None
    name = str(name) if isinstance(name, str | int) and not isinstance(name, bool) else None
    return AssetDefinition(document.file, name, governance, compliance, finops), errors
