"""Training setup refuses what cannot work before touching anything."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from smdiff.checkpoints import load_checkpoint, save_checkpoint
from smdiff.config import resolve_config
from smdiff.devices import resolve_device
from smdiff.errors import ConfigError
from smdiff.tokens import TokenSpec
from smdiff.training.checks import check_settings
from smdiff.training.components import build_model
from smdiff.training.rng import capture_rng, matching_cuda_states, restore_rng
from smdiff.training.schedule import lr_factor


def test_a_model_for_another_representation_is_refused(registries, toy_config_defaults):
    config = resolve_config(registries=registries, flags={**toy_config_defaults, "model.id": "toy_event"})
    with pytest.raises(
        ConfigError, match="model 'toy_event' takes event tokens but tokenizer 'toy_tok' makes grid tokens"
    ):
        build_model(config, registries, TokenSpec(("a",), (3,)), "grid", 16)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.accumulate=0", "train.accumulate must be at least 1"),
        ("train.steps=0", "train.steps must be at least 1"),
        ("train.ema_rate=1.5", "train.ema_rate must be in"),
        ("train.amp=fp16", "train.amp=fp16 needs a CUDA GPU"),
        ("train.lr=-1.0", "train.lr must be positive"),
    ],
)
def test_impossible_settings(registries, toy_config_defaults, override, message):
    config = resolve_config(registries=registries, flags=toy_config_defaults, overrides=[override])
    with pytest.raises(ConfigError, match=message):
        check_settings(config, torch.device("cpu"))


def test_device_choice():
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(ConfigError, match="not a torch device"):
        resolve_device("gpu0")


def test_warmup_then_cosine():
    factor = lr_factor(10, 110, "cosine")
    assert factor(0) == pytest.approx(0.1) and factor(9) == pytest.approx(1.0)
    assert factor(60) == pytest.approx(0.5) and factor(110) == pytest.approx(0.0)
    assert lr_factor(10, 110, "constant")(100) == 1.0


def test_random_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    generators = {"noise": torch.Generator().manual_seed(3)}
    augment = np.random.default_rng(5)
    state = capture_rng(generators, augment)
    path = save_checkpoint(tmp_path / "rng.pt", {"rng": state})
    expected = (torch.rand(4, generator=generators["noise"]), torch.rand(4), augment.integers(0, 100, 4))
    restore_rng(load_checkpoint(path)["rng"], generators, augment)
    again = (torch.rand(4, generator=generators["noise"]), torch.rand(4), augment.integers(0, 100, 4))
    assert torch.equal(again[0], expected[0]) and torch.equal(again[1], expected[1])
    assert (again[2] == expected[2]).all()


def test_gpu_random_states_of_another_gpu_count_restore_what_matches_and_say_so():
    saved = [torch.full((16,), device, dtype=torch.uint8) for device in range(4)]
    same, quiet = matching_cuda_states(saved, 4)
    assert len(same) == 4 and quiet is None
    fewer, message = matching_cuda_states(saved, 2)
    assert [int(state[0]) for state in fewer] == [0, 1]
    assert "random states of 4 GPU(s) and this process sees 2" in message and "CUDA_VISIBLE_DEVICES" in message
    more, message = matching_cuda_states(saved[:1], 8)
    assert len(more) == 1 and "1 GPU(s) and this process sees 8" in message
