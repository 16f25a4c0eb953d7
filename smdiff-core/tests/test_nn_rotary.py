"""Rotary positions: attention scores depend on the distance between positions, not on where they are."""

from __future__ import annotations

import torch

from smdiff.config.schema import ModelConfig
from smdiff.nn.blocks import TransformerStack, rotate


def test_rotated_query_key_products_depend_only_on_the_offset() -> None:
    torch.manual_seed(0)
    q, k = torch.randn(1, 1, 1, 16), torch.randn(1, 1, 1, 16)
    length = 40
    queries, keys = rotate(q.expand(1, 1, length, 16)), rotate(k.expand(1, 1, length, 16))
    scores = (queries @ keys.transpose(-2, -1))[0, 0]
    for offset in (1, 4, 16):
        along = torch.diagonal(scores, offset)
        assert torch.allclose(along, along[0].expand_as(along), atol=1e-4), offset
    assert not torch.allclose(torch.diagonal(scores, 1)[0], torch.diagonal(scores, 4)[0])
    assert torch.allclose(rotate(q)[..., 0, :], q[..., 0, :])  # position 0 is not rotated


def test_rotary_changes_what_a_stack_computes_and_is_on_by_default() -> None:
    torch.manual_seed(0)
    plain = TransformerStack(32, 1, 2, 2, 0.0, 16)
    rotary = TransformerStack(32, 1, 2, 2, 0.0, 16, rotary=True)
    rotary.load_state_dict(plain.state_dict())  # rotary positions add no weights
    x = torch.randn(2, 16, 32)
    assert not torch.allclose(plain(x), rotary(x))
    assert ModelConfig().rotary


def test_a_relative_bias_starts_neutral_and_can_make_a_head_look_a_fixed_distance_back() -> None:
    torch.manual_seed(0)
    plain = TransformerStack(32, 1, 2, 2, 0.0, 16)
    biased = TransformerStack(32, 1, 2, 2, 0.0, 16, relative_bias=True)
    state = {k: v for k, v in biased.state_dict().items() if "distance_scores" not in k}
    biased.load_state_dict({**plain.state_dict(), **{k: v for k, v in biased.state_dict().items() if k not in state}})
    x = torch.randn(2, 16, 32)
    assert torch.allclose(plain(x), biased(x), atol=1e-6)  # zero scores: the same attention
    attention = biased.blocks[0].attn
    with torch.no_grad():
        attention.distance_scores[:, 15 + 4] = 50.0  # query i strongly prefers key i − 4
    bias = attention._bias(16, torch.device("cpu"))
    assert bias.shape == (1, 2, 16, 16) and bias[0, 0, 10, 6] == 50.0 and bias[0, 0, 10, 7] == 0.0
    assert not torch.allclose(plain(x), biased(x))
