"""Form fit on real songs: their own detected form fits them; the same pieces broken by the controls do not."""

from __future__ import annotations

import numpy as np

from smdiff import detect_form
from smdiff_metrics.controls import controlled
from smdiff_metrics.form import contrast_pairs, form_fit


def test_contrasts_pair_bars_of_differently_named_sections():
    from smdiff import Form

    assert contrast_pairs(Form.parse("A2 B2 A2")) == [(2, 0), (3, 1), (4, 2), (5, 3)]


def test_a_real_song_fits_its_own_form_and_its_shuffled_or_random_notes_do_not(songs):
    fits, shuffled, random = [], [], []
    for song in songs[:20]:
        form = detect_form(song)
        fit = form_fit(song, form)
        if np.isnan(fit.repeats):
            continue  # a song that repeats no 4-bar section in these 64 bars
        fits.append(fit)
        shuffled.append(form_fit(controlled([song], "bars_shuffled")[0], form))
        random.append(form_fit(controlled([song], "scale_random")[0], form))
    assert len(fits) >= 10
    repeats = np.median([fit.repeats for fit in fits])
    assert repeats >= 0.85 > 2 * np.nanmedian([fit.contrasts for fit in fits])
    assert np.median([fit.repeats for fit in shuffled]) < 0.5 * repeats
    assert np.median([fit.repeats for fit in random]) < 0.5 * repeats
