"""On-the-fly (``method="jax"``) MW transforms alone, for A/B comparisons of two commits.

    python benchmarks/s2fft/micro/jax_transforms.py 512        # L (default 512)

Best of 5 calls of the jitted inverse and forward, spin 0 (real signal) and spin 2.
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from run import best_time, random_flm

import physml.s2fft as s2

L = int(sys.argv[1]) if len(sys.argv) > 1 else 512
for spin, reality in [(0, True), (2, False)]:
    flm = jnp.asarray(random_flm(L, spin, reality))
    inverse = jax.jit(lambda x, spin=spin, reality=reality: s2.inverse(x, L, spin, reality=reality))
    forward = jax.jit(lambda f, spin=spin, reality=reality: s2.forward(f, L, spin, reality=reality))
    f = inverse(flm)
    error = float(jnp.max(jnp.abs(forward(f) - flm)))
    t_inv = best_time(lambda inverse=inverse, flm=flm: inverse(flm), 5)
    t_fwd = best_time(lambda forward=forward, f=f: forward(f), 5)
    print(f"L={L} spin={spin}: inverse {t_inv:.4f} s, forward {t_fwd:.4f} s, error {error:.1e}")
