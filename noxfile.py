"""Sessions: lint, tests (every package beside smdiff-core alone, then integration), example plugin, browser, all, cuda, demo.

torch is installed first, pinned (`torch==2.13.0`). Which build: on a machine
without an NVIDIA GPU (no `nvidia-smi`), the CPU build from PyTorch's CPU wheel
index (PyPI's torch for Linux is the CUDA build, several GB of NVIDIA libraries);
on a GPU machine, the default (CUDA) build. `SMDIFF_TORCH_INDEX=URL` picks
another index; `SMDIFF_TORCH_INDEX=pip` uses whatever pip is configured with.
Triton is installed only where its tests run (the smdiff-core session).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nox
import nox.command

PACKAGES = ["smdiff-core", "smdiff-onehot", "smdiff-octuple", "smdiff-metrics", "smdiff-slurm"]
TORCH = "torch==2.13.0"
TORCH_INDEX_VARIABLE = "SMDIFF_TORCH_INDEX"
CPU_WHEEL_INDEX = "https://download.pytorch.org/whl/cpu"
EXAMPLE_PLUGIN = "examples/smdiff-drums"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: Debian packages the studio's browser test uses: the browser, and FluidSynth with a small General MIDI soundfont
BROWSER_PACKAGES = ("chromium", "fluidsynth", "timgm6mb-soundfont")

nox.options.sessions = ["lint", "tests", "plugin_example", "browser"]
nox.options.error_on_external_run = True


def torch_index() -> list[str]:
    """pip options choosing the torch build: the CPU wheel index without a GPU (see the module docstring)."""
    chosen = os.environ.get(TORCH_INDEX_VARIABLE)
    if chosen == "pip":
        return []
    if chosen:
        return ["--extra-index-url", chosen]
    return [] if shutil.which("nvidia-smi") else ["--extra-index-url", CPU_WHEEL_INDEX]


def install(session: nox.Session, *packages: str, triton: bool = False) -> None:
    """Install pinned torch, then the given local packages with their test extras (not editable)."""
    session.install(TORCH, *torch_index())
    extras = {package: "[test,triton]" if triton and package == "smdiff-core" else "[test]" for package in packages}
    session.install(*[f"./{package}{extras[package]}" for package in packages])


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Each package's tests beside smdiff-core alone, then the integration tests with every package, in one venv.

    One environment holds torch once instead of once per package (about 1.2 GB each). Each plugin package
    is installed, tested and uninstalled in turn, so no other smdiff plugin is registered while its tests
    run. `nox -s tests -- smdiff-octuple` tests only the named packages (without integration); other
    arguments go to pytest.
    """
    named = [arg for arg in session.posargs if arg in PACKAGES]
    pytest_args = [arg for arg in session.posargs if arg not in PACKAGES]
    install(session, "smdiff-core", triton=True)
    if not named or "smdiff-core" in named:
        session.run("pytest", "smdiff-core/tests", *pytest_args)
    for package in [p for p in PACKAGES[1:] if not named or p in named]:
        session.install(f"./{package}[test]")
        session.run("pytest", f"{package}/tests", *pytest_args)
        session.run("python", "-m", "pip", "uninstall", "--yes", package, silent=True)
    if not named:
        session.install(*[f"./{package}[test]" for package in PACKAGES[1:]])
        session.run("pytest", "tests/integration", *pytest_args)


@nox.session(python="3.11")
def integration(session: nox.Session) -> None:
    """The integration tests alone (the tests session runs them too): the flows that need several packages."""
    install(session, *PACKAGES)
    session.run("pytest", "tests/integration", *session.posargs)


@nox.session(python="3.11", name="all")
def all_packages(session: nox.Session) -> None:
    """Every package in one venv, every test (fast local iteration)."""
    install(session, *PACKAGES, triton=True)
    session.run("pytest", *[f"{package}/tests" for package in PACKAGES], "tests/integration", *session.posargs)


@nox.session(python="3.11")
def cuda(session: nox.Session) -> None:
    """The tests marked ``cuda`` and the Triton kernel tests, for a GPU machine (without a GPU they skip, saying why)."""
    install(session, *PACKAGES, triton=True)
    tests = [f"{package}/tests" for package in PACKAGES]
    session.run("pytest", *tests, "-m", "cuda", "-rs", *session.posargs)
    session.run("pytest", "smdiff-core/tests/test_triton_kernels.py", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def plugin_example(session: nox.Session) -> None:
    """Build the third-party example plugin's wheel, install it beside smdiff-core, and check smdiff sees it."""
    dist = session.create_tmp()
    session.run("pip", "wheel", "--no-deps", "--wheel-dir", dist, EXAMPLE_PLUGIN, silent=True)
    session.install(TORCH, *torch_index())
    # smdiff-onehot and smdiff-metrics only for the tests: they run the plugin's task with a real (tiny) grid model
    # and score it with the infilling metrics
    session.install("./smdiff-core", "./smdiff-onehot", "./smdiff-metrics", "--find-links", dist, "smdiff-drums[test]")
    plugins = json.loads(session.run("smdiff", "plugins", "--json", silent=True))
    registered = {"tokenizers": ["drums"], "tasks": ["every_other_bar"]}
    assert [row for row in plugins if row["name"] == "drums" and row["registered"] == registered]
    tokenizers = json.loads(session.run("smdiff", "list", "tokenizers", "--json", silent=True))
    assert [row for row in tokenizers if row["id"] == "drums" and row["plugin"] == "drums"]
    session.run("pytest", f"{EXAMPLE_PLUGIN}/tests", *session.posargs)


def debian_install(session: nox.Session, packages: tuple[str, ...]) -> str | None:
    """Install Debian packages with apt-get (as root, or through passwordless sudo); why not, when it cannot."""
    if not shutil.which("apt-get"):
        return "apt-get is not available on this machine"
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and not shutil.which("sudo"):
        return "installing Debian packages needs root (or sudo)"
    command = [*sudo, "apt-get", "install", "--yes", "--no-install-recommends", *packages]
    try:
        session.run(*command, external=True, silent=True)
    except nox.command.CommandFailed:  # stale or missing package lists: refresh them once
        try:
            session.run(*sudo, "apt-get", "update", external=True, silent=True)
            session.run(*command, external=True, silent=True)
        except nox.command.CommandFailed:
            return f"apt-get could not install {' '.join(packages)}"
    return None


@nox.session(python="3.11")
def browser(session: nox.Session) -> None:
    """The studio in a real headless Chromium (Debian's package), driven by Playwright; installs what it needs.

    Without Chromium, and where it cannot be installed, the test skips and says why.
    """
    has_soundfont = any(Path("/usr/share/sounds/sf2").glob("*.sf2"))
    if not any(shutil.which(b) for b in BROWSERS) or not shutil.which("fluidsynth") or not has_soundfont:
        problem = debian_install(session, BROWSER_PACKAGES)
        if problem:
            session.warn(f"browser packages not installed: {problem}")
    install(session, "smdiff-core", "smdiff-onehot")
    session.install("./smdiff-core[test,browser]")
    chromium = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), "")
    session.run("pytest", "tests/browser", "-rs", *session.posargs, env={"SMDIFF_CHROMIUM": chromium})


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """The main job: prepare → train → sample → evaluate on the bundled POP909 subset (SMDIFF_DEMO_MINUTES)."""
    install(session, *PACKAGES)
    session.run("python", "examples/main_job.py", *session.posargs)


@nox.session(python="3.11")
def chord_demo(session: nox.Session) -> None:
    """The chord job: trio_chords on the bundled POP909 subset, accompaniments of unseen melodies, scored."""
    install(session, *PACKAGES)
    session.run("python", "examples/chord_job.py", *session.posargs)
