"""The kernel's import rules: never a plugin package or the CLI; cheap to import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

KERNEL = Path(__file__).resolve().parents[1] / "src" / "smdiff"
PLUGIN_PACKAGES = ("smdiff_onehot", "smdiff_octuple", "smdiff_metrics", "smdiff_slurm")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


KERNEL_FILES = sorted(p for p in KERNEL.rglob("*.py") if "cli" not in p.relative_to(KERNEL).parts)


@pytest.mark.parametrize("path", KERNEL_FILES, ids=lambda p: str(p.relative_to(KERNEL)))
def test_kernel_module_imports_no_plugin_package_and_no_cli(path):
    bad = {
        name
        for name in imported_modules(path)
        if name.split(".")[0] in PLUGIN_PACKAGES or name == "smdiff.cli" or name.startswith("smdiff.cli.")
    }
    assert not bad, f"{path.relative_to(KERNEL)} imports {sorted(bad)}"


def test_importing_smdiff_and_its_plugin_host_does_not_import_torch():
    code = "import sys, smdiff, smdiff.plugins; smdiff.plugins.get_registries(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
