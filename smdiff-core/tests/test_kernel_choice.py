"""`kernels.backend` names any registered kernel; `auto` picks by device and priority."""

from __future__ import annotations

import pytest
import torch

from smdiff import hookimpl
from smdiff.errors import ConfigError
from smdiff.kernels.selection import select_kernel
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.plugins import build_plugin_host
from smdiff.specs import KernelSpec


class CountingKernels(TorchKernels):
    """A third party's backend: the reference operations under another name."""

    name = "counting"


class ThirdPartyKernels:
    """A plugin registering a CPU kernel that outranks the reference, and one that cannot run here."""

    @hookimpl
    def smdiff_kernels(self):
        return [
            KernelSpec(id="counting", summary="reference ops, counted", factory=CountingKernels, priority=5),
            KernelSpec(id="absent", summary="needs hardware", factory=CountingKernels, is_available=lambda: False),
        ]


@pytest.fixture()
def registries():
    host = build_plugin_host(entrypoints=False, env={})
    host.register(ThirdPartyKernels(), "third_party", "third-party-kernels", "0.1")
    return host.registries


def test_a_third_party_kernel_can_be_chosen_by_id_and_wins_auto_by_priority(registries):
    assert select_kernel("counting", registries, torch.device("cpu")).name == "counting"
    assert select_kernel("torch", registries, torch.device("cpu")).name == "torch"
    assert select_kernel("auto", registries, torch.device("cpu")).name == "counting"


def test_auto_never_picks_a_backend_for_another_device(registries):
    """Triton serves CUDA only: on a CPU, even under its interpreter, auto leaves it alone."""
    assert select_kernel("auto", build_plugin_host(entrypoints=False, env={}).registries, torch.device("cpu")).name == (
        "torch"
    )


def test_unknown_or_unavailable_kernels_are_config_errors(registries):
    with pytest.raises(ConfigError, match=r"kernels.backend: unknown kernel 'countng'.*did you mean 'counting'"):
        select_kernel("countng", registries, torch.device("cpu"))
    with pytest.raises(ConfigError, match=r"kernels\.backend=absent is not available here"):
        select_kernel("absent", registries, torch.device("cpu"))
