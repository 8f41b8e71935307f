"""Every cron rule, stated once: a job's ``schedule`` is a 5-field cron expression
(``minute hour day-of-month month day-of-week``).

* Azure Container Apps jobs and GCP Cloud Scheduler take unix cron: :func:`check_unix_cron`.
* AWS EventBridge Scheduler takes ``cron(minutes hours day-of-month month day-of-week year)`` in its
  own (Quartz-like) dialect: :func:`aws_schedule_expression` checks the 5-field input completely and
  converts it, so that whatever it returns AWS accepts.

Every rule raises :class:`CronError`, whose parts a validator turns into a positioned message
``<problem>, got <expression>; expected <expected>``. Pure Python, no cdktf.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CronError", "aws_schedule_expression", "check_unix_cron"]

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_LISTS = "with '*', ',', '-' and '/'"


class CronError(ValueError):
    """A cron expression a cloud would not take.

    ``field`` is the field at fault (``"minute"``, ``"hour"``, ``"day-of-month"``, ``"month"``,
    ``"day-of-week"``), or ``""`` when the expression as a whole is wrong; ``problem`` says what is
    wrong (naming the field and its text) and ``expected`` what is allowed there.
    """

    def __init__(self, field: str, problem: str, expected: str) -> None:
        super().__init__(f"{problem}; expected {expected}")
        self.field = field
        self.problem = problem
        self.expected = expected

    def __reduce__(self) -> tuple[type[CronError], tuple[str, str, str]]:
        return CronError, (self.field, self.problem, self.expected)


@dataclass(frozen=True)
class _Spec:
    """One field of a 5-field expression: its name, unix values and names, and the AWS ``expected``."""

    name: str
    low: int
    high: int
    names: tuple[str, ...]
    aws: str

    def error(self, text: str, reason: str) -> CronError:
        """An AWS error in this field: ``<name> field '<text>': <reason>``."""
        return CronError(self.name, f"{self.name} field {text!r}: {reason}", self.aws)


_MINUTE = _Spec("minute", 0, 59, (), f"0-59, {_LISTS} (steps up to 59)")
_HOUR = _Spec("hour", 0, 23, (), f"0-23, {_LISTS} (steps up to 23)")
_DAY = _Spec(
    "day-of-month",
    1,
    31,
    (),
    f"1-31, {_LISTS} (steps up to 31); or alone: '?', 'L' (last day), 'LW' (last weekday) or "
    "'<1-31>W' (the weekday nearest that day)",
)
_MONTH = _Spec("month", 1, 12, _MONTHS, f"1-12 or JAN-DEC, {_LISTS} (steps up to 12)")
_WEEKDAY = _Spec(
    "day-of-week",
    0,
    6,
    _WEEKDAYS,
    f"0-7 or SUN-SAT (0 and 7 are Sunday), {_LISTS}; or alone: '?', '<day>L' (the last <day> of the "
    "month, e.g. 'FRIL') or '<day>#<1-5>' (the nth <day> of the month, e.g. 'MON#2')",
)
_SPECS = (_MINUTE, _HOUR, _DAY, _MONTH, _WEEKDAY)
_FIVE_FIELDS = (
    "not a 5-field cron expression",
    "'minute hour day-of-month month day-of-week', e.g. '0 3 * * *'",
)
_AWS_MAX_LENGTH = 256  # of a ScheduleExpression (the Scheduler API's limit)
_BOTH_DAYS = (
    "restricts both day-of-month and day-of-week (unix cron runs on a day matching either; "
    "EventBridge cannot say that)",
    "'*' in one of the two day fields, e.g. '0 3 1 * *' or '0 3 * * MON'",
)


def _fields(expression: str) -> list[str]:
    fields = expression.split()
    if len(fields) != 5:
        raise CronError("", *_FIVE_FIELDS)
    return fields


def _number(token: str) -> int | None:
    """An ASCII decimal number (a huge one as a sentinel beyond every range), else None."""
    if not (token.isascii() and token.isdigit()):
        return None
    digits = token.lstrip("0")
    return int(digits or "0") if len(digits) <= 6 else 10**6  # int() refuses thousands of digits


def _value(token: str, spec: _Spec) -> int | None:
    """A number, or a month / weekday name (any case) as its number; None if neither."""
    if token.upper() in spec.names:
        return spec.names.index(token.upper()) + spec.low
    return _number(token)


# --- Unix cron: Container Apps jobs (day-of-week 0-6) and Cloud Scheduler (0-7, 7 = Sunday).


def _unix_item(item: str, spec: _Spec, high: int) -> bool:
    base, slash, step_text = item.partition("/")
    step = _number(step_text)
    if slash and (step is None or step < 1):
        return False
    if base == "*":
        return True
    first_text, dash, last_text = base.partition("-")
    first = _value(first_text, spec)
    last = _value(last_text, spec) if dash else first
    if first is None or last is None or not spec.low <= first <= last <= high:
        return False
    return bool(dash) or not slash  # a step needs '*' or a range


def check_unix_cron(expression: str, max_weekday: int) -> None:
    """Check a 5-field unix cron ``expression`` (``minute hour day-of-month month day-of-week``).

    Accepts per field ``*``, values, ranges ``a-b`` (forward), lists ``a,b``, steps on ``*`` or on a
    range (``*/15``, ``8-18/2``), JAN-DEC and SUN-SAT in any case; day-of-week runs 0 to
    ``max_weekday``: 6 for Container Apps jobs, 7 for Cloud Scheduler (7 is Sunday again).
    Raises :class:`CronError` for the first field that is not unix cron, or for anything but
    five whitespace-separated fields.
    """
    for text, spec in zip(_fields(expression), _SPECS, strict=True):
        high = max_weekday if spec is _WEEKDAY else spec.high
        if all(_unix_item(item, spec, high) for item in text.split(",")):
            continue
        allowed = f"{spec.low}-{high}" + (f" or {spec.names[0]}-{spec.names[-1]}" if spec.names else "")
        expected = f"{allowed}, {_LISTS} (steps on '*' or a range)"
        if re.search(r"[?#LW]", re.sub(r"[A-Z]{3}", "", text.upper())):
            expected += "; Quartz '?', 'L', 'W' and '#' are AWS-only"
        raise CronError(spec.name, f"{spec.name} field {text!r} is not unix cron", expected)


# --- AWS EventBridge Scheduler: cron(minutes hours day-of-month month day-of-week year).


@dataclass(frozen=True)
class _Item:
    """One list item: ``*`` (``first is None``), ``a``, ``a-b``, each with an optional ``/step``."""

    first: str | None
    last: str | None
    step: int | None


def _item(item: str, text: str, spec: _Spec) -> _Item:
    base, slash, step_text = item.partition("/")
    step = _number(step_text) if slash else None
    if slash and (step is None or step < 1):
        raise spec.error(text, f"the step in {item!r} is not a positive number")
    if base == "*":
        return _Item(None, None, step)
    first, dash, last = base.partition("-")
    if not first or (dash and not last):
        raise spec.error(
            text, f"{item!r} is not a value, a range or a step" if item else "an empty list item"
        )
    return _Item(first, last if dash else None, step)


def _aws_value(token: str, text: str, spec: _Spec, high: int) -> int:
    value = _value(token, spec)
    if value is None:
        quartz = re.search(r"[?#LW]", re.sub(r"[A-Z]{3}", "", text.upper()))
        if quartz and spec not in (_DAY, _WEEKDAY):
            raise spec.error(text, "'?', 'L', 'W' and '#' go only in the day fields")
        raise spec.error(text, f"{token!r} is not a number" + (" or name" if spec.names else ""))
    if not spec.low <= value <= high:
        raise spec.error(text, f"{token} is out of range")
    return value


def _aws_plain(text: str, spec: _Spec) -> str:
    """Minute, hour, month or a plain day-of-month: checked, ``*/n`` as ``<low>/n``, names upper case."""
    out: list[str] = []
    for item in text.split(","):
        parsed = _item(item, text, spec)
        if parsed.step is not None and parsed.step > spec.high:
            raise spec.error(text, f"the step in {item!r} is larger than {spec.high}")
        if parsed.first is None:
            out.append("*" if parsed.step is None else f"{spec.low}/{parsed.step}")
            continue
        first = _aws_value(parsed.first, text, spec, spec.high)
        if parsed.last is not None and first > _aws_value(parsed.last, text, spec, spec.high):
            raise spec.error(text, f"the range in {item!r} goes backwards")
        out.append(item.upper())
    return ",".join(out)


def _aws_day_of_month(text: str) -> str:
    upper = text.upper()
    if upper in ("?", "L", "LW"):
        return upper
    nearest = re.fullmatch(r"([0-9]+)W", upper)
    if nearest:
        _aws_value(nearest[1], text, _DAY, _DAY.high)
        return upper
    if re.search(r"[?LW]", upper):
        raise _DAY.error(text, "'?', 'L' and 'W' go only alone, as the whole field")
    return _aws_plain(text, _DAY)


def _aws_day(token: str, text: str) -> int:
    """A unix day of week 0-7 or SUN-SAT as 0-6 (Sunday 0)."""
    return _aws_value(token, text, _WEEKDAY, 7) % 7


def _runs(values: Sequence[int]) -> list[str]:
    """Sorted distinct ints as list items, runs of three or more as ``a-b``."""
    items: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        items.extend([f"{values[i]}-{values[j]}"] if j - i >= 2 else [str(v) for v in values[i : j + 1]])
        i = j + 1
    return items


def _aws_day_of_week(text: str) -> str:
    """Unix day of week -> AWS (1-7 from Sunday); steps and ranges expanded (AWS has no '/' here and
    unix ranges may end on 7)."""
    upper = text.upper()
    if upper == "?":
        return "?"
    if re.search(r"[?#L]", upper):  # no weekday name holds these
        if "," in upper or "?" in upper:
            raise _WEEKDAY.error(text, "'?', '#' and 'L' go only alone, as the whole field")
        day, hash_, nth = upper.partition("#")
        if hash_:
            week = _number(nth)
            if not day or week is None or not 1 <= week <= 5:
                raise _WEEKDAY.error(text, "'#' takes a day and a week 1-5, e.g. 'MON#2' (the second Monday)")
            return f"{_aws_day(day, text) + 1}#{week}"
        if not re.fullmatch(r"[0-9A-Z]+L", upper):
            raise _WEEKDAY.error(
                text, "'L' follows a single day: '5L' or 'FRIL' is the last Friday of the month"
            )
        return f"{_aws_day(upper[:-1], text) + 1}L"
    days: set[int] = set()
    for item in text.split(","):
        parsed = _item(item, text, _WEEKDAY)
        if parsed.first is None:
            low, high = 0, 6
        elif parsed.last is not None:
            low, high = (
                _aws_value(parsed.first, text, _WEEKDAY, 7),
                _aws_value(parsed.last, text, _WEEKDAY, 7),
            )
            if parsed.last.upper() == "SUN" and low > 0:  # "FRI-SUN": a range ending on Sunday
                high = 7
            if low > high:
                raise _WEEKDAY.error(text, f"the range in {item!r} goes backwards")
        else:
            low = _aws_day(parsed.first, text)
            high = 6 if parsed.step else low
        days.update(d % 7 for d in range(low, high + 1, parsed.step or 1))
    if len(days) == 7:
        return "*"
    return ",".join(_runs(sorted(d + 1 for d in days)))


def aws_schedule_expression(expression: str) -> str:
    """A 5-field cron ``expression`` as the EventBridge Scheduler expression
    ``cron(minutes hours day-of-month month day-of-week year)``, year ``*``.

    Accepts unix cron (as :func:`check_unix_cron` with day-of-week 0-7) plus what AWS adds: a step on
    a single start (``5/10``), in day-of-month ``?``, ``L``, ``LW`` or ``<1-31>W`` and in day-of-week
    ``?``, ``<day>L`` or ``<day>#<1-5>``, each as the whole field, and day-of-week ranges ending on
    Sunday (``FRI-SUN``). Steps in minute, hour, day-of-month and month go up to the field's highest
    value (AWS refuses ``*/60``). ``*/n`` becomes ``<first>/n``, names are upper-cased, day-of-week is
    renumbered 1-7 from Sunday with its steps and ranges expanded, and ``?`` goes in exactly one
    day field. Unix cron runs a job when *either* restricted day field matches; AWS cannot express
    that, so restricting both (anything but ``*`` or ``?`` in each) is an error, and so is a result
    longer than the API's 256 characters.

    Raises :class:`CronError` for anything AWS would reject.
    """
    minute, hour, day, month, weekday = _fields(expression)
    converted = [_aws_plain(minute, _MINUTE), _aws_plain(hour, _HOUR), _aws_day_of_month(day)]
    converted += [_aws_plain(month, _MONTH), _aws_day_of_week(weekday)]
    any_day, any_weekday = day in ("*", "?"), weekday in ("*", "?")
    if any_weekday:
        converted[2], converted[4] = ("*" if any_day else converted[2]), "?"
    elif any_day:
        converted[2] = "?"
    else:
        raise CronError("", *_BOTH_DAYS)
    result = f"cron({' '.join(converted)} *)"
    if len(result) > _AWS_MAX_LENGTH:
        raise CronError(
            "", f"too long for EventBridge as {result!r}", f"at most {_AWS_MAX_LENGTH} characters"
        )
    return result
