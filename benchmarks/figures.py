"""The pictures of the README and docs/: each bundled model's digits, an interpolation GIF, and the
InfoGAN's continuous codes swept, digits colourised by the two translators, and the Lab's three
failures (the minimax loss's vanishing gradient, mode collapse, unstable training) as short runs of
the Lab's own trainers.

    python benchmarks/figures.py --out docs/assets                        # every picture
    python benchmarks/figures.py --out docs/assets --only samples gif     # some of them

One torch thread, the CPU, fixed seeds: about a minute of CPU. The gradient run reads MNIST
(--data-dir); the 2-D runs need no data. docs/README.md lists which picture each command makes.
"""

import io
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # playground/ sits beside the installed packages

import gan_models  # noqa: E402
from training.flags import script_parser  # noqa: E402

MODELS = ("dcgan", "cdcgan", "mlp", "stacked-dcgan", "infogan")
GRADIENT_STEPS = 150  # MNIST steps of the vanishing-gradient pair: the gap is four decades by step 100
TOY_STEPS = 2000  # 2-D steps: the default settings cover the ring's 8 Gaussians by then
TOY_EVERY = 50  # steps between the meter's readings of a 2-D run
GIF_GREY_STEP = 16  # 16 grey levels: a GIF's compression keeps a third of the size it takes with 256
PARTS = ("samples", "gif", "codes", "colorize", "gradient", "collapse", "unstable")


def save_png(image: np.ndarray | Image.Image, path: Path, colours: int = 256) -> None:
    """A small PNG: the picture reduced to a palette of `colours` (greyscale pictures stay greyscale)."""
    image = image if isinstance(image, Image.Image) else Image.fromarray(image)
    if image.mode not in ("L", "P"):
        image = image.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)
    print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


def figure_png(fig: plt.Figure, path: Path) -> None:
    """A matplotlib figure as a small PNG at 100 dpi."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    save_png(Image.open(buffer), path)


def enlarge(image: torch.Tensor, scale: int) -> np.ndarray:
    """A uint8 image (C, H, W) as an array enlarged `scale` times, nearest neighbour: strokes stay crisp."""
    return gan_models.to_array(image).repeat(scale, 0).repeat(scale, 1)


def samples(out: Path) -> None:
    """Each bundled model's first 32 digits from seed 0, untruncated (conditional: 0-9 in turn)."""
    for name in MODELS:
        generator = gan_models.load_generator(ROOT / "pretrained" / name)
        digits = gan_models.generate(generator, 32, seed=0)
        save_png(enlarge(gan_models.grid(digits, nrow=8), 2), out / f"samples-{name}.png")


@torch.no_grad()
def codes(out: Path, values: int = 9) -> None:
    """pretrained/infogan's continuous codes, one picture each: a row per latent, the code from -1 to 1
    across, everything else fixed."""
    generator = gan_models.load_generator(ROOT / "pretrained" / "infogan")
    start, k = generator.codes, generator.continuous
    z = gan_models.sample_latents(10, generator.latent_dim, seed=0)
    for code in range(k):
        rows = []
        for row in z:
            fixed = gan_models.continuous_codes(row[None], start, k)[0].tolist()
            sweep = [fixed[:code] + [v] + fixed[code + 1:] for v in torch.linspace(-1, 1, values).tolist()]
            rows += [gan_models.with_continuous(row[None], start, c) for c in sweep]
        digits = gan_models.to_uint8(generator(torch.cat(rows)))
        save_png(enlarge(gan_models.grid(digits, nrow=values), 2), out / f"codes-infogan-{code + 1}.png")


@torch.no_grad()
def colorize(out: Path) -> None:
    """The conditional model's 0 to 9, then each in colour by pretrained/colorize (cycle loss) and by
    pretrained/colorize-nocycle."""
    grey = gan_models.generate(gan_models.load_generator(ROOT / "pretrained" / "cdcgan"), 10, seed=0)[:, 0]
    rows = [grey[:, None].expand(-1, 3, -1, -1)]
    for name in ("colorize", "colorize-nocycle"):
        rows.append(gan_models.translate(gan_models.load_translator(ROOT / "pretrained" / name), grey, "a2b"))
    save_png(enlarge(gan_models.grid(torch.cat(rows), nrow=10), 3), out / "colorize.png")


def interpolation_gif(out: Path, steps: int = 12) -> None:
    """The conditional model morphing each digit into the next (latent slerp and label blend, as the
    Interpolate tab does), ten paths side by side, played forth and back."""
    generator = gan_models.load_generator(ROOT / "pretrained" / "cdcgan")
    z_a = gan_models.sample_latents(10, generator.latent_dim, 0)
    z_b = gan_models.sample_latents(10, generator.latent_dim, 1)
    t, one_hot = torch.linspace(0, 1, steps), torch.eye(10)
    z = torch.stack([gan_models.slerp(a, b, t) for a, b in zip(z_a, z_b)], 1)  # (steps, 10 paths, latent)
    labels = torch.stack([gan_models.lerp(one_hot[d], one_hot[(d + 1) % 10], t) for d in range(10)], 1)
    with torch.inference_mode():
        images = gan_models.to_uint8(generator(z.flatten(0, 1), labels.flatten(0, 1)))
    grids = [enlarge(gan_models.grid(frame, nrow=10), 2) for frame in images.view(steps, 10, 1, 28, 28)]
    frames = [Image.fromarray(g // GIF_GREY_STEP * GIF_GREY_STEP) for g in grids]
    frames += frames[-2:0:-1]
    path = out / "interpolation.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=110, loop=0, optimize=True)
    print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


def lab_settings(**changes) -> dict:
    """The Lab's settings as its page starts them (learning rates and batch size: the trainer's)."""
    settings = {"arch": "dcgan", "loss": "ns", "lr_g": None, "lr_d": None, "batch_size": None, "d_steps": 1,
                "ema": True, "spectral_norm": False, "conditional": False, "seed": 0, "dataset": "mnist"}
    return {**settings, **changes}


def gradient(out: Path) -> None:
    """MNIST at the Lab's defaults, ns against minimax (the Lab's Compare: loss → minimax)."""
    from playground.lab_view import build_trainer

    fig, (norm, fake) = plt.subplots(1, 2, figsize=(8, 2.8))
    for loss, colour in (("ns", "tab:blue"), ("minimax", "tab:red")):
        trainer = build_trainer(lab_settings(loss=loss))
        rows = [trainer.step() for _ in range(GRADIENT_STEPS)]
        steps = np.arange(1, GRADIENT_STEPS + 1)
        norm.semilogy(steps, [r["g_grad_norm"] for r in rows], color=colour, label=loss)
        fake.plot(steps, [r["d_fake"] for r in rows], color=colour, label=loss)
        print(f"  {loss}: G's gradient norm {rows[0]['g_grad_norm']:.3g} at step 1, "
              f"{rows[-1]['g_grad_norm']:.3g} at step {GRADIENT_STEPS}")
    norm.set(title="G's gradient norm", xlabel="step")
    fake.set(title="mean D(G(z))", xlabel="step", ylim=(0, 1))
    norm.legend(frameon=False)
    fig.suptitle(f"dcgan on MNIST, the Lab's defaults, batch {trainer.data.batch_size}", fontsize=10)
    fig.tight_layout()
    figure_png(fig, out / "vanishing-gradient.png")


def toy_run(**changes) -> tuple[list[np.ndarray], list[tuple[int, int]], np.ndarray]:
    """A 2-D ring run of the Lab: its picture every 500 steps, its Gaussians covered every TOY_EVERY
    steps, and the share of G's points at each Gaussian at the end."""
    from playground.lab_view import build_trainer, look
    from training.toy import COVER_STD, fake_points, mixture

    trainer = build_trainer(lab_settings(dataset="ring", **changes))
    pictures, covered = [], []
    for step in range(1, TOY_STEPS + 1):
        trainer.step()
        if step % TOY_EVERY == 0:
            picture, reading = look(trainer, True, 0)
            covered.append((step, reading["covered"]))
            if step % 500 == 0:
                pictures.append(picture)
    ring, points = mixture("ring"), torch.as_tensor(fake_points(trainer))
    distance, nearest = torch.cdist(points, ring.centres).min(1)
    shares = torch.bincount(nearest[distance <= COVER_STD * ring.std], minlength=len(ring.centres)) / len(points)
    return pictures, covered, shares.numpy()


def collapse(out: Path) -> list[tuple[int, int]]:
    """The ring with 5 D steps per G step against 1 (the Lab's Compare: d_steps → 1), after TOY_STEPS."""
    runs = {"5 D steps per G step": toy_run(d_steps=5), "1 D step per G step": toy_run()}
    fig, axes = plt.subplots(2, 2, figsize=(6, 4.6), gridspec_kw={"height_ratios": [3, 1]})
    for (view, bars), (title, (pictures, covered, shares)) in zip(axes.T, runs.items()):
        view.imshow(pictures[-1])
        view.set_title(f"{title}: {covered[-1][1]} of 8 covered", fontsize=9)
        view.axis("off")
        bars.bar(range(1, 9), shares, color="tab:purple")
        bars.set(ylim=(0, 0.3), xticks=range(1, 9), xlabel="Gaussian", ylabel="share of G's points")
        bars.xaxis.label.set_size(8)
        bars.yaxis.label.set_size(8)
    fig.suptitle(f"ring, ns loss, step {TOY_STEPS}: real points green, G's purple, on D's map", fontsize=9)
    fig.tight_layout()
    figure_png(fig, out / "mode-collapse.png")
    return runs["1 D step per G step"][1]


def unstable(out: Path, default: list[tuple[int, int]]) -> None:
    """The ring at learning rates of 0.03 (30 times the 2-D default) at two seeds, against the default."""
    fast = {seed: toy_run(lr_g=0.03, lr_d=0.03, seed=seed) for seed in (0, 1)}
    fig = plt.figure(figsize=(8, 4.6))
    for i, picture in enumerate(fast[0][0]):
        ax = fig.add_subplot(2, 4, i + 1)
        ax.imshow(picture)
        ax.set_title(f"lr 0.03, step {500 * (i + 1)}", fontsize=9)
        ax.axis("off")
    meter = fig.add_subplot(2, 1, 2)
    for label, covered, colour in (("lr 0.03, seed 0", fast[0][1], "tab:red"),
                                  ("lr 0.03, seed 1", fast[1][1], "tab:orange"),
                                  ("lr 0.001 (default), seed 0", default, "tab:blue")):
        meter.plot(*zip(*covered), color=colour, label=label)
    meter.set(xlabel="step", ylabel="Gaussians covered", ylim=(-0.3, 8.3))
    meter.legend(frameon=False, fontsize=8, loc="upper left")
    fig.tight_layout()
    figure_png(fig, out / "unstable.png")


def main() -> None:
    parser = script_parser("python benchmarks/figures.py", __doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "assets", help="folder for the pictures")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=PARTS, metavar="PART",
                        help=f"which pictures to make: {', '.join(PARTS)} (default: all)")
    parser.add_argument("--data-dir", help="MNIST's folder for the gradient run (default: the Lab's, "
                                           "$DIGITGAN_DATA_DIR or ~/.cache/digitgan/data)")
    args = parser.parse_args()
    if not args.out.is_dir():
        parser.error(f"--out {args.out} is not a folder")
    if args.data_dir:
        os.environ["DIGITGAN_DATA_DIR"] = args.data_dir  # where the Lab's trainers read MNIST
    torch.set_num_threads(1)  # small models: one thread wastes no cycles waiting for another
    parts = {"samples": samples, "gif": interpolation_gif, "codes": codes, "colorize": colorize, "gradient": gradient}
    for part in args.only:
        if part in parts:
            parts[part](args.out)
    if "collapse" in args.only or "unstable" in args.only:
        default = collapse(args.out) if "collapse" in args.only else toy_run()[1]
        if "unstable" in args.only:
            unstable(args.out, default)


if __name__ == "__main__":
    main()
