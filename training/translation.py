"""The Trainer of translators (gan_models.translators): unpaired image-to-image translation with a cycle
loss (CycleGAN, Zhu et al., 2017), on a dataset of two domains.

    python -m training.run --arch cyclegan --dataset mnist-colour --identity-weight 5 --steps 1000 --batch-size 16
    python -m training.run --arch cyclegan --dataset mnist-colour --cycle-weight 0   # to see what the cycle does

Its G is the translator (both generators) and its D the two discriminators, so the run loop, the EMA,
checkpoints, exact resume and the progress records are the GAN Trainer's; a step, the samples, the
quality numbers and the export are its own.
"""

import copy
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_models import create_translator, save_translator, to_pil, unwrap
from gan_models.translators import cycle_grid

from .losses import d_loss, g_loss, gradient_penalty
from .schedule import ema_decay, set_lr, settling
from .stabilize import apply_spectral_norm, update_ema
from .trainer import Trainer


class TranslationTrainer(Trainer):
    """Each step: both generators learn from their discriminators' verdicts, the cycle loss and the
    identity loss; then both discriminators learn real from translated images of their domain."""

    def _build_models(self, channels: int, models: tuple | None) -> None:
        cfg, (channels_a, channels_b) = self.cfg, self.data.channels
        extra = {"width": cfg.width} if cfg.width else {}
        translator, discriminators = models or create_translator(cfg.arch, channels_a=channels_a,
                                                                 channels_b=channels_b, **extra)
        if cfg.spectral_norm:
            apply_spectral_norm(discriminators)
        self.G, self.D = translator.to(self.device), discriminators.to(self.device)
        self.ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg.ema else None
        self.graphs = False  # a captured CUDA graph replays the GAN step, not this one
        fused = self.device.type in ("cuda", "cpu")
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=cfg.betas, fused=fused)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=cfg.betas, fused=fused)

    def train_step(self) -> dict[str, torch.Tensor]:
        """One step, its numbers left as device tensors: with d_steps > 1, the discriminators first learn
        from the earlier batches' translations, as a GAN's D does."""
        cfg, step = self.cfg, self.step_count
        if cfg.lr_decay:
            settled = settling(step, self.total, self.seconds(), cfg)
            set_lr((self.opt_d,), cfg.lr_d * (1 - settled))
            set_lr((self.opt_g,), cfg.lr_g * (1 - settled))
        batches = [self.data.fetch(self.data.indices(step * cfg.d_steps + i)) for i in range(cfg.d_steps)]
        for a, b in batches[:-1]:
            with torch.no_grad(), self._autocast():
                made = self.G_run(a, b, cycle=False)
            self._d_update(a, b, made.fake_a, made.fake_b)
        stats, fake_a, fake_b = self._g_update(*batches[-1])
        stats.update(self._d_update(*batches[-1], fake_a, fake_b))
        if self.ema is not None:
            update_ema(self.ema, self.G, ema_decay(step, cfg.ema_decay))
        self._nonfinite.logical_or_(~torch.isfinite(stats["d_loss"] + stats["g_loss"]))
        self.step_count += 1
        return stats

    def _g_update(self, a: torch.Tensor, b: torch.Tensor):
        """1. Generators: translations each domain's discriminator calls real, that come back to where
        they started (the cycle), and that leave an image already of the target domain as it is."""
        cfg = self.cfg
        self.D.requires_grad_(self.D_run is not self.D)  # as the GAN step: D's gradients are not needed here
        with self._autocast():
            made = self.G_run(a, b, cycle=cfg.cycle_weight > 0, identity=cfg.identity_weight > 0)
            score_a, score_b = self.D_run(made.fake_a, made.fake_b)
            adversarial = g_loss(cfg.loss, score_a.float()) + g_loss(cfg.loss, score_b.float())
            stats, loss = {"adversarial_loss": adversarial}, adversarial
            if made.back_a is not None:
                stats["cycle_loss"] = F.l1_loss(made.back_a.float(), a) + F.l1_loss(made.back_b.float(), b)
                loss = loss + cfg.cycle_weight * stats["cycle_loss"]
            if made.same_a is not None:
                stats["identity_loss"] = F.l1_loss(made.same_a.float(), a) + F.l1_loss(made.same_b.float(), b)
                loss = loss + cfg.identity_weight * stats["identity_loss"]
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
        stats["g_loss"] = loss
        return {k: v.detach() for k, v in stats.items()}, made.fake_a.detach(), made.fake_b.detach()

    def _d_update(self, a, b, fake_a, fake_b) -> dict[str, torch.Tensor]:
        """2. Discriminators: each domain's real images up, the images translated into it down. Halved,
        as CycleGAN does, so that they learn more slowly than the generators."""
        cfg, n = self.cfg, len(a)
        with self._autocast():
            # One pass per discriminator on real and translated images together: they have no BatchNorm.
            scores_a, scores_b = (s.float() for s in self.D_run(torch.cat([a, fake_a]), torch.cat([b, fake_b])))
            (real_a, false_a), (real_b, false_b) = scores_a.split(n), scores_b.split(n)
            loss = 0.5 * (d_loss(cfg.loss, real_a, false_a) + d_loss(cfg.loss, real_b, false_b))
        if self.loss.penalty:
            penalties = [gradient_penalty(d, real, fake, None, self.noise)
                         for d, real, fake in ((self.D.d_a, a, fake_a), (self.D.d_b, b, fake_b))]
            loss = loss + cfg.gp_weight * 0.5 * sum(penalties)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {"d_loss": loss.detach(), "real_logits": torch.cat([real_a, real_b]).detach(),
                "fake_logits": torch.cat([false_a, false_b]).detach()}

    def record(self, stats: dict[str, torch.Tensor]) -> dict[str, float]:
        """The GAN step's numbers (D's are both discriminators' together), and the generators' three losses."""
        own = ("adversarial_loss", "cycle_loss", "identity_loss")
        return {**super().record(stats), **{k: stats[k].item() for k in own if k in stats}}

    def _sample_grid(self) -> torch.Tensor:
        model = self.ema if self.ema is not None else self.G
        return cycle_grid(model, *self.data.showcase)

    def _quick_metrics(self, model) -> dict:
        from .translation_metrics import quick_metrics  # it loads the classifiers and the test digits

        return quick_metrics(model, self.cfg.data_dir)

    def export(self, folder: Path | str) -> Path:
        """Write the translator (the EMA where there is one; both directions, no discriminators), its model
        card and its sample grid into `folder`, in the Hub format."""
        folder, cfg = Path(folder), self.cfg
        final = copy.deepcopy(self.ema if self.ema is not None else unwrap(self.G)).eval()
        card = {**self.card_fields(final), "cycle_weight": cfg.cycle_weight, "identity_weight": cfg.identity_weight}
        folder.mkdir(parents=True, exist_ok=True)
        to_pil(cycle_grid(final, *self.data.showcase)).save(folder / "samples.png")  # first: the card shows it
        return save_translator(final, folder, card)
