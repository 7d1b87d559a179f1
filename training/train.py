"""The command-line run over the Trainer: the loop `python -m training.run` drives (see run.py)."""

from pathlib import Path

from gan_models import model_family

from . import distributed as dist
from .checkpoint import checkpoint_path, read_checkpoint
from .config import TrainConfig
from .runlog import RunLog
from .schedule import run_length  # noqa: F401
from .trainer import Trainer, TrainingDiverged  # noqa: F401
from .translation import TranslationTrainer


def open_run(cfg: TrainConfig) -> dict | None:
    """The checkpoint a resumed run continues from (read once), None for a new run; an OSError or a
    CheckpointMismatch says why the run folder cannot be used."""
    out, ckpt = Path(cfg.out), checkpoint_path(cfg.out)
    if ckpt.exists() and not cfg.resume:
        raise FileExistsError(f"{out} already holds a run: pass --resume to continue it, or choose another --out")
    if cfg.resume and not ckpt.exists():
        raise FileNotFoundError(f"--resume: no checkpoint at {ckpt}; start the run without --resume")
    if not cfg.resume and (out / "model" / "config.json").exists():  # a finished run whose checkpoint is gone
        raise FileExistsError(f"{out} already holds an exported model ({out / 'model'}): choose another --out")
    return read_checkpoint(ckpt) if cfg.resume else None  # one that cannot be read fails before the data loads


# The trainer of each model family (gan_models.model_family): the run loop below serves them all.
TRAINERS = {"gan": Trainer, "translator": TranslationTrainer}


def make_trainer(cfg: TrainConfig) -> Trainer:
    """The trainer of `cfg.arch`'s model family, built as `cfg` says."""
    return TRAINERS[model_family(cfg.arch)](cfg)


def train(cfg: TrainConfig) -> Path:
    """Train a GAN as `cfg` says; returns the folder of the exported generator."""
    ckpt = open_run(cfg)
    trainer = make_trainer(cfg)  # 1. data, models, optimisers, EMA
    if ckpt is not None:
        trainer.load_state_dict(ckpt, checkpoint_path(cfg.out))
    log = RunLog(trainer, resumed=ckpt is not None)
    main = dist.rank() == 0
    last = trainer.finished()
    while not last:  # 2. one GAN step at a time, to --steps, --epochs or --time-limit
        stats = trainer.train_step()
        step, last = trainer.step_count, trainer.finished()
        log.bar.update(1)
        logging = step % cfg.log_every == 0 or step == trainer.total
        saving = log.checkpoint_due(step, logging) or last
        if logging or saving:  # 3. a NaN stops the run, keeping the last good checkpoint
            trainer.check_finite(log.last_good)
        if main and logging:  # 4. numbers, grids and checkpoints (rank 0 writes)
            log.record(trainer, trainer.record(stats))
        if main and cfg.eval_every and step % cfg.eval_every == 0:
            log.quality(trainer)
        if main and step % cfg.sample_every == 0 and not last:
            log.samples(trainer)  # the last grid is drawn at export, after recalibration
        if main and saving:
            log.checkpoint(trainer)
    return log.finish(trainer)  # 5. export
