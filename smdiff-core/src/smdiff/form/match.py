"""The song's own form for a gap: the bars whose surroundings match the gap's surroundings.

Songs repeat whole passages (a second verse, a last chorus). When the bars
just before and after a gap look like the bars just before and after another
passage of the same length, the gap most likely held that passage again. The
match reads only bars outside the gap (what the user kept), with the bar
similarity of :func:`~smdiff.form.detect.bar_similarity` (two silent bars say
nothing, so they are left out); the passage must hold notes, lie
outside the gap and, with it, inside one model window (so the sampler can tie
the gap to it).
"""

from __future__ import annotations

import attrs
import numpy as np

from smdiff.form.detect import bar_contents, bar_similarity
from smdiff.notes import NoteTable

#: bars on each side of the gap (and of a candidate passage) that are compared
CONTEXT_BARS = 4
#: mean similarity of those bars from which the gap follows the passage
MATCH = 0.25


@attrs.frozen
class PassageMatch:
    """The bars ``source`` (``[start, end)``) a gap repeats, and how alike their surroundings are (0–1)."""

    source: tuple[int, int]
    similarity: float


def matching_passage(
    table: NoteTable, gap: tuple[int, int], *, window_bars: int, context_bars: int = CONTEXT_BARS
) -> PassageMatch | None:
    """The passage of ``table`` (bars from 0) whose surroundings best match those of ``gap``, when they match at
    :data:`MATCH` or more; ``None`` otherwise."""
    start, end = gap
    length = end - start
    bars = table.n_bars
    if length < 1 or bars < 2 * length:
        return None
    similarity = bar_similarity(table)
    sounding = np.array([bool(content) for content in bar_contents(table)])

    def kept(bar: int) -> bool:
        return 0 <= bar < bars and not start <= bar < end

    best: PassageMatch | None = None
    for source in range(bars - length + 1):
        if source < end and start < source + length:
            continue  # overlaps the gap
        if max(end, source + length) - min(start, source) > window_bars:
            continue  # the gap and its source do not fit one window
        if not sounding[source : source + length].any():
            continue  # silence (past the song's end, say) is no passage to repeat
        pairs = [(start - 1 - k, source - 1 - k) for k in range(context_bars)]
        pairs += [(end + k, source + length + k) for k in range(context_bars)]
        pairs = [(a, b) for a, b in pairs if kept(a) and kept(b) and (sounding[a] or sounding[b])]
        if not pairs:
            continue
        score = float(np.mean([similarity[a, b] for a, b in pairs]))
        if best is None or score > best.similarity:
            best = PassageMatch((source, source + length), score)
    return best if best is not None and best.similarity >= MATCH else None
