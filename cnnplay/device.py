"""Where tensors live: one place that chooses the torch device and sets up CPU threads."""

from __future__ import annotations

import os

import torch

DEVICE_ENV = "CNNPLAY_DEVICE"  # e.g. "cpu", "cuda", "cuda:1", "mps"
THREADS_ENV = "CNNPLAY_TORCH_THREADS"  # intra-op threads per process; default below
MAX_DEFAULT_THREADS = 4  # cap: beyond this, one request's speed-up is small and others wait


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device() -> torch.device:
    """The device every model and real-sized tensor goes to.

    ``CNNPLAY_DEVICE`` overrides (any string ``torch.device`` accepts); otherwise CUDA if
    available, else Apple's MPS, else the CPU. An override naming a device that is not there
    raises ``RuntimeError`` with a readable message rather than failing later inside a kernel.
    """
    wanted = os.environ.get(DEVICE_ENV, "").strip()
    if wanted:
        device = torch.device(wanted)  # ValueError/RuntimeError for nonsense strings
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={wanted!r} but CUDA is not available here")
        if device.type == "mps" and not _mps_available():
            raise RuntimeError(f"{DEVICE_ENV}={wanted!r} but MPS is not available here")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_label(device: torch.device | None = None) -> str:
    """A short human label, e.g. ``"CPU (2 threads)"`` or ``"CUDA: NVIDIA H100 80GB HBM3"``."""
    device = device or get_device()
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"CUDA: {torch.cuda.get_device_name(index)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


def default_thread_count(cpu_count: int | None = None) -> int:
    """Intra-op threads for a server that many sessions share: ``CNNPLAY_TORCH_THREADS`` or
    ``min(cores, 4)``."""
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        return max(1, int(env))
    cores = cpu_count or os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_THREADS))


def configure_torch_threads(threads: int | None = None) -> int:
    """Set torch's CPU thread pools once for this process; safe to call on every rerun.

    Why: Streamlit serves every browser session from threads of one process, and torch's
    intra-op pool is process-wide. Left at its default (every core, plus an inter-op pool as
    large), a class of students running convolutions at once oversubscribes the machine and
    each request gets slower than if it had run alone. A bounded intra-op pool and a single
    inter-op thread keep one request fast and let concurrent ones share the cores fairly.
    Returns the intra-op thread count in effect.
    """
    threads = threads or default_thread_count()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != 1:
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # inter-op pool already started (only settable before first parallel work)
    return torch.get_num_threads()
