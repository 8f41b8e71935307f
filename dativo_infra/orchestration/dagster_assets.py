"""Dagster assets for the job files: one asset per job, whose materialization synthesizes the job's
stack, deploys it with the real cdktf CLI, records its outputs and renders them into the job.

* **Definitions.** :func:`build_definitions` loads every job under a directory (validated, as
  ``dativo-infra validate``) and makes one asset each: key ``[tenant_id, job_name]``, group the
  tenant, kinds ``terraform`` and the cloud, and as definition metadata the job's merged tags
  (:func:`dativo_infra.tags.merged_tags`, one JSON value), the runtime summary (provider, region,
  runtime type, mode, schedule), the stack name and the job file.
* **Materialization.** The job file is loaded again (it may have changed since the definitions were
  built), ``cdktf synth`` runs for that job only and ``cdktf deploy <stack> --outputs-file`` deploys
  it (:mod:`dativo_infra.deploy`, the functions the main job uses). The outputs become the
  materialization's metadata, one entry per output (cdktf leaves sensitive outputs out of the
  outputs file, so none is recorded); then ``dativo-infra render`` fills the job's placeholders, all
  or nothing, into a copy (default) or the job file itself (:class:`JobRenderer`).
* **Resources.** :class:`StackDeployer` says where stacks go (the cloud, or a local AWS emulator's
  endpoint) and where their state, outputs and logs live; :class:`JobRenderer` where rendered jobs
  go. Both are Dagster ``ConfigurableResource``\\ s, so a run can override them in its run config.

The module is named after what it holds, not ``dagster.py``, so that it never shadows the library.
Nothing in ``dativo_infra`` imports it: Dagster is an optional extra (``pip install '.[dagster]'``).
"""

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    ConfigurableResource,
    Definitions,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import load_jobs
from dativo_infra.config.settings import load_settings
from dativo_infra.contract import PROVIDER_OF_RUNTIME
from dativo_infra.deploy import (
    cdktf_env,
    deploy_stack,
    destroy_stack,
    render_job_file,
    require_provider,
    synth_stacks,
)
from dativo_infra.localcloud.server import FAKE_KEY
from dativo_infra.tags import merged_tags
from dativo_infra.tfcli import PROJECT_ROOT

#: Dagster names (groups) are letters, digits and underscores.
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def _absolute(path: str) -> Path:
    """A configured path: relative ones are relative to the project root (where the CLI runs)."""
    return (PROJECT_ROOT / path).resolve()


class StackDeployer(ConfigurableResource):
    """Where a job's stack is deployed, and where its synthesized files, state, outputs and logs live
    (``<workdir>/<stack>/``: ``cdktf.out/``, ``state/``, ``outputs.json``, ``logs/``). State is kept
    between materializations: materializing again updates the stack."""

    target: Literal["cloud", "local"] = Field(
        default="cloud",
        description="cloud: the provider's real API with the credentials of the environment; local: the "
        "AWS provider points at a local emulator (aws_endpoint) with fake keys",
    )
    aws_endpoint: str | None = Field(
        default=None,
        description="local target: the emulator's endpoint, e.g. http://127.0.0.1:5000. Unset: the "
        "platform settings' local_cloud.endpoint",
    )
    workdir: str = Field(
        default=".gen/dagster", description="Per-stack working directories (relative to the project root)"
    )

    def environ(self) -> dict[str, str]:
        """The variables that point the stack's provider at the target."""
        if self.target == "cloud":
            return {"DATIVO_DEPLOY_TARGET": "cloud"}
        env = {
            "DATIVO_DEPLOY_TARGET": "local",
            "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if self.aws_endpoint:
            env["DATIVO_AWS_ENDPOINT"] = self.aws_endpoint
        return env

    def stack_dir(self, stack: str) -> Path:
        return _absolute(self.workdir) / stack

    def outdir(self, stack: str) -> Path:
        return self.stack_dir(stack) / "cdktf.out"

    def outputs_file(self, stack: str) -> Path:
        return self.stack_dir(stack) / "outputs.json"

    def log(self, stack: str, step: str) -> Path:
        return self.stack_dir(stack) / "logs" / f"{step}.log"

    def env(self, job: LoadedJob, settings_file: Path) -> dict[str, str]:
        """The CLI's environment for ``job`` (only that job is synthesized)."""
        return cdktf_env(job.path.resolve(), settings_file, self.environ())

    def deploy(self, job: LoadedJob, settings_file: Path) -> dict[str, Any]:
        """Synthesize and deploy the job's stack; return its (non-sensitive) outputs."""
        stack = job.stack_name
        # before a synth whose deploy could not even install its provider
        require_provider(load_settings(settings_file), PROVIDER_OF_RUNTIME[job.config.runtime.TYPE])
        env = self.env(job, settings_file)
        synth_stacks(self.outdir(stack), env, self.log(stack, "synth"))
        return deploy_stack(
            stack, self.outdir(stack), self.outputs_file(stack), env, self.log(stack, "deploy")
        )

    def destroy(self, job: LoadedJob, settings_file: Path) -> list[str]:
        """Destroy the job's stack (deployed before by :meth:`deploy`); return what its state still
        holds (empty when everything is gone)."""
        stack = job.stack_name
        env = self.env(job, settings_file)
        return destroy_stack(stack, self.outdir(stack), env, self.log(stack, "destroy"))


class JobRenderer(ConfigurableResource):
    """Where the rendered job goes: a copy under ``out_dir`` (the job's path relative to the jobs
    directory, with the asset definition it references), or the job file itself when ``in_place``."""

    out_dir: str = Field(
        default=".gen/dagster/rendered",
        description="Directory of the rendered copies (relative to the project root); unused in place",
    )
    in_place: bool = Field(
        default=False, description="Write the outputs into the job file itself instead of a copy"
    )

    def target(self, job: LoadedJob, jobs_dir: Path) -> Path | None:
        """The rendered copy's path (None: in place)."""
        if self.in_place:
            return None
        return _absolute(self.out_dir) / job.path.resolve().relative_to(jobs_dir)

    def render(
        self, job: LoadedJob, jobs_dir: Path, outputs_file: Path, env: dict[str, str], log: Path
    ) -> Path:
        """``dativo-infra render --job``: every placeholder filled, or nothing written (raises)."""
        target = self.target(job, jobs_dir)
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_asset(job, jobs_dir, _absolute(self.out_dir))
        return render_job_file(job.path.resolve(), outputs_file, env, log, target)


def _copy_asset(job: LoadedJob, jobs_dir: Path, out_root: Path) -> None:
    """Copy the asset definition the job references (when it is under ``jobs_dir``) to the same place
    under ``out_root``, so that the rendered copy's ``asset_path`` still resolves."""
    if job.asset is None or job.config.asset_path is None:
        return
    source = (job.path.parent / job.config.asset_path).resolve()
    if source.is_relative_to(jobs_dir):
        copy = out_root / source.relative_to(jobs_dir)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)


@dataclass(frozen=True)
class JobFiles:
    """The jobs tree the assets come from."""

    jobs_dir: Path
    settings_file: Path

    def reload(self, job: LoadedJob) -> LoadedJob:
        """The job as its file says now (validated again); its stack must not have changed."""
        fresh = load_jobs([str(job.path)], settings_file=self.settings_file)[0]
        if fresh.stack_name != job.stack_name:
            raise RuntimeError(
                f"{job.file}: tenant_id/job_name changed since the definitions were loaded "
                f"(stack {job.stack_name} is now {fresh.stack_name}); reload the code location"
            )
        return fresh


def asset_key(job: LoadedJob) -> AssetKey:
    return AssetKey([job.config.tenant_id, job.config.job_name])


def group_name(job: LoadedJob) -> str:
    return _NOT_NAME.sub("_", job.config.tenant_id)


def runtime_summary(job: LoadedJob) -> dict[str, Any]:
    """Provider, region, runtime type, mode and schedule (None: not scheduled)."""
    runtime = job.config.runtime
    return {
        "provider": job.config.infrastructure.provider.value,
        "region": job.config.infrastructure.region,
        "runtime": runtime.type,
        "mode": runtime.mode,
        "schedule": getattr(runtime, "schedule", None),
    }


def output_metadata(outputs: dict[str, Any]) -> dict[str, MetadataValue]:
    """One metadata entry per output, typed by its value."""
    metadata: dict[str, MetadataValue] = {}
    for name, value in sorted(outputs.items()):
        if isinstance(value, bool):
            metadata[name] = MetadataValue.bool(value)
        elif isinstance(value, int):
            metadata[name] = MetadataValue.int(value)
        elif isinstance(value, float):
            metadata[name] = MetadataValue.float(value)
        elif isinstance(value, str) and value.startswith(("https://", "http://")):
            metadata[name] = MetadataValue.url(value)
        elif isinstance(value, str):
            metadata[name] = MetadataValue.text(value)
        else:
            metadata[name] = MetadataValue.json(value)
    return metadata


def job_asset(job: LoadedJob, files: JobFiles) -> AssetsDefinition:
    """The asset of one job file."""

    def materialize(
        context: AssetExecutionContext, deployer: StackDeployer, renderer: JobRenderer
    ) -> MaterializeResult:
        current = files.reload(job)
        stack = current.stack_name
        context.log.info(f"deploying stack {stack} ({deployer.target}) from {current.file}")
        outputs = deployer.deploy(current, files.settings_file)
        env = deployer.env(current, files.settings_file)
        rendered = renderer.render(
            current, files.jobs_dir, deployer.outputs_file(stack), env, deployer.log(stack, "render")
        )
        context.log.info(f"rendered {len(outputs)} output(s) into {rendered}")
        return MaterializeResult(
            metadata={
                **output_metadata(outputs),
                "dativo/rendered_job": MetadataValue.path(str(rendered)),
                "dativo/outputs_file": MetadataValue.path(str(deployer.outputs_file(stack))),
            }
        )

    summary = runtime_summary(job)
    definition: AssetsDefinition = asset(
        key=asset_key(job),
        group_name=group_name(job),
        description=f"Stack {job.stack_name} of {job.file}: {summary['runtime']} ({summary['mode']}) "
        f"in {summary['provider']} {summary['region']}",
        kinds={"terraform", summary["provider"]},
        metadata={
            "dativo/tags": MetadataValue.json(merged_tags(job)),
            "dativo/runtime": MetadataValue.json(summary),
            "dativo/stack": MetadataValue.text(job.stack_name),
            "dativo/job_file": MetadataValue.path(str(job.path.resolve())),
        },
    )(materialize)
    return definition


def job_assets(jobs: Sequence[LoadedJob], files: JobFiles) -> list[AssetsDefinition]:
    return [job_asset(job, files) for job in jobs]


def build_definitions(
    jobs_dir: str | Path = "jobs",
    settings_file: str | Path | None = None,
    deployer: StackDeployer | None = None,
    renderer: JobRenderer | None = None,
) -> Definitions:
    """``Definitions`` with one asset per job under ``jobs_dir`` (validated; a bad job raises the
    loader's report with every error), the platform settings from ``settings_file`` (default
    ``<jobs_dir>/platform.yaml``) and the two resources (default: deploy to the cloud, render copies)."""
    root = Path(jobs_dir).resolve()
    files = JobFiles(root, Path(settings_file).resolve() if settings_file else root / "platform.yaml")
    jobs = load_jobs([str(root)], settings_file=files.settings_file)
    return Definitions(
        assets=job_assets(jobs, files),
        resources={"deployer": deployer or StackDeployer(), "renderer": renderer or JobRenderer()},
    )


def definitions_from_env() -> Definitions:
    """The definitions ``dagster dev -m dativo_infra.orchestration.definitions`` loads:
    ``DATIVO_JOBS_DIR`` (default ``jobs``), ``DATIVO_PLATFORM_SETTINGS``, and the deployer from
    ``DATIVO_DEPLOY_TARGET`` / ``DATIVO_AWS_ENDPOINT``."""
    target = os.environ.get("DATIVO_DEPLOY_TARGET", "cloud")
    return build_definitions(
        os.environ.get("DATIVO_JOBS_DIR", "jobs"),
        os.environ.get("DATIVO_PLATFORM_SETTINGS") or None,
        StackDeployer(
            target="local" if target == "local" else "cloud",
            aws_endpoint=os.environ.get("DATIVO_AWS_ENDPOINT") or None,
        ),
    )
