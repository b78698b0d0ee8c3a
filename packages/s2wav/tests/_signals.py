"""Random band-limited test signals (numpy, seeded) and inner products over coefficient pytrees."""

from __future__ import annotations

import jax
import numpy as np

import physml.s2fft as s2


def random_flm(L: int, seed: int = 0, spin: int = 0, reality: bool = False) -> np.ndarray:
    """Gaussian f_ℓm (ℓ ≥ |spin|), Hermitian when ``reality``; dense (L, 2L−1) layout."""
    rng = np.random.default_rng(seed)
    flm = rng.standard_normal((L, 2 * L - 1)) + 1j * rng.standard_normal((L, 2 * L - 1))
    ell = np.arange(L)[:, None]
    m = np.arange(-(L - 1), L)[None, :]
    flm = np.where((np.abs(m) <= ell) & (ell >= abs(spin)), flm, 0)
    if reality:
        mirrored = (-1.0) ** m * np.conj(flm[:, ::-1])
        flm = np.where(m > 0, flm, np.where(m < 0, mirrored, flm.real))
    return flm


def random_signal(L, sampling="mw", nside=None, seed=0, spin=0, reality=False) -> np.ndarray:
    """A signal band-limited at L on ``sampling``."""
    flm = random_flm(L, seed, spin, reality)
    return np.asarray(s2.inverse(flm, L, spin, sampling, nside, reality))


def random_like(tree, seed: int = 1, real: bool = False):
    """Gaussian arrays with the shapes of ``tree`` (complex unless ``real``)."""
    rng = np.random.default_rng(seed)

    def draw(x):
        shape = np.shape(x)
        z = rng.standard_normal(shape)
        return z if real else z + 1j * rng.standard_normal(shape)

    return jax.tree_util.tree_map(draw, tree)


def inner(a, b) -> complex:
    """Σ conj(a) b over every leaf of two pytrees of equal structure."""
    pairs = zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
    return complex(sum(np.vdot(np.asarray(x), np.asarray(y)) for x, y in pairs))
