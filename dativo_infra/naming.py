"""Deterministic names: stack names and cloud resource names that respect each cloud's rules.

Characters outside a cloud's alphabet become the separator. A name that is too long is cut and
suffixed with a short hash of the full original, so two long names that share a prefix still
differ, and the same job always gets the same name (a rename would replace cloud resources).
Two jobs whose stack names collide after this mapping are rejected by validation. Pure Python.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

HASH_LEN = 6


def short_hash(text: str, length: int = HASH_LEN) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class NameRule:
    """How one kind of cloud name is formed."""

    max_len: int
    min_len: int = 1
    lowercase: bool = True
    allowed: str = "a-z0-9-"  # regex character class body
    sep: str = "-"
    start_letter: bool = False
    end_alnum: bool = True
    prefix_if_needed: str = "j"

    def make(self, *parts: str) -> str:
        """Join ``parts`` and make the result valid; cut and add a hash of the original if too long."""
        original = self.sep.join(parts)
        text = original.lower() if self.lowercase else original
        text = re.sub(f"[^{self.allowed}]+", self.sep, text)
        if self.sep:
            text = re.sub(f"{re.escape(self.sep)}{{2,}}", self.sep, text).strip(self.sep)
        if self.start_letter and not text[:1].isalpha():
            text = self.prefix_if_needed + (self.sep if text else "") + text
        if len(text) > self.max_len or len(text) < self.min_len:
            keep = self.max_len - len(self.sep) - HASH_LEN
            head = text[:keep].rstrip(self.sep + "_.") if len(text) > self.max_len else text
            text = (
                f"{head}{self.sep}{short_hash(original)}"
                if head
                else self.prefix_if_needed + short_hash(original)
            )
        if self.end_alnum:
            text = text.rstrip("-_.")
        return text


#: Stack names: cdktf stack ids and directory names under cdktf.out/stacks.
STACK = NameRule(max_len=120, allowed="a-z0-9-", sep="-", start_letter=True)


def stack_name(tenant_id: str, job_name: str) -> str:
    """Deterministic stack name for a job: ``<tenant>-<job>`` made safe for cdktf and Terraform."""
    return STACK.make(tenant_id, job_name)


# AWS name rules (used by the aws_fargate runtime). Alphabets are the cloud's own, or a safe subset
# of it where the cloud allows characters Terraform would treat specially (``$``, ``{``).
#: IAM role names: 1-64 of ``[\w+=,.@-]`` (ASCII word characters).
AWS_IAM_ROLE = NameRule(max_len=64, lowercase=False, allowed="A-Za-z0-9_+=,.@-", sep="-")
#: ECS cluster, service and task-definition family names: 1-255 of ``[A-Za-z0-9_-]``.
AWS_ECS_NAME = NameRule(max_len=255, lowercase=False, allowed="A-Za-z0-9_-", sep="-")
#: CloudWatch Logs log group names: 1-512 of ``[A-Za-z0-9_./#-]``.
AWS_LOG_GROUP = NameRule(max_len=512, lowercase=False, allowed="A-Za-z0-9_./#-", sep="-")
#: VPC security group names: 1-255 characters (a safe subset of the allowed set; must not start
#: with ``sg-``, which the caller guarantees by its prefix or suffix choice).
AWS_SECURITY_GROUP = NameRule(max_len=255, lowercase=False, allowed="A-Za-z0-9_.-", sep="-")
#: EventBridge Scheduler schedule names: 1-64 of ``[0-9A-Za-z_.-]``.
AWS_SCHEDULE = NameRule(max_len=64, lowercase=False, allowed="A-Za-z0-9_.-", sep="-")


# --- Azure (Container Apps runtime). Sources: Azure resource-name rules and the azurerm 4.x validators.

#: Resource group: 1-90 characters; kept to lowercase alphanumerics and hyphens (a subset of what
#: Azure allows: alphanumerics, '_', '-', '.', '(', ')', not ending in '.').
AZURE_RESOURCE_GROUP = NameRule(max_len=90, min_len=1)
#: Log Analytics workspace: 4-63 alphanumerics and hyphens, starting and ending alphanumeric.
AZURE_LOG_ANALYTICS_WORKSPACE = NameRule(max_len=63, min_len=4)
#: Container Apps (managed) environment: lowercase alphanumerics and hyphens, starting with a letter,
#: ending alphanumeric. Azure allows 60, but azurerm's validator only accepts a digit as the last
#: character up to 59 characters, so names stop at 59.
AZURE_CONTAINER_APP_ENVIRONMENT = NameRule(max_len=59, min_len=2, start_letter=True)
#: Container App and Container App Job: 2-32 lowercase alphanumerics and hyphens, starting with a
#: letter, ending alphanumeric, no '--'.
AZURE_CONTAINER_APP = NameRule(max_len=32, min_len=2, start_letter=True)
#: User-assigned managed identity: 3-128 alphanumerics, hyphens and underscores, starting alphanumeric.
AZURE_USER_ASSIGNED_IDENTITY = NameRule(max_len=128, min_len=3)
#: Container App secret: lowercase alphanumerics and hyphens, starting and ending alphanumeric.
AZURE_CONTAINER_APP_SECRET = NameRule(max_len=63, min_len=1)


# --- GCP (Cloud Run runtime) -------------------------------------------------------------------
#: Service account ids: 6-30 characters, ``[a-z][-a-z0-9]*[a-z0-9]`` (IAM CreateServiceAccount).
GCP_SERVICE_ACCOUNT = NameRule(max_len=30, min_len=6, start_letter=True)
#: Cloud Run service and job names: lowercase letters, digits and '-', starting with a letter, not
#: ending with '-'. The API accepts 63 characters; 49 leaves room for the revision / execution
#: suffix Cloud Run appends (gcloud rejects longer service names).
GCP_CLOUD_RUN = NameRule(max_len=49, start_letter=True)
#: Cloud Scheduler job ids: letters, digits, '-' and '_', at most 500 characters.
GCP_SCHEDULER_JOB = NameRule(max_len=500, lowercase=False, allowed="a-zA-Z0-9_-")
