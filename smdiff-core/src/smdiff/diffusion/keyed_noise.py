"""Counter-based uniform numbers for the forward process: a pure function of (key, row, unit).

A stateful generator ties the noise of row ``b`` to every draw made before
it, so a data-parallel rank had to draw the whole global batch to keep its
share equal to a single process's. Here the uniform of unit ``u`` of global
row ``b`` under ``key`` is a fixed integer hash: each rank computes only its
own rows, a run of any world size masks exactly what a single process with
the same global batch masks, the CPU and a GPU (and the Triton kernel, which
computes the same hash) give identical masks, and resuming needs no noise
state beyond the step counter the key is made from.

The hash stays inside ``[0, 2³¹)`` at every stage (products below ``2⁶²``), so
int64 arithmetic is exact on every device: rounds of multiplication modulo the
Mersenne prime ``2³¹ − 1`` (Lehmer's generator) and xor-shifts, with the row and
the unit mixed in between. Its quality is checked by tests (uniform bins,
independence of neighbouring units, rows and keys); it is no cryptographic hash.
"""

from __future__ import annotations

import hashlib

import torch

PRIME = 2**31 - 1
#: Multipliers of the rounds: primitive roots modulo ``PRIME`` (MINSTD's and two from L'Ecuyer's tables).
ROW_MULTIPLIER, UNIT_MULTIPLIER, FINAL_MULTIPLIER = 48_271, 69_621, 742_938_285
#: Uniforms are ``k · 2⁻²⁴`` for a 24-bit ``k``: exact in float32 on every device.
UNIFORM_BITS = 24


def noise_key(*counters: int) -> int:
    """A key in ``[1, PRIME)`` from integers (seed, step, micro-batch, …); different counters give unrelated keys."""
    digest = hashlib.blake2b(repr(tuple(int(c) for c in counters)).encode(), digest_size=8).digest()
    return 1 + int.from_bytes(digest, "little") % (PRIME - 1)


def mix(key: int, rows: torch.Tensor, units: torch.Tensor) -> torch.Tensor:
    """The hash of every (row, unit) pair, broadcast from int64 ``rows`` and ``units``; values in ``[0, PRIME)``."""
    x = (rows ^ key) % PRIME
    x = (x * ROW_MULTIPLIER) % PRIME
    x = x ^ (x >> 16)
    x = ((x ^ units) * UNIT_MULTIPLIER) % PRIME
    x = x ^ (x >> 15)
    x = (x * FINAL_MULTIPLIER) % PRIME
    x = x ^ (x >> 16)
    return (x * ROW_MULTIPLIER) % PRIME


def keyed_uniforms(key: int, first_row: int, rows: int, units: int, device: torch.device | str) -> torch.Tensor:
    """Float32 uniforms in ``[0, 1)`` shaped ``[rows, units]`` for global rows ``first_row …``, under ``key``."""
    row_index = torch.arange(first_row, first_row + rows, dtype=torch.int64, device=device).view(-1, 1)
    unit_index = torch.arange(units, dtype=torch.int64, device=device).view(1, -1)
    hashed = mix(key, row_index, unit_index)
    return (hashed >> (31 - UNIFORM_BITS)).to(torch.float32) * 2.0**-UNIFORM_BITS
