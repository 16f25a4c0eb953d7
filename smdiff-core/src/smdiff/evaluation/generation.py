"""What ``smdiff evaluate`` generates before it scores: the samples of a run, for its task."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from smdiff.config.schema import SmdiffConfig
from smdiff.data.catalog import config_cache_path
from smdiff.errors import ConfigError
from smdiff.evaluation.inputs import test_windows
from smdiff.inference import estimate_seconds, load_run, sample_to_folder

if TYPE_CHECKING:
    from smdiff.registry import Registries


def sample_for_evaluation(
    resolved: SmdiffConfig,
    load_dir: Path,
    registries: Registries,
    dataset_id: str | None,
    into: Path,
    *,
    on_estimate: Callable[[str], None] = lambda message: None,
    on_piece: Callable[[int, int], None] = lambda done, total: None,
) -> None:
    """``eval.n_samples`` pieces of ``load_dir``'s model into the sample folder ``into``.

    A task without input writes new pieces; a task with input fills the input
    files when the settings name some, else the test split's windows (the
    first window of every test song before any song's second), so its pieces
    are scored as infillings against those originals. New pieces draw their
    forms from the run's form prior and gaps follow the window's own form, as
    ``smdiff sample`` does (``sample.form_prior=false`` / ``sample.song_form=false``
    score the model alone).
    """
    settings = attrs.evolve(resolved.sample, n_samples=resolved.eval.n_samples)
    asked = [name for name in ("form", "form_from", "repeat_from", "vary_from") if getattr(settings, name) is not None]
    if asked:
        raise ConfigError(
            f"sample.{asked[0]} is set: evaluate measures what smdiff samples unasked, never a form you choose (a "
            "form is the user's choice, not a way to raise a metric); drop it, or score forms with "
            "benchmarks/form_control.py"
        )
    run = load_run(
        load_dir, load_step=settings.load_step, ema=settings.ema, registries=registries, dataset_id=dataset_id
    )
    task = registries.tasks.get(settings.task).factory(settings)
    windows = None
    if task.needs_input and not (settings.input_midi or settings.input_midi_dir):
        version = registries.tokenizers.get(run.tokenizer.id).version
        windows = test_windows(config_cache_path(run.config), run.tokenizer, version, settings.n_samples)
    seconds = estimate_seconds(run, settings, settings.n_samples)
    on_estimate(
        f"generating {settings.task} samples ({settings.sampler} sampler) on {run.device}: "
        f"about {seconds:.0f} s (--n_samples and --sample_steps change it)"
    )
    sample_to_folder(run, task, settings, into, windows=windows, on_piece=on_piece)
