"""Dagster is an optional extra: the package works without it, and only the code location imports
the Dagster module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.test_hygiene import PACKAGE, imports_of, module_name

DAGSTER_MODULES = {"dativo_infra.orchestration.dagster_assets", "dativo_infra.orchestration.definitions"}


def test_only_the_code_location_imports_the_dagster_module() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(f) for f in files}
    importers = {
        module_name(f) for f in files if "dativo_infra.orchestration.dagster_assets" in imports_of(f, modules)
    }
    assert importers == {"dativo_infra.orchestration.definitions"}


def dagster_imports(path: Path) -> list[int]:
    """Lines of ``path`` that import the dagster library (anywhere in the module)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "dagster" for a in node.names):
            lines.append(node.lineno)
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "dagster"
        ):
            lines.append(node.lineno)
    return lines


def test_no_other_module_imports_dagster() -> None:
    found = {
        module_name(f): dagster_imports(f)
        for f in sorted(PACKAGE.rglob("*.py"))
        if module_name(f) not in DAGSTER_MODULES and dagster_imports(f)
    }
    assert found == {}
    assert dagster_imports(PACKAGE / "orchestration" / "dagster_assets.py")


#: cdktf-heavy modules start a jsii runtime on import (seconds); the check above covers them.
HEAVY = ("dativo_infra.constructs", "dativo_infra.stacks", "dativo_infra.synth")


def test_the_package_imports_without_dagster() -> None:
    others = sorted(
        m
        for m in (module_name(f) for f in PACKAGE.rglob("*.py"))
        if m not in DAGSTER_MODULES and not m.endswith("__main__") and not m.startswith(HEAVY)
    )
    code = (
        "import importlib, sys\n"
        "sys.modules['dagster'] = None  # any `import dagster` raises ImportError\n"
        f"for name in {others!r}:\n"
        "    importlib.import_module(name)\n"
        "try:\n"
        "    import dativo_infra.orchestration.dagster_assets\n"
        "except ImportError:\n"
        "    print('dagster module needs dagster')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[2]
    )
    assert proc.returncode == 0, proc.stderr
    assert "dagster module needs dagster" in proc.stdout
