"""Tags: the one merge of every tag source, and its rendering for each cloud.

Merge (:func:`merged_tags`), lowest to highest precedence; a higher level overwrites a key of a lower one:

1. platform defaults — ``default_tags`` of the platform settings (``jobs/platform.yaml``);
2. job facts — ``tenant_id``, ``environment``, ``job_name``;
3. governance — ``owner`` / ``team`` from the asset definition's ``team`` / ``governance`` sections;
4. compliance — ``classification`` / ``regulations`` from the asset's ``compliance`` section, then
   from the job file's own top-level ``compliance`` block (the job wins over its asset);
5. finops — ``cost_center`` / ``project`` / ``business_unit`` from the asset's ``finops`` section, then
   from the job file's top-level ``finops`` block (the job wins over its asset);
6. ``infrastructure.tags`` of the job;
7. platform-owned keys, always set last: ``managed_by: dativo-infra`` and ``dativo_runtime: <runtime type>``
   (a job that writes them, e.g. an older file's ``ManagedBy: Terraform``, is overridden).

The asset definition is the file named by the job's ``asset_path`` (see :mod:`dativo_infra.config.assets`).
Keys the platform derives (levels 2-5 and 7) are snake_case; keys of ``default_tags`` and
``infrastructure.tags`` are user keys and are kept exactly as written (the older dialect already
snake-cases its PascalCase tags). List values are joined with ``,``. The result is sorted by key.

The required ``team``, ``cost_center`` and ``environment`` may come from any level
(:mod:`dativo_infra.config.required_tags` checks the merged map); ``job_name`` and ``pipeline_type``
come from ``infrastructure.tags``.

Rendering (:func:`render_tags`) turns the merged map into what one cloud accepts. It is deterministic
(sorted output, no randomness, truncation hashes derived from the text) and never overwrites silently:
every tag it cannot render is a :class:`~dativo_infra.errors.JobError` naming the tag and the rule,
all of them at once in one :class:`~dativo_infra.errors.ErrorReport`.

* **AWS** (``tags``): keys 1-128 characters, values at most 256, at most 50 tags; keys must not start
  with the reserved ``aws:`` prefix (any case); keys and values may hold only Unicode letters, digits,
  spaces/separators and ``_ . : / = + - @`` — anything else is an error, with one mapping: a ``,`` in a
  *value* becomes ``+``, because lists are joined with ``,`` and AWS has no comma (``GDPR,CCPA`` ->
  ``GDPR+CCPA``). Keys are case-sensitive on AWS and kept as they are.
* **Azure** (``tags``): the characters ``< > % & \\ ? /`` are removed from tag *names* (values may hold
  any character); names at most 512 characters after that, values at most 256, at most 50 tags. Azure
  tag names are case-insensitive, so two keys that differ only in case (or only in removed characters)
  are a collision error naming both.
* **GCP** (``labels``): keys and values are lowercased and every character outside ``[a-z0-9_-]``
  becomes ``_`` (keys and values alike, one character for one character, so the mapping is
  predictable). A key must then start with a letter ``a-z`` and be 1-63 characters: otherwise an error
  (a prefix would invent a label nobody wrote; renaming the tag is the fix). A value longer than 63
  characters is cut to 56 and suffixed with ``-`` and 6 hex digits of the SHA-256 of the original value,
  so two long values that share a prefix stay different and the same value always gives the same label.
  At most 64 labels. Two keys that map to the same label key are a collision error naming both.

:func:`check_tags` runs the same rendering for the job's cloud during validation and positions every
problem where the offending tag was written (``infrastructure.tags.<key>`` line of the job file, the
asset file, or the platform settings file).

Literal text: this module works on text as the user wrote it. The stack renders the map and then
passes it through :func:`dativo_infra.literal.deep_literal` once before the tagging Aspect writes it
into Terraform JSON; limits are checked on the unescaped text, which is what reaches the cloud.
:func:`hcl_map`/:func:`tfvars` escape for HCL themselves. Pure Python: no cdktf, no jsii.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dativo_infra.config.assets import COMPLIANCE_FIELDS, FINOPS_FIELDS, Sourced, read_section
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.contract import Provider
from dativo_infra.errors import ErrorReport, JobError, show_value
from dativo_infra.literal import hcl_string
from dativo_infra.naming import short_hash

#: Value of the platform-owned ``managed_by`` tag.
MANAGED_BY = "dativo-infra"

#: Merge levels, lowest precedence first (names used in :func:`tag_levels`).
LEVELS: tuple[str, ...] = (
    "platform_defaults",
    "job",
    "governance",
    "compliance",
    "finops",
    "infrastructure",
    "platform_owned",
)

AWS_MAX_TAGS = 50
AWS_KEY_MAX = 128
AWS_VALUE_MAX = 256
AWS_RESERVED_PREFIX = "aws:"
AWS_SYMBOLS = "_.:/=+-@"
AWS_LIST_SEPARATOR = "+"
AWS_ALLOWED_TEXT = "letters, digits, spaces and _ . : / = + - @"

AZURE_MAX_TAGS = 50
AZURE_NAME_MAX = 512
AZURE_VALUE_MAX = 256
AZURE_FORBIDDEN = "<>%&\\?/"

GCP_MAX_LABELS = 64
GCP_KEY_MAX = 63
GCP_VALUE_MAX = 63
GCP_HASH_LEN = 6
_GCP_OUTSIDE = re.compile(r"[^a-z0-9_-]")


class TagFormat(StrEnum):
    """Output formats of ``dativo-infra tags``."""

    JSON = "json"
    TFVARS = "tfvars"
    HCL = "hcl"
    GITHUB_OUTPUT = "github-output"


# --- merge -------------------------------------------------------------------------------------


def tag_levels(
    job: LoadedJob, settings: PlatformSettings | None = None
) -> tuple[list[tuple[str, dict[str, Sourced]]], list[JobError]]:
    """Every merge level (name, tags with their positions), lowest precedence first, and the errors
    met while reading them (job compliance/finops blocks malformed). ``settings`` defaults to the
    settings the job was loaded with."""
    config = job.config
    doc = job.document
    errors: list[JobError] = []
    settings = settings if settings is not None else job.settings
    defaults = {
        key: Sourced(
            value, settings.source_file, settings.line_of(("default_tags", key)), f"default_tags.{key}"
        )
        for key, value in settings.default_tags.items()
    }
    facts = {
        "tenant_id": Sourced(config.tenant_id, job.file, doc.line_of(("tenant_id",)), "tenant_id"),
        "environment": Sourced(config.environment, job.file, doc.line_of(("environment",)), "environment"),
        "job_name": Sourced(
            config.job_name,
            job.file,
            doc.line_of(("infrastructure", "tags", "job_name")),
            "infrastructure.tags.job_name",
        ),
    }
    asset = job.asset
    governance = dict(asset.governance) if asset else {}
    compliance = dict(asset.compliance) if asset else {}
    finops = dict(asset.finops) if asset else {}
    job_compliance, found = read_section(doc, (), "compliance", COMPLIANCE_FIELDS)
    errors.extend(found)
    compliance.update(job_compliance)
    job_finops, found = read_section(doc, (), "finops", FINOPS_FIELDS)
    errors.extend(found)
    finops.update(job_finops)
    infrastructure = {
        key: Sourced(
            value, job.file, doc.line_of(("infrastructure", "tags", key)), f"infrastructure.tags.{key}"
        )
        for key, value in config.infrastructure.tags.items()
    }
    runtime_line = doc.line_of(("infrastructure", "runtime", "type"))
    owned = {
        "managed_by": Sourced(MANAGED_BY, job.file, runtime_line, "infrastructure.runtime.type"),
        "dativo_runtime": Sourced(
            config.runtime.type.value, job.file, runtime_line, "infrastructure.runtime.type"
        ),
    }
    levels = [defaults, facts, governance, compliance, finops, infrastructure, owned]
    return list(zip(LEVELS, levels, strict=True)), errors


def sourced_tags(
    job: LoadedJob, settings: PlatformSettings | None = None
) -> tuple[dict[str, Sourced], list[JobError]]:
    """The merged tags with the position each winning value was written at (sorted by key)."""
    levels, errors = tag_levels(job, settings)
    merged: dict[str, Sourced] = {}
    for _name, tags in levels:
        merged.update(tags)
    return dict(sorted(merged.items())), errors


def merged_tags(job: LoadedJob, settings: PlatformSettings | None = None) -> dict[str, str]:
    """The job's merged tag map (see the module docstring for the precedence), sorted by key;
    ``settings`` defaults to the settings the job was loaded with.

    Raises :class:`ErrorReport` when a compliance/finops block cannot be read (validation reports the
    same errors first, so a validated job never raises here).
    """
    merged, errors = sourced_tags(job, settings)
    ErrorReport(errors).raise_if_any()
    return {key: source.value for key, source in merged.items()}


# --- rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagProblem:
    """A tag (or the whole map, when ``keys`` is empty) a cloud cannot take, and the rule it breaks."""

    keys: tuple[str, ...]
    problem: str
    got: str
    expected: str


def render_tags(
    tags: Mapping[str, str], provider: Provider, sources: Mapping[str, Sourced] | None = None
) -> dict[str, str]:
    """``tags`` as ``provider`` accepts them (rules in the module docstring), sorted by key.

    Raises one :class:`ErrorReport` with every tag that cannot be rendered; errors are positioned
    with ``sources`` when given (see :func:`sourced_tags`), else reported against ``tags.<key>``.
    """
    rendered, problems = render_with_problems(tags, provider)
    if problems:
        raise ErrorReport([_positioned(p, sources or {}, None) for p in problems])
    return rendered


def render_with_problems(
    tags: Mapping[str, str], provider: Provider
) -> tuple[dict[str, str], list[TagProblem]]:
    """The rendering of every tag that can be rendered, and a problem for each one that cannot."""
    renderer = {Provider.AWS: _render_aws, Provider.AZURE: _render_azure, Provider.GCP: _render_gcp}[
        Provider(provider)
    ]
    rendered, problems = renderer(dict(sorted(tags.items())))
    return dict(sorted(rendered.items())), problems


#: Text made only of ASCII letters, digits, spaces and the AWS symbols: nothing AWS refuses in it.
_AWS_PLAIN = re.compile(r"[A-Za-z0-9 " + re.escape(AWS_SYMBOLS) + r"]*")


def _aws_bad_chars(text: str) -> str:
    if _AWS_PLAIN.fullmatch(text):  # the usual case, without a category look-up per character
        return ""
    bad = {c for c in text if c not in AWS_SYMBOLS and unicodedata.category(c)[0] not in "LNZ"}
    return "".join(sorted(bad))


def _render_aws(tags: dict[str, str]) -> tuple[dict[str, str], list[TagProblem]]:
    out: dict[str, str] = {}
    problems: list[TagProblem] = []
    for key, raw_value in tags.items():
        value = raw_value.replace(",", AWS_LIST_SEPARATOR)
        found: list[TagProblem] = []
        if not key:
            found.append(
                TagProblem((key,), "AWS tag keys must not be empty", show_value(key), "1-128 characters")
            )
        if len(key) > AWS_KEY_MAX:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key[:40]!r}...: AWS tag keys are at most {AWS_KEY_MAX} characters",
                    f"{len(key)} characters",
                    f"at most {AWS_KEY_MAX} characters",
                )
            )
        if key.lower().startswith(AWS_RESERVED_PREFIX):
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key!r}: the prefix 'aws:' is reserved by AWS",
                    show_value(key),
                    "a key not starting with aws:",
                )
            )
        bad = _aws_bad_chars(key)
        if bad:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key!r}: AWS tag keys cannot contain {bad!r}",
                    show_value(key),
                    AWS_ALLOWED_TEXT,
                )
            )
        if len(value) > AWS_VALUE_MAX:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key!r}: AWS tag values are at most {AWS_VALUE_MAX} characters",
                    f"{len(value)} characters",
                    f"at most {AWS_VALUE_MAX} characters",
                )
            )
        bad = _aws_bad_chars(value)
        if bad:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key!r}: AWS tag values cannot contain {bad!r}",
                    show_value(raw_value),
                    AWS_ALLOWED_TEXT + " (a ',' becomes '+')",
                )
            )
        problems.extend(found)
        if not found:
            out[key] = value
    if len(tags) > AWS_MAX_TAGS:
        problems.append(
            TagProblem(
                (),
                f"AWS resources take at most {AWS_MAX_TAGS} tags",
                f"{len(tags)} tags",
                f"at most {AWS_MAX_TAGS} tags after merging platform, asset and job tags",
            )
        )
    return out, problems


def azure_tag_name(key: str) -> str:
    """The Azure tag name of ``key``: the characters Azure forbids in names removed."""
    return "".join(c for c in key if c not in AZURE_FORBIDDEN)


def _render_azure(tags: dict[str, str]) -> tuple[dict[str, str], list[TagProblem]]:
    out: dict[str, str] = {}
    problems: list[TagProblem] = []
    owners: dict[str, list[str]] = {}
    for key, value in tags.items():
        name = azure_tag_name(key)
        found: list[TagProblem] = []
        if not name:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key!r}: nothing is left of the Azure tag name after removing {AZURE_FORBIDDEN!r}",
                    show_value(key),
                    "a name with other characters",
                )
            )
        if len(name) > AZURE_NAME_MAX:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key[:40]!r}...: Azure tag names are at most {AZURE_NAME_MAX} characters",
                    f"{len(name)} characters",
                    f"at most {AZURE_NAME_MAX} characters",
                )
            )
        if len(value) > AZURE_VALUE_MAX:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key!r}: Azure tag values are at most {AZURE_VALUE_MAX} characters",
                    f"{len(value)} characters",
                    f"at most {AZURE_VALUE_MAX} characters",
                )
            )
        problems.extend(found)
        if not found:
            owners.setdefault(name.casefold(), []).append(key)
            out[name] = value
    for keys in owners.values():
        if len(keys) > 1:
            names = " and ".join(repr(k) for k in keys)
            problems.append(
                TagProblem(
                    tuple(keys),
                    f"tags {names} are the same Azure tag name (Azure tag names "
                    "ignore case and drop < > % & \\ ? /)",
                    show_value(azure_tag_name(keys[0])),
                    "tag keys that stay distinct on Azure",
                )
            )
            for key in keys:
                out.pop(azure_tag_name(key), None)
    if len(tags) > AZURE_MAX_TAGS:
        problems.append(
            TagProblem(
                (),
                f"Azure resources take at most {AZURE_MAX_TAGS} tags",
                f"{len(tags)} tags",
                f"at most {AZURE_MAX_TAGS} tags after merging platform, asset and job tags",
            )
        )
    return out, problems


def gcp_label_key(key: str) -> str:
    """``key`` lowercased, every character outside ``[a-z0-9_-]`` replaced by ``_`` (not yet checked)."""
    return _GCP_OUTSIDE.sub("_", key.lower())


def gcp_label_value(value: str) -> str:
    """``value`` as a GCP label value: mapped like keys; over 63 characters cut and hash-suffixed."""
    text = _GCP_OUTSIDE.sub("_", value.lower())
    if len(text) > GCP_VALUE_MAX:
        keep = GCP_VALUE_MAX - 1 - GCP_HASH_LEN
        text = f"{text[:keep]}-{short_hash(value, GCP_HASH_LEN)}"
    return text


def _render_gcp(tags: dict[str, str]) -> tuple[dict[str, str], list[TagProblem]]:
    out: dict[str, str] = {}
    problems: list[TagProblem] = []
    owners: dict[str, list[str]] = {}
    for key, value in tags.items():
        label = gcp_label_key(key)
        found: list[TagProblem] = []
        if not label[:1].isascii() or not label[:1].isalpha():
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key!r}: GCP label keys must start with a lowercase letter",
                    show_value(key),
                    "a key starting with a letter a-z",
                )
            )
        if len(label) > GCP_KEY_MAX:
            found.append(
                TagProblem(
                    (key,),
                    f"tag {key[:40]!r}...: GCP label keys are at most {GCP_KEY_MAX} characters",
                    f"{len(label)} characters",
                    f"at most {GCP_KEY_MAX} characters",
                )
            )
        problems.extend(found)
        if not found:
            owners.setdefault(label, []).append(key)
            out[label] = gcp_label_value(value)
    for label, keys in owners.items():
        if len(keys) > 1:
            names = " and ".join(repr(k) for k in keys)
            problems.append(
                TagProblem(
                    tuple(keys),
                    f"tags {names} map to the same GCP label key {label!r}",
                    show_value(label),
                    "tag keys that stay distinct once lowercased and mapped to [a-z0-9_-]",
                )
            )
            out.pop(label, None)
    if len(tags) > GCP_MAX_LABELS:
        problems.append(
            TagProblem(
                (),
                f"GCP resources take at most {GCP_MAX_LABELS} labels",
                f"{len(tags)} tags",
                f"at most {GCP_MAX_LABELS} labels after merging platform, asset and job tags",
            )
        )
    return out, problems


# --- validation --------------------------------------------------------------------------------


def check_tags(job: LoadedJob, settings: PlatformSettings | None = None) -> list[JobError]:
    """Every reason the job's merged tags cannot be rendered for its cloud, positioned where the
    offending tag was written; also the compliance/finops reading errors. Empty when fine.
    ``settings`` defaults to the settings the job was loaded with."""
    merged, errors = sourced_tags(job, settings)
    if errors:
        return sorted(set(errors))
    _, problems = render_with_problems(
        {k: s.value for k, s in merged.items()}, job.config.infrastructure.provider
    )
    return sorted({_positioned(p, merged, job) for p in problems})


def _positioned(problem: TagProblem, sources: Mapping[str, Sourced], job: LoadedJob | None) -> JobError:
    known = [sources[k] for k in problem.keys if k in sources]
    if known:
        # Point at a tag the job itself wrote when one is involved: that is the one a user can change.
        own = [s for s in known if s.path.startswith("infrastructure.tags.")]
        source = (own or known)[0]
        return JobError(source.file, source.line, source.path, problem.problem, problem.got, problem.expected)
    if job is not None:
        line = job.document.line_of(("infrastructure", "tags"))
        return JobError(job.file, line, "infrastructure.tags", problem.problem, problem.got, problem.expected)
    path = f"tags.{problem.keys[0]}" if problem.keys else "tags"
    return JobError("(merged tags)", 0, path, problem.problem, problem.got, problem.expected)


# --- HCL output --------------------------------------------------------------------------------


def hcl_map(tags: Mapping[str, str]) -> str:
    """``tags`` as an HCL object expression (sorted, quoted keys): the value of ``TF_VAR_job_metadata``."""
    if not tags:
        return "{}"
    body = "".join(f"  {hcl_string(k)} = {hcl_string(v)}\n" for k, v in sorted(tags.items()))
    return "{\n" + body + "}"


def tfvars(tags: Mapping[str, str], name: str = "job_metadata") -> str:
    """A ``.tfvars`` file setting variable ``name`` (a ``map(string)``) to ``tags``."""
    return f"{name} = {hcl_map(tags)}\n"
