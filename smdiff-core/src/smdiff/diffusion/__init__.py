"""Absorbing-state discrete diffusion on the ``[B, L, C]`` token contract."""
