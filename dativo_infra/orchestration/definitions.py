"""The Dagster code location: ``dagster dev -m dativo_infra.orchestration.definitions`` (or
``dagster asset materialize -m dativo_infra.orchestration.definitions --select <tenant>/<job>``).

Jobs come from ``DATIVO_JOBS_DIR`` (default ``jobs``); see
:func:`~dativo_infra.orchestration.dagster_assets.definitions_from_env`.
"""

from dativo_infra.orchestration.dagster_assets import definitions_from_env

defs = definitions_from_env()
