"""What a command-line run leaves as it goes: a progress bar, metrics.jsonl, sample grids,
checkpoints, losses.png and, with --tracker, TensorBoard events. Only rank 0 writes."""

import math
import shutil
import sys
import time
from pathlib import Path

from tqdm import tqdm

from . import distributed as dist
from .checkpoint import checkpoint_path
from .report import append_metrics, plot_losses, truncate_metrics
from .tracking import make_tracker


class RunLog:
    def __init__(self, trainer, resumed: bool):
        cfg = trainer.cfg
        self.main, self.out, self.cfg = dist.rank() == 0, Path(cfg.out), cfg
        self.metrics, self.ckpt = self.out / "metrics.jsonl", checkpoint_path(cfg.out)
        self.last_good = f"{self.ckpt} (step {trainer.step_count})" if resumed else "none yet"
        self.saved_at = time.monotonic()
        self.tracker = None
        if self.main:
            self.out.mkdir(parents=True, exist_ok=True)  # a folder that cannot be made fails here, before training
            (self.out / "samples").mkdir(exist_ok=True)
            if resumed:
                truncate_metrics(self.metrics, trainer.step_count)
            else:
                self.metrics.unlink(missing_ok=True)  # left by a run killed before its first checkpoint
            self.tracker = make_tracker(cfg.tracker, self.out)
            print(trainer.describe(), file=sys.stderr)
            if resumed and trainer.step_count >= trainer.total:
                print(f"the checkpoint is at step {trainer.step_count:,}, the run's {trainer.total:,} steps or past "
                      "them: exporting it as it is (pass a larger --steps to train on)", file=sys.stderr)
        total = None if math.isinf(trainer.total) else trainer.total
        self.bar = tqdm(total=total, initial=trainer.step_count, disable=not self.main, unit="step", dynamic_ncols=True)
        self.window = (time.monotonic(), trainer.step_count)

    def checkpoint_due(self, step: int, logging: bool) -> bool:
        """Every --checkpoint-every steps, and once --checkpoint-seconds have passed, so a kill loses
        little even on a slow, shared machine. Under torchrun the clock is read at logging steps only:
        the ranks must agree, and that takes a collective."""
        if logging or not dist.is_distributed():
            late = dist.any_rank(time.monotonic() - self.saved_at > self.cfg.checkpoint_seconds)
        else:
            late = False
        return step % self.cfg.checkpoint_every == 0 or late

    def record(self, trainer, numbers: dict) -> None:
        now, (then, first) = time.monotonic(), self.window
        images = (trainer.step_count - first) * trainer.data.global_batch * self.cfg.d_steps
        record = {"step": trainer.step_count, **numbers, "images_per_s": images / (now - then)}
        self.window = (now, trainer.step_count)
        append_metrics(self.metrics, record)
        if self.tracker:
            self.tracker.scalars(trainer.step_count, record)
        self.bar.set_postfix(D=f"{record['d_loss']:.3f}", G=f"{record['g_loss']:.3f}",
                             img_s=f"{record['images_per_s']:.0f}")

    def quality(self, trainer) -> None:
        append_metrics(self.metrics, {"step": trainer.step_count, **trainer.quality()})

    def samples(self, trainer) -> None:
        trainer.save_samples(self.out / "samples" / f"step_{trainer.step_count:06d}.png")
        if self.tracker:
            self.tracker.image(trainer.step_count, trainer.samples())

    def checkpoint(self, trainer) -> None:
        trainer.save(self.ckpt)
        plot_losses(self.metrics, self.out / "losses.png")
        self.last_good, self.saved_at = f"{self.ckpt} (step {trainer.step_count})", time.monotonic()

    def finish(self, trainer) -> Path:
        """Export the model into <out>/model; its last grid goes beside the others."""
        self.bar.close()
        model_dir = self.out / "model"
        if self.main:
            trainer.export(model_dir)
            shutil.copyfile(model_dir / "samples.png", self.out / "samples" / f"step_{trainer.step_count:06d}.png")
            if self.tracker:
                self.tracker.close()
        dist.barrier()
        return model_dir
