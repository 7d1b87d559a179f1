"""How a GAN learns: data, losses, the Trainer, evaluation and the command-line entry points."""

__all__ = ["TrainConfig", "Trainer", "TrainingDiverged"]


def __getattr__(name: str):
    # Imported on first use, so that `import training.losses` (the app's Lab lists the losses) does
    # not bring in the trainer, its data loading and torchvision.
    if name == "TrainConfig":
        from .config import TrainConfig

        return TrainConfig
    if name in ("Trainer", "TrainingDiverged"):
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'training' has no attribute {name!r}")
