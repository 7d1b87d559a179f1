"""How a GAN learns: data, losses, the Trainer, evaluation and the command-line entry points."""

from .config import TrainConfig
from .trainer import Trainer, TrainingDiverged

__all__ = ["TrainConfig", "Trainer", "TrainingDiverged"]
