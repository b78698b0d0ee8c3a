"""Spin spherical harmonic transforms: exactness, references, analytic harmonics, precision."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _signals import random_flm

import physml.s2fft as s2
from physml.core import sampling as core_sampling

EXACT = ("mw", "mwss", "dh", "gl")


@pytest.mark.parametrize(
    ("sampling", "L"), [(s, 8) for s in EXACT] + [("mw", 17), ("gl", 32), ("mwss", 32)]
)
def test_forward_inverse_roundtrip_is_exact_for_every_spin(sampling, L):
    # Exact quadrature (GL/DH, MW/MWSS resampled on the torus): rounding only, for every spin.
    spins = sorted({-3, -2, -1, 0, 1, 2, 3, L - 1, -(L - 1)})
    for spin in spins:
        flm = random_flm(L, spin, seed=L + spin)
        f = s2.inverse(flm, L, spin=spin, sampling=sampling)
        back = s2.forward(f, L, spin=spin, sampling=sampling)
        assert np.max(np.abs(back - flm)) < 1e-12, spin


@pytest.mark.parametrize("sampling", EXACT)
def test_real_signal_roundtrip_is_exact_and_real(sampling):
    L = 8
    flm = random_flm(L, reality=True, seed=3)
    f = s2.inverse(flm, L, sampling=sampling, reality=True)
    assert not jnp.iscomplexobj(f)
    np.testing.assert_allclose(f, s2.inverse(flm, L, sampling=sampling).real, atol=1e-13)
    back = s2.forward(f, L, sampling=sampling, reality=True)
    assert np.max(np.abs(back - flm)) < 1e-12


@pytest.mark.parametrize("sampling", EXACT)
def test_batch_axes_transform_independently(sampling):
    L = 8
    flm = random_flm(L, 1, batch=(2, 3), seed=5)
    f = s2.inverse(flm, L, spin=1, sampling=sampling)
    assert f.shape == (2, 3, *core_sampling.f_shape(L, sampling))
    np.testing.assert_allclose(f[1, 2], s2.inverse(flm[1, 2], L, spin=1, sampling=sampling))
    assert np.max(np.abs(s2.forward(f, L, spin=1, sampling=sampling) - flm)) < 1e-12


@pytest.mark.parametrize("sampling", EXACT)
def test_spherical_harmonics_from_closed_form_transform_to_unit_vectors(sampling):
    # scipy's sph_harm_y (Condon–Shortley phase, orthonormal) evaluated on our sample points.
    special = pytest.importorskip("scipy.special")
    L = 8
    theta = core_sampling.thetas(L, sampling)[:, None]
    phi = core_sampling.phis(L, sampling)[None, :]
    for ell, m in [(0, 0), (3, -2), (6, 5), (7, -7), (7, 0)]:
        y = special.sph_harm_y(ell, m, theta, phi)
        flm = s2.forward(y, L, sampling=sampling)
        expected = np.zeros((L, 2 * L - 1), complex)
        expected[ell, L - 1 + m] = 1.0
        assert np.max(np.abs(flm - expected)) < 1e-12, (ell, m)


def test_float32_roundtrip_is_accurate_to_single_precision():
    L = 17
    for sampling in ("mw",):
        flm = random_flm(L, 2, seed=7).astype(np.complex64)
        f = s2.inverse(flm, L, spin=2, sampling=sampling)
        assert f.dtype == np.complex64
        back = s2.forward(f, L, spin=2, sampling=sampling)
        assert back.dtype == np.complex64
        assert np.max(np.abs(back - flm)) < 1e-5


@pytest.mark.parametrize("L", [7, 8])
def test_precompute_inverse_with_the_fft_ring_move_equals_on_the_fly(L, monkeypatch):
    # Large L moves MWSS profiles onto MW rings by FFTs along θ; force that route at small L
    # (a fresh jit, so no trace of the dense route is reused) and check values and the vjp.
    from physml.s2fft import _precompute

    monkeypatch.setattr(_precompute, "FFT_MOVE_MIN_L", 1)
    inverse = jax.jit(lambda x, k: _precompute.inverse_precompute.__wrapped__(x, k))
    for spin, reality in [(0, True), (0, False), (2, False), (-1, False)]:
        flm = random_flm(L, spin, reality=reality, batch=(2,), seed=5 + spin)
        kernels = s2.precompute_kernels(L, spin, "mw", reality=reality, forward=spin % 2 == 1)
        f = s2.inverse(flm, L, spin=spin, reality=reality)
        np.testing.assert_allclose(inverse(jnp.asarray(flm), kernels), f, atol=1e-13)
        cotangent = np.asarray(f) * 0.5 + 1.0
        (vjp,) = jax.vjp(lambda x, k=kernels: inverse(x, k), jnp.asarray(flm))[1](cotangent)
        args = {"spin": spin, "reality": reality}
        (ref,) = jax.vjp(lambda x, a=args: s2.inverse(x, L, **a), flm)[1](cotangent)
        np.testing.assert_allclose(vjp, ref, atol=1e-12)


@pytest.mark.parametrize("sampling", [*EXACT, "healpix"])
@pytest.mark.parametrize("L", [7, 8])
def test_precompute_method_equals_on_the_fly(sampling, L):
    # A folded kernel of either layout serves both directions (north rings; odd and even
    # ring counts); the layouts alternate over the cases so each meets both kinds of m.
    nside = 4 if sampling == "healpix" else None
    for case, (spin, reality) in enumerate([(0, True), (0, False), (2, False), (-3, False)]):
        flm = random_flm(L, spin, reality=reality, batch=(2,), seed=11 + spin)
        args = {"spin": spin, "sampling": sampling, "nside": nside, "reality": reality}
        kernels = s2.precompute_kernels(L, forward=bool(case % 2), **args)
        assert kernels.forward == bool(case % 2)
        assert kernels.kernel.nbytes == s2.kernel_nbytes(L, **args)
        assert kernels.kernel.nbytes == s2.kernel_nbytes(L, forward=True, **args)
        f = s2.inverse(flm, L, **args)
        np.testing.assert_allclose(
            s2.inverse(flm, L, method="precompute", precomps=kernels, **args), f, atol=1e-13
        )
        iters = 1 if sampling == "healpix" else 0
        np.testing.assert_allclose(
            s2.forward(f, L, method="precompute", precomps=kernels, iter=iters, **args),
            s2.forward(f, L, iter=iters, **args),
            atol=1e-13,
        )
