"""The Trainer: one object that holds a run's data, models, optimisers and EMA, and steps it.

    from training import Trainer, TrainConfig
    trainer = Trainer(TrainConfig(arch="mlp", steps=200))
    for _ in range(200):
        numbers = trainer.step()        # one GAN step: d_loss, g_loss, d_real, d_fake, g_grad_norm, ...
    grid = trainer.samples()            # uint8 grid of G's samples from one fixed noise batch
    trainer.save("last.pt"); trainer.export("model/")
"""

import copy
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from gan_models import Verdict, create_model, grid, sample_latents, save_generator, to_array, to_pil, to_uint8, unwrap

from . import distributed as dist
from .config import TrainConfig
from .cuda_graph import GraphedStep, graphable
from .data import DATASETS
from .device import describe_device, native_bf16, pick_device
from .losses import code_loss, continuous_loss, d_loss, g_loss, get_loss, gradient_penalty
from .resumable import Resumable
from .schedule import code_weight, ema_decay, run_length, set_lr, settling
from .stabilize import apply_spectral_norm, recalibrate_batchnorm, update_ema


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


class Trainer(Resumable):
    def __init__(self, cfg: TrainConfig, data=None, models: tuple | None = None):
        """Build the data, the models, their optimisers and the EMA, as `cfg` says. `data` (batches as
        training.data.DigitBatches gives them) and `models` (a (G, D) pair keeping the architecture
        contract) replace the registered ones, e.g. for 2-D toy data."""
        self.cfg, self.loss = cfg, get_loss(cfg.loss)
        dist.setup()
        self.device = pick_device(cfg.device)
        if self.device.type == "cuda" and self.device.index is not None:
            torch.cuda.set_device(self.device)  # a CUDA graph captures the current device's work: make it this one
        torch.manual_seed(cfg.seed)
        torch.backends.cudnn.benchmark = True  # every step has the same shapes: time the kernels once
        dataset = DATASETS[cfg.dataset]
        self.data = data or dataset.batches(cfg.data_dir, cfg.batch_size, cfg.seed, self.device, dist.rank(),
                                            dist.world_size())
        self._build_models(dataset.channels, models)
        # Every rank draws the same global noise batch and keeps its own slice, so a DDP run sees the
        # noise a single process with the same global batch would.
        self.noise = torch.Generator(self.device).manual_seed(cfg.seed + 1)
        self.step_count, self.elapsed, self.commands = 0, 0.0, [cfg.command]
        self.total = run_length(cfg, self.data.batches_per_epoch)
        self._wrap()
        fixed_n = 100 if cfg.conditional else 64
        self.fixed_z = sample_latents(fixed_n, cfg.latent_dim, cfg.seed + 12345, device=self.device)
        self.fixed_y = (torch.arange(10, device=self.device).repeat_interleave(10) if cfg.conditional else None)
        self._nonfinite = torch.zeros((), dtype=torch.bool, device=self.device)
        self._graphed = self._graph() if self.graphs else None
        self._t0 = time.monotonic()

    def _build_models(self, channels: int, models: tuple | None) -> None:
        cfg = self.cfg
        named = (("codes", cfg.codes), ("continuous", cfg.continuous_codes), ("late_codes", cfg.late_codes),
                 ("width", cfg.width))
        extra = {k: v for k, v in named if v}  # not every architecture takes them
        G, D = models or create_model(cfg.arch, latent_dim=cfg.latent_dim, num_classes=10 if cfg.conditional else 0,
                                      channels=channels, **extra)
        if cfg.spectral_norm:
            apply_spectral_norm(D)
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg.ema else None
        self.graphs = cfg.cuda_graphs and graphable(cfg, self.device)
        fused = self.device.type in ("cuda", "cpu")  # one kernel for the whole Adam update
        # A captured step replays what it recorded, so a learning rate that changes must be a device tensor.
        lr = (lambda rate: torch.tensor(rate, device=self.device)) if self.graphs else (lambda rate: rate)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr(cfg.lr_g), betas=cfg.betas, fused=fused,
                                      capturable=self.graphs)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr(cfg.lr_d), betas=cfg.betas, fused=fused,
                                      capturable=self.graphs)

    def _wrap(self) -> None:
        cfg = self.cfg
        # channels_last suits oneDNN and cuDNN convolutions alike; it leaves Linear layers as they are.
        self.G, self.D = self.G.to(memory_format=torch.channels_last), self.D.to(memory_format=torch.channels_last)
        self.G_run, self.D_run = dist.wrap(self.G, self.device), dist.wrap(self.D, self.device)
        if cfg.compile:
            self.G_run, self.D_run = torch.compile(self.G_run), torch.compile(self.D_run)
        self.bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and native_bf16(self.device))

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16) if self.bf16 else nullcontext()

    def _graph(self) -> GraphedStep:
        # The step's changing numbers live in device tensors the graph reads.
        self._code_w, self._ema_w = torch.zeros((), device=self.device), torch.zeros((), device=self.device)
        return GraphedStep(lambda *batch: self._update([batch], self._code_w, self._ema_w, self.data.batch_size))

    def describe(self) -> str:
        """What the run trains on what, for its first line: speed depends on the hardware and bf16."""
        cfg = self.cfg
        model = f"{cfg.arch} (width {cfg.width})" if cfg.width else cfg.arch
        lr = f"lr {cfg.lr:.3g}" if cfg.lr_g == cfg.lr_d == cfg.lr else f"lr G {cfg.lr_g:.3g} D {cfg.lr_d:.3g}"
        return (f"training {model} on {describe_device(self.device)}, {'bf16 autocast' if self.bf16 else 'fp32'}, "
                f"batch {cfg.batch_size}, {lr}, into {cfg.out}")

    def seconds(self) -> float:
        """Seconds of training so far, the parts before a resume included: a time limit counts them all."""
        return self.elapsed + time.monotonic() - self._t0

    def finished(self) -> bool:
        """Whether the run has made its steps, or used its time (on any rank)."""
        timed_out = self.cfg.time_limit is not None and dist.any_rank(self.seconds() > self.cfg.time_limit)
        return self.step_count >= self.total or timed_out

    def step(self) -> dict[str, float]:
        """One GAN step; its numbers as plain floats (see `record`)."""
        return self.record(self.train_step())

    def _sample_grid(self) -> torch.Tensor:
        model = self.ema if self.ema is not None else self.G.eval()
        with torch.no_grad():
            img = grid(to_uint8(model(self.fixed_z, self.fixed_y)), nrow=10 if self.cfg.conditional else 8)
        self.G.train()
        return img

    def samples(self) -> np.ndarray:
        """G's (the EMA's, where there is one) samples from the fixed noise batch as a uint8 grid,
        (H, W) or (H, W, 3): the same z at every call."""
        return to_array(self._sample_grid())

    def save_samples(self, path: Path) -> Path:
        to_pil(self._sample_grid()).save(path)
        return path

    def _noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        mine = slice(dist.rank() * n, (dist.rank() + 1) * n)
        world, dev = n * dist.world_size(), self.device
        z = torch.randn(world, self.cfg.latent_dim, device=dev, generator=self.noise)[mine]
        y = torch.randint(10, (world,), device=dev, generator=self.noise)[mine] if self.cfg.conditional else None
        return z, y

    def train_step(self) -> dict[str, torch.Tensor]:
        """One GAN step, its numbers left as device tensors (reading them would wait for the device)."""
        cfg, step = self.cfg, self.step_count
        seconds = self.seconds()
        settled, code_w = settling(step, self.total, seconds, cfg), code_weight(step, self.total, seconds, cfg)
        if cfg.lr_decay:
            set_lr((self.opt_d,), cfg.lr_d * (1 - settled))
            set_lr((self.opt_g,), cfg.lr_g * (1 - settled))
        batches = [(self.data.indices(step * cfg.d_steps + i), *self._noise(self.data.batch_size))
                   for i in range(cfg.d_steps)]
        if self._graphed is not None:
            self._code_w.fill_(code_w)
            self._ema_w.fill_(ema_decay(step, cfg.ema_decay))
            stats = self._graphed(*batches[0])
        else:
            keep = max(1, round(self.data.batch_size * (1 - (1 - cfg.top_k) * settled)))
            stats = self._update(batches, code_w, ema_decay(step, cfg.ema_decay), keep)
        self.step_count += 1
        return stats

    def _judge(self, x: torch.Tensor, y: torch.Tensor | None) -> Verdict:
        verdict = self.D_run(x, y, with_codes=True)
        return Verdict(*(None if part is None else part.float() for part in verdict))

    def _info_loss(self, verdict: Verdict, z: torch.Tensor, rows: slice = slice(None)) -> torch.Tensor:
        """InfoGAN's code loss on the fakes' rows of a verdict: D reads back the codes G was given."""
        loss = code_loss(verdict.codes[rows], z, self.cfg.codes) if self.cfg.codes else 0.0
        if self.cfg.continuous_codes:
            loss = loss + continuous_loss(verdict.continuous[rows], z, self.cfg.codes)
        return loss

    def _update(self, batches, code_w, ema_w, keep: int) -> dict[str, torch.Tensor]:
        """A D update for each (data rows, z, fake labels) of `batches`, then one G update. Returns the
        losses and D's last logits, detached; G's gradients stay in its parameters."""
        for i, (rows, z, fake_y) in enumerate(batches):
            stats, fake = self._d_update(rows, z, fake_y, code_w, keep_graph=i == len(batches) - 1)
        stats.update(self._g_update(fake, z, fake_y, code_w, keep))
        if self.ema is not None:
            update_ema(self.ema, self.G, ema_w)
        self._nonfinite.logical_or_(~torch.isfinite(stats["d_loss"] + stats["g_loss"]))
        return stats

    def _d_update(self, rows, z, fake_y, code_w, keep_graph: bool):
        """1. Discriminator: real digits up, generated digits down."""
        cfg = self.cfg
        real, real_y = self.data.fetch(rows)
        with self._autocast(), torch.set_grad_enabled(keep_graph):
            fake = self.G_run(z, fake_y)  # the last one kept with its graph for the generator step
        with self._autocast():
            # One D pass on real and fake together: D has no BatchNorm, so this is exact and faster.
            both_y = torch.cat([real_y, fake_y]) if cfg.conditional else None
            verdict = self._judge(torch.cat([real, fake.detach()]), both_y)
            real_logits, fake_logits = verdict.scores.split(real.size(0))
            loss_d = d_loss(cfg.loss, real_logits, fake_logits)
            stats = {}
            if cfg.codes or cfg.continuous_codes:  # D's code head learns to read the codes back from the fakes
                stats["code_loss"] = self._info_loss(verdict, z, slice(real.size(0), None))
                loss_d = loss_d + code_w * stats["code_loss"]
        if self.loss.penalty:
            loss_d = loss_d + cfg.gp_weight * gradient_penalty(self.D, real, fake, fake_y, self.noise)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        stats.update(d_loss=loss_d.detach(), real_logits=real_logits.detach(), fake_logits=fake_logits.detach())
        return {k: v.detach() for k, v in stats.items()}, fake

    def _g_update(self, fake, z, fake_y, code_w, keep: int) -> dict[str, torch.Tensor]:
        """2. Generator: make D call the fakes real. D's own weight gradients are not needed here (DDP
        expects every parameter to take part, and torch.compile would recompile D at each switch, so
        a wrapped D keeps them)."""
        cfg = self.cfg
        self.D.requires_grad_(self.D_run is not self.D)
        with self._autocast():
            verdict = self._judge(fake, fake_y)
            scores = verdict.scores.flatten()
            loss_g = g_loss(cfg.loss, scores.topk(keep).values if keep < len(scores) else scores)
            if cfg.codes or cfg.continuous_codes:  # ...and G learns to draw each code so that it can be read back
                loss_g = loss_g + code_w * self._info_loss(verdict, z)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
        return {"g_loss": loss_g.detach()}

    def record(self, stats: dict[str, torch.Tensor]) -> dict[str, float]:
        """The numbers of a step as plain floats: losses, D's mean verdicts (D(x), D(G(z))), G's
        gradient norm, and the code loss where the run has codes."""
        grads = [p.grad for p in self.G.parameters() if p.grad is not None]
        g_grad_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))) if grads else torch.zeros(())
        return {"d_loss": stats["d_loss"].item(), "g_loss": stats["g_loss"].item(),
                "d_real": torch.sigmoid(stats["real_logits"]).mean().item(),
                "d_fake": torch.sigmoid(stats["fake_logits"]).mean().item(), "g_grad_norm": g_grad_norm.item(),
                **({"code_loss": stats["code_loss"].item()} if "code_loss" in stats else {})}

    def check_finite(self, last_good: str) -> None:
        """Raise TrainingDiverged (on every rank) once a loss has been NaN or infinite."""
        if dist.any_rank(self._nonfinite):
            raise TrainingDiverged(f"a loss became NaN or infinite by step {self.step_count}; last good checkpoint: "
                                   f"{last_good}. Try a lower --lr, --loss ns or hinge, or a smaller --batch-size.")

    def quality(self) -> dict:
        """Quick quality numbers of the model a run would export now."""
        return self._quick_metrics(self.ema or self.G)

    def _quick_metrics(self, model) -> dict:
        from .evaluate import quick_metrics  # `python -m training.evaluate` must not find it imported

        return quick_metrics(model, self.device)

    def card_fields(self, final) -> dict:
        """What the card of an exported model `final` records of its run: settings, the command, time,
        device, and the quick scores where the run takes them."""
        cfg = self.cfg
        card = {"loss": cfg.loss, "steps": self.step_count, "batch_size": cfg.batch_size, "dataset": cfg.dataset,
                "training_command": "\n".join(self.commands), "training_time_s": round(self.seconds(), 1),
                "ema": cfg.ema, "training_device": describe_device(self.device)}
        metrics = self._quick_metrics(final) if cfg.eval_every else None
        if metrics:
            card["quality"] = metrics  # "metrics" is a reserved Hub card field (a list of metric ids)
        return card

    def export(self, folder: Path | str) -> Path:
        """Write the generator (the EMA where there is one, its BatchNorm statistics recalibrated), its
        model card and its sample grid into `folder`, in the Hub format."""
        folder, cfg = Path(folder), self.cfg
        final = copy.deepcopy(self.ema if self.ema is not None else unwrap(self.G))  # training may go on
        recalibrate_batchnorm(final, seed=cfg.seed + 777)
        final.eval()
        card = {**self.card_fields(final), "conditional": cfg.conditional}
        with torch.no_grad():
            img = grid(to_uint8(final(self.fixed_z, self.fixed_y)), nrow=10 if cfg.conditional else 8)
        folder.mkdir(parents=True, exist_ok=True)
        to_pil(img).save(folder / "samples.png")  # first: the card shows it
        return save_generator(final, folder, card)
