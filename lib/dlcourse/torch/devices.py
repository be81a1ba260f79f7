"""Devices: CUDA if there is a GPU, then Apple MPS, then the CPU; a readable name for each."""

import torch


def pick_device(prefer=None, *, verbose=True):
    """CUDA if available, then Apple MPS, then the CPU (or `prefer`: "cuda", "mps", "cpu")."""
    if prefer is not None:
        if prefer not in ("cuda", "mps", "cpu"):
            raise ValueError(f"prefer: expected 'cuda', 'mps' or 'cpu', got {prefer!r}")
        if prefer == "cuda" and not torch.cuda.is_available():
            raise ValueError("prefer: 'cuda' requested but no CUDA device is available")
        device = torch.device(prefer)
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if verbose:
        print(f"device: {describe(device)}")
    return device


def describe(device):
    """A human-readable name: the GPU model, or the CPU with its thread count."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


__all__ = ["pick_device", "describe"]
