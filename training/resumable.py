"""Checkpointing and exact resume for the trainers: everything a run needs to go on bit for bit
where it stopped, written once and read once."""

import time
from dataclasses import asdict
from pathlib import Path

from gan_models import unwrap

from .checkpoint import (CheckpointMismatch, check_resumable, load_optimizer, read_checkpoint, resumed_settings,
                         rng_state, save_checkpoint, set_rng_state)
from .config import TrainConfig


class Resumable:
    """The Trainer's state_dict / load_state_dict, save and load; it holds G, D, their optimisers,
    the EMA, the noise generator, the step count and the clock."""

    def state_dict(self) -> dict:
        """Everything a resume needs: step, time, settings, models, optimisers, EMA and RNG states."""
        return {"step": self.step_count, "elapsed": self.seconds(), "config": asdict(self.cfg),
                "model_config": self.G.config, "generator": unwrap(self.G).state_dict(),
                "discriminator": unwrap(self.D).state_dict(), "ema": self.ema.state_dict() if self.ema else {},
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "rng": rng_state(),
                "noise_rng": self.noise.get_state(), "commands": self.commands}

    def load_state_dict(self, ckpt: dict, path: Path | str = "the checkpoint") -> None:
        """Continue from `ckpt` (read from `path`): a CheckpointMismatch says why it cannot be."""
        changed = check_resumable(ckpt, self.cfg)
        try:
            self.G.load_state_dict(ckpt["generator"])
            self.D.load_state_dict(ckpt["discriminator"])
            for opt, state in zip((self.opt_g, self.opt_d), (ckpt["opt_g"], ckpt["opt_d"])):
                load_optimizer(opt, state)
            if self.ema is not None:
                self.ema.load_state_dict(ckpt["ema"])
            set_rng_state(ckpt["rng"])
            step, elapsed = ckpt["step"], ckpt["elapsed"]
            commands = ckpt.get("commands", [ckpt["config"]["command"]])
        except (RuntimeError, ValueError, KeyError) as err:
            detail = " ".join(str(err).split())[:300]
            raise CheckpointMismatch(f"{path} does not fit the {self.cfg.arch!r} models this code builds ({detail}); "
                                     "it was written by another version of the architecture: start a new run with "
                                     "another --out") from None
        try:
            self.noise.set_state(ckpt["noise_rng"])
        except RuntimeError:  # saved on another kind of device (a CUDA generator's state is not a CPU one's)
            self.noise.manual_seed(self.cfg.seed + 1 + step)
        if changed:  # what the weights saw from this step on
            commands = [*commands, f"{self.cfg.command} --resume  # from step {step}"]
        self.step_count, self.elapsed, self.commands, self._t0 = step, elapsed, commands, time.monotonic()

    def save(self, path: Path | str) -> None:
        """Write a checkpoint to `path` atomically."""
        save_checkpoint(self.state_dict(), Path(path))

    @classmethod
    def load(cls, path: Path | str, **changes) -> "Resumable":
        """The run checkpointed at `path`, with its settings, or with `changes` to those a resume may change."""
        ckpt = read_checkpoint(Path(path))
        resumed = resumed_settings(ckpt, changes)  # a setting that must match and differs is named first
        settings = {**{k: v for k, v in ckpt["config"].items() if k in TrainConfig.__dataclass_fields__},
                    **resumed, "resume": True}
        trainer = cls(TrainConfig(**settings))
        trainer.load_state_dict(ckpt, path)
        return trainer
