"""Unconditional samples written as MIDI during training, to hear progress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from smdiff.diffusion.forward import mask_ids
from smdiff.diffusion.sampling import sample
from smdiff.midi import save_score
from smdiff.training.components import Components

TRAINING_SAMPLE_STEPS = 16


@torch.no_grad()
def write_training_samples(c: Components, model: nn.Module, folder: Path, count: int, seed: int) -> list[Path]:
    """Generate ``count`` windows with the confidence sampler and write ``.mid`` and ``.npy`` files."""
    was_training = model.training
    model.eval()
    generator = torch.Generator(c.device).manual_seed(seed)
    initial = mask_ids(c.token_spec, c.device).expand(count, c.window_length, c.token_spec.n_channels).clone()
    tokens, _ = sample(
        model, c.kernel, c.token_spec, initial, method="confidence", steps=TRAINING_SAMPLE_STEPS, generator=generator
    )
    model.train(was_training)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index, window in enumerate(tokens.cpu().numpy()):
        np.save(folder / f"sample_{index}.npy", window)
        repaired, _ = c.tokenizer.repair(window)
        written.append(save_score(c.tokenizer.decode(repaired), folder / f"sample_{index}.mid"))
    return written
