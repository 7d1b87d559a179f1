"""How a run's settings move as it goes: the EMA's warm-up, the closing settling phase and the fading code loss."""

from .config import TrainConfig


def progress(step: int, total: int, seconds: float, cfg: TrainConfig) -> float:
    """Share of the run done: of its steps, or of its time limit when that ends the run sooner."""
    done = step / total
    return max(done, seconds / cfg.time_limit) if cfg.time_limit else done


def ema_decay(step: int, cap: float) -> float:
    """The decay of G's EMA after `step` updates: an average over about the last 5 % of the steps so
    far (the random start must not linger in it), until that reaches 1 / (1 - cap) steps.

    In 7,400-step runs (5 minutes on a 2-core CPU) the 5 % average scored FD 88 and 82 (seeds 0
    and 1), against 92 and 86 over 11 %, 97 and 90 over 25 %, and 136 and 226 for G itself."""
    return min(cap, (1 + step) / (20 + step))


def settling(step: int, total: int, seconds: float, cfg: TrainConfig) -> float:
    """How far the run is into its closing `lr_decay` share, the settling phase: 0 before it, 1 at
    the end. The share is of the steps, or of the time limit when that ends the run sooner.

    In it the learning rate falls linearly to 0, and G learns from a shrinking share of its fakes,
    the `top_k` that D finds most real (Sinha et al., 2020); early on, every fake's gradient is
    needed to find all ten digits. It pays at the end of a long run (taking a 28,000-step DCGAN run
    on to 38,000, the falling rate brought FD from 18.6 to 17.0, top-k on top of it to 15.9); in a
    5-minute run it cost quality, as G still had far to go."""
    if not cfg.lr_decay:
        return 0.0
    return min(1.0, max(0.0, 1 - (1 - progress(step, total, seconds, cfg)) / cfg.lr_decay))


def code_weight(step: int, total: int, seconds: float, cfg: TrainConfig) -> float:
    """The code loss's weight now: `code_weight`, falling linearly to 0 over the opening `code_fade` share.

    The code loss makes G draw each code unmistakably, which also trims the digits' variety (the
    quick recall of a DCGAN with 10 codes at weight 0.2 stayed near 0.74 where the plain one
    reached 0.83); fading it out lets the adversarial loss alone restore that variety once G has
    learnt to switch between digits with the code."""
    if not cfg.code_fade:
        return cfg.code_weight
    return cfg.code_weight * max(0.0, 1 - progress(step, total, seconds, cfg) / cfg.code_fade)
