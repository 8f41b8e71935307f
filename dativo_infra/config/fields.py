"""Building blocks of the job models: field types, the strict base model, and how a rule reports.

A rule reports a :class:`Problem`: where (relative to the model that checks it), what is wrong, the bad
value and what is allowed. :func:`raise_all` raises every problem of a model at once, so a file's
errors are never reported one at a time. The loader (:mod:`dativo_infra.config.messages`) adds file,
line and the dotted path. Pure Python: no cdktf.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple, NoReturn

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
REGION_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=NAME_PATTERN)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=SLUG_PATTERN)]
EnvVarName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=ENV_VAR_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]

Mode = Literal["job", "service"]
#: The JSON-schema key that lists the modes a field applies to (absent: every mode).
MODES_KEY = "x-modes"


def only_in(*modes: Mode) -> dict[str, Any]:
    """``json_schema_extra`` of a field that applies only in ``modes`` (checked by the runtime base)."""
    return {MODES_KEY: list(modes)}


class Strict(BaseModel):
    """Base of every model inside ``infrastructure``: unknown keys are typos, so they are errors, and
    values are taken as the YAML typed them (strict: ``"1000"`` is no number, ``"yes"`` no boolean,
    ``true`` no number). An enum field that takes its string value from YAML says ``strict=False``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False, strict=True)


class Problem(NamedTuple):
    """One broken rule: ``where`` is relative to the model that checks it (list indexes and mapping
    keys included); ``got`` is the bad value; ``expected`` says what is allowed."""

    where: tuple[str | int, ...]
    problem: str
    got: Any
    expected: str


def raise_all(problems: list[Problem]) -> None:
    """Raise every problem at once (no-op when there is none)."""
    if problems:
        raise ValidationError.from_exception_data(
            "job",
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "dativo_value", p.problem, {"got": p.got, "expected": p.expected}
                    ),
                    loc=p.where,
                    input=p.got,
                )
                for p in problems
            ],
        )


def fail(where: tuple[str | int, ...], problem: str, got: Any, expected: str) -> NoReturn:
    """Raise one problem (a rule that makes every other check of the model moot)."""
    raise_all([Problem(where, problem, got, expected)])
    raise AssertionError("unreachable")


def tail(value: str, limit: int = 72) -> str:
    """The end of a long resource id for a message (error values are shown cut after 80 characters)."""
    return f" (it ends {'...' + value[-40:]!r})" if len(value) > limit else ""
