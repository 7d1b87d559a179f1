"""The Lab's presets: settings that show the lecture notes' three failures, chosen by measurement.

Each preset is plain data: the run's settings under TrainConfig's names (`dataset` too: mnist, or
ring or grid for points in the plane); `compare`, for a preset of two runs, names the setting run B
changes and the values of runs A and B; `look_for` is one line of what to watch; `seconds` how long
the pair trains (capped by $DIGITGAN_LAB_SECONDS).
benchmarks/lab_presets.py trains each one briefly and prints the evidence (docs/lab.md).
"""

PLAIN = {"d_steps": 1, "ema": False, "spectral_norm": False, "seed": 0}  # what every preset leaves plain
DIGITS = {"dataset": "mnist", "conditional": False}

PRESETS: dict[str, dict] = {
    "vanishing gradient": {
        **PLAIN, **DIGITS, "arch": "mlp", "loss": "minimax", "lr_g": 2e-4, "lr_d": 8e-3, "batch_size": 64,
        "d_steps": 4, "compare": {"setting": "loss", "values": ("minimax", "ns")}, "seconds": 30,
        "look_for": "G's gradient norm: under minimax it falls to almost nothing as soon as D rejects every "
                    "fake, and G stops learning; the non-saturating loss keeps it large and G learns on.",
    },
    "mode collapse (2-D)": {
        **PLAIN, "dataset": "ring", "loss": "ns", "lr_g": 1e-3, "lr_d": 1e-3, "batch_size": 128,
        "compare": {"setting": "lr_d", "values": (1e-3, 1e-4)}, "seconds": 60,
        "look_for": "Run B's D learns ten times slower: G's points gather where D likes them best and hop "
                    "from Gaussian to Gaussian together, while run A's spread over all eight.",
    },
    "mode collapse": {
        **PLAIN, **DIGITS, "arch": "mlp", "loss": "ns", "lr_g": 5e-4, "lr_d": 5e-4, "batch_size": 64,
        "compare": {"setting": "lr_d", "values": (5e-4, 2.5e-5)}, "seconds": 150,
        "look_for": "The meter: run B's D learns twenty times slower, so G finds a few digits that pass and "
                    "draws little else (two or three present), while run A spreads over most of the ten.",
    },
    "instability": {
        **PLAIN, **DIGITS, "arch": "dcgan", "loss": "ns", "lr_g": 5e-3, "lr_d": 5e-3, "batch_size": 32,
        "compare": {"setting": "spectral_norm", "values": (False, True)}, "seconds": 180,
        "look_for": "A learning rate 25 times the usual: run A draws all ten digits early, then lurches (the "
                    "meter falls by several digits at once, the grid turns to blots); run B, with spectral "
                    "norm, holds. The fall comes near step 2,000, which a 2-core CPU may not reach in 180 s.",
    },
}


def runs(name: str) -> list[dict]:
    """The settings of the preset's run A, and of its run B where it compares two (no `compare`,
    `look_for` or `seconds`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    preset = dict(PRESETS[name])
    compare, _, _ = preset.pop("compare", None), preset.pop("look_for"), preset.pop("seconds")
    if compare is None:
        return [preset]
    return [{**preset, compare["setting"]: value} for value in compare["values"]]
