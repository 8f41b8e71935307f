"""Tag merging and per-cloud rendering. (Minimal first version; see issue 4.)"""

from __future__ import annotations

from dativo_infra.contract import Provider

PLATFORM_KEYS = {"managed_by": "cdktf", "dativo_runtime": ""}


def merged_tags(job, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    config = job.config
    tags: dict[str, str] = dict(settings.default_tags)
    tags.update({"tenant_id": config.tenant_id, "environment": config.environment, "job_name": config.job_name})
    tags.update(config.infrastructure.tags)
    tags.update({"managed_by": "cdktf", "dativo_runtime": config.runtime.type.value})
    return dict(sorted(tags.items()))


def render_tags(tags: dict[str, str], provider: Provider) -> dict[str, str]:
    return dict(sorted(tags.items()))
