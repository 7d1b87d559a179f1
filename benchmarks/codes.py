"""What an InfoGAN's continuous codes control: slant and stroke thickness, measured per code.

    python benchmarks/codes.py --model pretrained/infogan
    python benchmarks/codes.py --model pretrained/infogan --latents 500 --update-card

For each of --latents random latents (z and so the categorical code fixed), each continuous code
sweeps --points values from -1 to 1 while the others keep theirs. Spearman's ρ between the code's
value and the digit's slant (second-order moments, training.metrics.slant) and between it and its
stroke width (2 × ink / outline, training.metrics.stroke_width) is taken per latent; the table gives the
median ρ over latents, the median |ρ|, and the median change of the measure from the code's −1 to its
1 (in standard deviations of the measure over every digit swept). A code "controls" the measure it
changes most: ρ alone is 1 for any steady change, however small.
"""

import sys

import torch

from gan_models import ModelLoadError, load_generator, sample_latents, to_uint8
from gan_models.card import update_card
from gan_models.latent import continuous_codes, with_continuous
from training.flags import script_parser
from training.metrics import slant, spearman, stroke_width

MEASURES = {"slant": slant, "thickness": stroke_width}


@torch.no_grad()
def sweep(generator, z: torch.Tensor, code: int, values: torch.Tensor) -> torch.Tensor:
    """uint8 digits (len(values), 28, 28) of latent `z` (1, D) with continuous code `code` set to each value."""
    start, k = getattr(generator, "codes", 0), generator.continuous
    codes = continuous_codes(z, start, k)[0].tolist()
    rows = [with_continuous(z, start, codes[:code] + [v] + codes[code + 1:]) for v in values.tolist()]
    return to_uint8(generator(torch.cat(rows)))[:, 0]


def correlations(generator, latents: torch.Tensor, points: int) -> dict[int, dict[str, dict[str, list[float]]]]:
    """Per code and measure, one per latent: Spearman's ρ of the code's value with the measure, and the
    measure's change from the code's −1 to its 1 in standard deviations of the measure over every digit swept."""
    values = torch.linspace(-1, 1, points)
    result = {}
    for code in range(generator.continuous):
        swept = {name: [] for name in MEASURES}
        for z in latents:
            digits = sweep(generator, z[None], code, values)
            for name, measure in MEASURES.items():
                swept[name].append(measure(digits).float())
        result[code] = {}
        for name, rows in swept.items():
            rows = torch.stack(rows)
            spread = rows.std().clamp_min(1e-6)
            result[code][name] = {"rho": [spearman(values, row) for row in rows],
                                  "change": ((rows[:, -1] - rows[:, 0]) / spread).tolist()}
    return result


def summary(result: dict) -> dict[str, dict]:
    """Per code and measure: median ρ, median |ρ| and median |change|; a code "controls" the measure it
    changes most (ρ is 1 for any steady change, however small)."""
    rows = {}
    for code, per_measure in result.items():
        row = {}
        for name, numbers in per_measure.items():
            rhos, change = torch.tensor(numbers["rho"]), torch.tensor(numbers["change"])
            row[name] = {"rho": round(rhos.median().item(), 3), "abs_rho": round(rhos.abs().median().item(), 3),
                         "change": round(change.abs().median().item(), 2)}
        row["controls"] = max(MEASURES, key=lambda name: row[name]["change"])
        rows[f"code {code + 1}"] = row
    return rows


def markdown_table(rows: dict, latents: int) -> str:
    lines = ["| code | slant: median ρ | slant: median \\|ρ\\| | slant: change | thickness: median ρ "
             "| thickness: median \\|ρ\\| | thickness: change | controls |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for code, row in rows.items():
        cells = [f"{row[m]['rho']:+.3f} | {row[m]['abs_rho']:.3f} | {row[m]['change']:.2f}" for m in MEASURES]
        lines.append(f"| {code} | " + " | ".join(cells) + f" | {row['controls']} |")
    return "\n".join(lines) + (f"\n\n{latents} latents, each code swept over its range with the rest fixed; "
                               "change: median |measure at 1 − measure at −1|, in standard deviations of the "
                               "measure over every digit swept.")


def main(argv: list[str] | None = None) -> int:
    p = script_parser("python benchmarks/codes.py", __doc__)
    p.add_argument("--model", default="pretrained/infogan", help="a model with continuous codes")
    p.add_argument("--latents", type=int, default=200, help="random latents to sweep from")
    p.add_argument("--points", type=int, default=21, help="code values per sweep, from -1 to 1")
    p.add_argument("--seed", type=int, default=0, help="seed of the latents")
    p.add_argument("--update-card", action="store_true", help="write what each code controls into the card")
    args = p.parse_args(argv)
    if args.latents < 1 or args.points < 3:
        p.error("--latents must be at least 1 and --points at least 3")
    try:
        generator = load_generator(args.model).eval()
    except ModelLoadError as e:
        p.error(str(e))
    if not getattr(generator, "continuous", 0):
        p.error(f"{args.model} has no continuous codes: train one with --continuous-codes 2")
    latents = sample_latents(args.latents, generator.latent_dim, args.seed)
    rows = summary(correlations(generator, latents, args.points))
    print(markdown_table(rows, args.latents))
    if args.update_card:
        update_card(args.model, continuous_codes_measured=rows)
        print(f"wrote what each code controls into {args.model}/README.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
