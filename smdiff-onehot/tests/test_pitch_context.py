"""The grid models' pitch context: neighbouring visible pitches and interval scores, on real token layouts."""

from __future__ import annotations

import torch

from smdiff import ModelConfig, TokenSpec
from smdiff_onehot.bar_echoes import ECHO_BARS, CopyLogits, echoes
from smdiff_onehot.grid import FIRST_PITCH_TOKEN, HOLD, NOTE_OFF, VOCAB
from smdiff_onehot.maskers import BarSpanMasker
from smdiff_onehot.models import ConVormer, GridTransformer
from smdiff_onehot.pitch_context import NO_PITCH, neighbour_pitches

MASK = VOCAB


def test_each_step_sees_the_nearest_visible_pitch_before_and_after_it():
    p = lambda midi: FIRST_PITCH_TOKEN + midi - 21  # noqa: E731
    row = torch.tensor([[p(60), HOLD, MASK, HOLD, NOTE_OFF, p(64), MASK, p(67), HOLD]])
    before, after = neighbour_pitches(row)
    none, c, e, g = NO_PITCH, 60 - 21, 64 - 21, 67 - 21
    assert before.tolist() == [[none, c, c, c, c, c, e, e, g]]  # strictly before: a pitch step does not see itself
    assert after.tolist() == [[e, e, e, e, e, g, g, none, none]]  # masked steps and rests are not pitches


def test_pitch_context_is_on_by_default_and_changes_what_the_models_predict_from_the_visible_notes_only():
    assert ModelConfig().pitch_context and ModelConfig().bar_echoes
    spec = TokenSpec(("melody", "bass"), (VOCAB, VOCAB))
    tokens = torch.full((2, 64, 2), MASK)
    tokens[0, 10, 0] = FIRST_PITCH_TOKEN + 40  # one visible note in row 0 only
    for model_class in (ConVormer, GridTransformer):
        torch.manual_seed(0)
        model = model_class(spec, ModelConfig(width=32, depth=1, heads=2, bar_echoes=False), 64).eval()
        with torch.no_grad():
            logits = model(tokens)
        assert logits.shape == (2, 64, 2 * VOCAB) and torch.isfinite(logits).all()
        assert not torch.allclose(logits[0, 20, :VOCAB], logits[1, 20, :VOCAB])
        plain = model_class(spec, ModelConfig(width=32, depth=1, heads=2, pitch_context=False, bar_echoes=False), 64)
        assert sum(p.numel() for p in model.parameters()) > sum(p.numel() for p in plain.parameters())


def test_bar_spans_mask_whole_bars_in_half_the_rows_at_the_rows_rate():
    spec = TokenSpec(("melody", "bass"), (VOCAB, VOCAB))
    tokens = torch.zeros(800, 256, 2, dtype=torch.long)
    rates = torch.rand(800, generator=torch.Generator().manual_seed(0))
    mask = BarSpanMasker(spec)(tokens, rates, torch.Generator().manual_seed(1))
    per_bar = mask.view(800, 16, 16, 2)
    whole_bars = (per_bar.all(dim=2) | ~per_bar.any(dim=2)).all(dim=(1, 2))  # rows masked in whole bars only
    assert 0.4 < whole_bars.float().mean() < 0.6
    assert abs(float(mask.float().mean(dim=(1, 2)).mean() - rates.mean())) < 0.02
    assert not torch.equal(per_bar[whole_bars][..., 0], per_bar[whole_bars][..., 1])  # channels drawn on their own


def test_echoes_are_the_same_step_in_other_bars_and_copy_scores_land_on_the_echoed_tokens():
    steps = torch.arange(64).view(1, 64)  # four bars of 16 steps; token = step number
    echoed = echoes(steps, outside=-1)[0]
    assert dict(zip(ECHO_BARS, echoed[20].tolist(), strict=True)) == {
        -8: -1,
        -4: -1,
        -2: -1,
        -1: 4,
        1: 36,
        2: 52,
        4: -1,
        8: -1,
    }
    spec = TokenSpec(("melody",), (VOCAB,))
    copies = CopyLogits(spec, 8)
    tokens = torch.full((1, 64, 1), MASK)
    tokens[0, 4, 0] = FIRST_PITCH_TOKEN + 30  # visible one bar before step 20
    features = [torch.randn(1, 64, 8)]
    added = copies(tokens, features, torch.zeros(1, 64, VOCAB))
    score = copies.scores[0](features[0])[0, 20, ECHO_BARS.index(-1)]
    assert torch.isclose(added[0, 20, FIRST_PITCH_TOKEN + 30], score)
    assert torch.count_nonzero(added[0, 20]) == 1  # masked and outside echoes add nothing
