"""Host-side randomness derived from a JAX key, so that bookkeeping compiles nothing.

Splits, permutations and initial weights are drawn with NumPy from a generator seeded by the
key's raw data: eager ``jax.random`` calls would each compile a small XLA program (a few
tenths of a second apiece on CPU), which dominates a cold evidence estimate otherwise.
"""

from __future__ import annotations

import jax
import numpy as np


def numpy_rng(key: jax.Array) -> np.random.Generator:
    """A NumPy generator seeded from a JAX key (typed ``jax.random.key`` or raw ``uint32``)."""
    if isinstance(key, jax.Array) and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return np.random.default_rng(np.asarray(key).astype(np.uint32).ravel().tolist())


def key_data(rng: np.random.Generator) -> np.ndarray:
    """Raw ``uint32[2]`` threefry key data for use inside a compiled function."""
    return rng.integers(0, 2**32, size=2, dtype=np.uint32)
