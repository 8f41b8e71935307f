"""The main job's progress display and report (the run itself is tested end to end in tests/e2e)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from dativo_infra.config.loader import load_job
from dativo_infra.localcloud.run import ProgressDisplay, StackRun, print_report
from dativo_infra.localcloud.tagcheck import ResourceTags

JOB = load_job(Path("jobs/acme/orders_cdc_stream.yaml"))


def test_progress_prints_one_line_per_change_when_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    run = StackRun(JOB)
    with ProgressDisplay(console) as progress:
        run.status = "deploying"
        progress(run)
        run.status, run.error = "failed", "deploy: cdktf deploy exited 1; see log\ntail"
        progress(run)
    assert out.getvalue().splitlines() == [
        "  acme-orders-cdc-stream: deploying",
        "  acme-orders-cdc-stream: failed (deploy: cdktf deploy exited 1; see log)",
    ]


def test_progress_is_a_live_table_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    run = StackRun(JOB, status="deploying")
    with ProgressDisplay(console) as progress:
        progress(run)
        snapshot = Console(file=io.StringIO(), width=120, force_terminal=False)
        snapshot.print(progress)
        text = snapshot.file.getvalue()  # type: ignore[attr-defined]
    assert "acme-orders-cdc-stream" in text and "deploying" in text and "main job" in text


def test_report_is_green_only_when_every_stack_is() -> None:
    good = StackRun(
        JOB,
        status="done",
        destroyed=True,
        tags=[ResourceTags("aws_ecs_cluster.c", "aws_ecs_cluster", True, {"a": "b"})],
    )
    console = Console(file=io.StringIO(), width=200)
    assert print_report(console, [good], []) is True
    assert "ALL GREEN" in console.file.getvalue()  # type: ignore[attr-defined]
    bad = StackRun(
        JOB,
        status="done",
        destroyed=True,
        tags=[ResourceTags("aws_ecs_cluster.c", "aws_ecs_cluster", True, missing=["team"])],
    )
    console = Console(file=io.StringIO(), width=200)
    assert print_report(console, [bad], []) is False
    assert "missing team" in console.file.getvalue()  # type: ignore[attr-defined]
