"""JobStack: one Terraform stack per job — provider, backend, runtime construct, tags, outputs."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from constructs import Construct

from dativo_infra.cdk import (
    Aspects,
    AzurermBackend,
    CloudBackend,
    GcsBackend,
    LocalBackend,
    NamedCloudWorkspace,
    S3Backend,
    TerraformOutput,
    TerraformStack,
)
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.provider_versions import TERRAFORM_PROVIDER
from dativo_infra.config.settings import (
    AzurermBackend as AzurermSettings,
)
from dativo_infra.config.settings import (
    GcsBackend as GcsSettings,
)
from dativo_infra.config.settings import (
    LocalBackend as LocalSettings,
)
from dativo_infra.config.settings import (
    PlatformSettings,
)
from dativo_infra.config.settings import (
    RemoteBackend as RemoteSettings,
)
from dativo_infra.config.settings import (
    S3Backend as S3Settings,
)
from dativo_infra.constructs.registry import Placement, runtime_module
from dativo_infra.contract import PROVIDER_OF_RUNTIME, exported_outputs
from dativo_infra.literal import deep_literal
from dativo_infra.stacks.tagging import TaggingAspect
from dativo_infra.tags import merged_tags, render_tags

#: Construct id of the runtime inside every stack. Part of the contract: changing it renames
#: every resource address and so replaces every cloud resource.
RUNTIME_ID = "runtime"


class JobStack(TerraformStack):
    """The stack of one job.

    * provider: the job's cloud and region (AWS: optionally the local emulator target);
    * backend: from the platform settings, with a per-job state file / key / workspace;
    * the runtime construct looked up in the registry by ``infrastructure.runtime.type``, given the
      typed runtime model and the job's placement (stack name, region, job name, environment);
    * :class:`TaggingAspect` with the merged, cloud-rendered tags, on the runtime construct (the
      only child of the stack that holds resources: the provider, backend and outputs are its
      other children);
    * one ``TerraformOutput`` per output the contract exports for this job's configuration
      (:func:`~dativo_infra.contract.exported_outputs`), named exactly as the contract says (a construct
      that returns other outputs than those is a bug, raised here).
    """

    def __init__(self, scope: Construct, job: LoadedJob, settings: PlatformSettings) -> None:
        super().__init__(scope, job.stack_name)
        self.job = job
        runtime_type = job.config.runtime.TYPE
        module = runtime_module(runtime_type)
        # Every string from the job file reaches Terraform literally (see dativo_infra.literal).
        runtime = deep_literal(job.config.runtime)
        config = job.config
        placement = Placement(
            job.stack_name, config.infrastructure.region, config.job_name, config.environment
        )
        module.configure_provider(self, placement, runtime, settings)
        provider = PROVIDER_OF_RUNTIME[runtime_type]
        pin = settings.provider_version(provider)
        # the platform's pin replaces the bindings' version (validate and synth warn on a mismatch)
        if pin is not None:
            self.add_override(f"terraform.required_providers.{TERRAFORM_PROVIDER[provider]}.version", pin)
        configure_backend(self, job.stack_name, settings)
        self.runtime = module.Runtime(self, RUNTIME_ID, runtime, placement)

        self.tags = render_tags(merged_tags(job, settings), provider)
        # On the runtime construct, which holds every resource of the stack: the stack's other
        # children (provider, backend, outputs) take no tags, and each construct an Aspect visits
        # costs a Node -> Python callback (a dozen outputs per AWS job).
        Aspects.of(self.runtime).add(TaggingAspect(deep_literal(self.tags)))

        # The output contract, checked once here for every runtime: exactly the outputs this job's
        # configuration exports (no placeholder value for an output that does not exist).
        outputs = self.runtime.outputs
        exported = exported_outputs(job.config.runtime)
        if set(outputs) != set(exported):
            mismatch = sorted(set(outputs) ^ set(exported))
            raise AssertionError(f"{runtime_type.value} outputs out of sync with the contract: {mismatch}")
        # Stack-level outputs: cdktf names an element directly under the stack by its construct id
        # alone (no path hash), so the Terraform output is exactly the contract name (the tests check
        # every name; an override_logical_id here would cost a jsii round trip per output for nothing).
        for name, description in sorted(exported.items()):
            TerraformOutput(self, name, value=outputs[name], description=description)


def configure_backend(stack: TerraformStack, stack_name: str, settings: PlatformSettings) -> Any:
    """The stack's state backend: one state per job so parallel per-job deploys never share a lock."""
    backend = settings.backend
    if isinstance(backend, LocalSettings):
        # Terraform runs in <outdir>/stacks/<stack>; state lives in <project>/<state_dir>.
        path = PurePosixPath(backend.state_dir) / f"{stack_name}.tfstate"
        if not path.is_absolute():
            path = PurePosixPath("../../..") / path
        return LocalBackend(stack, path=str(path))
    if isinstance(backend, S3Settings):
        s3 = S3Backend(
            stack,
            bucket=backend.bucket,
            key=f"{backend.key_prefix}/{stack_name}.tfstate",
            region=backend.region,
            encrypt=backend.encrypt,
            dynamodb_table=backend.dynamodb_table,
        )
        # S3-native locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no field for it yet.
        stack.add_override("terraform.backend.s3.use_lockfile", backend.dynamodb_table is None)
        return s3
    if isinstance(backend, GcsSettings):
        return GcsBackend(stack, bucket=backend.bucket, prefix=f"{backend.prefix}/{stack_name}")
    if isinstance(backend, AzurermSettings):
        return AzurermBackend(
            stack,
            resource_group_name=backend.resource_group_name,
            storage_account_name=backend.storage_account_name,
            container_name=backend.container_name,
            key=f"{backend.key_prefix}/{stack_name}.tfstate",
        )
    if isinstance(backend, RemoteSettings):
        return CloudBackend(
            stack,
            hostname=backend.hostname,
            organization=backend.organization,
            workspaces=NamedCloudWorkspace(f"{backend.workspace_prefix}{stack_name}"),
        )
    raise TypeError(f"unknown backend settings {backend!r}")  # unreachable: settings are validated
