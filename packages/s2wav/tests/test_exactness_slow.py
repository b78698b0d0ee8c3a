"""Exact reconstruction at large band-limits (``nox -s slow``): L = 128, N = 8, every sampling.

The wavelet transform is a chain of transforms that are each exact for band-limited signals
on MW, MWSS, DH and GL (spherical harmonic transforms at L, Wigner transforms at each L_j),
and the kernels resolve the identity to 1e-15, so synthesis(analysis(f)) = f up to rounding:
~1e-13 relative in float64 and ~1e-6 in float32 (a few ULP per transform).
"""

import numpy as np
import pytest
from _signals import random_signal

import physml.s2wav as s2w

L, N = 128, 8


def _relative_roundtrip(f, **kw):
    coeffs = s2w.analysis(f, L, N=N, **kw)
    back = np.asarray(s2w.synthesis(*coeffs, L, N=N, **kw))
    return float(np.max(np.abs(back - f)) / np.max(np.abs(f)))


@pytest.mark.slow
@pytest.mark.parametrize("sampling", ["mw", "mwss", "dh", "gl"])
def test_float64_round_trip_is_exact_at_L128_with_eight_directions(sampling):
    f = random_signal(L, sampling, seed=40)
    assert _relative_roundtrip(f, sampling=sampling) < 1e-12


@pytest.mark.slow
def test_real_signal_round_trip_is_exact_at_L128_with_eight_directions():
    f = random_signal(L, "mw", seed=41, reality=True)
    assert _relative_roundtrip(f, reality=True) < 1e-12


@pytest.mark.slow
def test_float32_round_trip_at_L128_with_eight_directions():
    f = random_signal(L, "mw", seed=42).astype(np.complex64)
    assert _relative_roundtrip(f) < 1e-5
