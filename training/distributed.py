"""torch.distributed as torchrun sets it up: detected from RANK, a no-op in a single process."""

import os

import torch
import torch.distributed as td
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def is_distributed() -> bool:
    return "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1


def rank() -> int:
    return td.get_rank() if td.is_initialized() else 0


def world_size() -> int:
    return td.get_world_size() if td.is_initialized() else int(os.environ.get("WORLD_SIZE", "1"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def setup() -> None:
    """Join the process group torchrun describes: NCCL on GPUs, gloo on CPUs."""
    if is_distributed() and not td.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank())
        td.init_process_group(backend)


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """DDP-wrap `model` when running distributed; each rank's BatchNorm keeps its own batch statistics."""
    if not td.is_initialized():
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def any_rank(flag: bool | torch.Tensor) -> bool:
    """True on every rank when `flag` is true on any rank, so all ranks stop at the same step."""
    if not td.is_initialized():
        return bool(flag)
    device = torch.device("cuda", local_rank()) if td.get_backend() == "nccl" else torch.device("cpu")
    t = torch.as_tensor(flag, dtype=torch.int32, device=device).reshape(1)
    td.all_reduce(t, op=td.ReduceOp.MAX)
    return bool(t.item())


def barrier() -> None:
    if td.is_initialized():
        td.barrier()


def cleanup() -> None:
    if td.is_initialized():
        td.destroy_process_group()
