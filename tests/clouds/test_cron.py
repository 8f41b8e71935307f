"""The cron rules: unix cron (Azure, GCP) and its conversion to EventBridge Scheduler ``cron(...)``.

The property tests check the converter's output with :func:`eventbridge_problem`, a small checker of
the EventBridge cron grammar written from the AWS documentation (the "Cron expressions reference" of
EventBridge) and sharing no code with the converter.
"""

from __future__ import annotations

import contextlib
import pickle
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.clouds.cron import CronError, aws_schedule_expression, check_unix_cron
from tests.clouds.rules import DAY_NAMES, MONTH_NAMES, expressions, is_unix_cron

FEW = settings(max_examples=150, deadline=None, database=None)

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

CONVERSIONS = [
    ("15 2 * * *", "cron(15 2 * * ? *)"),
    ("*/5 * * * *", "cron(0/5 * * * ? *)"),
    ("0 4 * * 1", "cron(0 4 ? * 2 *)"),
    ("30 4 * * 1-5", "cron(30 4 ? * 2-6 *)"),
    ("0 * * * *", "cron(0 * * * ? *)"),
    ("0 0 L * *", "cron(0 0 L * ? *)"),
    ("0 0 LW * *", "cron(0 0 LW * ? *)"),
    ("0 0 15W * *", "cron(0 0 15W * ? *)"),
    ("0 0 ? * 5L", "cron(0 0 ? * 6L *)"),
    ("0 0 ? * FRI#2", "cron(0 0 ? * 6#2 *)"),
    ("0 12 * * 5-7", "cron(0 12 ? * 1,6,7 *)"),
    ("0 0 1,15 * *", "cron(0 0 1,15 * ? *)"),
    ("0-30/10 8-17 * JAN-MAR MON-FRI", "cron(0-30/10 8-17 ? JAN-MAR 2-6 *)"),
    ("0 0 1,15 * ?", "cron(0 0 1,15 * ? *)"),
    ("*/15 */2 */3 */4 *", "cron(0/15 0/2 1/3 1/4 ? *)"),
    ("5/10 * * * *", "cron(5/10 * * * ? *)"),
    ("0 6 * * 0", "cron(0 6 ? * 1 *)"),
    ("0 6 * * 7", "cron(0 6 ? * 1 *)"),
    ("0 6 * * 6", "cron(0 6 ? * 7 *)"),
    ("0 6 * * FRI-SUN", "cron(0 6 ? * 1,6,7 *)"),
    ("0 6 * * SUN-SUN", "cron(0 6 ? * 1 *)"),
    ("0 6 * * MON,wed,FRI", "cron(0 6 ? * 2,4,6 *)"),
    ("0 6 * * */2", "cron(0 6 ? * 1,3,5,7 *)"),
    ("0 6 * * 1-5/2", "cron(0 6 ? * 2,4,6 *)"),
    ("0 6 * * 0-6", "cron(0 6 ? * * *)"),
    ("0 6 * * 0-7", "cron(0 6 ? * * *)"),
    ("0 6 * * 1#2", "cron(0 6 ? * 2#2 *)"),
    ("0 6 ? * 0#5", "cron(0 6 ? * 1#5 *)"),
    ("0 6 * * fril", "cron(0 6 ? * 6L *)"),
    ("30 4 * 1-6 *", "cron(30 4 * 1-6 ? *)"),
    ("0 0 l * *", "cron(0 0 L * ? *)"),
    ("0 0 * jan,Dec *", "cron(0 0 * JAN,DEC ? *)"),
    ("0 0 ? * ?", "cron(0 0 * * ? *)"),
]


@pytest.mark.parametrize(("unix", "aws"), CONVERSIONS)
def test_converts(unix: str, aws: str) -> None:
    assert aws_schedule_expression(unix) == aws
    assert eventbridge_problem(aws) is None


REJECTED = [
    ("99 3 * * *", "minute", "minute field '99': 99 is out of range"),
    ("0 24 * * *", "hour", "hour field '24': 24 is out of range"),
    ("0 3 32 * *", "day-of-month", "day-of-month field '32': 32 is out of range"),
    ("0 3 0 * *", "day-of-month", "day-of-month field '0': 0 is out of range"),
    ("0 3 * 13 *", "month", "month field '13': 13 is out of range"),
    ("0 3 * * 8", "day-of-week", "day-of-week field '8': 8 is out of range"),
    ("0 3 1 * MON", "", "restricts both day-of-month and day-of-week"),
    ("0 3 L * MON", "", "restricts both day-of-month and day-of-week"),
    ("0 3 */2 * 1-5", "", "restricts both day-of-month and day-of-week"),
    ("0 3 * * MON#6", "day-of-week", "'#' takes a day and a week 1-5"),
    ("0 3 * * #2", "day-of-week", "'#' takes a day and a week 1-5"),
    ("0 3 15W,L * *", "day-of-month", "'?', 'L' and 'W' go only alone"),
    ("0 3 32W * *", "day-of-month", "32 is out of range"),
    ("0 3 L-3 * *", "day-of-month", "'?', 'L' and 'W' go only alone"),
    ("0 3 * * 1#2,3", "day-of-week", "'?', '#' and 'L' go only alone"),
    ("0 3 * * 1,?", "day-of-week", "'?', '#' and 'L' go only alone"),
    ("0 3 * * L", "day-of-week", "'L' follows a single day"),
    ("0 3 * * 1-5L", "day-of-week", "'L' follows a single day"),
    ("0 3 * * MON-", "day-of-week", "day-of-week field 'MON-': 'MON-' is not a value, a range or a step"),
    ("0 3 * * 5-1", "day-of-week", "the range in '5-1' goes backwards"),
    ("22-2 * * * *", "minute", "the range in '22-2' goes backwards"),
    ("*/60 * * * *", "minute", "the step in '*/60' is larger than 59"),
    ("0 */24 * * *", "hour", "the step in '*/24' is larger than 23"),
    ("0 0 * */13 *", "month", "the step in '*/13' is larger than 12"),
    ("*/0 * * * *", "minute", "the step in '*/0' is not a positive number"),
    ("1,,2 * * * *", "minute", "an empty list item"),
    ("L * * * *", "minute", "'?', 'L', 'W' and '#' go only in the day fields"),
    ("0 0 * JUL? *", "month", "'?', 'L', 'W' and '#' go only in the day fields"),
    ("0 0 * FOO *", "month", "'FOO' is not a number or name"),
    ("x 0 * * *", "minute", "'x' is not a number"),
    ("0 3 * *", "", "not a 5-field cron expression"),
    ("0 3 * * * *", "", "not a 5-field cron expression"),
    (" ".join(",".join(map(str, range(*r))) for r in [(0, 60), (0, 24), (1, 32)]) + " * *", "", "too long"),
]


@pytest.mark.parametrize(("unix", "field", "problem"), REJECTED)
def test_rejects_what_aws_would(unix: str, field: str, problem: str) -> None:
    with pytest.raises(CronError) as caught:
        aws_schedule_expression(unix)
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert caught.value.expected
    assert str(caught.value) == f"{caught.value.problem}; expected {caught.value.expected}"


@pytest.mark.parametrize(
    ("expression", "max_weekday", "field", "problem", "expected"),
    [
        (  # tests/fixtures/jobs/invalid/azure_quartz_cron.yaml
            "0 3 ? * MON-FRI",
            6,
            "day-of-month",
            "day-of-month field '?' is not unix cron",
            "1-31, with '*', ',', '-' and '/' (steps on '*' or a range); Quartz '?', 'L', 'W' and '#' are AWS-only",
        ),
        (  # tests/fixtures/jobs/invalid/gcp_cron_out_of_range.yaml
            "0 24 * * *",
            7,
            "hour",
            "hour field '24' is not unix cron",
            "0-23, with '*', ',', '-' and '/' (steps on '*' or a range)",
        ),
        (  # tests/fixtures/jobs/invalid/bad_cron.yaml
            "every day at 3",
            6,
            "",
            "not a 5-field cron expression",
            "'minute hour day-of-month month day-of-week', e.g. '0 3 * * *'",
        ),
        (
            "0 0 * * 7",
            6,
            "day-of-week",
            "day-of-week field '7' is not unix cron",
            "0-6 or SUN-SAT, with '*', ',', '-' and '/' (steps on '*' or a range)",
        ),
        (
            "0 0 * jul-jan *",
            7,
            "month",
            "month field 'jul-jan' is not unix cron",
            "1-12 or JAN-DEC, with '*', ',', '-' and '/' (steps on '*' or a range)",
        ),
    ],
)
def test_unix_messages(expression: str, max_weekday: int, field: str, problem: str, expected: str) -> None:
    with pytest.raises(CronError) as caught:
        check_unix_cron(expression, max_weekday)
    assert (caught.value.field, caught.value.problem, caught.value.expected) == (field, problem, expected)


UNIX_OK = [
    "0 3 * * *",
    "*/15 8-18/2 1,15 jan-JUN mon-FRI",
    "0 0 * * 0-6",
    "0 0 1-31/7 * SUN,sat",
    "0 0 * * 06",
]


@pytest.mark.parametrize(
    ("expression", "max_weekday"),
    [*((x, 6) for x in UNIX_OK), ("0 0 * * 7", 7), ("0 0 * * 5-7", 7), ("0 0 * * SUN-7", 7)],
)
def test_unix_accepts(expression: str, max_weekday: int) -> None:
    check_unix_cron(expression, max_weekday)
    check_unix_cron(expression, 7)


@pytest.mark.parametrize(
    ("expression", "field"),
    [("5/10 * * * *", "minute"), ("0 0 * * FRI-SUN", "day-of-week"), ("0 0 L * *", "day-of-month")],
)
def test_unix_rejects(expression: str, field: str) -> None:
    with pytest.raises(CronError) as caught:
        check_unix_cron(expression, 7)
    assert caught.value.field == field


def test_huge_numbers_are_out_of_range() -> None:
    with pytest.raises(CronError, match="out of range"):
        aws_schedule_expression("9" * 5000 + " * * * *")
    with pytest.raises(CronError, match="too long for EventBridge"):
        aws_schedule_expression("0" * 300 + " * * * *")
    with pytest.raises(CronError, match="is not unix cron"):
        check_unix_cron("9" * 5000 + " * * * *", 6)


def test_cron_error_pickles() -> None:
    again = pickle.loads(pickle.dumps(CronError("minute", "minute field '99': 99 is out of range", "0-59")))
    assert (again.field, again.problem, again.expected) == (
        "minute",
        "minute field '99': 99 is out of range",
        "0-59",
    )


# ---------------------------------------------------------------------------------------------
# An independent checker of EventBridge cron(...) (AWS docs: "Cron expressions reference")
# ---------------------------------------------------------------------------------------------

# field: (number pattern, lowest, highest, names numbered from lowest)
EB_FIELDS: list[tuple[str, str, int, int, list[str]]] = [
    ("minutes", r"0?[0-9]|[1-5][0-9]", 0, 59, []),
    ("hours", r"0?[0-9]|1[0-9]|2[0-3]", 0, 23, []),
    ("day-of-month", r"0?[1-9]|[12][0-9]|3[01]", 1, 31, []),
    ("month", r"0?[1-9]|1[0-2]", 1, 12, MONTH_NAMES),
    ("day-of-week", r"[1-7]", 1, 7, DAY_NAMES),
    ("year", r"19[7-9][0-9]|2[01][0-9][0-9]", 1970, 2199, []),
]


def eventbridge_problem(expression: str) -> str | None:
    """Why EventBridge would refuse ``expression``, or None. Per the docs: minutes 0-59, hours 0-23,
    day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT, year 1970-2199; ',' '-' '*'
    everywhere, '/' everywhere but day-of-week (its increment within the field's values: AWS refuses
    '*/60'), '?' 'L' 'W' in day-of-month, '?' 'L' '#' in day-of-week, '?' in exactly one day field."""
    outer = re.fullmatch(r"cron\((\S+(?: \S+){5})\)", expression)
    if outer is None or len(expression) > 256:  # the API's limit on a ScheduleExpression
        return "not cron( six fields ) of at most 256 characters"
    fields = outer[1].split(" ")
    for text, (name, number, low, high, names) in zip(fields, EB_FIELDS, strict=True):
        if name == "day-of-month" and re.fullmatch(r"\?|L|LW|(0?[1-9]|[12][0-9]|3[01])W", text):
            continue
        if name == "day-of-week" and re.fullmatch(r"\?|[1-7]L|[1-7]#[1-5]", text):
            continue
        value = f"(?:{number}|{'|'.join(names)})" if names else f"(?:{number})"
        step = "" if name == "day-of-week" else r"(?:/(?P<step>[0-9]+))?"
        for item in text.split(","):
            if item == "*":
                continue
            match = re.fullmatch(rf"(?P<first>{value})(?:-(?P<last>{value}))?{step}", item)
            if match is None:
                return f"{name} item {item!r}"
            ends = [match["first"], match["last"] or match["first"]]
            first, last = (names.index(v) + low if v in names else int(v) for v in ends)
            if first > last:
                return f"{name} range {item!r} backwards"
            if match.groupdict().get("step") and not 1 <= int(match["step"]) <= high:
                return f"{name} step {item!r}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "'?' must be in exactly one of day-of-month and day-of-week"
    return None


def test_checker_knows_the_documented_examples() -> None:
    for good in [
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
    ]:
        assert eventbridge_problem(good) is None, good
    for good in ["cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)"]:
        assert eventbridge_problem(good) is None, good
    for bad in ["cron(0 9 * * MON *)", "cron(0 9 ? * ? *)", "cron(60 9 * * ? *)", "cron(0/60 9 * * ? *)"]:
        assert eventbridge_problem(bad) is not None, bad
    for bad in ["cron(0 9 ? * 1/2 *)", "cron(0 9 ? * 0 *)", "cron(0 9 1,L * ? *)", "cron(0 9 5-1 * ? *)"]:
        assert eventbridge_problem(bad) is not None, bad


# ---------------------------------------------------------------------------------------------
# Strategies: 5-field expressions built from the input grammar
# ---------------------------------------------------------------------------------------------


UNIX = expressions(valid=True, unix=True) | expressions(valid=False, unix=True)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@FEW
@given(expressions(valid=True))
def test_aws_takes_the_valid_grammar(expression: str) -> None:
    converted = aws_schedule_expression(expression)
    assert eventbridge_problem(converted) is None, converted


@FEW
@given(expressions(valid=False))
def test_aws_output_is_eventbridge_or_an_error(expression: str) -> None:
    try:
        converted = aws_schedule_expression(expression)
    except CronError as error:
        assert error.problem and error.expected
        return
    assert eventbridge_problem(converted) is None, converted


@FEW
@given(UNIX)
def test_cloud_scheduler_takes_what_container_apps_take(expression: str) -> None:
    try:
        check_unix_cron(expression, 6)
    except CronError:
        return
    check_unix_cron(expression, 7)


@FEW
@given(UNIX)
def test_aws_takes_unix_cron_with_a_star_day(expression: str) -> None:
    """Unix cron (Cloud Scheduler's, day-of-week 0-7) converts when a day field is '*' and steps stay
    within their field (AWS refuses '*/60')."""
    try:
        check_unix_cron(expression, 7)
    except CronError:
        return
    fields = expression.split()
    steps = [re.findall(r"/([0-9]+)", text) for text in fields]
    if "*" in (fields[2], fields[4]) and all(
        int(step) <= high for found, high in zip(steps[:4], [59, 23, 31, 12], strict=True) for step in found
    ):
        assert eventbridge_problem(aws_schedule_expression(expression)) is None


CRON_TEXT = st.text(alphabet="0123456789*/,-?#LWlw MONSUNJANfri²٣\t", max_size=40)
# Any text, from a fixed alphabet (st.text() would first build hypothesis's unicode tables, ~4 s):
# printable ASCII, controls, other spaces and digits, letters whose upper case is ASCII (long s: 'S').
ODD = "\t\n\x00\xa0\u2003\u00b2\u0663\U0001d7d8\u017f\u0131\u00df\u0130\u212a"
ANY_TEXT = st.text(alphabet="".join(map(chr, range(32, 127))) + ODD, max_size=40)


@FEW
@given(CRON_TEXT | st.lists(CRON_TEXT, min_size=5, max_size=5).map(" ".join) | ANY_TEXT)
def test_random_text_raises_only_cron_error(text: str) -> None:
    for max_weekday in (6, 7):
        with contextlib.suppress(CronError):
            check_unix_cron(text, max_weekday)
    try:
        converted = aws_schedule_expression(text)
    except CronError:
        return
    assert eventbridge_problem(converted) is None, converted


# ---------------------------------------------------------------------------------------------
# The plan-time table's Cloud Scheduler rule (tests.clouds.rules.is_unix_cron), from the docs
# ---------------------------------------------------------------------------------------------


def _sunday_as_seven(expression: str) -> str:
    """The unix generator writes day-of-week 7 as 'SUN' (0) at a range's end too: say 7 there."""
    *head, weekday = expression.split()
    return " ".join([*head, re.sub(r"-sun(?=/|,|$)", "-7", weekday, flags=re.IGNORECASE)])


UNIX_VALID = expressions(valid=True, unix=True).map(_sunday_as_seven)
#: Per field: items Cloud Scheduler's grammar does not have (out of range, backwards, a zero step,
#: Quartz's '?', 'L', 'W' and '#', a name of the other named field).
BREAKS = [
    ["60", "59-0", "*/0"],
    ["24", "23-0", "0-23/0"],
    ["0", "32", "31-1", "?", "L", "15W"],
    ["0", "13", "DEC-JAN", "MON"],
    ["8", "SAT-MON", "?", "5L", "MON#2", "JAN"],
]


@pytest.mark.parametrize(
    "expression",
    ["* * * * *", "45 23 * * 6", "0 9 * * 1", "0 */2 * * *", "0 0-23/2 1,2,5,6 * *", "0 0 * JAN-DEC SUN"],
)
def test_the_table_takes_the_documented_examples(expression: str) -> None:
    assert is_unix_cron(expression)


@FEW
@given(UNIX_VALID)
def test_the_table_takes_valid_unix_cron(expression: str) -> None:
    assert is_unix_cron(expression), expression


@FEW
@given(UNIX_VALID, st.data())
def test_the_table_refuses_invalid_unix_cron(expression: str, data: st.DataObject) -> None:
    """One item of one field replaced by (or, in a list, joined with) what the grammar lacks; or a
    field too few or too many."""
    fields = expression.split()
    index = data.draw(st.integers(0, 4), label="field")
    bad = data.draw(st.sampled_from(BREAKS[index]), label="item")
    fields[index] = bad if data.draw(st.booleans(), label="alone") else f"{fields[index]},{bad}"
    broken = data.draw(st.sampled_from([fields, fields[:4], [*fields, "2026"]]), label="fields")
    assert not is_unix_cron(" ".join(broken)), broken


@FEW
@given(UNIX)
def test_the_table_and_the_validator_agree(expression: str) -> None:
    """The table (from the Cloud Scheduler docs) and dativo_infra.clouds.cron (Cloud Scheduler's
    day-of-week 0-7) take the same drawn expressions."""
    try:
        check_unix_cron(expression, 7)
    except CronError:
        assert not is_unix_cron(expression), expression
        return
    assert is_unix_cron(expression), expression
