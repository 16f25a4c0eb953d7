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


REPOSITORY = KERNEL.parents[2]
PLUGIN_SOURCES = [
    REPOSITORY / name / "src" for name in ("smdiff-onehot", "smdiff-octuple", "smdiff-metrics", "smdiff-slurm")
]
EXAMPLE = REPOSITORY / "examples" / "smdiff-drums"
PLUGIN_FILES = sorted(p for root in [*PLUGIN_SOURCES, EXAMPLE / "src"] for p in root.rglob("*.py"))


def kernel_imports(path: Path) -> set[str]:
    """Kernel modules ``path`` imports other than the top-level ``smdiff`` package."""
    return {name for name in imported_modules(path) if name.startswith("smdiff.")}


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda p: str(p.relative_to(REPOSITORY)))
def test_plugins_and_the_example_import_only_the_public_api(path):
    assert not kernel_imports(path), (
        f"{path.relative_to(REPOSITORY)} imports {sorted(kernel_imports(path))}; use `import smdiff`"
    )


def test_the_example_plugins_tests_use_only_smdiff_and_smdiff_testing():
    tests = sorted((EXAMPLE / "tests").rglob("*.py"))
    assert tests
    for path in tests:
        assert kernel_imports(path) <= {"smdiff.testing"}, (
            f"{path.relative_to(REPOSITORY)}: {sorted(kernel_imports(path))}"
        )


def test_only_training_and_the_train_command_import_the_training_package():
    """Inference, evaluation and data sit below training: device and checkpoint I/O live where both use them."""
    allowed = {Path("cli/train_cmd.py")}
    offenders = {
        str(path.relative_to(KERNEL))
        for path in KERNEL.rglob("*.py")
        if path.relative_to(KERNEL).parts[0] != "training"
        and path.relative_to(KERNEL) not in allowed
        and any(name == "smdiff.training" or name.startswith("smdiff.training.") for name in imported_modules(path))
    }
    assert not offenders, f"these modules import smdiff.training: {sorted(offenders)}"


def test_every_public_name_resolves_and_only_lazy_ones_pull_torch():
    code = (
        "import sys, smdiff\n"
        "eager = 'torch' in sys.modules\n"
        "missing = [name for name in smdiff.__all__ if getattr(smdiff, name, None) is None]\n"
        "print(eager, missing, 'torch' in sys.modules, sorted(dir(smdiff)) == sorted(smdiff.__all__))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "[]", "True", "True"]


def test_an_unknown_attribute_is_an_attribute_error():
    import smdiff

    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        smdiff.NoSuchThing  # noqa: B018


def test_docs_plugins_lists_every_public_name():
    import smdiff

    text = (REPOSITORY / "docs" / "plugins.md").read_text()
    undocumented = [name for name in smdiff.__all__ if f"`{name}`" not in text]
    assert not undocumented, f"docs/plugins.md does not list {undocumented}"


#: The kernel's layers, lowest first: a module imports only from its own layer or lower ones (the most specific
#: prefix decides a module's layer). `smdiff/__init__.py`, the public API, re-exports from every layer and is left out.
LAYERS = [
    ("base", ["smdiff.errors", "smdiff.tokens", "smdiff.corpora", "smdiff.presets", "smdiff.files", "smdiff.progress"]),
    (
        "settings, MIDI, devices, network blocks",
        [
            "smdiff.config.schema",
            "smdiff.config.converter",
            "smdiff.config.errors",
            "smdiff.midi",
            "smdiff.devices",
            "smdiff.nn",
        ],
    ),
    ("data and notes", ["smdiff.data", "smdiff.notes", "smdiff.retime", "smdiff.pianoroll"]),
    (
        "what extensions are",
        [
            "smdiff.tokenizer",
            "smdiff.piece_tokenizer",
            "smdiff.tasks",
            "smdiff.form",
            "smdiff.storage",
            "smdiff.kernels",
            "smdiff.diffusion",
            "smdiff.evaluation.core",
            "smdiff.checkpoints",
        ],
    ),
    ("plugin contracts", ["smdiff.factories", "smdiff.specs", "smdiff.registry", "smdiff.hookspecs"]),
    (
        "what uses the registries",
        [
            "smdiff.config",
            "smdiff.kernels.selection",
            "smdiff.evaluation.report",
            "smdiff.builtins",
            "smdiff.data.catalog",
        ],
    ),
    (
        "preparation, inference, evaluation, training",
        ["smdiff.data.prepare", "smdiff.data.convert", "smdiff.inference", "smdiff.evaluation", "smdiff.training"],
    ),
    ("front ends and the plugin host", ["smdiff.studio", "smdiff.plugins", "smdiff.testing"]),
    ("the command line", ["smdiff.cli"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(KERNEL.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in KERNEL.rglob("*.py")}


def import_graph() -> dict[str, set[str]]:
    """Kernel module → the kernel modules it imports, at any depth (functions and ``TYPE_CHECKING`` blocks too)."""

    def resolve(name: str) -> str | None:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in MODULES.items():
        if module == "smdiff":
            continue
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("smdiff"):
                targets |= {resolve(f"{node.module}.{alias.name}") or resolve(node.module) for alias in node.names}
            elif isinstance(node, ast.Import):
                targets |= {resolve(alias.name) for alias in node.names if alias.name.startswith("smdiff")}
        graph[module] = {target for target in targets if target not in (None, "smdiff", module)}
    return graph


def layer_of(module: str) -> int | None:
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]  # fmt: skip
    return max(matches)[1] if matches else None


def test_every_kernel_module_belongs_to_a_layer():
    assert not [module for module in MODULES if module != "smdiff" and layer_of(module) is None]


def test_no_kernel_module_imports_from_a_layer_above_its_own():
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in import_graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(sorted(upward))


def test_kernel_modules_import_each_other_in_no_circle():
    graph, seen, circles = import_graph(), set(), []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in path:
                circles.append([*path[path.index(target) :], target])
            elif target not in seen:
                seen.add(target)
                visit(target, [*path, target])

    for module in sorted(graph):
        if module not in seen:
            seen.add(module)
            visit(module, [module])
    assert not circles, " | ".join(" -> ".join(circle) for circle in circles[:3])
