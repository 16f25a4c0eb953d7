"""Real training steps of the grid models never wait for a GPU: no reads back, no tensors copied from Python data.

Counted on the CPU with :func:`smdiff.testing.counted_host_traffic` around the
loop's own optimizer step (data to device, masking, loss, backward, clipping,
the non-finite guard, the schedule and the EMA update).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smdiff.config import resolve_config
from smdiff.plugins import get_registries
from smdiff.testing import counted_host_traffic
from smdiff.training.components import build_components
from smdiff.training.data import ResumableBatches
from smdiff.training.distributed import DistInfo
from smdiff.training.loop import Trainer


@pytest.mark.parametrize("model", ["schmu_conv", "schmu_tx"])
def test_the_loops_optimizer_steps_read_nothing_back_and_copy_nothing_from_the_host(melody_cache, tmp_path, model):
    registries = get_registries()
    config = resolve_config(
        registries=registries,
        flags={"model.id": model, "data.bars": 4, "train.batch_size": 4, "data.cache_path": str(melody_cache)},
        overrides=["model.preset=tiny", "train.device=cpu", "data.transpose=3"],
    )
    trainer = Trainer(build_components(config, registries), Path(tmp_path), DistInfo())
    batches = iter(ResumableBatches(trainer.train_indices, 4, seed=0))
    trainer._optimizer_step(batches)  # the first step makes the token spec's constants on the device, once
    with counted_host_traffic() as counted:
        for _ in range(3):
            trainer._optimizer_step(batches)
    assert counted == []
