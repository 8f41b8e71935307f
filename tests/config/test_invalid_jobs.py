"""Every invalid fixture produces exactly the positioned message(s) below (file, line, path, value)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dativo_infra.config.loader import discover, load_job, load_jobs
from dativo_infra.errors import ErrorReport

INVALID = Path("tests/fixtures/jobs/invalid")

EXPECTED: dict[str, list[str]] = {
    # --- older dialect: nothing dropped silently (issue 12) ---
    "legacy_mixed_dialects.yaml": [
        "tests/fixtures/jobs/invalid/legacy_mixed_dialects.yaml:12: infrastructure.cloud_provider: provider (line 5) and cloud_provider (line 12) both map to provider, got 'aws'; expected one of them (the canonical and the older dialect cannot be mixed in one infrastructure block)",
        "tests/fixtures/jobs/invalid/legacy_mixed_dialects.yaml:13: infrastructure.runtime_environment: runtime (line 7) and runtime_environment (line 13) both map to runtime, got a mapping; expected one of them (the canonical and the older dialect cannot be mixed in one infrastructure block)",
    ],
    "legacy_tag_twice.yaml": [
        "tests/fixtures/jobs/invalid/legacy_tag_twice.yaml:12: infrastructure.tags.JobName: job_name (line 9) and JobName (line 12) both map to tags.job_name, got 'orders_v2'; expected one of them",
        "tests/fixtures/jobs/invalid/legacy_tag_twice.yaml:13: infrastructure.tags.team: Team (line 11) and team (line 13) both map to tags.team, got 'platform'; expected one of them",
    ],
    "legacy_runtime_key_twice.yaml": [
        "tests/fixtures/jobs/invalid/legacy_runtime_key_twice.yaml:8: infrastructure.runtime_environment.type: compute_type (line 7) and type (line 8) both map to runtime.type, got 'aws_fargate'; expected one of them",
        "tests/fixtures/jobs/invalid/legacy_runtime_key_twice.yaml:10: infrastructure.runtime_environment.cpu_millicores: cpu_units (line 9) and cpu_millicores (line 10) both map to runtime.cpu_millicores, got 1000; expected one of them",
        "tests/fixtures/jobs/invalid/legacy_runtime_key_twice.yaml:12: infrastructure.runtime_environment.memory_mib: memory_mb (line 11) and memory_mib (line 12) both map to runtime.memory_mib, got 2048; expected one of them",
        "tests/fixtures/jobs/invalid/legacy_runtime_key_twice.yaml:15: infrastructure.runtime_environment.ephemeral_storage_gib: storage.ephemeral_storage_gb (line 14) and ephemeral_storage_gib (line 15) both map to runtime.ephemeral_storage_gib, got 21; expected one of them",
    ],
    "legacy_storage.yaml": [
        "tests/fixtures/jobs/invalid/legacy_storage.yaml:10: infrastructure.runtime_environment.storage.persistent_volume: no runtime mounts a persistent volume, got true; expected false, or no persistent_volume",
        "tests/fixtures/jobs/invalid/legacy_storage.yaml:11: infrastructure.runtime_environment.storage.volume_size_gb: unknown storage setting, got 'volume_size_gb'; expected ephemeral_storage_gb or persistent_volume",
    ],
    "legacy_missing_compute_type.yaml": [
        "tests/fixtures/jobs/invalid/legacy_missing_compute_type.yaml:5: infrastructure.runtime_environment.compute_type: required field missing; expected one of cloud_run, container_apps, ecs, ecs_task, fargate",
    ],
    "legacy_cloud_run_storage.yaml": [
        "tests/fixtures/jobs/invalid/legacy_cloud_run_storage.yaml:11: infrastructure.runtime.ephemeral_storage_gib: unknown field for gcp_cloud_run, got 30; expected no ephemeral_storage_gib (a field of aws_fargate only)",
    ],
    # --- end older dialect ---
    "azure_schedule_timezone.yaml": [
        "tests/fixtures/jobs/invalid/azure_schedule_timezone.yaml:11: infrastructure.runtime.schedule_timezone: Container App Job schedules run in UTC, got 'Europe/Berlin'; expected UTC (convert the cron expression)",
    ],
    "gcp_two_subnets.yaml": [
        "tests/fixtures/jobs/invalid/gcp_two_subnets.yaml:10: infrastructure.runtime.network.subnet_ids: Cloud Run takes one subnetwork, got a list; expected at most one subnetwork",
    ],
    "alias_bomb.yaml": [
        "tests/fixtures/jobs/invalid/alias_bomb.yaml:1: document expands to too many nodes through anchors/aliases, got more than 100000; expected at most 100000 nodes after alias expansion",
    ],
    "azure_bad_memory.yaml": [
        "tests/fixtures/jobs/invalid/azure_bad_memory.yaml:9: infrastructure.runtime.memory_mib: does not match cpu_millicores 500 on Container Apps, got 2048; expected 1024 (2 GiB per vCPU)",
    ],
    "bad_access.yaml": [
        "tests/fixtures/jobs/invalid/bad_access.yaml:11: infrastructure.runtime.permissions.storage[0].access: not an allowed value, got 'admin'; expected 'read', 'write' or 'read_write'",
    ],
    "bad_cron.yaml": [
        "tests/fixtures/jobs/invalid/bad_cron.yaml:8: infrastructure.runtime.schedule: not a 5-field cron expression, got 'every day at 3'; expected 'minute hour day-of-month month day-of-week', e.g. '0 3 * * *'",
    ],
    "bad_env_name.yaml": [
        "tests/fixtures/jobs/invalid/bad_env_name.yaml:9: infrastructure.runtime.env.1BAD-NAME: invalid key, got '1BAD-NAME'; expected a variable name: letters, digits and '_', not starting with a digit",
    ],
    "bad_job_name.yaml": [
        "tests/fixtures/jobs/invalid/bad_job_name.yaml:11: infrastructure.tags.job_name: not a valid job name, got 'stripe customers!'; expected 1-128 characters of letters, digits, '_', '.', '-' starting with a letter or digit",
    ],
    "bad_log_retention.yaml": [
        "tests/fixtures/jobs/invalid/bad_log_retention.yaml:8: infrastructure.runtime.log_retention_days: not a CloudWatch retention period, got 45; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
    ],
    "bad_mode.yaml": [
        "tests/fixtures/jobs/invalid/bad_mode.yaml:8: infrastructure.runtime.mode: not an allowed value, got 'daemon'; expected 'job' or 'service'",
    ],
    "bad_provider.yaml": [
        "tests/fixtures/jobs/invalid/bad_provider.yaml:4: infrastructure.provider: not an allowed value, got 'oracle'; expected 'aws', 'azure' or 'gcp'",
    ],
    "bad_region.yaml": [
        "tests/fixtures/jobs/invalid/bad_region.yaml:5: infrastructure.region: does not match the allowed form, got 'US_EAST_1'; expected a lowercase region name such as us-east-1, westeurope or europe-west1",
    ],
    "bad_tenant.yaml": [
        "tests/fixtures/jobs/invalid/bad_tenant.yaml:1: tenant_id: does not match the allowed form, got 'Acme Corp'; expected lowercase letters, digits, '_' or '-', starting with a letter or digit",
    ],
    "duplicate_key.yaml": [
        "tests/fixtures/jobs/invalid/duplicate_key.yaml:6: infrastructure.region: duplicate key, got 'region'; expected each key once per mapping (first at line 5)",
    ],
    "empty.yaml": [
        "tests/fixtures/jobs/invalid/empty.yaml:1: file is empty, got no YAML document; expected one job mapping",
    ],
    "empty_required_tag.yaml": [
        "tests/fixtures/jobs/invalid/empty_required_tag.yaml:12: infrastructure.tags.team: required tag empty, got ''; expected a non-empty string, or no such key",
    ],
    "env_secret_clash.yaml": [
        "tests/fixtures/jobs/invalid/env_secret_clash.yaml:11: infrastructure.runtime.secrets.TOKEN: variable set both in env and in secrets, got 'TOKEN'; expected each variable in env or in secrets, not both",
    ],
    "environment_mismatch.yaml": [
        "tests/fixtures/jobs/invalid/environment_mismatch.yaml:14: infrastructure.tags.environment: tag environment differs from the job's environment, got 'dev'; expected 'prod'",
    ],
    "fargate_bad_cpu.yaml": [
        "tests/fixtures/jobs/invalid/fargate_bad_cpu.yaml:8: infrastructure.runtime.cpu_millicores: not a Fargate task size, got 300; expected one of 250, 500, 1000, 2000, 4000, 8000, 16000",
    ],
    "fargate_bad_memory.yaml": [
        "tests/fixtures/jobs/invalid/fargate_bad_memory.yaml:9: infrastructure.runtime.memory_mib: not valid with cpu_millicores 250 on Fargate, got 4096; expected 512 to 2048 in steps of 512",
    ],
    "field_wrong_runtime.yaml": [
        "tests/fixtures/jobs/invalid/field_wrong_runtime.yaml:8: infrastructure.runtime.project_id: unknown field for aws_fargate, got 'my-project-123'; expected no project_id (a field of gcp_cloud_run only)",
    ],
    "gcp_missing_project.yaml": [
        "tests/fixtures/jobs/invalid/gcp_missing_project.yaml:6: infrastructure.runtime.project_id: required field missing; expected a GCP project id such as 'acme-data-prod' (or gcp.project_id in the platform settings for every GCP job)",
    ],
    "invalid_yaml.yaml": [
        "tests/fixtures/jobs/invalid/invalid_yaml.yaml:6: invalid YAML: did not find expected ',' or ']'",
    ],
    "legacy_gke.yaml": [
        "tests/fixtures/jobs/invalid/legacy_gke.yaml:6: infrastructure.runtime_environment.compute_type: compute type not supported yet, got 'gke_pod'; expected one of cloud_run, container_apps, ecs, ecs_task, fargate",
    ],
    "legacy_lambda.yaml": [
        "tests/fixtures/jobs/invalid/legacy_lambda.yaml:6: infrastructure.runtime_environment.compute_type: compute type not supported yet, got 'lambda'; expected one of cloud_run, container_apps, ecs, ecs_task, fargate",
    ],
    "missing_infrastructure.yaml": [
        "tests/fixtures/jobs/invalid/missing_infrastructure.yaml:1: infrastructure: required field missing; expected the infrastructure block",
    ],
    "missing_region.yaml": [
        "tests/fixtures/jobs/invalid/missing_region.yaml:3: infrastructure.region: required field missing; expected a cloud region, e.g. us-east-1",
    ],
    "missing_required_tag.yaml": [
        "tests/fixtures/jobs/invalid/missing_required_tag.yaml:10: infrastructure.tags.cost_center: required tag missing; expected one of: infrastructure.tags.cost_center; the job's finops.cost_center; the asset definition's finops.cost_center (the job names no asset_path); default_tags.cost_center in the platform settings",
    ],
    "missing_runtime_type.yaml": [
        "tests/fixtures/jobs/invalid/missing_runtime_type.yaml:6: infrastructure.runtime.type: required field missing; expected aws_fargate | azure_container_apps | gcp_cloud_run",
    ],
    "multiple_errors.yaml": [
        "tests/fixtures/jobs/invalid/multiple_errors.yaml:1: tenant_id: must not be empty, got ''; expected at least 1 character(s)",
        "tests/fixtures/jobs/invalid/multiple_errors.yaml:4: infrastructure.provider: not an allowed value, got 'oracle'; expected 'aws', 'azure' or 'gcp'",
        "tests/fixtures/jobs/invalid/multiple_errors.yaml:10: infrastructure.tags.cost_center: required tag missing; expected one of: infrastructure.tags.cost_center; the job's finops.cost_center; the asset definition's finops.cost_center (the job names no asset_path); default_tags.cost_center in the platform settings",
    ],
    "not_a_mapping.yaml": [
        "tests/fixtures/jobs/invalid/not_a_mapping.yaml:1: document is not a mapping, got a list; expected a mapping with tenant_id, environment and infrastructure",
    ],
    "not_a_placeholder.yaml": [
        "tests/fixtures/jobs/invalid/not_a_placeholder.yaml:9: infrastructure.resource_identifiers.cluster_name: not a terraform_outputs placeholder, got 'my-cluster'; expected '{{terraform_outputs.<name>}}'",
    ],
    "scaling_bounds.yaml": [
        "tests/fixtures/jobs/invalid/scaling_bounds.yaml:10: infrastructure.runtime.scaling.min_replicas: min_replicas is larger than max_replicas, got 3; expected at most max_replicas (2)",
    ],
    "schedule_on_service.yaml": [
        "tests/fixtures/jobs/invalid/schedule_on_service.yaml:9: infrastructure.runtime.schedule: applies to mode job only, got '0 3 * * *'; expected no schedule in mode service",
    ],
    "tag_not_string.yaml": [
        "tests/fixtures/jobs/invalid/tag_not_string.yaml:15: infrastructure.tags.cost_center: must be a string, got 1001; expected a string (quote numbers, dates and booleans)",
    ],
    "timeout_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/timeout_out_of_range.yaml:9: infrastructure.runtime.timeout_seconds: out of range, got 10; expected at least 60",
    ],
    "too_large.yaml": [
        "tests/fixtures/jobs/invalid/too_large.yaml: file is too large, got 1144351 bytes; expected at most 1048576 bytes",
    ],
    "two_documents.yaml": [
        "tests/fixtures/jobs/invalid/two_documents.yaml:17: more than one YAML document, got 2 documents; expected one job per file",
    ],
    "unknown_infra_field.yaml": [
        "tests/fixtures/jobs/invalid/unknown_infra_field.yaml:6: infrastructure.regoin: unknown field, got 'us-east-2'; expected one of provider, region, resource_identifiers, runtime, tags, terraform",
    ],
    "unknown_output.yaml": [
        "tests/fixtures/jobs/invalid/unknown_output.yaml:9: infrastructure.resource_identifiers.cluster_name: output 'ingress_url' is not exported by aws_fargate, got '{{terraform_outputs.ingress_url}}'; expected one of cluster_arn, cluster_name, execution_role_arn, log_group_name, security_group_id, service_endpoint, service_name, state_machine_arn, task_definition_arn, task_role_arn",
    ],
    "two_bad_identifiers.yaml": [
        "tests/fixtures/jobs/invalid/two_bad_identifiers.yaml:10: infrastructure.resource_identifiers.cluster_name: not a terraform_outputs placeholder, got 'my-cluster'; expected '{{terraform_outputs.<name>}}'",
        "tests/fixtures/jobs/invalid/two_bad_identifiers.yaml:11: infrastructure.resource_identifiers.log_group_name: not a terraform_outputs placeholder, got '{{terraform_output.log_group_name}}'; expected '{{terraform_outputs.<name>}}'",
    ],
    "two_unknown_outputs.yaml": [
        "tests/fixtures/jobs/invalid/two_unknown_outputs.yaml:10: infrastructure.resource_identifiers.url: output 'ingress_url' is not exported by aws_fargate, got '{{terraform_outputs.ingress_url}}'; expected one of cluster_arn, cluster_name, execution_role_arn, log_group_name, security_group_id, service_endpoint, service_name, state_machine_arn, task_definition_arn, task_role_arn",
        "tests/fixtures/jobs/invalid/two_unknown_outputs.yaml:12: infrastructure.resource_identifiers.account: output 'service_account_email' is not exported by aws_fargate, got '{{ terraform_outputs.service_account_email }}'; expected one of cluster_arn, cluster_name, execution_role_arn, log_group_name, security_group_id, service_endpoint, service_name, state_machine_arn, task_definition_arn, task_role_arn",
    ],
    "aws_dead_letter_queue_unscheduled.yaml": [
        "tests/fixtures/jobs/invalid/aws_dead_letter_queue_unscheduled.yaml:10: infrastructure.resource_identifiers.queue: output 'dead_letter_queue_url' is not exported by this job: aws_fargate exports it only in job mode with a schedule, got '{{terraform_outputs.dead_letter_queue_url}}'; expected one of cluster_arn, cluster_name, execution_role_arn, log_group_name, security_group_id, service_endpoint, service_name, state_machine_arn, task_definition_arn, task_role_arn",
    ],
    "aws_outputs_not_exported.yaml": [
        "tests/fixtures/jobs/invalid/aws_outputs_not_exported.yaml:13: infrastructure.resource_identifiers.endpoint: output 'service_endpoint' is not exported by this job: aws_fargate exports it only in job mode, or in service mode with ingress internal or external, got '{{terraform_outputs.service_endpoint}}'; expected one of cluster_arn, cluster_name, execution_role_arn, log_group_name, security_group_id, service_name, task_definition_arn, task_role_arn",
        "tests/fixtures/jobs/invalid/aws_outputs_not_exported.yaml:14: infrastructure.resource_identifiers.machine: output 'state_machine_arn' is not exported by this job: aws_fargate exports it only in job mode, got '{{terraform_outputs.state_machine_arn}}'; expected one of cluster_arn, cluster_name, execution_role_arn, log_group_name, security_group_id, service_name, task_definition_arn, task_role_arn",
        "tests/fixtures/jobs/invalid/aws_outputs_not_exported.yaml:15: infrastructure.resource_identifiers.schedule: output 'schedule_name' is not exported by this job: aws_fargate exports it only in job mode with a schedule, got '{{terraform_outputs.schedule_name}}'; expected one of cluster_arn, cluster_name, execution_role_arn, log_group_name, security_group_id, service_name, task_definition_arn, task_role_arn",
    ],
    "azure_ingress_url_without_ingress.yaml": [
        "tests/fixtures/jobs/invalid/azure_ingress_url_without_ingress.yaml:12: infrastructure.resource_identifiers.url: output 'ingress_url' is not exported by this job: azure_container_apps exports it only in service mode with ingress internal or external, got '{{terraform_outputs.ingress_url}}'; expected one of container_app_name, environment_name, log_analytics_workspace_id, managed_identity_client_id, managed_identity_id, resource_group_name",
        "tests/fixtures/jobs/invalid/azure_ingress_url_without_ingress.yaml:14: infrastructure.resource_identifiers.cluster: output 'cluster_name' is not exported by azure_container_apps, got '{{terraform_outputs.cluster_name}}'; expected one of container_app_name, environment_name, log_analytics_workspace_id, managed_identity_client_id, managed_identity_id, resource_group_name",
    ],
    "azure_outputs_not_exported.yaml": [
        "tests/fixtures/jobs/invalid/azure_outputs_not_exported.yaml:12: infrastructure.resource_identifiers.url: output 'ingress_url' is not exported by this job: azure_container_apps exports it only in service mode with ingress internal or external, got '{{terraform_outputs.ingress_url}}'; expected one of container_app_name, environment_name, managed_identity_client_id, managed_identity_id, resource_group_name",
        "tests/fixtures/jobs/invalid/azure_outputs_not_exported.yaml:13: infrastructure.resource_identifiers.workspace: output 'log_analytics_workspace_id' is not exported by this job: azure_container_apps exports it only with its own environment (no environment_id), got '{{terraform_outputs.log_analytics_workspace_id}}'; expected one of container_app_name, environment_name, managed_identity_client_id, managed_identity_id, resource_group_name",
    ],
    "gcp_outputs_not_exported.yaml": [
        "tests/fixtures/jobs/invalid/gcp_outputs_not_exported.yaml:12: infrastructure.resource_identifiers.url: output 'service_url' is not exported by this job: gcp_cloud_run exports it only in service mode, got '{{terraform_outputs.service_url}}'; expected one of project_id, region, service_account_email, service_name",
        "tests/fixtures/jobs/invalid/gcp_outputs_not_exported.yaml:13: infrastructure.resource_identifiers.scheduler: output 'scheduler_job_name' is not exported by this job: gcp_cloud_run exports it only in job mode with a schedule, got '{{ terraform_outputs.scheduler_job_name }}'; expected one of project_id, region, service_account_email, service_name",
        "tests/fixtures/jobs/invalid/gcp_outputs_not_exported.yaml:14: infrastructure.resource_identifiers.bucket: output 'bucket_name' is not exported by gcp_cloud_run, got '{{terraform_outputs.bucket_name}}'; expected one of project_id, region, service_account_email, service_name",
    ],
    "unknown_runtime.yaml": [
        "tests/fixtures/jobs/invalid/unknown_runtime.yaml:7: infrastructure.runtime.type: not an allowed value, got 'aws_batch'; expected 'aws_fargate', 'azure_container_apps' or 'gcp_cloud_run'",
    ],
    "azure_bad_environment_id.yaml": [
        "tests/fixtures/jobs/invalid/azure_bad_environment_id.yaml:10: infrastructure.runtime.environment_id: not a Container Apps environment resource id (it ends '...s/Microsoft.App/containerApps/shared-cae'), got '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/prov...; expected /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.App/managedEnvironments/<name>",
    ],
    "azure_environment_with_subnet.yaml": [
        "tests/fixtures/jobs/invalid/azure_environment_with_subnet.yaml:12: infrastructure.runtime.network.subnet_ids: the network of an existing environment is fixed, got a list; expected no subnet_ids with environment_id",
    ],
    "azure_environment_with_log_retention.yaml": [
        "tests/fixtures/jobs/invalid/azure_environment_with_log_retention.yaml:11: infrastructure.runtime.log_retention_days: an existing environment logs to its own workspace, got 90; expected no log_retention_days with environment_id",
    ],
    "azure_client_id_reserved.yaml": [
        "tests/fixtures/jobs/invalid/azure_client_id_reserved.yaml:11: infrastructure.runtime.env.AZURE_CLIENT_ID: reserved: the platform sets it to the client id of the job identity, got 'AZURE_CLIENT_ID'; expected no AZURE_CLIENT_ID in env or secrets",
    ],
    "azure_bad_secret_url.yaml": [
        "tests/fixtures/jobs/invalid/azure_bad_secret_url.yaml:11: infrastructure.runtime.secrets.API_TOKEN: not a Key Vault secret URL, got 'https://jobs-kv.vault.azure.net/keys/api-token'; expected https://<vault>.vault.azure.net/secrets/<name>[/<32-hex version>]",
    ],
    "azure_secret_vault_not_listed.yaml": [
        "tests/fixtures/jobs/invalid/azure_secret_vault_not_listed.yaml:11: infrastructure.runtime.secrets.API_TOKEN: Key Vault 'jobs-kv' is not in permissions.secrets, got 'https://jobs-kv.vault.azure.net/secrets/api-token'; expected its resource id (/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/jobs-kv) in permissions.secrets (or permissions.vault_wide)",
    ],
    "azure_bad_vault_id.yaml": [
        "tests/fixtures/jobs/invalid/azure_bad_vault_id.yaml:11: infrastructure.runtime.permissions.secrets[0]: not a Key Vault resource id, got 'https://jobs-kv.vault.azure.net/'; expected /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>",
    ],
    "azure_bad_storage_id.yaml": [
        "tests/fixtures/jobs/invalid/azure_bad_storage_id.yaml:12: infrastructure.runtime.permissions.storage[0].bucket: not a storage account resource id, got 'lakeread'; expected /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<account>[/blobServices/default/containers/<container>]",
    ],
    "azure_environment_settings_without_subnet.yaml": [
        "tests/fixtures/jobs/invalid/azure_environment_settings_without_subnet.yaml:8: infrastructure.runtime.zone_redundant: applies only to an environment the job creates in its own subnet (without one the environment is external and not zone redundant), got true; expected network.subnet_ids (one subnet id), or no zone_redundant",
        "tests/fixtures/jobs/invalid/azure_environment_settings_without_subnet.yaml:10: infrastructure.runtime.network.external_environment: applies only to an environment the job creates in its own subnet (without one the environment is external and not zone redundant), got false; expected network.subnet_ids (one subnet id), or no external_environment",
    ],
    "azure_allowed_cidrs_internal_ingress.yaml": [
        "tests/fixtures/jobs/invalid/azure_allowed_cidrs_internal_ingress.yaml:10: infrastructure.runtime.ingress_allowed_cidrs: restricts external ingress only (ingress is internal), got a list; expected ingress external, or no ingress_allowed_cidrs",
        "tests/fixtures/jobs/invalid/azure_allowed_cidrs_internal_ingress.yaml:12: infrastructure.runtime.ingress_allowed_cidrs[1]: host bits set: the network is 10.0.0.0/8, got '10.0.0.1/8'; expected an IPv4 network in CIDR notation, e.g. 203.0.113.0/24 (a single address: /32), not 0.0.0.0/0",
        "tests/fixtures/jobs/invalid/azure_allowed_cidrs_internal_ingress.yaml:13: infrastructure.runtime.ingress_allowed_cidrs[2]: allows every source: no restriction, got '0.0.0.0/0'; expected an IPv4 network in CIDR notation, e.g. 203.0.113.0/24 (a single address: /32), not 0.0.0.0/0",
        "tests/fixtures/jobs/invalid/azure_allowed_cidrs_internal_ingress.yaml:14: infrastructure.runtime.ingress_allowed_cidrs[3]: an IPv6 CIDR block: Container Apps IP restrictions take IPv4, got '2001:db8::/32'; expected an IPv4 network in CIDR notation, e.g. 203.0.113.0/24 (a single address: /32), not 0.0.0.0/0",
        "tests/fixtures/jobs/invalid/azure_allowed_cidrs_internal_ingress.yaml:15: infrastructure.runtime.ingress_allowed_cidrs[4]: listed twice, got '10.1.0.0/16'; expected each network once",
        "tests/fixtures/jobs/invalid/azure_allowed_cidrs_internal_ingress.yaml:16: infrastructure.runtime.ingress_allowed_cidrs[5]: not a CIDR block (no prefix length, e.g. /32), got 'office'; expected an IPv4 network in CIDR notation, e.g. 203.0.113.0/24 (a single address: /32), not 0.0.0.0/0",
    ],
    "azure_allowed_cidrs_job_mode.yaml": [
        "tests/fixtures/jobs/invalid/azure_allowed_cidrs_job_mode.yaml:8: infrastructure.runtime.ingress_allowed_cidrs: applies to mode service only, got a list; expected no ingress_allowed_cidrs in mode job",
    ],
    "azure_quartz_cron.yaml": [
        "tests/fixtures/jobs/invalid/azure_quartz_cron.yaml:10: infrastructure.runtime.schedule: day-of-month field '?' is not unix cron, got '0 3 ? * MON-FRI'; expected 1-31, with '*', ',', '-' and '/' (steps on '*' or a range); Quartz '?', 'L', 'W' and '#' are AWS-only",
    ],
    "azure_bad_registry_id.yaml": [
        "tests/fixtures/jobs/invalid/azure_bad_registry_id.yaml:11: infrastructure.runtime.registry_id: not a container registry resource id (it ends '...ders/Microsoft.ContainerRegistry/acmeacr'), got '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/prov...; expected /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>",
    ],
    "azure_registry_mismatch.yaml": [
        "tests/fixtures/jobs/invalid/azure_registry_mismatch.yaml:11: infrastructure.runtime.registry_id: the image is not pulled from this registry (it ends '...oft.ContainerRegistry/registries/acmeacr'), got '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/prov...; expected image on acmeacr.azurecr.io, or no registry_id",
    ],
    "azure_probes_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:11: infrastructure.runtime.probes.liveness.path: not a request path, got 'healthz'; expected a request path starting with '/', e.g. /healthz (printable ASCII, no spaces, no ${ or %{)",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:12: infrastructure.runtime.probes.liveness.interval_seconds: outside the Container Apps probe range (interval_seconds), got 0; expected 1 to 240",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:13: infrastructure.runtime.probes.liveness.timeout_seconds: outside the Container Apps probe range (timeout), got 241; expected 1 to 240",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:14: infrastructure.runtime.probes.liveness.failure_threshold: outside the Container Apps probe range (failure_count_threshold), got 31; expected 1 to 30",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:15: infrastructure.runtime.probes.liveness.initial_delay_seconds: outside the Container Apps probe range (initial_delay), got 61; expected 0 to 60",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:16: infrastructure.runtime.probes.liveness.success_threshold: applies to a readiness probe only, got 2; expected no success_threshold in liveness",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:18: infrastructure.runtime.probes.readiness.path: a Terraform template sequence ('${' or '%{') is not a path, got '/${var.x}'; expected a request path starting with '/', e.g. /healthz (printable ASCII, no spaces, no ${ or %{)",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:19: infrastructure.runtime.probes.readiness.port: not a port, got 70000; expected 1 to 65535",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:20: infrastructure.runtime.probes.readiness.success_threshold: outside the Container Apps probe range (success_count_threshold), got 11; expected 1 to 10",
        "tests/fixtures/jobs/invalid/azure_probes_out_of_range.yaml:23: infrastructure.runtime.probes.startup.path: a tcp probe has no path, got '/started'; expected transport http or https, or no path",
    ],
    "azure_probes_job_mode.yaml": [
        "tests/fixtures/jobs/invalid/azure_probes_job_mode.yaml:8: infrastructure.runtime.probes: applies to mode service only, got a mapping; expected no probes in mode job",
    ],
    "azure_existing_identity_with_grants.yaml": [
        "tests/fixtures/jobs/invalid/azure_existing_identity_with_grants.yaml:10: infrastructure.runtime.registry_id: the stack grants roles only to an identity it creates (existing_identity_id is given), got '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/prov...; expected grant AcrPull on the registry to the identity where it is managed, or drop registry_id",
        "tests/fixtures/jobs/invalid/azure_existing_identity_with_grants.yaml:12: infrastructure.runtime.permissions.storage: the stack grants roles only to an identity it creates (existing_identity_id is given), got a list; expected grant storage roles to the identity where it is managed, or drop permissions.storage",
        "tests/fixtures/jobs/invalid/azure_existing_identity_with_grants.yaml:14: infrastructure.runtime.permissions.secrets: the stack grants roles only to an identity it creates (existing_identity_id is given), got a list; expected grant Key Vault Secrets User to the identity where it is managed, or drop permissions.secrets",
    ],
    "azure_bad_identity_id.yaml": [
        "tests/fixtures/jobs/invalid/azure_bad_identity_id.yaml:8: infrastructure.runtime.existing_identity_id: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/prov...; expected /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
    ],
    "gcp_bucket_url.yaml": [
        "tests/fixtures/jobs/invalid/gcp_bucket_url.yaml:11: infrastructure.runtime.permissions.storage[0].bucket: not a bare bucket name, got 'gs://initech-landing/raw'; expected a bucket name such as 'acme-raw' (3-63 of a-z 0-9 - _ ., no gs://, no /)",
    ],
    "gcp_cron_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/gcp_cron_out_of_range.yaml:9: infrastructure.runtime.schedule: hour field '24' is not unix cron, got '0 24 * * *'; expected 0-23, with '*', ',', '-' and '/' (steps on '*' or a range)",
    ],
    "gcp_bad_timezone.yaml": [
        "tests/fixtures/jobs/invalid/gcp_bad_timezone.yaml:10: infrastructure.runtime.schedule_timezone: not an IANA time zone, got 'Europe/Berln'; expected a tz database name such as 'UTC', 'Europe/Berlin' or 'America/New_York'",
    ],
    "gcp_service_timeout.yaml": [
        "tests/fixtures/jobs/invalid/gcp_service_timeout.yaml:10: infrastructure.runtime.timeout_seconds: longer than a Cloud Run service request may take, got 7200; expected at most 3600 for mode service (mode job runs up to 86400)",
    ],
    "gcp_bad_invokers.yaml": [
        "tests/fixtures/jobs/invalid/gcp_bad_invokers.yaml:13: infrastructure.runtime.invokers[1]: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got '*'; expected an IAM member: user:<email>, serviceAccount:<email>, group:<email>, domain:<domain>, principal://iam.googleapis.com/... or principalSet://... (no wildcard), allUsers or allAuthenticatedUsers",
        "tests/fixtures/jobs/invalid/gcp_bad_invokers.yaml:14: infrastructure.runtime.invokers[2]: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got 'user:${var.who}'; expected an IAM member: user:<email>, serviceAccount:<email>, group:<email>, domain:<domain>, principal://iam.googleapis.com/... or principalSet://... (no wildcard), allUsers or allAuthenticatedUsers",
        "tests/fixtures/jobs/invalid/gcp_bad_invokers.yaml:15: infrastructure.runtime.invokers[3]: not an IAM member, got 'alice@acme.example'; expected an IAM member: user:<email>, serviceAccount:<email>, group:<email>, domain:<domain>, principal://iam.googleapis.com/... or principalSet://... (no wildcard), allUsers or allAuthenticatedUsers",
        "tests/fixtures/jobs/invalid/gcp_bad_invokers.yaml:16: infrastructure.runtime.invokers[4]: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got 'principalSet://iam.googleapis.com/locations/global/workforcePools/staff/*'; expected an IAM member: user:<email>, serviceAccount:<email>, group:<email>, domain:<domain>, principal://iam.googleapis.com/... or principalSet://... (no wildcard), allUsers or allAuthenticatedUsers",
        "tests/fixtures/jobs/invalid/gcp_bad_invokers.yaml:17: infrastructure.runtime.invokers[5]: listed twice, got 'user:ops@acme.example'; expected each member once",
    ],
    "gcp_invokers_job_mode.yaml": [
        "tests/fixtures/jobs/invalid/gcp_invokers_job_mode.yaml:10: infrastructure.runtime.invokers: applies to mode service only, got a list; expected no invokers in mode job",
    ],
    "gcp_bad_prefixes.yaml": [
        "tests/fixtures/jobs/invalid/gcp_bad_prefixes.yaml:12: infrastructure.runtime.permissions.storage[0].prefix: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got 'raw/*'; expected an object name prefix such as 'raw/orders/' (no leading '/', no '*', '?', '${', quote, backslash or control character; at most 1024 bytes)",
        "tests/fixtures/jobs/invalid/gcp_bad_prefixes.yaml:14: infrastructure.runtime.permissions.storage[1].prefix: holds a quote, backslash or control character, got 'raw/\") || true || (\"'; expected an object name prefix such as 'raw/orders/' (no leading '/', no '*', '?', '${', quote, backslash or control character; at most 1024 bytes)",
        "tests/fixtures/jobs/invalid/gcp_bad_prefixes.yaml:16: infrastructure.runtime.permissions.storage[2].prefix: an object prefix does not start with '/' (gs://b/a/ is the prefix 'a/'), got '/raw/'; expected an object name prefix such as 'raw/orders/' (no leading '/', no '*', '?', '${', quote, backslash or control character; at most 1024 bytes)",
        "tests/fixtures/jobs/invalid/gcp_bad_prefixes.yaml:18: infrastructure.runtime.permissions.storage[3].prefix: holds a quote, backslash or control character, got 'raw\\\\x'; expected an object name prefix such as 'raw/orders/' (no leading '/', no '*', '?', '${', quote, backslash or control character; at most 1024 bytes)",
    ],
    "gcp_bad_schedule_retry.yaml": [
        "tests/fixtures/jobs/invalid/gcp_bad_schedule_retry.yaml:11: infrastructure.runtime.schedule_retry.retry_count: out of range, got 6; expected at most 5",
        "tests/fixtures/jobs/invalid/gcp_bad_schedule_retry.yaml:14: infrastructure.runtime.schedule_retry.max_doublings: out of range, got -1; expected at least 0",
        "tests/fixtures/jobs/invalid/gcp_bad_schedule_retry.yaml:15: infrastructure.runtime.schedule_attempt_deadline_seconds: out of range, got 3600; expected at most 1800",
    ],
    "gcp_schedule_retry_unscheduled.yaml": [
        "tests/fixtures/jobs/invalid/gcp_schedule_retry_unscheduled.yaml:9: infrastructure.runtime.schedule_retry: applies to a scheduled job only, got a mapping; expected a schedule, or no schedule_retry",
        "tests/fixtures/jobs/invalid/gcp_schedule_retry_unscheduled.yaml:11: infrastructure.runtime.schedule_retry.min_backoff_seconds: longer than max_backoff_seconds, got 600; expected at most max_backoff_seconds (60)",
        "tests/fixtures/jobs/invalid/gcp_schedule_retry_unscheduled.yaml:13: infrastructure.runtime.schedule_attempt_deadline_seconds: applies to a scheduled job only, got 60; expected a schedule, or no schedule_attempt_deadline_seconds",
    ],
    "gcp_schedule_retry_service.yaml": [
        "tests/fixtures/jobs/invalid/gcp_schedule_retry_service.yaml:10: infrastructure.runtime.schedule_retry: applies to mode job only, got a mapping; expected no schedule_retry in mode service",
        "tests/fixtures/jobs/invalid/gcp_schedule_retry_service.yaml:12: infrastructure.runtime.schedule_attempt_deadline_seconds: applies to mode job only, got 60; expected no schedule_attempt_deadline_seconds in mode service",
    ],
    "gcp_environment_id.yaml": [
        "tests/fixtures/jobs/invalid/gcp_environment_id.yaml:9: infrastructure.runtime.environment_id: unknown field for gcp_cloud_run, got '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/prov...; expected no environment_id (a field of azure_container_apps only)",
    ],
    "unsupported_pair.yaml": [
        "tests/fixtures/jobs/invalid/unsupported_pair.yaml:7: infrastructure.runtime.type: runtime does not run on this provider, got 'gcp_cloud_run'; expected aws_fargate for provider aws",
    ],
    "aws_cron_both_day_fields.yaml": [
        "tests/fixtures/jobs/invalid/aws_cron_both_day_fields.yaml:8: infrastructure.runtime.schedule: restricts both day-of-month and day-of-week (unix cron runs on a day matching either; EventBridge cannot say that), got '0 3 1 * MON'; expected '*' in one of the two day fields, e.g. '0 3 1 * *' or '0 3 * * MON'",
    ],
    "aws_cron_minute_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/aws_cron_minute_out_of_range.yaml:8: infrastructure.runtime.schedule: minute field '99': 99 is out of range, got '99 3 * * *'; expected 0-59, with '*', ',', '-' and '/' (steps up to 59)",
    ],
    "aws_cron_bad_nth_weekday.yaml": [
        "tests/fixtures/jobs/invalid/aws_cron_bad_nth_weekday.yaml:8: infrastructure.runtime.schedule: day-of-week field 'MON#6': '#' takes a day and a week 1-5, e.g. 'MON#2' (the second Monday), got '0 3 * * MON#6'; expected 0-7 or SUN-SAT (0 and 7 are Sunday), with '*', ',', '-' and '/'; or alone: '?', '<day>L' (the last <day> of the month, e.g. 'FRIL') or '<day>#<1-5>' (the nth <day> of the month, e.g. 'MON#2')",
    ],
    "aws_cron_day_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/aws_cron_day_out_of_range.yaml:8: infrastructure.runtime.schedule: day-of-month field '32': 32 is out of range, got '0 3 32 * ?'; expected 1-31, with '*', ',', '-' and '/' (steps up to 31); or alone: '?', 'L' (last day), 'LW' (last weekday) or '<1-31>W' (the weekday nearest that day)",
    ],
    "aws_timeout.yaml": [
        "tests/fixtures/jobs/invalid/aws_timeout.yaml:9: infrastructure.runtime.timeout_seconds: applies to mode job only, got 1800; expected no timeout_seconds in mode service",
    ],
    "aws_timeout_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/aws_timeout_out_of_range.yaml:8: infrastructure.runtime.timeout_seconds: out of range, got 90000; expected at most 86400",
    ],
    "aws_spot_arm64.yaml": [
        "tests/fixtures/jobs/invalid/aws_spot_arm64.yaml:9: infrastructure.runtime.capacity: Fargate Spot does not run arm64 tasks (Linux x86_64 only), got 'spot'; expected capacity on_demand with cpu_architecture arm64, or cpu_architecture x86_64 with capacity spot",
    ],
    "aws_capacity_unknown.yaml": [
        "tests/fixtures/jobs/invalid/aws_capacity_unknown.yaml:8: infrastructure.runtime.capacity: not an allowed value, got 'reserved'; expected 'on_demand' or 'spot'",
    ],
    "aws_retries_without_schedule.yaml": [
        "tests/fixtures/jobs/invalid/aws_retries_without_schedule.yaml:8: infrastructure.runtime.retries: applies to scheduled AWS jobs only (EventBridge Scheduler starts their runs), got 2; expected a schedule, or no retries (whoever starts the state machine on demand retries a failed start)",
        "tests/fixtures/jobs/invalid/aws_retries_without_schedule.yaml:9: infrastructure.runtime.retry_max_event_age_seconds: applies to scheduled AWS jobs only (EventBridge Scheduler starts their runs), got 600; expected a schedule, or no retry_max_event_age_seconds (whoever starts the state machine on demand retries a failed start)",
    ],
    "aws_event_age_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/aws_event_age_out_of_range.yaml:9: infrastructure.runtime.retry_max_event_age_seconds: out of range, got 172800; expected at most 86400",
    ],
    "aws_external_ingress.yaml": [
        "tests/fixtures/jobs/invalid/aws_external_ingress.yaml:9: infrastructure.runtime.ingress: an external service needs HTTPS: plain HTTP from the internet is refused, got 'external'; expected load_balancer.certificate_arn (an ACM certificate), or load_balancer.allow_plain_http: true",
    ],
    "aws_lb_wildcard_certificate.yaml": [
        "tests/fixtures/jobs/invalid/aws_lb_wildcard_certificate.yaml:11: infrastructure.runtime.load_balancer.certificate_arn: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got 'arn:aws:acm:us-east-1:123456789012:certificate/*'; expected an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate/<certificate id>",
    ],
    "aws_lb_plain_http_with_certificate.yaml": [
        "tests/fixtures/jobs/invalid/aws_lb_plain_http_with_certificate.yaml:10: infrastructure.runtime.load_balancer.certificate_arn: not an ACM certificate ARN, got 'arn:aws:iam::123456789012:server-certificate/orders'; expected an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate/<certificate id>",
        "tests/fixtures/jobs/invalid/aws_lb_plain_http_with_certificate.yaml:11: infrastructure.runtime.load_balancer.allow_plain_http: applies to ingress external without certificate_arn only, got true; expected no allow_plain_http (internal services may serve plain HTTP; with a certificate port 80 redirects to HTTPS)",
    ],
    "aws_lb_bad_values.yaml": [
        "tests/fixtures/jobs/invalid/aws_lb_bad_values.yaml:10: infrastructure.runtime.load_balancer.health_check_path: not a health check path, got 'health?full=1'; expected a URL path such as '/health': '/' then letters, digits and - . _ ~ / @ : + & ( ) ! , ; = % (at most 1024 characters, no query string)",
        "tests/fixtures/jobs/invalid/aws_lb_bad_values.yaml:11: infrastructure.runtime.load_balancer.allowed_cidrs[1]: host bits set: the network is 10.0.0.0/16, got '10.0.0.1/16'; expected an IPv4 network in CIDR notation such as '10.20.0.0/16'",
        "tests/fixtures/jobs/invalid/aws_lb_bad_values.yaml:11: infrastructure.runtime.load_balancer.allowed_cidrs[2]: not a CIDR block (no prefix length, e.g. /32), got 'everyone'; expected an IPv4 network in CIDR notation such as '10.20.0.0/16'",
        "tests/fixtures/jobs/invalid/aws_lb_bad_values.yaml:13: infrastructure.runtime.load_balancer.access_logs.bucket: not an S3 bucket name, got 's3://acme-logs'; expected a bucket name such as 'acme-raw' (3-63 of a-z 0-9 . -, starting and ending with a letter or digit; no s3://, no /)",
        "tests/fixtures/jobs/invalid/aws_lb_bad_values.yaml:14: infrastructure.runtime.load_balancer.access_logs.prefix: Elastic Load Balancing refuses a prefix holding 'AWSLogs', got 'alb/AWSLogs/'; expected a plain key prefix such as 'alb/orders' (no leading '/', no '*', '?', '${', no 'AWSLogs')",
    ],
    "aws_lb_without_ingress.yaml": [
        "tests/fixtures/jobs/invalid/aws_lb_without_ingress.yaml:10: infrastructure.runtime.load_balancer: applies to services with ingress internal or external only (ingress none creates no load balancer), got a mapping; expected ingress internal or external, or no load_balancer",
    ],
    "aws_lb_one_subnet.yaml": [
        "tests/fixtures/jobs/invalid/aws_lb_one_subnet.yaml:10: infrastructure.runtime.network.subnet_ids: an Application Load Balancer needs subnets in at least two Availability Zones, got a list; expected two or more subnets in different Availability Zones (or none: the VPC's subnets), or ingress none",
    ],
    "aws_service_fields_in_job_mode.yaml": [
        "tests/fixtures/jobs/invalid/aws_service_fields_in_job_mode.yaml:9: infrastructure.runtime.load_balancer: applies to mode service only, got a mapping; expected no load_balancer in mode job",
        "tests/fixtures/jobs/invalid/aws_service_fields_in_job_mode.yaml:11: infrastructure.runtime.health_check_command: applies to mode service only, got a list; expected no health_check_command in mode job",
        "tests/fixtures/jobs/invalid/aws_service_fields_in_job_mode.yaml:12: infrastructure.runtime.stop_timeout_seconds: applies to mode service only, got 60; expected no stop_timeout_seconds in mode job",
    ],
    "aws_stop_timeout_out_of_range.yaml": [
        "tests/fixtures/jobs/invalid/aws_stop_timeout_out_of_range.yaml:9: infrastructure.runtime.stop_timeout_seconds: out of range, got 300; expected at most 120",
        "tests/fixtures/jobs/invalid/aws_stop_timeout_out_of_range.yaml:11: infrastructure.runtime.load_balancer.health_check_grace_period_seconds: out of range, got -1; expected at least 0",
    ],
    "job_mode_service_fields.yaml": [
        "tests/fixtures/jobs/invalid/job_mode_service_fields.yaml:9: infrastructure.runtime.port: applies to mode service only, got 9000; expected no port in mode job",
        "tests/fixtures/jobs/invalid/job_mode_service_fields.yaml:10: infrastructure.runtime.ingress: applies to mode service only, got 'none'; expected no ingress in mode job",
        "tests/fixtures/jobs/invalid/job_mode_service_fields.yaml:12: infrastructure.runtime.scaling.min_replicas: applies to mode service only, got 2; expected no min_replicas in mode job",
        "tests/fixtures/jobs/invalid/job_mode_service_fields.yaml:13: infrastructure.runtime.scaling.max_replicas: applies to mode service only, got 3; expected no max_replicas in mode job",
    ],
    "service_mode_job_fields.yaml": [
        "tests/fixtures/jobs/invalid/service_mode_job_fields.yaml:9: infrastructure.runtime.retries: applies to mode job only, got 1; expected no retries in mode service",
        "tests/fixtures/jobs/invalid/service_mode_job_fields.yaml:11: infrastructure.runtime.scaling.parallelism: applies to mode job only, got 2; expected no parallelism in mode service",
    ],
    "gcp_aws_only_fields.yaml": [
        "tests/fixtures/jobs/invalid/gcp_aws_only_fields.yaml:9: infrastructure.runtime.ephemeral_storage_gib: unknown field for gcp_cloud_run, got 50; expected no ephemeral_storage_gib (a field of aws_fargate only)",
        "tests/fixtures/jobs/invalid/gcp_aws_only_fields.yaml:10: infrastructure.runtime.log_kms_key_arn: unknown field for gcp_cloud_run, got 'arn:aws:kms:us-east-1:123456789012:key/1'; expected no log_kms_key_arn (a field of aws_fargate only)",
        "tests/fixtures/jobs/invalid/gcp_aws_only_fields.yaml:11: infrastructure.runtime.log_retention_days: unknown field for gcp_cloud_run, got 90; expected no log_retention_days (a field of aws_fargate and azure_container_apps only)",
        "tests/fixtures/jobs/invalid/gcp_aws_only_fields.yaml:13: infrastructure.runtime.network.security_group_ids: unknown field for gcp_cloud_run, got a list; expected no security_group_ids (a field of aws_fargate only)",
        "tests/fixtures/jobs/invalid/gcp_aws_only_fields.yaml:14: infrastructure.runtime.network.assign_public_ip: unknown field for gcp_cloud_run, got true; expected no assign_public_ip (a field of aws_fargate only)",
        "tests/fixtures/jobs/invalid/gcp_aws_only_fields.yaml:18: infrastructure.runtime.permissions.kms_keys: unknown field for gcp_cloud_run, got a list; expected no kms_keys (a field of aws_fargate only)",
    ],
    "azure_aws_only_fields.yaml": [
        "tests/fixtures/jobs/invalid/azure_aws_only_fields.yaml:10: infrastructure.runtime.ephemeral_storage_gib: unknown field for azure_container_apps, got 50; expected no ephemeral_storage_gib (a field of aws_fargate only)",
        "tests/fixtures/jobs/invalid/azure_aws_only_fields.yaml:12: infrastructure.runtime.network.vpc_id: unknown field for azure_container_apps, got 'vnet-1'; expected no vpc_id (a field of aws_fargate and gcp_cloud_run only)",
        "tests/fixtures/jobs/invalid/azure_aws_only_fields.yaml:13: infrastructure.runtime.network.security_group_ids: unknown field for azure_container_apps, got a list; expected no security_group_ids (a field of aws_fargate only)",
        "tests/fixtures/jobs/invalid/azure_aws_only_fields.yaml:14: infrastructure.runtime.network.assign_public_ip: unknown field for azure_container_apps, got true; expected no assign_public_ip (a field of aws_fargate only)",
        "tests/fixtures/jobs/invalid/azure_aws_only_fields.yaml:19: infrastructure.runtime.permissions.kms_keys: unknown field for azure_container_apps, got a list; expected no kms_keys (a field of aws_fargate only)",
    ],
    "azure_fields_of_other_runtimes.yaml": [
        "tests/fixtures/jobs/invalid/azure_fields_of_other_runtimes.yaml:11: infrastructure.runtime.project_id: unknown field for azure_container_apps, got 'acme-data-prod'; expected no project_id (a field of gcp_cloud_run only)",
        "tests/fixtures/jobs/invalid/azure_fields_of_other_runtimes.yaml:12: infrastructure.runtime.deletion_protection: unknown field for azure_container_apps, got true; expected no deletion_protection (a field of gcp_cloud_run only)",
    ],
    "azure_service_timeout.yaml": [
        "tests/fixtures/jobs/invalid/azure_service_timeout.yaml:11: infrastructure.runtime.timeout_seconds: applies to mode job only, got 600; expected no timeout_seconds in mode service",
    ],
    "two_missing_tags.yaml": [
        "tests/fixtures/jobs/invalid/two_missing_tags.yaml:8: infrastructure.tags.cost_center: required tag missing; expected one of: infrastructure.tags.cost_center; the job's finops.cost_center; the asset definition's finops.cost_center (the job names no asset_path); default_tags.cost_center in the platform settings",
        "tests/fixtures/jobs/invalid/two_missing_tags.yaml:8: infrastructure.tags.team: required tag missing; expected one of: infrastructure.tags.team; the asset definition's governance.team or team.name (the job names no asset_path); default_tags.team in the platform settings",
    ],
    "many_runtime_errors.yaml": [
        "tests/fixtures/jobs/invalid/many_runtime_errors.yaml:8: infrastructure.runtime.cpu_millicores: not a Fargate task size, got 300; expected one of 250, 500, 1000, 2000, 4000, 8000, 16000",
        "tests/fixtures/jobs/invalid/many_runtime_errors.yaml:9: infrastructure.runtime.log_retention_days: not a CloudWatch retention period, got 45; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        "tests/fixtures/jobs/invalid/many_runtime_errors.yaml:10: infrastructure.runtime.schedule: restricts both day-of-month and day-of-week (unix cron runs on a day matching either; EventBridge cannot say that), got '0 3 L * MON'; expected '*' in one of the two day fields, e.g. '0 3 1 * *' or '0 3 * * MON'",
        "tests/fixtures/jobs/invalid/many_runtime_errors.yaml:12: infrastructure.runtime.secrets.TOKEN: variable set both in env and in secrets, got 'TOKEN'; expected each variable in env or in secrets, not both",
    ],
    # issue 12: grant references, regions, strictness
    "aws_bad_vpc_id.yaml": [
        "tests/fixtures/jobs/invalid/aws_bad_vpc_id.yaml:9: infrastructure.runtime.network.vpc_id: not a VPC id, got 'vpc-12345'; expected an id such as 'vpc-0123456789abcdef0' ('vpc-' and 8 or 17 lowercase hex digits)",
    ],
    "aws_kms_alias.yaml": [
        "tests/fixtures/jobs/invalid/aws_kms_alias.yaml:8: infrastructure.runtime.log_kms_key_arn: an alias ARN: IAM grants and CloudWatch Logs need the key's own ARN, got 'arn:aws:kms:us-east-1:123456789012:alias/logs'; expected a KMS key ARN: arn:aws:kms:<region>:<12-digit account>:key/<key id>",
    ],
    "aws_prefix_policy_variable.yaml": [
        "tests/fixtures/jobs/invalid/aws_prefix_policy_variable.yaml:12: infrastructure.runtime.permissions.storage[0].prefix: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got 'home/${aws:username}/'; expected a plain key prefix such as 'warehouse/raw/' (no leading '/', no '*', '?', '${' or control characters)",
    ],
    "aws_region_typo.yaml": [
        "tests/fixtures/jobs/invalid/aws_region_typo.yaml:5: infrastructure.region: not an AWS region, got 'eu-wset-1'; expected an AWS region; did you mean 'eu-west-1'?",
    ],
    "aws_region_unknown.yaml": [
        "tests/fixtures/jobs/invalid/aws_region_unknown.yaml:5: infrastructure.region: not an AWS region, got 'mars-north-9'; expected an AWS region such as us-east-1 or eu-west-1 (`aws ec2 describe-regions --all-regions` lists them)",
    ],
    "aws_wildcard_bucket.yaml": [
        "tests/fixtures/jobs/invalid/aws_wildcard_bucket.yaml:10: infrastructure.runtime.permissions.storage[0].bucket: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got '*'; expected a bucket name such as 'acme-raw' (3-63 of a-z 0-9 . -, starting and ending with a letter or digit; no s3://, no /)",
    ],
    "aws_wildcard_container_secret.yaml": [
        "tests/fixtures/jobs/invalid/aws_wildcard_container_secret.yaml:9: infrastructure.runtime.secrets.DB_PASSWORD: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got '*'; expected arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>[:<json-key>:<version-stage>:<version-id>], arn:aws:ssm:<region>:<12-digit account>:parameter/<name> or an SSM parameter name such as /team/db/password",
    ],
    "aws_wildcard_kms_key.yaml": [
        "tests/fixtures/jobs/invalid/aws_wildcard_kms_key.yaml:9: infrastructure.runtime.permissions.kms_keys[0]: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got '*'; expected a KMS key ARN: arn:aws:kms:<region>:<12-digit account>:key/<key id>",
    ],
    "aws_wildcard_secret.yaml": [
        "tests/fixtures/jobs/invalid/aws_wildcard_secret.yaml:9: infrastructure.runtime.permissions.secrets[0]: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got '*'; expected a Secrets Manager secret ARN: arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>",
    ],
    "azure_aws_region.yaml": [
        "tests/fixtures/jobs/invalid/azure_aws_region.yaml:5: infrastructure.region: not an Azure region (us-east-1 is an AWS region), got 'us-east-1'; expected an Azure region such as westeurope or eastus (`az account list-locations` lists them)",
    ],
    "azure_secret_url_trailing_newline.yaml": [
        "tests/fixtures/jobs/invalid/azure_secret_url_trailing_newline.yaml:9: infrastructure.runtime.secrets.API_TOKEN: not a Key Vault secret URL, got 'https://jobs-kv.vault.azure.net/secrets/api-token\\n'; expected https://<vault>.vault.azure.net/secrets/<name>[/<32-hex version>]",
    ],
    "bool_as_number.yaml": [
        "tests/fixtures/jobs/invalid/bool_as_number.yaml:8: infrastructure.runtime.cpu_millicores: must be a whole number, got true; expected an integer (unquoted)",
    ],
    "float_for_int.yaml": [
        "tests/fixtures/jobs/invalid/float_for_int.yaml:8: infrastructure.runtime.log_retention_days: must be a whole number, got 1.5; expected an integer (unquoted)",
    ],
    "gcp_bad_secret_id.yaml": [
        "tests/fixtures/jobs/invalid/gcp_bad_secret_id.yaml:10: infrastructure.runtime.secrets.API_TOKEN: not a Secret Manager secret, got 'projects/acme-data-prod/secrets/api.token'; expected a Secret Manager secret: projects/<project>/secrets/<id> or <id> (1-255 letters, digits, '_' or '-'), optionally /versions/<latest, a number or an alias>",
    ],
    "gcp_region_typo.yaml": [
        "tests/fixtures/jobs/invalid/gcp_region_typo.yaml:5: infrastructure.region: not a GCP region, got 'us-centrall1'; expected a GCP region; did you mean 'us-central1'?",
    ],
    "gcp_wildcard_bucket.yaml": [
        "tests/fixtures/jobs/invalid/gcp_wildcard_bucket.yaml:11: infrastructure.runtime.permissions.storage[0].bucket: wildcards are not allowed: '*', '?' and '${...}' would widen the grant, got 'acme-*'; expected a bucket name such as 'acme-raw' (3-63 of a-z 0-9 - _ ., no gs://, no /)",
    ],
    "huge_int.yaml": [
        "tests/fixtures/jobs/invalid/huge_int.yaml:9: infrastructure.runtime.port: out of range, got 1000000000000000000000000000000; expected at most 65535",
    ],
    "inf_number.yaml": [
        "tests/fixtures/jobs/invalid/inf_number.yaml:9: infrastructure.runtime.timeout_seconds: must be a whole number, got inf; expected an integer (unquoted)",
    ],
    "job_name_trailing_newline.yaml": [
        "tests/fixtures/jobs/invalid/job_name_trailing_newline.yaml:9: infrastructure.tags.job_name: not a valid job name, got 'orders\\n'; expected 1-128 characters of letters, digits, '_', '.', '-' starting with a letter or digit",
    ],
    "nan_number.yaml": [
        "tests/fixtures/jobs/invalid/nan_number.yaml:8: infrastructure.runtime.memory_mib: must be a whole number, got nan; expected an integer (unquoted)",
    ],
    "quoted_bool.yaml": [
        "tests/fixtures/jobs/invalid/quoted_bool.yaml:9: infrastructure.runtime.network.assign_public_ip: must be true or false, got 'yes'; expected true or false (unquoted)",
    ],
    "quoted_number.yaml": [
        "tests/fixtures/jobs/invalid/quoted_number.yaml:8: infrastructure.runtime.cpu_millicores: must be a whole number, got '1000'; expected an integer (unquoted)",
    ],
    # issue 13: networking, platform options, secure defaults
    "aws_egress_rules.yaml": [
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:10: infrastructure.runtime.network.egress[0].cidr_ipv4: host bits set: the network is 10.0.0.0/8, got '10.0.0.1/8'; expected an IPv4 network in CIDR notation such as '10.20.0.0/16'",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:12: infrastructure.runtime.network.egress[1].cidr_ipv6: an IPv4 CIDR block where IPv6 is expected, got '10.0.0.0/8'; expected an IPv6 network in CIDR notation such as '2001:db8::/32'",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:14: infrastructure.runtime.network.egress[2]: egress rule has no destination; expected exactly one of cidr_ipv4, cidr_ipv6 or prefix_list_id",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:16: infrastructure.runtime.network.egress[3].prefix_list_id: egress rule has two destinations (cidr_ipv4 too), got 'pl-63a5400a'; expected exactly one of cidr_ipv4, cidr_ipv6 or prefix_list_id",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:18: infrastructure.runtime.network.egress[4].prefix_list_id: not a prefix list id, got 'pl-xyz'; expected an id such as 'pl-0123456789abcdef0' ('pl-' and 8 or 17 lowercase hex digits)",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:22: infrastructure.runtime.network.egress[5].port: protocol all covers every port, got 443; expected no port, from_port or to_port with protocol all",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:24: infrastructure.runtime.network.egress[6].from_port: from_port is larger than to_port, got 600; expected at most to_port (500)",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:26: infrastructure.runtime.network.egress[7].port: udp rule without ports; expected port, or from_port and to_port (0-65535); protocol all for every port",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:30: infrastructure.runtime.network.egress[8].from_port: port and a port range both given, got 443; expected either port or from_port and to_port",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:31: infrastructure.runtime.network.egress[8].to_port: port and a port range both given, got 443; expected either port or from_port and to_port",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:32: infrastructure.runtime.network.egress[9].to_port: to_port missing; expected port, or from_port and to_port (0-65535); protocol all for every port",
        "tests/fixtures/jobs/invalid/aws_egress_rules.yaml:36: infrastructure.runtime.network.egress[10].description: not a security group rule description, got 'to ${var.x}'; expected at most 255 of letters, digits, spaces and . _ - : / ( ) # , @ [ ] + = & ; ! *",
    ],
    "aws_egress_empty.yaml": [
        "tests/fixtures/jobs/invalid/aws_egress_empty.yaml:9: infrastructure.runtime.network.egress: no egress rule: tasks could not even pull their image, got an empty list; expected at least one rule (e.g. tcp 443 to the registry), or no egress (all outbound traffic)",
    ],
    "aws_platform_options.yaml": [
        "tests/fixtures/jobs/invalid/aws_platform_options.yaml:8: infrastructure.runtime.cpu_architecture: not an allowed value, got 'aarch64'; expected 'x86_64' or 'arm64'",
        "tests/fixtures/jobs/invalid/aws_platform_options.yaml:9: infrastructure.runtime.enable_execute_command: must be true or false, got 'yes'; expected true or false (unquoted)",
        "tests/fixtures/jobs/invalid/aws_platform_options.yaml:13: infrastructure.runtime.network.egress[0].port: out of range, got 70000; expected at most 65535",
        "tests/fixtures/jobs/invalid/aws_platform_options.yaml:15: infrastructure.runtime.network.egress[1].protocol: not an allowed value, got 'icmp'; expected 'tcp', 'udp' or 'all'",
    ],
    "aws_registry_credentials_not_a_secret.yaml": [
        "tests/fixtures/jobs/invalid/aws_registry_credentials_not_a_secret.yaml:8: infrastructure.runtime.registry_credentials_secret_arn: not a Secrets Manager secret ARN, got 'arn:aws:ssm:us-east-1:123456789012:parameter/ghcr'; expected a Secrets Manager secret ARN: arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>",
    ],
    "aws_classified_without_log_key.yaml": [
        "tests/fixtures/jobs/invalid/aws_classified_without_log_key.yaml:8: infrastructure.runtime.log_kms_key_arn: the job is classified 'Restricted' (tag classification from compliance.classification at tests/fixtures/jobs/invalid/aws_classified_without_log_key.yaml:4): its log group must be encrypted with a KMS key, got nothing; expected a KMS key ARN in log_kms_key_arn (jobs classified pii/confidential/restricted)",
    ],
    "aws_tagged_confidential_without_log_key.yaml": [
        "tests/fixtures/jobs/invalid/aws_tagged_confidential_without_log_key.yaml:6: infrastructure.runtime.log_kms_key_arn: the job is classified 'Confidential' (tag data_classification from infrastructure.tags.data_classification at tests/fixtures/jobs/invalid/aws_tagged_confidential_without_log_key.yaml:15): its log group must be encrypted with a KMS key, got nothing; expected a KMS key ARN in log_kms_key_arn (jobs classified pii/confidential/restricted)",
    ],
    "tenant_trailing_newline.yaml": [
        "tests/fixtures/jobs/invalid/tenant_trailing_newline.yaml:1: tenant_id: does not match the allowed form, got 'acme\\n'; expected lowercase letters, digits, '_' or '-', starting with a letter or digit",
    ],
}


def test_every_invalid_fixture_has_an_expectation() -> None:
    names = {p.name for p in discover([str(INVALID)])}
    assert names == set(EXPECTED)
    assert len(names) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_fixture_message(name: str) -> None:
    with pytest.raises(ErrorReport) as caught:
        load_job(INVALID / name)
    assert [str(e) for e in caught.value] == EXPECTED[name]


def test_all_errors_of_all_files_in_one_report() -> None:
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(INVALID)])
    reported = sorted(str(e) for e in caught.value)
    assert reported == sorted(m for messages in EXPECTED.values() for m in messages)
    assert len({e.file for e in caught.value}) == len(EXPECTED)
