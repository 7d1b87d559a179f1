"""Training throughput: `training.run`'s loop against a textbook GAN loop, same models and batch.

    python benchmarks/train_speed.py --data-dir ../shared/data [--batch-size 64] [--steps 60] [--repeats 3]
    python benchmarks/train_speed.py --data-dir ../shared/data --device cuda --steps 600   # a GPU step is ~1 ms

The textbook loop has the structure of the classic PyTorch GAN examples: a DataLoader with
per-sample ToTensor/Normalize transforms, `.to(device)` per batch, and three separate D passes
(real, fake.detach(), fake) per step.

The two loops take turns, `--repeats` times each, and the table gives the median of each and the
range of the ratio over the turns: a shared machine's speed drifts by 10 % or more from minute to
minute, and one measurement each would catch the two loops in different moments.
"""

import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST

from gan_models import create_model, list_models, model_config
from training.report import read_metrics
from training.config import TrainConfig
from training.defaults import default_width
from training.flags import add_settings, script_parser
from training.device import describe_device, native_bf16, pick_device
from training.train import train


def width_args(arch: str, width: int | None, device: str) -> dict:
    """The model arguments that set `arch`'s width: `width`, else the one `training.run` trains on
    `device` (none for an architecture without a width)."""
    chosen = (width or default_width(arch, device)) if model_config(arch).get("width") else None
    return {"width": chosen} if chosen else {}


def ours(arch: str, batch_size: int, steps: int, data_dir: str, device: str, compile: bool, graphs: bool,
         width: int | None) -> float:
    """Images/s of a real `training.run` loop: its images over its time in the logging windows after
    the first (the warm-up), the same measure as the textbook loop's."""
    with tempfile.TemporaryDirectory() as out:
        # The textbook loop's model and loss: no spectral norm or EMA, whatever the recipe says.
        train(TrainConfig(arch=arch, loss="ns", spectral_norm=False, ema=False, steps=steps,
                          batch_size=batch_size, log_every=max(1, steps // 6), sample_every=10**9,
                          checkpoint_every=10**9, checkpoint_seconds=1e9, data_dir=data_dir, out=out, device=device,
                          compile=compile, cuda_graphs=graphs, lr=2e-4, **width_args(arch, width, device)))
        records = read_metrics(Path(out) / "metrics.jsonl")
    windows = [(b["step"] - a["step"], b["images_per_s"]) for a, b in zip(records, records[1:])]
    return sum(n for n, _ in windows) / sum(n / rate for n, rate in windows)  # batch size cancels out


def textbook(arch: str, batch_size: int, steps: int, data_dir: str, device: str, workers: int,
             width: int | None) -> float:
    """Images/s of the classic example loop on the same models."""
    dev = pick_device(device)
    torch.manual_seed(0)
    G, D = (m.to(dev) for m in create_model(arch, **width_args(arch, width, device)))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    criterion = nn.BCEWithLogitsLoss()
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    loader = DataLoader(MNIST(data_dir, train=True, transform=tf), batch_size=batch_size, shuffle=True,
                        num_workers=workers, drop_last=True)
    warmup, done, start = max(1, steps // 6), 0, None
    while done < steps + warmup:
        for real, _ in loader:
            if done == warmup:
                start = time.perf_counter()
            real = real.to(dev)
            b = real.size(0)
            ones, zeros = torch.ones(b, device=dev), torch.zeros(b, device=dev)
            opt_d.zero_grad()
            criterion(D(real), ones).backward()
            fake = G(torch.randn(b, G.latent_dim, device=dev))
            criterion(D(fake.detach()), zeros).backward()
            opt_d.step()
            opt_g.zero_grad()
            criterion(D(fake), ones).backward()
            opt_g.step()
            done += 1
            if done == steps + warmup:
                break
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
    p = script_parser("python benchmarks/train_speed.py", __doc__)
    add_settings(p, ["data_dir", "batch_size", "device", "compile", "cuda_graphs", "width"],
                 defaults={"data_dir": "../shared/data", "batch_size": 64})
    p.add_argument("--steps", type=int, default=60, help="timed steps per measurement")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers of the textbook loop (the examples use 2)")
    p.add_argument("--arch", "--archs", dest="archs", nargs="+", default=list_models(), choices=list_models(),
                   help="architectures to measure")
    p.add_argument("--repeats", type=int, default=3, help="turns of each loop per architecture")
    args = p.parse_args()
    if args.width is not None and args.width < 1:
        p.error("--width must be at least 1")
    device = pick_device(args.device)
    name = describe_device(device)
    graphs = ", CUDA graphs" if device.type == "cuda" and args.cuda_graphs and not args.compile else ""
    precision = "bf16 autocast" if native_bf16(device) else "fp32"
    print(f"device: {name}, batch {args.batch_size}{graphs}, torch {torch.__version__}; "
          f"training.run in {precision} (its default here), the textbook loop in fp32\n")
    print(f"| arch | training.run img/s | textbook img/s | ratio | ratio range over {args.repeats} turns |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for arch in args.archs:
        turns = [(ours(arch, args.batch_size, args.steps, args.data_dir, args.device, args.compile, args.cuda_graphs,
                       args.width),
                  textbook(arch, args.batch_size, args.steps, args.data_dir, args.device, args.workers, args.width))
                 for _ in range(args.repeats)]
        fast, slow = (statistics.median(rates) for rates in zip(*turns))
        ratios = [a / b for a, b in turns]
        label = arch + "".join(f", width {w}" for w in width_args(arch, args.width, args.device).values())
        print(f"| {label} | {fast:,.0f} | {slow:,.0f} | {fast / slow:.2f}× | {min(ratios):.2f}–{max(ratios):.2f}× |",
              flush=True)


if __name__ == "__main__":
    main()
