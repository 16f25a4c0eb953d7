"""Training setup refuses what cannot work before touching anything."""

from __future__ import annotations

import pytest
import torch

from smdiff.config import resolve_config
from smdiff.devices import resolve_device
from smdiff.errors import ConfigError
from smdiff.tokens import TokenSpec
from smdiff.training.checks import check_settings
from smdiff.training.components import build_model
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
