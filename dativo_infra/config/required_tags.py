"""Required tags that may come from more than one place (seed 002: "tags are automatically propagated
from multiple sources"): ``team`` from the asset definition's governance or the platform's
``default_tags``, ``cost_center`` from the job's or the asset's finops block or ``default_tags``, each
overridden by ``infrastructure.tags`` (``environment`` always comes from the job's own
``environment``). Judged on the job file as written plus its asset, before the job's model is built,
so a missing one is reported with the file's other errors; the error lists every place it could have
come from. Pure Python.
"""

from __future__ import annotations

from typing import Any

from dativo_infra.config.assets import FINOPS_FIELDS, AssetDefinition, read_section
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.config.yamlpos import PositionedDocument
from dativo_infra.errors import JobError

#: Every place a derivable required tag may be written, highest precedence first.
PLACES: dict[str, tuple[str, ...]] = {
    "team": (
        "infrastructure.tags.team",
        "the asset definition's governance.team or team.name",
        "default_tags.team in the platform settings",
    ),
    "cost_center": (
        "infrastructure.tags.cost_center",
        "the job's finops.cost_center",
        "the asset definition's finops.cost_center",
        "default_tags.cost_center in the platform settings",
    ),
}


def required_tag_errors(
    document: PositionedDocument, asset: AssetDefinition | None, settings: PlatformSettings
) -> list[JobError]:
    """One error per tag of :data:`PLACES` that no place gives, at the job's ``infrastructure.tags``.
    A tag written empty in ``infrastructure.tags`` is the model's error, not this one."""
    infra = document.value.get("infrastructure")
    tags = infra.get("tags") if isinstance(infra, dict) else None
    if not isinstance(tags, dict):
        return []  # the schema reports a missing or malformed tags block
    finops, _ = read_section(document, (), "finops", FINOPS_FIELDS)  # its errors: reported by the tags
    given: dict[str, list[Any]] = {
        "team": [tags.get("team"), asset and asset.governance.get("team"), settings.default_tags.get("team")],
        "cost_center": [
            tags.get("cost_center"),
            finops.get("cost_center"),
            asset and asset.finops.get("cost_center"),
            settings.default_tags.get("cost_center"),
        ],
    }
    errors = []
    for key, values in given.items():
        if any(_text(value) for value in values) or key in tags:
            continue
        places = [
            p + (" (the job names no asset_path)" if "asset" in p and asset is None else "")
            for p in PLACES[key]
        ]
        errors.append(
            JobError.at(
                document.file,
                document.line_of(("infrastructure", "tags")),
                f"infrastructure.tags.{key}",
                "required tag missing",
                None,
                "one of: " + "; ".join(places),
                show_got=False,
            )
        )
    return errors


def _text(value: Any) -> str:
    """The text of a tag value as any level holds it (a plain value or a positioned one)."""
    value = getattr(value, "value", value)
    return value.strip() if isinstance(value, str) else ""
