"""The job model (pydantic v2): the shape of a job file's ``infrastructure`` block.

The runtime block is validated by its runtime's own model (:mod:`dativo_infra.config.runtimes`); this
module owns what every job has: provider, region, tags, the placeholders of ``resource_identifiers``.
Messages of the custom rules are written for people: each says what is wrong and what is allowed; the
loader adds file, line, dotted path and the bad value. Keys outside ``infrastructure`` are not
modelled here: the loader keeps them untouched (``extra="allow"`` at the top level).

Validation context (:func:`validation_context`): ``{"rendered": True}`` accepts ``resource_identifiers`` whose placeholders were
already filled by ``render`` (the values are then plain text); without it each value must be a
placeholder. Defaults are documented on each field; :func:`job_json_schema` exports all of it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dativo_infra.clouds.regions import region_refusal
from dativo_infra.config.fields import REGION_PATTERN, Identifier, Problem, Slug, Strict, fail, raise_all
from dativo_infra.config.placeholders import PLACEHOLDER_RE as PLACEHOLDER_RE  # imported from here too
from dativo_infra.config.runtimes import AnyRuntime, Runtime
from dativo_infra.config.runtimes.base import (
    ALLOWED_AZURE_PRIVILEGED_ROLES,
    ALLOWED_ESCALATION,
    ALLOWED_PRIVILEGED_ROLES,
    DEFAULT_PROJECT,
)
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.contract import OUTPUTS, PROVIDER_OF_RUNTIME, Provider, RuntimeType, exported_outputs

#: Required tags the job's own ``infrastructure.tags`` must carry (the job's identity and kind).
JOB_TAGS: tuple[str, ...] = ("job_name", "pipeline_type")
#: Required tags that may also come from a lower merge level (seed 002's precedence): the job's
#: ``environment``, the asset's governance, the job's or the asset's finops block. Checked on the merged
#: tags (:mod:`dativo_infra.config.required_tags`).
DERIVED_TAGS: tuple[str, ...] = ("team", "cost_center", "environment")
JOB_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"

#: ``{{terraform_outputs.name}}`` with optional whitespace inside the braces.
_FULL_PLACEHOLDER_RE = re.compile(r"\s*" + PLACEHOLDER_RE.pattern + r"\s*")
#: Anything that looks like a placeholder, well-formed or not (``{{terraform_output.x}}``,
#: ``{{ terraform_outputs.log-group }}``): a value holding one is never a rendered value.
LOOSE_PLACEHOLDER_RE = re.compile(r"\{\{[^{}]*terraform_outputs?\b[^{}]*\}\}")

#: Validation context key: placeholders of ``resource_identifiers`` may be rendered already.
RENDERED = "rendered"


def validation_context(settings: PlatformSettings | None, *, rendered: bool = False) -> dict[str, Any]:
    """The context a job is validated with: ``rendered`` (see the module docstring) and what the platform
    settings allow (:data:`~dativo_infra.config.runtimes.base.ALLOWED_ESCALATION`: the IAM actions a
    job's statements may grant although they can escalate privileges;
    :data:`~dativo_infra.config.runtimes.base.ALLOWED_PRIVILEGED_ROLES`: the privileged roles a GCP job's
    permissions.roles may grant; :data:`~dativo_infra.config.runtimes.base.ALLOWED_AZURE_PRIVILEGED_ROLES`: the
    privileged roles an Azure job's permissions.roles may assign; :data:`~dativo_infra.config.runtimes.base.DEFAULT_PROJECT`: the project of
    GCP jobs that name none). Without settings nothing is allowed and there is no default project."""
    allowed = tuple(settings.aws.allowed_escalation_actions) if settings is not None else ()
    roles = tuple(settings.gcp.allowed_privileged_roles) if settings is not None else ()
    project = settings.gcp.project_id if settings is not None else None
    azure_roles = tuple(settings.azure.allowed_privileged_roles) if settings is not None else ()
    return {
        RENDERED: rendered,
        ALLOWED_ESCALATION: allowed,
        ALLOWED_PRIVILEGED_ROLES: roles,
        ALLOWED_AZURE_PRIVILEGED_ROLES: azure_roles,
        DEFAULT_PROJECT: project,
    }


class Infrastructure(Strict):
    """The ``infrastructure`` block of a job file."""

    # not strict: an enum takes its string value from YAML (strict mode wants an enum instance)
    provider: Provider = Field(description="aws | azure | gcp", strict=False)
    region: Annotated[str, StringConstraints(pattern=REGION_PATTERN)] = Field(
        description="Cloud region, e.g. us-east-1, westeurope, europe-west1"
    )
    runtime: Runtime
    resource_identifiers: dict[Identifier, str] = Field(
        default_factory=dict,
        description="Values the job reads after deploy; each is a {{terraform_outputs.<name>}} placeholder",
    )
    tags: dict[str, str] = Field(
        description="Job tags, merged over platform defaults, the job's facts and its asset's governance, "
        "compliance and finops. Required here: " + ", ".join(JOB_TAGS) + "; required after the merge (here "
        "or from those sources): " + ", ".join(DERIVED_TAGS)
    )
    terraform: dict[str, Any] = Field(
        default_factory=dict,
        description="resource_refs (each mapped onto the runtime's existing-infrastructure field) and variables "
        "(written by tfvars) for plain Terraform modules; other keys (module_path, ...) are kept as written",
    )

    @model_validator(mode="before")
    @classmethod
    def _pairing_first(cls, data: Any) -> Any:
        """A runtime on the wrong provider is the one error worth reporting (its other rules are moot)."""
        if isinstance(data, dict) and isinstance(data.get("runtime"), dict):
            provider, runtime = data.get("provider"), data["runtime"].get("type")
            if (
                isinstance(provider, str)
                and isinstance(runtime, str)
                and provider in set(Provider)
                and runtime in set(RuntimeType)
            ):
                cloud = Provider(provider)
            else:
                return data
            if PROVIDER_OF_RUNTIME[RuntimeType(runtime)] is not cloud:
                runtimes = " | ".join(r.value for r, p in PROVIDER_OF_RUNTIME.items() if p is cloud)
                fail(
                    ("runtime", "type"),
                    "runtime does not run on this provider",
                    runtime,
                    f"{runtimes} for provider {provider}",
                )
        return data

    @field_validator("resource_identifiers")
    @classmethod
    def _placeholders(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        rendered = bool(info.context and info.context.get(RENDERED))
        # () + key: pydantic prefixes a field validator's errors with the field's name itself
        raise_all(
            [
                Problem((key,), "not a terraform_outputs placeholder", text, "'{{terraform_outputs.<name>}}'")
                for key, text in value.items()
                if not _FULL_PLACEHOLDER_RE.fullmatch(text)
                and (not rendered or LOOSE_PLACEHOLDER_RE.search(text))
            ]
        )
        return value

    @field_validator("tags")
    @classmethod
    def _required_tags(cls, value: dict[str, str]) -> dict[str, str]:
        found = [
            Problem((key,), "required tag missing or empty", None, "a non-empty string")
            for key in JOB_TAGS
            if not value.get(key, "").strip()
        ]
        found += [  # written here but empty: a derived value would be overwritten by nothing
            Problem((key,), "required tag empty", value[key], "a non-empty string, or no such key")
            for key in DERIVED_TAGS
            if key in value and not value[key].strip()
        ]
        job_name = value.get("job_name", "")
        if job_name.strip() and not re.fullmatch(JOB_NAME_PATTERN, job_name):
            expected = "1-128 characters of letters, digits, '_', '.', '-' starting with a letter or digit"
            found.append(Problem(("job_name",), "not a valid job name", job_name, expected))
        raise_all(found)
        return value

    @model_validator(mode="after")
    def _region_exists(self) -> Infrastructure:
        refusal = region_refusal(self.provider.value, self.region)
        if refusal is not None:
            fail(("region",), refusal.problem, self.region, refusal.expected)
        return self

    @model_validator(mode="after")
    def _runtime_in_region(self) -> Infrastructure:
        """Rules of the runtime that need the job's region (e.g. an existing cluster in it)."""
        raise_all(
            [p._replace(where=("runtime", *p.where)) for p in self.runtime.region_problems(self.region)]
        )
        return self

    @model_validator(mode="after")
    def _outputs_exist(self) -> Infrastructure:
        exported: dict[str, str] = {}  # the runtime's exported outputs, computed once when needed
        raise_all(
            [
                problem._replace(where=("resource_identifiers", key))
                for key, text in self.resource_identifiers.items()
                for problem in output_problems(self.runtime, text, exported)
            ]
        )
        return self


def output_problems(runtime: AnyRuntime, text: str, exported: dict[str, str] | None = None) -> list[Problem]:
    """One problem (``where`` left to the caller) per placeholder of ``text`` that names no output this
    job exports: an output its runtime does not have, or one its configuration does not export (saying
    when that output is exported). Expected: the outputs the job exports. ``exported``: an empty dict
    filled here with :func:`~dativo_infra.contract.exported_outputs` of ``runtime`` on first need (or
    that mapping already), so that the texts of one job compute it once."""
    names = _placeholder_names(text)
    if not names:
        return []
    if exported is None:
        exported = {}
    if not exported:
        exported.update(exported_outputs(runtime))
    allowed = "one of " + ", ".join(sorted(exported))
    found = []
    for name in names:
        if name in exported:
            continue
        output = OUTPUTS[runtime.TYPE].get(name)
        if output is None:
            why = f"output {name!r} is not exported by {runtime.TYPE.value}"
        else:
            why = f"output {name!r} is not exported by this job: {runtime.TYPE.value} exports it only {output.condition()}"
        found.append(Problem((), why, text, allowed))
    return found


def _placeholder_names(text: str) -> list[str]:
    return [match.group(1) for match in PLACEHOLDER_RE.finditer(text)]


class JobConfig(BaseModel):
    """A whole job file. Only ``tenant_id``, ``environment``, ``asset_path`` and ``infrastructure`` are
    modelled; every other key (source, target, logging, ...) is kept as it is."""

    model_config = ConfigDict(extra="allow", frozen=True)

    tenant_id: Slug = Field(description="Tenant owning the job (lowercase slug)")
    environment: Slug = Field(description="Deployment environment, e.g. dev, staging, prod")
    asset_path: str | None = Field(
        None, description="Optional asset definition (owner, compliance, finops) relative to the job file"
    )
    infrastructure: Infrastructure

    @model_validator(mode="after")
    def _environment_tag(self) -> JobConfig:
        tag = self.infrastructure.tags.get("environment")
        if tag is not None and tag.strip() and tag != self.environment:
            where = ("infrastructure", "tags", "environment")
            fail(where, "tag environment differs from the job's environment", tag, repr(self.environment))
        return self

    @property
    def job_name(self) -> str:
        return self.infrastructure.tags["job_name"]

    @property
    def runtime(self) -> AnyRuntime:
        return self.infrastructure.runtime

    def referenced_outputs(self) -> list[str]:
        """Output names the placeholders of ``resource_identifiers`` reference, sorted."""
        texts = self.infrastructure.resource_identifiers.values()
        return sorted({name for text in texts for name in _placeholder_names(text)})


def job_json_schema() -> dict[str, Any]:
    """JSON Schema of a job file for editors (yaml-language-server)."""
    schema = JobConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Dativo ingestion job"
    schema["$id"] = "https://dativo.io/schemas/job.schema.json"
    return schema
