"""The reference implementation of every kernel operation, in plain PyTorch."""

from __future__ import annotations

import torch

from smdiff.diffusion.forward import apply_mask
from smdiff.diffusion.keyed_noise import keyed_uniforms
from smdiff.tokens import TokenSpec


class TorchKernels:
    """Eager PyTorch: the definition every other backend is tested against.

    No operation depends on the data for a tensor's shape or reads a value back
    to the host, so they run on a GPU without synchronising and trace whole
    under ``torch.compile``.
    """

    name = "torch"

    def masked_cross_entropy(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        mask: torch.Tensor,
        weights: torch.Tensor,
        token_spec: TokenSpec,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy of masked elements only, channel by channel, summed per row and weighted.

        Every element's cross-entropy is computed and the unmasked ones are
        zeroed (their gradient too), instead of gathering the masked ones into a
        tensor whose size depends on the mask. It is ``log_softmax`` and
        ``gather`` rather than ``F.cross_entropy``: CUDA's NLL loss has no
        deterministic implementation, so ``train.deterministic`` would refuse it.
        """
        ce_sum = logits.new_zeros(targets.shape[0], dtype=torch.float32)
        for channel, (offset, size) in enumerate(zip(token_spec.offsets, token_spec.vocab_sizes, strict=True)):
            log_probs = logits[..., offset : offset + size].float().log_softmax(-1)
            losses = -log_probs.gather(-1, targets[..., channel : channel + 1].long()).squeeze(-1)
            ce_sum = ce_sum + torch.where(mask[..., channel], losses, 0.0).sum(1)
        return (ce_sum * weights).mean(), ce_sum.detach()

    def corrupt(
        self, tokens: torch.Tensor, rates: torch.Tensor, unit: str, token_spec: TokenSpec, key: int, first_row: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Absorb each element (or whole token) whose keyed uniform is below its row's rate."""
        batch, length, channels = tokens.shape
        per_row = length if unit == "token" else length * channels
        draws = keyed_uniforms(key, first_row, batch, per_row, tokens.device)
        draws = draws.view(batch, length, 1 if unit == "token" else channels)
        mask = (draws < rates.view(-1, 1, 1)).expand(batch, length, channels)
        return apply_mask(tokens, mask, token_spec), mask

    def sample_step(
        self,
        logits: torch.Tensor,
        tokens: torch.Tensor,
        unmask: torch.Tensor,
        token_spec: TokenSpec,
        temperature: float,
        generator: torch.Generator,
        noise: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Gumbel-max draw per element (noise in float64 for exact reproducibility), kept only where ``unmask``.

        ``noise`` (float64 uniforms shaped like ``logits``) replaces the random draws.
        """
        if noise is None:
            noise = torch.rand(logits.shape, generator=generator, dtype=torch.float64, device=logits.device)
        draws = torch.empty_like(tokens)
        for channel, (offset, size) in enumerate(zip(token_spec.offsets, token_spec.vocab_sizes, strict=True)):
            scores = logits[..., offset : offset + size].double() / max(temperature, 1e-6)
            gumbel = -torch.log(-torch.log(noise[..., offset : offset + size].clamp_min(1e-300)))
            draws[..., channel] = (scores + gumbel).argmax(dim=-1)
        out = torch.where(unmask, draws, tokens)
        return out, (out != tokens).flatten(1).any(dim=1)
