"""Wigner transforms on SO(3): exactness for every N ≤ L, the established s2fft, derivatives."""

import numpy as np
import pytest
from _signals import random_flm
from jax.test_util import check_grads

from physml.s2fft import wigner


def random_flmn(L, N, seed):
    return np.stack([random_flm(L, -n, seed=seed + n) for n in range(-(N - 1), N)])


@pytest.mark.parametrize(
    ("sampling", "L", "N"),
    [("mw", 8, 8), ("mwss", 8, 3), ("dh", 8, 3), ("gl", 8, 3)]
    + [pytest.param("mw", 16, N, marks=pytest.mark.slow) for N in (1, 2, 8, 16)],
)
def test_wigner_roundtrip_is_exact_for_every_number_of_directions(sampling, L, N):
    flmn = random_flmn(L, N, seed=70)
    f = wigner.inverse(flmn, L, N, sampling=sampling)
    assert f.shape == (2 * N - 1, *f.shape[1:])
    assert np.max(np.abs(wigner.forward(f, L, N, sampling=sampling) - flmn)) < 1e-12


@pytest.mark.parametrize("sampling", ["mw", "gl"])
def test_wigner_transforms_equal_established_s2fft(sampling):
    s2fft = pytest.importorskip("s2fft")
    L, N = 8, 3
    flmn = random_flmn(L, N, seed=71)
    f = wigner.inverse(flmn, L, N, sampling=sampling)
    ref = s2fft.wigner.inverse(flmn, L, N, sampling=sampling, method="numpy")
    assert np.max(np.abs(f - ref)) < 1e-10
    ref_lmn = s2fft.wigner.forward(np.asarray(f), L, N, sampling=sampling, method="numpy")
    assert np.max(np.abs(wigner.forward(f, L, N, sampling=sampling) - ref_lmn)) < 1e-10


@pytest.mark.parametrize("L", [4, pytest.param(8, marks=pytest.mark.slow)])
def test_wigner_transforms_have_order_two_derivatives(L):
    N = 2
    flmn = random_flmn(L, N, seed=72)
    check_grads(lambda x: wigner.inverse(x, L, N), (flmn,), order=2, modes=("fwd", "rev"))
    f = np.asarray(wigner.inverse(flmn, L, N))
    check_grads(lambda x: wigner.forward(x, L, N), (f,), order=2, modes=("fwd", "rev"))


def test_wigner_rejects_bad_directions_and_shapes():
    with pytest.raises(ValueError, match="N=9 directions needs 1 <= N <= L"):
        wigner.inverse(np.zeros((17, 8, 15), complex), 8, 9)
    with pytest.raises(ValueError, match=r"flmn has shape \(3, 8, 15\) but L=8, N=3 needs"):
        wigner.inverse(np.zeros((3, 8, 15), complex), 8, 3)
