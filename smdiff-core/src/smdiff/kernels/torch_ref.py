"""The reference implementation of every kernel operation, in plain PyTorch."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from smdiff.diffusion.forward import apply_mask, random_mask
from smdiff.tokens import TokenSpec


class TorchKernels:
    """Eager PyTorch: the definition every other backend is tested against."""

    name = "torch"

    def masked_cross_entropy(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        mask: torch.Tensor,
        weights: torch.Tensor,
        token_spec: TokenSpec,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy of masked elements only, channel by channel, summed per row and weighted."""
        batch = logits.shape[0]
        ce_sum = logits.new_zeros(batch, dtype=torch.float32)
        rows = torch.arange(batch, device=logits.device)
        for channel, (offset, size) in enumerate(zip(token_spec.offsets, token_spec.vocab_sizes, strict=True)):
            where = mask[..., channel]
            if not where.any():
                continue
            selected = logits[..., offset : offset + size][where].float()
            losses = F.cross_entropy(selected, targets[..., channel][where], reduction="none")
            row_of = rows.view(-1, 1).expand(where.shape)[where]
            ce_sum = ce_sum.index_add(0, row_of, losses)
        return (ce_sum * weights).mean(), ce_sum.detach()

    def corrupt(
        self, tokens: torch.Tensor, rates: torch.Tensor, unit: str, token_spec: TokenSpec, generator: torch.Generator,
        uniforms: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """Absorb each element (or whole token) with its row's rate; ``uniforms`` replaces the random draws."""
        if uniforms is None:
            mask = random_mask(tokens.shape, rates, unit, generator)  # type: ignore[arg-type]
        else:
            draws = uniforms[..., :1].expand(tokens.shape) if unit == "token" else uniforms
            mask = draws < rates.view(-1, 1, 1)
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
    ) -> torch.Tensor:
        """Gumbel-max draw per element (noise in float64 for exact reproducibility), kept only where ``unmask``.

        ``noise`` (float64 uniforms shaped like ``logits``) replaces the random draws.
        """
        draws = torch.empty_like(tokens)
        for channel, (offset, size) in enumerate(zip(token_spec.offsets, token_spec.vocab_sizes, strict=True)):
            scores = logits[..., offset : offset + size].double() / max(temperature, 1e-6)
            if noise is not None:
                uniform = noise[..., offset : offset + size]
            else:
                uniform = torch.rand(scores.shape, generator=generator, dtype=torch.float64, device=scores.device)
            gumbel = -torch.log(-torch.log(uniform.clamp_min(1e-300)))
            draws[..., channel] = (scores + gumbel).argmax(dim=-1)
        return torch.where(unmask, draws, tokens)
