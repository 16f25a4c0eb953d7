"""The training loop: steps, validation, samples, checkpoints, and clean stops."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch

from smdiff import checkpoints as ckpt
from smdiff.diffusion.keyed_noise import noise_key
from smdiff.diffusion.probe import PitchStatistics, pitch_probe
from smdiff.errors import SmdiffError
from smdiff.progress import field_column, progress_bar, status, warn
from smdiff.training.components import Components
from smdiff.training.data import (
    ResumableBatches,
    augment,
    fetch_batch,
    split_or_fail,
    to_device,
    transposition_shifts,
)
from smdiff.training.distributed import DistInfo, agree_any, any_rank, barrier, gather_objects, mean_over_ranks_
from smdiff.training.logging import MetricsLogger
from smdiff.training.nonfinite import NonFiniteGuard
from smdiff.training.rng import capture_rng
from smdiff.training.samples import write_training_samples
from smdiff.training.signals import StopRequests
from smdiff.training.state import TrainState, build_payload, restore_payload
from smdiff.training.step import NoiseSource, diffusion_loss, draw_rates, validate

VALIDATION_SEED = 1234
MASKER_STREAM = 7_919  # offset of each rank's structured-masker generator seed from the run's seed
UNIGRAM_WINDOWS = 2000  # training windows the probe's pitch unigram is counted from
PROGRESS_COLUMNS = (
    field_column("loss {task.fields[loss]:.3f}"),
    field_column("{task.fields[bits]:.2f} b/tok"),
    field_column("{task.fields[rate]:.1f} it/s"),
)


class TrainingDiverged(SmdiffError):
    """Too many non-finite steps in a row; the last good checkpoint is kept."""

    exit_code = 1


@attrs.frozen
class TrainReport:
    """How a run ended."""

    run_dir: Path
    steps: int
    seconds: float
    initial_val: float | None
    best_val: float
    last_val: float | None
    nonfinite_steps: int
    stopped_by: str | None
    exit_code: int
    last_checkpoint: Path | None


class Trainer:
    """Runs one training run in ``run_dir`` from :class:`Components`."""

    def __init__(self, c: Components, run_dir: Path, dist: DistInfo) -> None:
        self.c, self.run_dir, self.dist = c, run_dir, dist
        train = c.config.train
        # "noise" draws the global batch's masking rates (in step on every rank); "masker" feeds structured
        # maskers, which draw for this rank's rows only; the random masker's masks are keyed, not drawn
        self.generators = {
            "noise": torch.Generator(c.device).manual_seed(train.seed),
            "masker": torch.Generator(c.device).manual_seed(train.seed + MASKER_STREAM * (dist.rank + 1)),
        }
        self.augment_rng = np.random.default_rng(train.seed)
        torch.manual_seed(train.seed + dist.rank)
        self.state = TrainState()
        self.train_indices = split_or_fail(c.cache, "train", train.batch_size * dist.world)
        self.val_indices = split_or_fail(c.cache, "validation", 1)
        self.rows = slice(dist.rank * train.batch_size, (dist.rank + 1) * train.batch_size)
        self.last_checkpoint: Path | None = None
        self.after_checkpoint: Callable[[Path], None] = lambda path: None
        self.last_val: float | None = None
        self.guard = NonFiniteGuard(c.device)
        self.pitch_statistics: PitchStatistics | None = None

    def restore(self, payload: dict[str, Any], path: Path) -> None:
        """Continue from a checkpoint payload."""
        self.state = restore_payload(
            self.c, payload, self.generators, self.augment_rng, rank=self.dist.rank, world=self.dist.world
        )
        self.last_checkpoint = path

    def _micro_batch(self, batches: Any) -> torch.Tensor:
        """This process's rows of the next global batch, read and augmented on their own."""
        indices = next(batches)
        shifts = transposition_shifts(len(indices), self.c.config.data.transpose, self.augment_rng)
        windows = fetch_batch(self.c.cache.windows, indices[self.rows])
        return to_device(
            augment(windows, self.c.tokenizer, None if shifts is None else shifts[self.rows]), self.c.device
        )

    def _gradient_sync(self, last: bool) -> contextlib.AbstractContextManager:
        """DDP's ``no_sync`` for every micro-batch but the last: gradients are all-reduced once per step."""
        if last or not isinstance(self.c.model, torch.nn.parallel.DistributedDataParallel):
            return contextlib.nullcontext()
        return self.c.model.no_sync()

    def _optimizer_step(self, batches: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Accumulate gradients over micro-batches, clip, and step unless the gradients are non-finite.

        Returns the step's loss, bits per token and gradient norm as device
        tensors: nothing is read back to the host here.
        """
        c, train = self.c, self.c.config.train
        global_batch = train.batch_size * self.dist.world
        loss_total = torch.zeros((), device=c.device)
        bits_total = torch.zeros((), device=c.device)
        for micro in range(train.accumulate):
            clean = self._micro_batch(batches)
            rates = draw_rates(c, global_batch, self.rows, self.generators["noise"])
            noise = NoiseSource(
                noise_key(train.seed, self.state.step, micro), self.rows.start, self.generators["masker"]
            )
            with self._gradient_sync(last=micro == train.accumulate - 1):
                loss, bits = diffusion_loss(c, c.model, clean, rates, noise, c.config.diffusion.loss)
                c.scaler.scale(loss / train.accumulate).backward()
            loss_total += loss.detach().float() / train.accumulate
            bits_total += bits.detach().float().mean() / train.accumulate
        c.scaler.unscale_(c.optimizer)
        norm = torch.nn.utils.clip_grad_norm_(
            c.model.parameters(), train.grad_clip if train.grad_clip > 0 else math.inf
        )  # after DDP's all-reduce: the same on every rank, so every rank skips the same steps
        self.guard.step(c.optimizer, c.scaler, norm)
        c.scheduler.step()
        if c.ema is not None:
            c.ema.update(c.model.module if hasattr(c.model, "module") else c.model)
        c.optimizer.zero_grad(set_to_none=True)
        return loss_total, bits_total, norm.detach()

    def _read_back(self, loss: torch.Tensor, bits: torch.Tensor, norm: torch.Tensor) -> dict[str, float]:
        """The step's values as floats (loss and bits averaged over ranks), and the divergence check.

        Called every ``train.log_every`` steps on every rank: one all-reduce and
        one read from the device.
        """
        values = mean_over_ranks_(torch.stack([loss, bits]), self.dist)
        read = torch.cat([values, norm.float().view(1), self.guard.pending().float()]).tolist()
        self.guard.clear()
        loss_value, bits_value, norm_value, longest, skipped = read
        self._check_divergence(int(longest), int(skipped))
        return {"loss": loss_value, "bits_per_token": bits_value, "grad_norm": norm_value}

    def _eval_model(self) -> torch.nn.Module:
        model = self.c.model.module if hasattr(self.c.model, "module") else self.c.model
        return self.c.ema.model if self.c.ema is not None else model

    def _validate(self, logger: MetricsLogger | None) -> float:
        value = validate(self.c, self._eval_model(), self.val_indices, self.c.config.train.val_batches, VALIDATION_SEED)
        if logger is not None:
            logger.log(self.state.step, "val", {"bits_per_token": value})
            self._probe(logger)
        return value

    def _probe(self, logger: MetricsLogger) -> None:
        """Log masked-pitch bits of the model and of the unigram, context and neighbour baselines on validation windows."""
        count, pitch_tokens = self.c.config.train.probe_windows, self.c.tokenizer.pitch_tokens()
        if count <= 0 or not pitch_tokens:
            return
        if self.pitch_statistics is None:
            self.pitch_statistics = PitchStatistics.of(
                fetch_batch(self.c.cache.windows, self.train_indices[:UNIGRAM_WINDOWS]), pitch_tokens
            )
        windows = fetch_batch(self.c.cache.windows, self.val_indices[:count])
        results = pitch_probe(
            self._eval_model(), windows, self.c.token_spec, pitch_tokens, self.pitch_statistics,
            unit=self.c.config.diffusion.mask_unit, seed=VALIDATION_SEED, device=self.c.device,
        )  # fmt: skip
        logger.log(self.state.step, "probe", {k: v for r in results for k, v in r.as_log().items()})

    def _validate_keeping_best(self, logger: MetricsLogger | None) -> None:
        self.last_val = self._validate(logger)
        if any_rank(self.last_val < self.state.best_val, self.dist):  # decided together: a checkpoint barrier follows
            self.state.best_val = self.last_val
            self._checkpoint("best.pt")

    def _checkpoint(self, name: str | None = None, *, collective: bool = True) -> Path | None:
        """Rank 0 writes a checkpoint (periodic unless ``name`` is given) with every rank's random states.

        Every rank calls it and waits for the write; ``collective=False`` (after
        a crash, when other ranks may be gone) writes rank 0's states alone.
        """
        path = None
        rank_rngs = None
        if collective:
            self._check_divergence(*self.guard.read())  # also folds the skipped steps into the checkpointed state
        if collective and self.dist.world > 1:
            rank_rngs = gather_objects(capture_rng(self.generators, self.augment_rng), self.dist)
        if self.dist.is_main:
            payload = build_payload(self.c, self.state, self.generators, self.augment_rng, rank_rngs, self.dist.world)
            path = self.run_dir / "checkpoints" / name if name else ckpt.step_checkpoint(self.run_dir, self.state.step)
            ckpt.save_checkpoint(path, payload)
            if name is None:
                self.last_checkpoint = path
                ckpt.rotate(self.run_dir, self.c.config.train.keep_last)
            self.after_checkpoint(path)
        if collective:
            barrier(self.dist)
        return path

    def _write_samples(self) -> None:
        if self.dist.is_main and self.c.config.train.train_samples > 0:
            folder = self.run_dir / "samples" / f"step_{self.state.step:08d}"
            write_training_samples(
                self.c, self._eval_model(), folder, self.c.config.train.train_samples, self.state.step
            )

    def _log_step(self, logger: MetricsLogger | None, values: dict[str, float]) -> None:
        if logger is not None:
            logger.log(self.state.step, "train", {**values, "lr": self.c.scheduler.get_last_lr()[0]})

    def _periodic_work(self, logger: MetricsLogger | None) -> None:
        """Validation (and best checkpoint), samples and checkpoints due after this step."""
        train, step = self.c.config.train, self.state.step
        if step % train.validate_every == 0 or step == train.steps:
            self._validate_keeping_best(logger)
        if step % train.sample_every == 0:
            self._write_samples()
        if step % train.checkpoint_every == 0 or step == train.steps:
            self._checkpoint()

    def _out_of_time(self, started: float) -> bool:
        """Whether ``train.max_seconds`` has passed on this rank (agreed with the others with the stop flags)."""
        limit = self.c.config.train.max_seconds
        return limit is not None and time.perf_counter() - started > limit

    def _expected_total(self, started: float, first_step: int) -> int:
        """The step training will stop at: ``train.steps``, or sooner when ``train.max_seconds`` ends it first.

        The progress line's total and ETA follow it, so a time-limited run shows
        when it will end, not when 100,000 steps would.
        """
        train = self.c.config.train
        elapsed, done = time.perf_counter() - started, self.state.step - first_step
        if train.max_seconds is None or done < 10 or elapsed <= 0:
            return train.steps
        return min(train.steps, self.state.step + round(done / elapsed * max(train.max_seconds - elapsed, 0.0)))

    def _check_divergence(self, longest: int, skipped: int) -> None:
        """Count ``skipped`` non-finite steps and stop when ``train.max_nonfinite`` came in a row (``longest``)."""
        self.state.nonfinite_total += skipped
        if longest >= self.c.config.train.max_nonfinite:
            raise TrainingDiverged(
                f"{longest} non-finite steps in a row (lower train.lr or set train.grad_clip); "
                f"the last good checkpoint is {self.last_checkpoint}"
            )

    def run(self) -> TrainReport:
        """Train until ``train.steps``, a stop signal, or divergence."""
        train = self.c.config.train
        started, resumed = time.perf_counter(), self.state.step > 0
        logger = MetricsLogger(self.run_dir, self.state.step if resumed else None) if self.dist.is_main else None
        initial_val = None if resumed else self._validate(logger)
        order = ResumableBatches(
            self.train_indices,
            train.batch_size * self.dist.world,
            train.seed,
            epoch=self.state.epoch,
            position=self.state.position,
        )
        batches = iter(order)
        self.c.model.train()
        try:
            with StopRequests() as stops, progress_bar(*PROGRESS_COLUMNS) as bar:
                task = bar.add_task(
                    "training", total=train.steps, completed=self.state.step, loss=0.0, bits=0.0, rate=0.0
                )
                first_step = self.state.step
                # steps/s over each logging window, timed at the read-back: on a GPU a step's host time is
                # only the time to queue its kernels, so the read (which waits for them) closes the window
                window_start, window_step = time.perf_counter(), self.state.step
                out_of_time = False
                while self.state.step < train.steps and not out_of_time:
                    loss, bits, norm = self._optimizer_step(batches)
                    self.state.step += 1
                    self.state.epoch, self.state.position = order.epoch, order.position
                    bar.update(task, advance=1, total=self._expected_total(started, first_step))
                    if self.state.step % train.log_every == 0:
                        values = self._read_back(loss, bits, norm)
                        now = time.perf_counter()
                        rate = (self.state.step - window_step) / max(now - window_start, 1e-9)
                        window_start, window_step = now, self.state.step
                        bar.update(task, loss=values["loss"], bits=values["bits_per_token"], rate=rate)
                        self._log_step(logger, {**values, "steps_per_s": rate})
                    # the step's one collective: host flags, so no rank waits for its GPU to agree on them
                    stop, out_of_time = agree_any([stops.requested is not None, self._out_of_time(started)], self.dist)
                    if stop:
                        reason = stops.requested.name if stops.requested is not None else "a signal to another rank"
                        self._checkpoint()
                        status(f"stopped by {reason} after step {self.state.step}; checkpoint {self.last_checkpoint}")
                        return self._report(started, initial_val, reason, stops.exit_code or 128 + 15)
                    self._periodic_work(logger)
            if self.state.step < train.steps:  # the time budget ran out: finish like a completed run
                self._validate_keeping_best(logger)
                self._checkpoint()
                status(f"train.max_seconds reached after step {self.state.step}")
            self._write_samples()
            return self._report(started, initial_val, None, 0)
        except (TrainingDiverged, KeyboardInterrupt):
            raise
        except Exception:
            self._emergency_checkpoint()
            raise
        finally:
            if logger is not None:
                logger.close()

    def _emergency_checkpoint(self) -> None:
        """After a crash, save beside (never over) the last good checkpoint, unless the weights are broken."""
        model = self.c.model.module if hasattr(self.c.model, "module") else self.c.model
        if not self.dist.is_main or not all(torch.isfinite(p).all() for p in model.parameters()):
            return
        try:
            path = self._checkpoint(f"emergency_step_{self.state.step:08d}.pt", collective=False)
            warn(f"training failed at step {self.state.step}; emergency checkpoint written to {path}")
        except Exception as error:  # the original error matters more
            warn(f"could not write an emergency checkpoint: {error}")

    def _report(self, started: float, initial: float | None, stopped: str | None, code: int) -> TrainReport:
        return TrainReport(
            run_dir=self.run_dir,
            steps=self.state.step,
            seconds=time.perf_counter() - started,
            initial_val=initial,
            best_val=self.state.best_val,
            last_val=self.last_val,
            nonfinite_steps=self.state.nonfinite_total,
            stopped_by=stopped,
            exit_code=code,
            last_checkpoint=self.last_checkpoint,
        )
