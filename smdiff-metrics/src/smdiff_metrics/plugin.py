"""Entry-point module of smdiff-metrics: cheap to import, it only describes what the package registers."""

from __future__ import annotations

from smdiff import MetricSpec, hookimpl

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _overlap(attribute: str, which: str):
    def make():
        from smdiff_metrics.unconditional import OverlapMetric

        return OverlapMetric(attribute, which)

    return make


def _kl(name: str):
    def make():
        from smdiff_metrics import histograms, motion
        from smdiff_metrics.unconditional import HistogramKL

        labels = {
            "interval": motion.INTERVAL_LABELS,
            "pitch_class": PITCH_CLASSES,
            "duration": [f"<{edge:g}" for edge in histograms.DURATION_BINS[1:]],
            "velocity": [str(4 * i) for i in range(32)],
            "notes_per_bar": [f"<{edge:g}" for edge in histograms.DENSITY_BINS[1:]],
        }[name]
        function = {
            "interval": motion.interval_histogram,
            "pitch_class": histograms.pitch_class_histogram,
            "duration": histograms.duration_histogram,
            "velocity": histograms.velocity_histogram,
            "notes_per_bar": histograms.density_histogram,
        }[name]
        return HistogramKL(name, function, labels)

    return make


def _statistic(name: str):
    def make():
        from smdiff_metrics import unconditional

        return unconditional.Statistic(getattr(unconditional, name))

    return make


def _infill(name: str, *args: str):
    def make():
        from smdiff_metrics import infill

        return getattr(infill, name)(*args)

    return make


#: per-piece metrics: module, function, summary, and whether evaluate draws their distribution
PER_PIECE = {
    "scale_consistency": ("tonality", "largest share of a piece's notes inside one major/minor scale", True),
    "pitch_class_entropy": ("tonality", "entropy of a piece's pitch-class histogram (bits)", True),
    "chord_fit": ("tonality", "share of melody note-time on pitch classes the accompaniment sounds", False),
    "avg_pitch_shift": ("motion", "mean |interval| between consecutive notes of the lead line (semitones)", True),
    "step_share": ("motion", "share of the lead line's intervals of at most 2 semitones", True),
    "leap_share": ("motion", "share of the lead line's intervals of at least 7 semitones", True),
    "pitch_range": ("motion", "5–95 % span of the lead line's pitches (semitones)", False),
    "groove_consistency": ("rhythm", "1 − mean Hamming distance of consecutive bars' onset patterns", False),
    "empty_bar_rate": ("rhythm", "share of bars where no note starts", False),
    "repetition": ("structure", "share of 2-bar segments repeating an earlier one exactly", False),
    "near_repetition": (
        "structure",
        "share of 2-bar segments sharing ≥ 75 % of their notes with an earlier one",
        False,
    ),
}


def _per_piece(name: str):
    def make():
        import importlib

        from smdiff_metrics.per_piece import DistributionPlot, PerPieceMetric

        module, _, plotted = PER_PIECE[name]
        function = getattr(importlib.import_module(f"smdiff_metrics.{module}"), name)
        return (DistributionPlot if plotted else PerPieceMetric)(name, function)

    return make


#: chord metrics of infillings (models with a chord channel): factory in smdiff_metrics.infill_chords, summary, direction
GAP_CHORDS = {
    "infill_chord_accuracy": ("chord_accuracy_metric",
                              "beats where the gap's accompaniment plays the given chord (root, major/minor)", "higher"),
    "infill_chord_tone_ratio": ("chord_tone_ratio_metric", "share of the gap's melody time on chord tones", "reference"),
    "infill_harmonization_accuracy": ("harmonization_metric",
                                      "beats where generated chords match the song's (root, major/minor)", "higher"),
}  # fmt: skip


def _infill_chords(name: str):
    def make():
        from smdiff_metrics import infill_chords

        return getattr(infill_chords, name)()

    return make


def _valid():
    from smdiff_metrics.unconditional import ValidShare

    return ValidShare()


@hookimpl
def smdiff_metrics() -> list[MetricSpec]:
    """Register the unconditional and infilling metrics (per-piece metrics first)."""
    per_piece = [
        MetricSpec(
            id=name, summary=f"per piece: {summary}", factory=_per_piece(name), task="uncond", direction="reference"
        )
        for name, (_, summary, _) in PER_PIECE.items()
    ]
    uncond = per_piece + [
        MetricSpec(id=f"oa_{a}_{w}", summary=f"overlapping-area {w} of {a} (4-bar frames, hop 2)", factory=_overlap(a, w),
                   task="uncond", direction="higher")
        for a in ("pitch", "duration") for w in ("consistency", "variance")
    ]  # fmt: skip
    uncond += [
        MetricSpec(id=f"kl_{name}", summary=f"KL(data ‖ samples) of the {name.replace('_', '-')} histogram (nats)",
                   factory=_kl(name), task="uncond", direction="lower")
        for name in ("pitch_class", "interval", "duration", "velocity", "notes_per_bar")
    ]  # fmt: skip
    statistics = {
        "self_similarity": "mean cosine similarity of bar pitch-class profiles within a piece",
        "polyphony": "mean notes starting together",
        "diversity": "1 − mean cosine similarity between pieces' pitch-class/duration profiles",
    }
    uncond += [
        MetricSpec(id=name, summary=summary, factory=_statistic(name), task="uncond", direction="reference")
        for name, summary in statistics.items()
    ]
    uncond.append(MetricSpec(id="valid_samples", summary="share of samples with notes and nothing repaired", factory=_valid,
                             task="uncond", direction="higher"))  # fmt: skip
    infill = [
        MetricSpec(
            id="infill_key_consistency",
            summary="per infilling: share of gap notes in the key of the notes around it",
            factory=_infill("KeyConsistency"),
            task="infill",
            direction="higher",
        ),
    ]
    infill += [
        MetricSpec(
            id=f"infill_note_{which}",
            summary=f"note {which} of (track, onset, pitch) in the gap against the original",
            factory=_infill("NoteMatch", which),
            task="infill",
            direction="higher",
        )
        for which in ("precision", "recall", "f1")
    ]
    infill += [
        MetricSpec(id="infill_pitch_accuracy", summary="original gap notes matched in track, onset and pitch",
                   factory=_infill("NoteAccuracy", "pitch"), task="infill", direction="higher"),
        MetricSpec(id="infill_duration_accuracy", summary="original gap notes matched in track, onset and duration",
                   factory=_infill("NoteAccuracy", "duration"), task="infill", direction="higher"),
        MetricSpec(id="infill_token_accuracy", summary="generated elements equal to the original's",
                   factory=_infill("TokenAccuracy"), task="infill", direction="higher"),
        MetricSpec(id="infill_boundary_pitch", summary="mean |pitch jump at the gap edges − the original's| (semitones)",
                   factory=_infill("BoundarySmoothness", "pitch"), task="infill", direction="lower"),
        MetricSpec(id="infill_boundary_rhythm", summary="mean |notes-per-bar jump at the gap edges − the original's|",
                   factory=_infill("BoundarySmoothness", "density"), task="infill", direction="lower"),
        MetricSpec(id="infill_kl_pitch_class", summary="KL(original gap ‖ generated gap) of pitch classes (nats)",
                   factory=_infill("GapPitchClassKL"), task="infill", direction="lower"),
        MetricSpec(id="infill_density_error", summary="relative error of the note count in the gap",
                   factory=_infill("DensityError"), task="infill", direction="lower"),
    ]  # fmt: skip
    infill += [
        MetricSpec(id=name, summary=f"per infilling: {summary}", factory=_infill_chords(factory), task="infill",
                   direction=direction)
        for name, (factory, summary, direction) in GAP_CHORDS.items()
    ]  # fmt: skip
    return uncond + infill
