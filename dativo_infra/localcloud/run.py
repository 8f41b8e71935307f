"""The main job, end to end on a laptop: synth every job, deploy the AWS ones to a local moto cloud
with the real cdktf CLI, render the outputs into a copy of the jobs, read the tags back through the
AWS APIs, destroy, stop the emulator.

Each AWS stack is deployed by its own ``cdktf deploy <stack> --skip-synth`` process (up to
``parallel`` at once), with its own outputs file and its own local state file, and with
``CDKTF_DISABLE_PLUGIN_CACHE_ENV`` so that concurrent ``terraform init`` runs never share a plugin
cache. Before the emulator starts, :func:`~dativo_infra.deploy.provider_error` checks that ``terraform init`` can install
the AWS provider version the stacks require (the settings' ``aws.provider_version``, else the bindings'):
otherwise every deploy would fail late, on an init error. This module imports no cdktf: the CLI does
the synthesizing.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import load_jobs
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.config.settings import SETTINGS_ENV, load_settings
from dativo_infra.contract import Provider
from dativo_infra.deploy import (
    cdktf_env,
    deploy_stack,
    destroy_stack,
    render_job_file,
    require_provider,
    run_command,
    synth_stacks,
)
from dativo_infra.localcloud.existing import create_existing, delete_existing, existing_resources
from dativo_infra.localcloud.loadbalancer import (
    check_load_balancer,
    expected_load_balancer,
    load_balancer_leftovers,
)
from dativo_infra.localcloud.server import MotoServer
from dativo_infra.localcloud.tagcheck import ResourceTags, check_resources, managed_resources
from dativo_infra.tags import merged_tags, render_tags


@dataclass
class StackRun:
    """What happened to one job's stack."""

    job: LoadedJob
    status: str = "pending"
    seconds: float = 0.0
    outputs: dict[str, Any] = field(default_factory=dict)
    rendered: Path | None = None
    tags: list[ResourceTags] = field(default_factory=list)
    verified_outputs: dict[str, str] = field(default_factory=dict)  # output -> what the emulator reported
    task_environment: dict[str, str] = field(default_factory=dict)  # container env as the emulator holds it
    state_machine_definition: dict[str, Any] = field(
        default_factory=dict
    )  # job mode, as the emulator holds it
    capacity_providers: list[str] = field(
        default_factory=list
    )  # of the job's cluster, as the emulator reports
    load_balancer: dict[str, Any] = field(
        default_factory=dict
    )  # a service with ingress: its ALB, listeners and target group, as the emulator reports them
    leftovers: list[str] = field(default_factory=list)  # resources still in the emulator after destroy
    destroyed: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and all(t.ok for t in self.tags) and self.destroyed and not self.leftovers


class LocalRun:
    """One run of the main job. ``workdir`` receives cdktf.out/, state/, outputs/, rendered/, logs/.
    The platform settings (``settings_file``, default ``$DATIVO_PLATFORM_SETTINGS``, else the jobs
    directory's ``platform.yaml``) are the same for loading the jobs, the synth and the checks."""

    def __init__(
        self,
        jobs_dir: Path,
        workdir: Path,
        parallel: int = 4,
        settings_file: Path | None = None,
        progress: Any = None,
    ) -> None:
        self.jobs_dir = jobs_dir.resolve()
        self.workdir = workdir.resolve()
        self.parallel = parallel
        default = (
            Path(os.environ[SETTINGS_ENV])
            if os.environ.get(SETTINGS_ENV)
            else self.jobs_dir / "platform.yaml"
        )
        self.settings_file = (settings_file or default).resolve()
        self.progress = progress
        self.outdir = self.workdir / "cdktf.out"
        self.logs = self.workdir / "logs"
        self.runs: list[StackRun] = []
        self.synth_only: list[LoadedJob] = []

    # -- steps ---------------------------------------------------------------------------------
    def env(self, cloud: MotoServer) -> dict[str, str]:
        return cdktf_env(self.jobs_dir, self.settings_file, cloud.environ())

    def synth(self, env: dict[str, str]) -> None:
        synth_stacks(self.outdir, env, self.logs / "synth.log")

    def deploy(self, run: StackRun, env: dict[str, str]) -> None:
        stack = run.job.stack_name
        outputs = self.workdir / "outputs" / f"{stack}.json"
        start = time.monotonic()
        self._status(run, "deploying")
        run.outputs = deploy_stack(stack, self.outdir, outputs, env, self.logs / f"{stack}.deploy.log")
        run.seconds = time.monotonic() - start
        self._status(run, "deployed")

    def render(self, run: StackRun, env: dict[str, str]) -> None:
        """Render the outputs into the job's file in the rendered copy of the jobs directory."""
        target = self.workdir / "rendered" / run.job.path.resolve().relative_to(self.jobs_dir)
        render_job_file(
            target,
            self.workdir / "outputs" / f"{run.job.stack_name}.json",
            env,
            self.logs / f"{run.job.stack_name}.render.log",
        )
        run.rendered = target

    def check_tags(self, run: StackRun, env: dict[str, str], cloud: MotoServer) -> None:
        stack_dir = self.outdir / "stacks" / run.job.stack_name
        state = json.loads(
            run_command(
                ["terraform", "show", "-json"], env, stack_dir, self.logs / f"{run.job.stack_name}.state.log"
            )
        )
        expected = render_tags(merged_tags(run.job, load_settings(self.settings_file)), Provider.AWS)
        clients: dict[str, Any] = {}

        def client(service: str) -> Any:
            if service not in clients:
                clients[service] = self._client(cloud, run, service)
            return clients[service]

        run.tags = check_resources(managed_resources(state), expected, client)

    def verify_outputs(self, run: StackRun, cloud: MotoServer) -> None:
        """The outputs the job uses must name resources the emulator really has; the rendered job
        must hold exactly those values and no placeholder."""
        from dativo_infra.render import check_rendered

        ecs, logs = self._client(cloud, run, "ecs"), self._client(cloud, run, "logs")
        out = run.outputs
        clusters = ecs.describe_clusters(clusters=[out["cluster_name"]])["clusters"]
        if not clusters or clusters[0]["status"] != "ACTIVE":
            raise RuntimeError(f"cluster {out['cluster_name']!r} from the outputs is not in the emulator")
        run.verified_outputs["cluster_name"] = clusters[0]["clusterArn"]
        run.capacity_providers = list(clusters[0].get("capacityProviders", []))
        task = ecs.describe_task_definition(taskDefinition=out["task_definition_arn"])["taskDefinition"]
        run.verified_outputs["task_definition_arn"] = task["taskDefinitionArn"]
        run.task_environment = {
            e["name"]: e["value"] for c in task["containerDefinitions"] for e in c.get("environment", [])
        }
        groups = logs.describe_log_groups(logGroupNamePrefix=out["log_group_name"])["logGroups"]
        if not any(g["logGroupName"] == out["log_group_name"] for g in groups):
            raise RuntimeError(f"log group {out['log_group_name']!r} from the outputs is not in the emulator")
        run.verified_outputs["log_group_name"] = out["log_group_name"]
        if run.job.config.runtime.mode == "service":
            services = ecs.describe_services(cluster=out["cluster_name"], services=[out["service_name"]])[
                "services"
            ]
            if not services:
                raise RuntimeError(f"service {out['service_name']!r} from the outputs is not in the emulator")
            run.verified_outputs["service_name"] = services[0]["serviceArn"]
            balancer = expected_load_balancer(run.job)
            if balancer is not None:  # ingress internal/external: the ALB behind service_endpoint
                run.load_balancer = check_load_balancer(
                    self._client(cloud, run, "elbv2"), balancer, out["service_endpoint"], services[0]
                )
                run.verified_outputs["service_endpoint"] = out["service_endpoint"]
        if "state_machine_arn" in out:  # job mode: runs go through the state machine
            sfn = self._client(cloud, run, "stepfunctions")
            machine = sfn.describe_state_machine(stateMachineArn=out["state_machine_arn"])
            run.verified_outputs["state_machine_arn"] = machine["stateMachineArn"]
            run.state_machine_definition = json.loads(machine["definition"])
        if "dead_letter_queue_url" in out:  # scheduled jobs: the schedule's DLQ
            sqs = self._client(cloud, run, "sqs")
            queue = sqs.get_queue_attributes(
                QueueUrl=out["dead_letter_queue_url"], AttributeNames=["QueueArn"]
            )
            if queue["Attributes"]["QueueArn"] != out["dead_letter_queue_arn"]:
                raise RuntimeError(
                    f"dead-letter queue {out['dead_letter_queue_url']!r} is not the outputs' ARN"
                )
            run.verified_outputs["dead_letter_queue_arn"] = queue["Attributes"]["QueueArn"]
        assert run.rendered is not None
        check_rendered([str(run.rendered)])  # raises an ErrorReport naming any placeholder left

    def _client(self, cloud: MotoServer, run: StackRun, service: str) -> Any:
        import boto3

        return boto3.client(service, **cloud.client_kwargs(run.job.config.infrastructure.region))

    def find_leftovers(self, run: StackRun, cloud: MotoServer) -> None:
        """After destroy: nothing the stack created may remain in the emulator (what it referenced,
        an existing cluster or role, stays: the platform owns it)."""
        ecs, iam = self._client(cloud, run, "ecs"), self._client(cloud, run, "iam")
        runtime = run.job.config.runtime
        existing = runtime.existing if isinstance(runtime, AwsFargateRuntime) else None
        name = run.outputs.get("cluster_name")
        if name and (existing is None or existing.cluster is None):
            live = ecs.describe_clusters(clusters=[name])["clusters"]
            run.leftovers += [c["clusterArn"] for c in live if c["status"] == "ACTIVE"]
        machine = run.outputs.get("state_machine_arn")
        if machine is not None:
            sfn = self._client(cloud, run, "stepfunctions")
            try:
                sfn.describe_state_machine(stateMachineArn=machine)
                run.leftovers.append(machine)
            except sfn.exceptions.StateMachineDoesNotExist:
                pass
        if run.load_balancer:
            run.leftovers += load_balancer_leftovers(self._client(cloud, run, "elbv2"), run.load_balancer)
        for key in ("task_role_arn", "execution_role_arn"):
            if existing is not None and getattr(existing, key) is not None:
                continue
            arn = run.outputs.get(key, "")
            role = arn.rsplit("/", 1)[-1]
            if role:
                try:
                    iam.get_role(RoleName=role)
                    run.leftovers.append(arn)
                except iam.exceptions.NoSuchEntityException:
                    pass

    def destroy(self, run: StackRun, env: dict[str, str]) -> None:
        stack = run.job.stack_name
        self._status(run, "destroying")
        left = destroy_stack(stack, self.outdir, env, self.logs / f"{stack}.destroy.log")
        run.destroyed = not left
        if left:
            run.error = f"destroy left {len(left)} resource(s): {', '.join(left)}"

    # -- orchestration ---------------------------------------------------------------------------
    def _status(self, run: StackRun, status: str) -> None:
        run.status = status
        if self.progress is not None:
            self.progress(run)

    def _each(self, step: str, runs: list[StackRun], func: Any, always: bool = False) -> None:
        """Run ``func`` on every stack concurrently; a failure is recorded on its stack only."""

        def guarded(run: StackRun) -> None:
            if run.error and not always:
                return
            try:
                func(run)
            except Exception as exc:  # one stack failing must not stop the others
                run.error = f"{run.error}; {step}: {exc}" if run.error else f"{step}: {exc}"
                self._status(run, "failed")

        with ThreadPoolExecutor(max_workers=max(1, self.parallel)) as pool:
            list(pool.map(guarded, runs))

    def execute(self) -> list[StackRun]:
        import boto3

        jobs = load_jobs([str(self.jobs_dir)], settings_file=self.settings_file)
        self.runs = [StackRun(j) for j in jobs if j.config.infrastructure.provider is Provider.AWS]
        self.synth_only = [j for j in jobs if j.config.infrastructure.provider is not Provider.AWS]
        if self.runs:  # before the emulator, the synth and the old run's removal
            require_provider(load_settings(self.settings_file), Provider.AWS)
        for sub in ("cdktf.out", "outputs", "rendered", "state", "logs"):
            shutil.rmtree(self.workdir / sub, ignore_errors=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.workdir / "outputs").mkdir()
        with MotoServer(log=self.logs / "moto.log") as cloud:
            cloud.warm_up([run.job.config.infrastructure.region for run in self.runs])
            # What the jobs reference instead of creating (a shared cluster, given roles) exists first.
            existing = existing_resources(run.job for run in self.runs)
            create_existing(
                existing, lambda service, region: boto3.client(service, **cloud.client_kwargs(region))
            )
            env = self.env(cloud)
            for run in self.runs:
                self._status(run, "synthesizing")
            self.synth(env)
            self._each("deploy", self.runs, lambda r: self.deploy(r, env))
            notes = cloud.diagnostics()
            for run in self.runs:
                if run.error and notes:  # what the emulator itself saw fail or stall
                    run.error += (
                        "\nthe local cloud's own notes (" + str(cloud.log) + "):\n" + "\n".join(notes)
                    )
            # The templates stay untouched: outputs go into a copy of the whole jobs tree (assets and
            # platform settings included, so the rendered jobs still validate).
            shutil.copytree(self.jobs_dir, self.workdir / "rendered")
            self._each("render", self.runs, lambda r: self.render(r, env))
            self._each("tags", self.runs, lambda r: self.check_tags(r, env, cloud))
            self._each("outputs", self.runs, lambda r: self.verify_outputs(r, cloud))
            # Destroy every stack, failed ones included (a failed deploy may have created resources).
            self._each("destroy", self.runs, lambda r: self.destroy(r, env), always=True)
            self._each("leftovers", self.runs, lambda r: self.find_leftovers(r, cloud), always=True)
            delete_existing(
                existing, lambda service, region: boto3.client(service, **cloud.client_kwargs(region))
            )
            for run in self.runs:
                if not run.error:
                    self._status(run, "done")
        return self.runs


class ProgressDisplay:
    """What each stack is doing while the main job runs: a live table with a spinner and the time
    spent in the current step on a terminal; one line per change elsewhere (CI logs, pipes).

    Used as the ``progress`` callback of :class:`LocalRun` (called from its worker threads).
    """

    DONE = frozenset({"done", "failed"})

    def __init__(self, console: Any) -> None:
        self.console = console
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[str, str, float]] = {}  # stack -> (status, first error line, since)
        self._live: Any = None

    def __enter__(self) -> ProgressDisplay:
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def __call__(self, run: StackRun) -> None:
        error = run.error.splitlines()[0] if run.error else ""
        with self._lock:
            self._rows[run.job.stack_name] = (run.status, error, time.monotonic())
        if self._live is None:
            self.console.print(
                f"  {run.job.stack_name}: {run.status}" + (f" ({error})" if error else ""),
                highlight=False,
                markup=False,
            )

    def __rich__(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table

        now = time.monotonic()
        table = Table(title=f"main job, {now - self.started:.0f} s", title_justify="left", box=None)
        for column in ("", "stack", "step", "s", "error"):
            table.add_column(column)
        with self._lock:
            rows = sorted(self._rows.items())
        for stack, (status, error, since) in rows:
            marker: Any = (
                "[green]✓[/green]"
                if status == "done"
                else ("[red]✗[/red]" if status == "failed" else Spinner("dots"))
            )
            table.add_row(marker, stack, status, "" if status in self.DONE else f"{now - since:.0f}", error)
        return table


def print_report(console: Any, runs: list[StackRun], synth_only: list[LoadedJob]) -> bool:
    """The job x resource x tags table, the synth-only list and a verdict line; True when all green."""
    from rich.table import Table

    table = Table(title="Tags read back from the local AWS cloud", show_lines=False)
    for column in ("job (stack)", "resource", "tags"):
        table.add_column(column)
    for run in runs:
        if not run.tags:
            table.add_row(run.job.stack_name, "-", "[red]not checked[/red]")
        for tags in run.tags:
            style = "green" if tags.ok and tags.taggable else ("dim" if tags.ok else "red")
            table.add_row(run.job.stack_name, tags.address, f"[{style}]{tags.summary()}[/{style}]")
    console.print(table)
    stacks = Table(title="Stacks", show_lines=False)
    for column in ("stack", "cloud", "result", "deploy s", "outputs", "rendered job"):
        stacks.add_column(column)
    for run in runs:
        first = run.error.splitlines()[0] if run.error else "tags wrong or resources left behind"
        result = "[green]deployed, rendered, tags ok, destroyed[/green]" if run.ok else f"[red]{first}[/red]"
        stacks.add_row(
            run.job.stack_name,
            "aws (local)",
            result,
            f"{run.seconds:.0f}",
            str(len(run.outputs)),
            str(
                run.rendered.relative_to(Path.cwd())
                if run.rendered and run.rendered.is_relative_to(Path.cwd())
                else run.rendered or "-"
            ),
        )
    for job in synth_only:
        stacks.add_row(
            job.stack_name,
            job.config.infrastructure.provider.value,
            "synth only (no local emulator)",
            "-",
            "-",
            "-",
        )
    console.print(stacks)
    for run in runs:
        if run.error:
            console.print(f"[red]{run.job.stack_name}[/red]: {run.error}", highlight=False, markup=False)
        if run.leftovers:
            console.print(f"{run.job.stack_name}: left behind after destroy: {', '.join(run.leftovers)}")
    ok = all(run.ok for run in runs)
    checked = sum(1 for run in runs for t in run.tags if t.taggable)
    untaggable = sum(1 for run in runs for t in run.tags if not t.taggable)
    verdict = "[green]ALL GREEN[/green]" if ok else "[red]FAILED[/red]"
    green = sum(1 for run in runs if run.ok)
    stacks_line = (
        f"{len(runs)} AWS stack(s) deployed and destroyed"
        if ok
        else f"{green} of {len(runs)} AWS stack(s) deployed, checked and destroyed"
    )
    console.print(
        f"{verdict}: {stacks_line}, {checked} taggable resource(s) checked, {untaggable} without tags "
        f"support, {len(synth_only)} stack(s) synth only"
    )
    return ok
