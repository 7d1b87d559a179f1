"""The one training loop every architecture shares. The CLI lives in training/run.py."""

import copy
import math
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from gan_models import create_model, grid, sample_latents, save_generator, to_pil, to_uint8, unwrap

from . import distributed as dist
from .checkpoint import checkpoint_path, load_checkpoint, read_checkpoint, resume, rng_state, save_checkpoint
from .config import TrainConfig
from .cuda_graph import GraphedStep
from .data import DigitBatches, load_mnist
from .device import describe_device, graphable, native_bf16, pick_device
from .evaluate import quick_metrics
from .losses import code_loss, d_loss, g_loss, gradient_penalty
from .report import append_metrics, card_body, plot_losses, truncate_metrics
from .schedule import code_weight, ema_decay, settling
from .stabilize import apply_spectral_norm, recalibrate_batchnorm, update_ema


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


def train(cfg: TrainConfig) -> Path:
    """Train a GAN as `cfg` says; returns the folder of the exported generator."""
    dist.setup()
    main = dist.rank() == 0
    device = pick_device(cfg.device)
    if device.type == "cuda" and device.index is not None:
        torch.cuda.set_device(device)  # a CUDA graph captures the current device's work: make it this one
    out = Path(cfg.out)
    ckpt_path = checkpoint_path(out)
    if ckpt_path.exists() and not cfg.resume:
        raise FileExistsError(f"{out} already holds a run: pass --resume to continue it, or choose another --out")
    if cfg.resume and not ckpt_path.exists():
        raise FileNotFoundError(f"--resume: no checkpoint at {ckpt_path}; start the run without --resume")
    ckpt = read_checkpoint(ckpt_path) if cfg.resume else None  # one that cannot be read fails before the data loads
    if not cfg.resume and (out / "model" / "config.json").exists():  # a finished run whose checkpoint is gone
        raise FileExistsError(f"{out} already holds an exported model ({out / 'model'}): choose another --out")

    torch.manual_seed(cfg.seed)
    torch.backends.cudnn.benchmark = True  # every step has the same shapes: time the kernels once, keep the fastest
    stacked = cfg.dataset == "stacked-mnist"
    images, labels = load_mnist(cfg.data_dir, train=True)
    if main:
        out.mkdir(parents=True, exist_ok=True)  # a folder that cannot be made fails here, before any training
    data = DigitBatches(images, labels, cfg.batch_size, cfg.seed, device, stacked, dist.rank(), dist.world_size())
    num_classes = 10 if cfg.conditional else 0
    # Architectures without codes or a width take no such argument.
    extra = {k: v for k, v in (("codes", cfg.codes), ("width", cfg.width)) if v}
    G, D = create_model(cfg.arch, latent_dim=cfg.latent_dim, num_classes=num_classes,
                        channels=3 if stacked else 1, **extra)
    if cfg.spectral_norm:
        apply_spectral_norm(D)
    G, D = G.to(device), D.to(device)
    ema = copy.deepcopy(G).eval().requires_grad_(False) if cfg.ema else None
    graphs = cfg.cuda_graphs and graphable(cfg, device)
    fused = device.type in ("cuda", "cpu")  # one kernel for the whole Adam update
    # A captured step replays what it recorded, so a learning rate that changes must be a device tensor.
    lr = (lambda: torch.tensor(cfg.lr, device=device)) if graphs else (lambda: cfg.lr)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr(), betas=cfg.betas, fused=fused, capturable=graphs)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr(), betas=cfg.betas, fused=fused, capturable=graphs)
    # Every rank draws the same global noise batch and keeps its own slice, so a DDP run sees the
    # noise a single process with the same global batch would.
    noise = torch.Generator(device).manual_seed(cfg.seed + 1)
    step, elapsed = 0, 0.0
    commands = [cfg.command]  # one per part of a run resumed with other settings, for the model card

    if cfg.resume:
        step, elapsed, commands = resume(ckpt, ckpt_path, cfg, G, D, (opt_g, opt_d), ema, noise)
        if main:
            truncate_metrics(out / "metrics.jsonl", step)
    elif main:
        (out / "metrics.jsonl").unlink(missing_ok=True)  # left by a run killed before its first checkpoint

    total = run_length(cfg, data.batches_per_epoch)
    if cfg.resume and step >= total and main:
        print(f"the checkpoint is at step {step:,}, the run's {total:,} steps or past them: exporting it as it is "
              "(pass a larger --steps to train on)", file=sys.stderr)
    # channels_last suits oneDNN and cuDNN convolutions alike; it leaves Linear layers as they are.
    G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    G_run, D_run = dist.wrap(G, device), dist.wrap(D, device)
    if cfg.compile:
        G_run, D_run = torch.compile(G_run), torch.compile(D_run)
    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and native_bf16(device))
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
    if main:  # what speed to expect depends on the hardware and on bf16: say which the run got
        model = f"{cfg.arch} (width {cfg.width})" if cfg.width else cfg.arch
        print(f"training {model} on {describe_device(device)}, {'bf16 autocast' if bf16 else 'fp32'}, "
              f"batch {cfg.batch_size}, lr {cfg.lr:.3g}, into {out}", file=sys.stderr)

    fixed_n = 100 if cfg.conditional else 64
    fixed_z = sample_latents(fixed_n, cfg.latent_dim, cfg.seed + 12345, device=device)
    fixed_y = torch.arange(10, device=device).repeat_interleave(10) if cfg.conditional else None
    if main:
        (out / "samples").mkdir(parents=True, exist_ok=True)

    def draw_noise(n: int):
        mine = slice(dist.rank() * n, (dist.rank() + 1) * n)
        z = torch.randn(n * dist.world_size(), cfg.latent_dim, device=device, generator=noise)[mine]
        y = torch.randint(10, (n * dist.world_size(),), device=device, generator=noise)[mine] if cfg.conditional else None
        return z, y

    def judge(x: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's realness logits, and its logits of the latent codes when the run has codes."""
        if not cfg.codes:
            return D_run(x, y).float(), None
        scores, codes = D_run(x, y, with_codes=True)
        return scores.float(), codes.float()

    def save_samples(name: str) -> Path:
        model = ema if ema is not None else G.eval()
        with torch.no_grad():
            img = grid(to_uint8(model(fixed_z, fixed_y)), nrow=10 if cfg.conditional else 8)
        G.train()
        path = out / "samples" / name
        to_pil(img).save(path)
        return path

    def checkpoint() -> None:
        save_checkpoint({
            "step": step, "elapsed": used(), "config": asdict(cfg),
            "model_config": G.config, "generator": unwrap(G).state_dict(), "discriminator": unwrap(D).state_dict(),
            "ema": ema.state_dict() if ema is not None else {}, "opt_g": opt_g.state_dict(),
            "opt_d": opt_d.state_dict(), "rng": rng_state(), "noise_rng": noise.get_state(),
            "commands": commands,
        }, ckpt_path)

    nonfinite = torch.zeros((), dtype=torch.bool, device=device)

    def train_step(batches, code_w, ema_w, keep: int) -> dict[str, torch.Tensor]:
        """One step: a D update for each (data rows, z, fake labels) of `batches`, then one G update.
        Returns the losses and D's last logits, detached; G's gradients stay in its parameters."""
        # 1. Discriminator: real digits up, generated digits down.
        for i, (rows, z, fake_y) in enumerate(batches):
            real, real_y = data.fetch(rows)
            with autocast, torch.set_grad_enabled(i == len(batches) - 1):
                fake = G_run(z, fake_y)  # the last one kept with its graph for the generator step
            with autocast:
                # One D pass on real and fake together: D has no BatchNorm, so this is exact and faster.
                both_y = torch.cat([real_y, fake_y]) if cfg.conditional else None
                logits, code_logits = judge(torch.cat([real, fake.detach()]), both_y)
                real_logits, fake_logits = logits.split(real.size(0))
                loss_d = d_loss(cfg.loss, real_logits, fake_logits)
                if cfg.codes:  # D's code head learns to read the code back from the fakes
                    loss_code = code_loss(code_logits[real.size(0):], z, cfg.codes)
                    loss_d = loss_d + code_w * loss_code
            if cfg.loss == "wgan-gp":
                loss_d = loss_d + cfg.gp_weight * gradient_penalty(D, real, fake, fake_y, noise)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()

        # 2. Generator: make D call the fakes real. D's own weight gradients are not needed here (DDP
        # expects every parameter to take part, and torch.compile would recompile D at each switch,
        # so a wrapped D keeps them).
        freeze_d = D_run is D
        D.requires_grad_(not freeze_d)
        with autocast:
            scores, code_logits = judge(fake, fake_y)
            scores = scores.flatten()
            loss_g = g_loss(cfg.loss, scores.topk(keep).values if keep < len(scores) else scores)
            if cfg.codes:  # ...and G learns to draw each code so that it can be read back
                loss_g = loss_g + code_w * code_loss(code_logits, z, cfg.codes)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        D.requires_grad_(True)
        opt_g.step()
        if ema is not None:
            update_ema(ema, G, ema_w)
        nonfinite.logical_or_(~torch.isfinite(loss_d.detach() + loss_g.detach()))
        return {"d_loss": loss_d.detach(), "g_loss": loss_g.detach(), "real_logits": real_logits.detach(),
                "fake_logits": fake_logits.detach(), **({"code_loss": loss_code.detach()} if cfg.codes else {})}

    if graphs:  # the step's changing numbers live in device tensors the graph reads
        code_w_now, ema_w_now = torch.zeros((), device=device), torch.zeros((), device=device)
        graphed_step = GraphedStep(lambda *batch: train_step([batch], code_w_now, ema_w_now, data.batch_size))

    t0 = time.monotonic()
    window_t, window_step = t0, step

    def used() -> float:
        """Seconds of training so far, the parts before a resume included: a time limit counts them all."""
        return elapsed + time.monotonic() - t0

    timed_out = cfg.time_limit is not None and elapsed >= cfg.time_limit  # killed while exporting
    bar = tqdm(total=None if math.isinf(total) else total, initial=step, disable=not main, unit="step",
               dynamic_ncols=True)
    while step < total and not timed_out:
        seconds = used()
        settled, code_w = settling(step, total, seconds, cfg), code_weight(step, total, seconds, cfg)
        if cfg.lr_decay:
            set_lr((opt_d, opt_g), cfg.lr * (1 - settled))
        batches = [(data.indices(step * cfg.d_steps + i), *draw_noise(data.batch_size)) for i in range(cfg.d_steps)]
        if graphs:
            code_w_now.fill_(code_w)
            ema_w_now.fill_(ema_decay(step, cfg.ema_decay))
            stats = graphed_step(*batches[0])
        else:
            keep = max(1, round(data.batch_size * (1 - (1 - cfg.top_k) * settled)))
            stats = train_step(batches, code_w, ema_decay(step, cfg.ema_decay), keep)
        step += 1
        bar.update(1)
        logging = step % cfg.log_every == 0 or step == total

        # 3. Log, draw samples, checkpoint (rank 0 only writes).
        timed_out = cfg.time_limit is not None and dist.any_rank(used() > cfg.time_limit)
        if logging or step % cfg.checkpoint_every == 0 or timed_out:
            if dist.any_rank(nonfinite):
                where = f"{ckpt_path} (step {load_checkpoint(ckpt_path)['step']})" if ckpt_path.exists() else "none yet"
                raise TrainingDiverged(f"a loss became NaN or infinite by step {step}; last good checkpoint: {where}. "
                                       "Try a lower --lr, --loss ns or hinge, or a smaller --batch-size.")
        if logging and main:
            now = time.monotonic()
            record = {"step": step, **step_record(stats, G),
                      "images_per_s": (step - window_step) * data.global_batch * cfg.d_steps / (now - window_t)}
            window_t, window_step = now, step
            append_metrics(out / "metrics.jsonl", record)
            bar.set_postfix(D=f"{record['d_loss']:.3f}", G=f"{record['g_loss']:.3f}",
                            img_s=f"{record['images_per_s']:.0f}")
        if cfg.eval_every and step % cfg.eval_every == 0 and main:
            append_metrics(out / "metrics.jsonl", {"step": step, **quick_metrics(ema or G, device)})
        if main and step % cfg.sample_every == 0 and step < total and not timed_out:
            save_samples(f"step_{step:06d}.png")  # the last grid is drawn at export, after recalibration
        if step % cfg.checkpoint_every == 0 or step == total or timed_out:
            if main:
                checkpoint()
                plot_losses(out / "metrics.jsonl", out / "losses.png")
    bar.close()

    model_dir = out / "model"
    if main:
        wall = used()
        final = ema if ema is not None else unwrap(G)
        recalibrate_batchnorm(final, seed=cfg.seed + 777)
        export(final, model_dir, save_samples(f"step_{step:06d}.png"), cfg, step, wall, commands, device)
    dist.barrier()
    return model_dir


def run_length(cfg: TrainConfig, batches_per_epoch: int) -> float:
    """The generator updates a run is to make: --steps, else --epochs (5 where neither is given);
    with a time limit and neither, as many as the time allows (inf)."""
    if cfg.steps:
        return cfg.steps
    if cfg.time_limit and not cfg.epochs:
        return math.inf
    return max(1, round((cfg.epochs or 5) * batches_per_epoch / cfg.d_steps))


def set_lr(optimizers: tuple, lr: float) -> None:
    """Set every group's learning rate; a captured step reads it from a device tensor, filled in place."""
    for opt in optimizers:
        for group in opt.param_groups:
            if torch.is_tensor(group["lr"]):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr


def step_record(stats: dict[str, torch.Tensor], G: torch.nn.Module) -> dict[str, float]:
    """The numbers metrics.jsonl keeps of a step: losses, D's mean verdicts, and G's gradient norm."""
    g_grad_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm([p.grad for p in G.parameters()])))
    return {"d_loss": stats["d_loss"].item(), "g_loss": stats["g_loss"].item(),
            "d_real": torch.sigmoid(stats["real_logits"]).mean().item(),
            "d_fake": torch.sigmoid(stats["fake_logits"]).mean().item(), "g_grad_norm": g_grad_norm.item(),
            **({"code_loss": stats["code_loss"].item()} if "code_loss" in stats else {})}


def export(final: torch.nn.Module, model_dir: Path, sample: Path, cfg: TrainConfig, step: int, wall: float,
           commands: list[str], device: torch.device) -> None:
    """Write the generator a run ends with, its model card and its last sample grid into `model_dir`."""
    metrics = quick_metrics(final, device) if cfg.eval_every else None
    card = {"loss": cfg.loss, "steps": step, "batch_size": cfg.batch_size, "dataset": cfg.dataset,
            "conditional": cfg.conditional, "training_command": "\n".join(commands),
            "training_time_s": round(wall, 1), "ema": cfg.ema, "training_device": describe_device(device)}
    if metrics:
        card["quality"] = metrics  # "metrics" is a reserved Hub card field (a list of metric ids)
    save_generator(final, model_dir, card, card_body(cfg.arch, "\n".join(commands), step, wall, cfg.loss,
                                                     metrics, "samples.png"))
    (model_dir / "samples.png").write_bytes(sample.read_bytes())
