"""Security posture of a loaded job: rules that need more than the runtime block, and warnings.

* **Encrypted logs for classified data** (an error): a job whose merged tags (asset compliance
  section, the job's ``compliance`` block, ``infrastructure.tags``: see :mod:`dativo_infra.tags`) carry
  a classification of pii, confidential or restricted (any case, any item of a list) needs a KMS key
  on its log group, on runtimes that have one (``aws_fargate``: ``log_kms_key_arn``). The tags
  ``classification`` and ``data_classification`` (the older dialect's ``DataClassification``) are
  both read. The error is positioned at the runtime block and names where the classification came from.
* **Warnings** (``validate`` prints them and still exits 0): the runtime's
  :meth:`~dativo_infra.config.runtimes.base.RuntimeBase.warnings`, e.g. an image by ``latest`` or by
  no tag, and fields the stacks do not read that are kept for plain-Terraform callers (the older
  dialect's ``service_account`` and ``compute_size``, which only ``tfvars`` passes on, and
  ``terraform`` keys other than ``resource_refs`` and ``variables``), positioned like errors.

Pure Python: no cdktf.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dativo_infra.config.fields import Problem
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.refs import REFERENCES
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.config.yamlpos import PathKey, PositionedDocument, dotted
from dativo_infra.contract import PROVIDER_OF_RUNTIME, Provider
from dativo_infra.errors import JobError, show_value
from dativo_infra.tags import sourced_tags

#: Tag keys holding a data classification (``data_classification``: the older dialect's tag).
CLASSIFICATION_TAGS: tuple[str, ...] = ("classification", "data_classification")
#: Classifications whose logs must be encrypted with a customer key (compared lowercased).
SENSITIVE_CLASSIFICATIONS: tuple[str, ...] = ("pii", "confidential", "restricted")
#: The runtime field holding the log encryption key, per runtime type that has one.
LOG_KEY_FIELD = "log_kms_key_arn"
LOG_KEY_EXPECTED = "a KMS key ARN in log_kms_key_arn (jobs classified pii/confidential/restricted)"

_RUNTIME = ("infrastructure", "runtime")


def sensitive_classification(value: str) -> str | None:
    """The first item of a (comma-joined) classification that requires encrypted logs, or None."""
    for item in value.split(","):
        if item.strip().lower() in SENSITIVE_CLASSIFICATIONS:
            return item.strip()
    return None


def log_encryption_errors(job: LoadedJob) -> list[JobError]:
    """An error when the job's classification requires a log group KMS key it does not give (empty
    when fine, when its runtime has no such field, or when its tags cannot be read: those errors
    are reported by the tag check)."""
    runtime = job.config.runtime
    if LOG_KEY_FIELD not in type(runtime).model_fields or getattr(runtime, LOG_KEY_FIELD) is not None:
        return []
    tags, errors = sourced_tags(job)
    if errors:
        return []
    for key in CLASSIFICATION_TAGS:
        source = tags.get(key)
        found = sensitive_classification(source.value) if source is not None else None
        if source is None or found is None:
            continue
        where = f"{source.file}:{source.line}" if source.line else source.file
        return [
            JobError(
                job.file,
                job.document.line_of(_RUNTIME),
                dotted((*_RUNTIME, LOG_KEY_FIELD)),
                f"the job is classified {found!r} (tag {key} from {source.path} at {where}): "
                "its log group must be encrypted with a KMS key",
                "nothing",
                LOG_KEY_EXPECTED,
            )
        ]
    return []


#: What to use instead of an older-dialect key the stacks do not read (``tfvars`` passes it on).
TFVARS_ONLY = {
    "service_account": "an existing identity referenced in terraform.resource_refs ({refs}), "
    "or nothing: the stack creates the job's own",
    "compute_size": "cpu_units and memory_mb, which size the runtime",
}
#: The references of :data:`~dativo_infra.config.refs.REFERENCES` that name an identity.
IDENTITY = re.compile(r"role|identity|service_account")
#: The keys of ``infrastructure.terraform`` something reads.
TERRAFORM_READ = ("resource_refs", "variables")


def job_warnings(job: LoadedJob) -> list[JobError]:
    """Every warning of the job (valid, but likely a mistake), positioned like errors."""
    return [_positioned(job, problem) for problem in job.config.runtime.warnings()] + _unread(job)


def provider_version_warnings(jobs: Iterable[LoadedJob]) -> list[JobError]:
    """The platform settings' provider pins that the installed bindings do not satisfy, for the clouds
    of ``jobs`` (each settings file once)."""
    clouds: dict[int, tuple[PlatformSettings, set[Provider]]] = {}
    for job in jobs:
        entry = clouds.setdefault(id(job.settings), (job.settings, set()))
        entry[1].add(PROVIDER_OF_RUNTIME[job.config.runtime.TYPE])
    return [
        warning
        for settings, providers in clouds.values()
        for warning in settings.provider_version_warnings(providers)
    ]


def _unread(job: LoadedJob) -> list[JobError]:
    """Fields kept for plain-Terraform callers that no stack reads."""
    found = []
    infra = job.source.value.get("infrastructure")
    environment = infra.get("runtime_environment") if isinstance(infra, dict) else None
    for key, instead in TFVARS_ONLY.items():
        if isinstance(environment, dict) and key in environment:
            path: PathKey = ("infrastructure", "runtime_environment", key)
            identities = [r for r in REFERENCES[job.config.runtime.type] if IDENTITY.search(r)]
            instead = instead.format(refs=" or ".join(sorted(identities)))
            problem = (
                "passed on by tfvars only (runtime_environment." + key + "): the job's stack does not use it"
            )
            found.append(_at(job, job.source, path, problem, environment[key], instead))
    terraform = infra.get("terraform") if isinstance(infra, dict) else None
    if not isinstance(terraform, dict):
        return found
    for key in sorted(terraform, key=str):
        if key not in TERRAFORM_READ:
            path = ("infrastructure", "terraform", key)
            problem = "not read by the job's stack nor written by tfvars (kept for your own tooling)"
            found.append(
                _at(job, job.source, path, problem, terraform[key], "only resource_refs and variables there")
            )
    return found


def _at(
    job: LoadedJob,
    document: PositionedDocument,
    path: PathKey,
    problem: str,
    got: object,
    expected: str | None,
) -> JobError:
    """A warning at ``path`` of ``document`` (the file as written, or its canonical form)."""
    return JobError(job.file, document.line_of(path), dotted(path), problem, show_value(got), expected)


def _positioned(job: LoadedJob, problem: Problem) -> JobError:
    """A runtime's warning, positioned in the canonical form."""
    where = (*_RUNTIME, *problem.where)
    return _at(job, job.document, where, problem.problem, problem.got, problem.expected)
