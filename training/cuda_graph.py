"""A training step replayed as one CUDA graph.

A DCGAN step at batch 64 is a few hundred kernels of a few microseconds each: launched one by one
from Python the GPU mostly waits for the CPU. Replaying the step as a captured graph launches them
all at once.
"""

import torch

from . import distributed as dist


class CaptureFailed(RuntimeError):
    """The step could not be captured as a CUDA graph; the message says how to train without one."""


class GraphedStep:
    """Calls `fn(*inputs)` (tensors or None in, a dict of tensors out) eagerly for the first `warmup`
    calls, captures the next call as a CUDA graph, and from then on copies each call's inputs into
    the graph's own and replays it.

    The warm-up runs on a side stream, as capture requires: there cuDNN chooses its kernels and the
    optimisers create their state. Everything `fn` changes from one call to the next must be a
    device tensor (a learning rate, a loss weight), never a Python number, which capture freezes.
    The returned tensors belong to the graph: the next call overwrites them.
    """

    def __init__(self, fn, warmup: int = 3):
        self.fn, self.warmup = fn, warmup
        self.graph, self.inputs, self.outputs = None, None, None

    def __call__(self, *inputs: torch.Tensor | None) -> dict[str, torch.Tensor]:
        if self.warmup > 0:
            self.warmup -= 1
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                out = self.fn(*inputs)
            torch.cuda.current_stream().wait_stream(side)
            return out
        if self.graph is None:
            self.inputs = [None if x is None else x.clone() for x in inputs]
            self.graph = torch.cuda.CUDAGraph()
            try:
                with torch.cuda.graph(self.graph):  # records the step without running it
                    self.outputs = self.fn(*self.inputs)
            except RuntimeError as err:  # an op that syncs with the host, or a torch that cannot capture it
                detail = " ".join(str(err).split())[:300]
                raise CaptureFailed(f"the training step could not be captured as a CUDA graph ({detail}); "
                                    "rerun the same command with --no-cuda-graphs") from None
        else:
            for mine, x in zip(self.inputs, inputs):
                if x is not None:
                    mine.copy_(x)
        self.graph.replay()
        return self.outputs


def graphable(cfg, device: torch.device) -> bool:
    """Whether a step can run as one CUDA graph: one process on a GPU, not compiled (torch.compile
    has graphs of its own), one D update, a loss the graph can capture, no top-k (its k changes)."""
    from .losses import get_loss

    return (device.type == "cuda" and not dist.is_distributed() and not cfg.compile and cfg.d_steps == 1
            and get_loss(cfg.loss).graphable and cfg.top_k == 1)
