"""Form: sections that repeat or vary, asked for when sampling and found in real songs.

:mod:`~smdiff.form.plan` reads a form (``"A8 A8 B8 A'8"``), :mod:`~smdiff.form.ties`
turns it into the sampler's tie map, :mod:`~smdiff.form.request` reads what the
sample settings ask for, and :mod:`~smdiff.form.detect` finds the form of a song.
"""

from smdiff.form.plan import Form, Section

__all__ = ["Form", "Section"]
