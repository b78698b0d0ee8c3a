"""Random band-limited coefficients for tests (values from a seeded generator)."""

import numpy as np


def random_flm(L, spin=0, *, reality=False, batch=(), seed=0):
    """Complex (…, L, 2L−1) with zeros where |m| > ℓ or ℓ < |spin|; Hermitian if ``reality``."""
    rng = np.random.default_rng(seed)
    shape = (*batch, L, 2 * L - 1)
    flm = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    ell = np.arange(L)[:, None]
    m = np.arange(-(L - 1), L)[None, :]
    flm[..., (np.abs(m) > ell) | (ell < abs(spin))] = 0
    if reality:
        flm[..., L - 1] = flm[..., L - 1].real
        for k in range(1, L):
            flm[..., L - 1 - k] = (-1) ** k * np.conj(flm[..., L - 1 + k])
    return flm


def to_healpy(flm, L):
    """healpy alm (m ≥ 0, ordered m(2L−1−m)/2 + ℓ) of dense Hermitian coefficients."""
    out = []
    for m in range(L):
        out.extend(flm[ell, L - 1 + m] for ell in range(m, L))
    return np.asarray(out)


def to_ssht(flm, L):
    """pyssht/ssht 1-D layout ℓ² + ℓ + m."""
    return np.asarray([flm[ell, L - 1 + m] for ell in range(L) for m in range(-ell, ell + 1)])
