"""Orchestrator integrations (optional extras). Importing this package imports no orchestrator.

:mod:`.dagster_assets` (``pip install '.[dagster]'``) builds Dagster ``Definitions`` with one asset
per job file; :mod:`.definitions` is the code location ``dagster dev -m`` loads. Nothing else in
``dativo_infra`` imports them (a test checks it), so the package works without Dagster installed.
"""
