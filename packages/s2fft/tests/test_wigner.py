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


@pytest.mark.parametrize("sampling", ["mw", "gl"])
def test_wigner_precompute_method_equals_on_the_fly(sampling):
    L, N = 6, 3
    flmn = random_flmn(L, N, seed=73)
    f = wigner.inverse(flmn, L, N, sampling=sampling)
    k_inv = wigner.precompute_kernels(L, N, sampling=sampling)
    k_fwd = wigner.precompute_kernels(L, N, sampling=sampling, forward=True)
    f_pre = wigner.inverse(flmn, L, N, sampling=sampling, method="precompute", precomps=k_inv)
    assert np.max(np.abs(f_pre - f)) < 1e-13
    flmn_pre = wigner.forward(f, L, N, sampling=sampling, method="precompute", precomps=k_fwd)
    assert np.max(np.abs(flmn_pre - flmn)) < 1e-12
    assert wigner.kernel_nbytes(L, N, sampling=sampling) == k_inv.kernel.nbytes


@pytest.mark.parametrize("method", ["jax", "precompute"])
def test_wigner_reality_uses_the_conjugate_symmetry_of_real_signals(method):
    L, N, sampling = 6, 3, "mw"
    real = np.asarray(wigner.inverse(random_flmn(L, N, seed=74), L, N, sampling=sampling)).real
    full = wigner.forward(real + 0j, L, N, sampling=sampling)  # the complex path as reference

    def kernels(forward):
        return wigner.precompute_kernels(L, N, sampling=sampling, reality=True, forward=forward)

    opts = {"sampling": sampling, "reality": True, "method": method}
    flmn = wigner.forward(
        real, L, N, **opts, precomps=kernels(True) if method == "precompute" else None
    )
    assert np.max(np.abs(flmn - full)) < 1e-12
    back = wigner.inverse(
        flmn, L, N, **opts, precomps=kernels(False) if method == "precompute" else None
    )
    assert not np.iscomplexobj(back)
    assert np.max(np.abs(back - real)) < 1e-12


def test_wigner_precompute_checks_its_kernels():
    flmn = np.zeros((3, 6, 11), complex)
    with pytest.raises(TypeError, match="needs precomps=wigner.precompute_kernels"):
        wigner.inverse(flmn, 6, 2, method="precompute")
    k_fwd = wigner.precompute_kernels(6, 2, forward=True)
    with pytest.raises(ValueError, match="hold no inverse kernel"):
        wigner.inverse(flmn, 6, 2, method="precompute", precomps=k_fwd)
    with pytest.raises(ValueError, match=r"built for \(L, N, sampling, nside, reality\)"):
        wigner.forward(
            np.zeros((3, 6, 11)), 6, 2, method="precompute", precomps=k_fwd, sampling="gl"
        )
    with pytest.raises(ValueError, match="method='ducc' is not one of"):
        wigner.inverse(flmn, 6, 2, method="ducc")
