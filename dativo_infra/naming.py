"""Deterministic names: stack names and cloud resource names that respect each cloud's rules.

Characters outside a cloud's alphabet become the separator. A name that is too long is cut and
suffixed with a short hash of the full original, so two long names that share a prefix still
differ, and the same job always gets the same name (a rename would replace cloud resources).
Two jobs whose stack names collide after this mapping are rejected by validation. Each cloud's own
rules are in :mod:`dativo_infra.clouds` (one ``resource_names(stack)`` per cloud). Pure Python.
"""

from __future__ import annotations

import dataclasses
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


def affixed(rule: NameRule, base: str, prefix: str = "", suffix: str = "") -> str:
    """``prefix + base + suffix`` valid under ``rule``: only ``base`` is cut (with a hash) to fit,
    so the fixed prefix and suffix always survive. ``prefix``/``suffix`` must be valid for ``rule``."""
    inner = dataclasses.replace(rule, max_len=rule.max_len - len(prefix) - len(suffix)).make(base)
    return f"{prefix}{inner}{suffix}"


#: Stack names: cdktf stack ids and directory names under cdktf.out/stacks.
STACK = NameRule(max_len=120, allowed="a-z0-9-", sep="-", start_letter=True)


def stack_name(tenant_id: str, job_name: str) -> str:
    """Deterministic stack name for a job: ``<tenant>-<job>`` made safe for cdktf and Terraform."""
    return STACK.make(tenant_id, job_name)
