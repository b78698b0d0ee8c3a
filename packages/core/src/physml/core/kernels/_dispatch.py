"""Choosing between a Pallas kernel and its pure-JAX fallback."""

from __future__ import annotations

import jax

BACKENDS: tuple[str, ...] = ("auto", "pallas", "xla")


def use_pallas(backend: str = "auto") -> bool:
    """True when the Pallas kernel should run.

    ``"auto"`` picks Pallas only when JAX's default backend is a GPU (Pallas lowers to Triton
    there); on CPU and TPU the pure-JAX fallback runs.  ``"pallas"`` forces the kernel (on CPU
    pass ``interpret=True`` to run it through the Pallas interpreter); ``"xla"`` forces the
    fallback.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is not one of {BACKENDS}")
    if backend == "auto":
        return jax.default_backend() == "gpu"
    return backend == "pallas"


def next_power_of_two(n: int) -> int:
    """Smallest power of two ≥ n (Triton block shapes must be powers of two)."""
    return 1 << max(int(n) - 1, 0).bit_length()
