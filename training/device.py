"""The training device: which one, what it offers (bf16, CUDA graphs), and how a model card names it."""

import os
import platform
import torch

from gan_models import device_named

from . import distributed as dist

def pick_device(name: str) -> torch.device:
    """The device `name` means: `auto` is CUDA where there is one; under torchrun each rank takes its own GPU.
    A ValueError says when this machine has no such device."""
    if dist.is_distributed() and torch.cuda.is_available() and name in ("auto", "cuda"):
        return torch.device("cuda", dist.local_rank())
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return device_named(name)


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 autocast speeds this device up: CUDA, or a CPU with bf16 instructions
    (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slower than fp32."""
    if device.type == "cuda":
        return True
    # Private probes: a torch without them counts as having no bf16 instructions.
    return device.type == "cpu" and any(getattr(torch.cpu, f, lambda: False)()
                                        for f in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))


def describe_device(device: torch.device) -> str:
    """The hardware a run trained on, for the model card: a training time means little without it."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} × {dist.world_size()}"
    processes = dist.world_size()
    threads = torch.get_num_threads()
    return (f"CPU ({cpu_model()}), {os.cpu_count()} cores, {threads} thread{'s' * (threads > 1)} "
            f"× {processes} process{'es' * (processes > 1)}")


def cpu_model() -> str:
    """The CPU's name and the vector instructions torch uses on it, such as "AMD EPYC, AVX2": two CPUs
    of one name can differ threefold in training speed, by whether they have AVX-512 and bf16."""
    name = ""
    try:
        with open("/proc/cpuinfo") as info:  # Linux names the model only here
            name = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    name = name or platform.processor() or platform.machine()
    vectors = torch.backends.cpu.get_cpu_capability().replace("DEFAULT", "")  # DEFAULT: none torch uses
    vectors += " with bf16" if native_bf16(torch.device("cpu")) else ""
    return ", ".join(part for part in (name, vectors) if part)
