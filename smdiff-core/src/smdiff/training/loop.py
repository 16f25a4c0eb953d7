"""The training loop: steps, validation, samples, checkpoints, and clean stops."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch

from smdiff.diffusion.probe import pitch_probe, pitch_unigram
from smdiff.errors import SmdiffError
from smdiff.progress import field_column, progress_bar, status, warn
from smdiff.training import checkpoint as ckpt
from smdiff.training.data import ResumableBatches, augment, fetch_batch, split_or_fail, to_device
from smdiff.training.distributed import DistInfo, any_rank, barrier, gather_objects, mean_across
from smdiff.training.logging import MetricsLogger
from smdiff.training.rng import capture_rng
from smdiff.training.samples import write_training_samples
from smdiff.training.setup import Components
from smdiff.training.signals import StopRequests
from smdiff.training.state import TrainState, build_payload, restore_payload
from smdiff.training.step import diffusion_loss, validate

VALIDATION_SEED = 1234
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
        self.generators = {"noise": torch.Generator(c.device).manual_seed(train.seed)}
        self.augment_rng = np.random.default_rng(train.seed)
        torch.manual_seed(train.seed + dist.rank)
        self.state = TrainState()
        self.train_indices = split_or_fail(c.cache, "train", train.batch_size * dist.world)
        self.val_indices = split_or_fail(c.cache, "validation", 1)
        self.rows = slice(dist.rank * train.batch_size, (dist.rank + 1) * train.batch_size)
        self.last_checkpoint: Path | None = None
        self.after_checkpoint: Callable[[Path], None] = lambda path: None
        self.last_val: float | None = None
        self.nonfinite_in_row = 0
        self.pitch_unigram: np.ndarray | None = None

    def restore(self, payload: dict[str, Any], path: Path) -> None:
        """Continue from a checkpoint payload."""
        self.state = restore_payload(
            self.c, payload, self.generators, self.augment_rng, rank=self.dist.rank, world=self.dist.world
        )
        self.last_checkpoint = path

    def _global_batch(self, batches: Any) -> torch.Tensor:
        windows = augment(
            fetch_batch(self.c.cache.windows, next(batches)),
            self.c.tokenizer,
            self.c.config.data.transpose,
            self.augment_rng,
        )
        return to_device(windows, self.c.device)

    def _optimizer_step(self, batches: Any) -> tuple[float, float, float]:
        """Accumulate gradients over micro-batches, clip, and step unless anything is non-finite."""
        c, train = self.c, self.c.config.train
        loss_total, bits_total = 0.0, 0.0
        for _ in range(train.accumulate):
            loss, bits = diffusion_loss(
                c, c.model, self._global_batch(batches), self.generators["noise"], self.rows, c.config.diffusion.loss
            )
            c.scaler.scale(loss / train.accumulate).backward()
            loss_total += float(loss.detach()) / train.accumulate
            bits_total += float(bits.mean()) / train.accumulate
        c.scaler.unscale_(c.optimizer)
        norm = float(
            torch.nn.utils.clip_grad_norm_(c.model.parameters(), train.grad_clip if train.grad_clip > 0 else math.inf)
        )
        if math.isfinite(loss_total) and math.isfinite(norm):
            c.scaler.step(c.optimizer)
            c.scaler.update()
            c.scheduler.step()
            if c.ema is not None:
                c.ema.update(c.model.module if hasattr(c.model, "module") else c.model)
            self.nonfinite_in_row = 0
        else:
            c.scaler.update()
            self.nonfinite_in_row += 1
            self.state.nonfinite_total += 1
        c.optimizer.zero_grad(set_to_none=True)
        return mean_across(loss_total, self.dist), mean_across(bits_total, self.dist), norm

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
        """Log masked-pitch bits of the model and of the unigram and context baselines on validation windows."""
        count, pitch_tokens = self.c.config.train.probe_windows, self.c.tokenizer.pitch_tokens()
        if count <= 0 or not pitch_tokens:
            return
        if self.pitch_unigram is None:
            self.pitch_unigram = pitch_unigram(
                fetch_batch(self.c.cache.windows, self.train_indices[:UNIGRAM_WINDOWS]), pitch_tokens
            )
        windows = fetch_batch(self.c.cache.windows, self.val_indices[:count])
        results = pitch_probe(
            self._eval_model(), windows, self.c.token_spec, pitch_tokens, self.pitch_unigram,
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
        if logger is not None and self.state.step % self.c.config.train.log_every == 0:
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
        limit = self.c.config.train.max_seconds
        return any_rank(limit is not None and time.perf_counter() - started > limit, self.dist)

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

    def _check_divergence(self) -> None:
        if self.nonfinite_in_row >= self.c.config.train.max_nonfinite:
            raise TrainingDiverged(
                f"{self.nonfinite_in_row} non-finite steps in a row (lower train.lr or set train.grad_clip); "
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
                tick, first_step = time.perf_counter(), self.state.step
                while self.state.step < train.steps and not self._out_of_time(started):
                    loss, bits, norm = self._optimizer_step(batches)
                    self.state.step += 1
                    self.state.epoch, self.state.position = order.epoch, order.position
                    self._check_divergence()
                    rate, tick = 1.0 / max(time.perf_counter() - tick, 1e-9), time.perf_counter()
                    total = self._expected_total(started, first_step)
                    bar.update(task, advance=1, total=total, loss=loss, bits=bits, rate=rate)
                    self._log_step(
                        logger, {"loss": loss, "bits_per_token": bits, "grad_norm": norm, "steps_per_s": rate}
                    )
                    if any_rank(stops.requested is not None, self.dist):
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
