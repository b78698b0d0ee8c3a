"""Filters: partition of unity, supports, tiling integrals against scipy, steerable profile."""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.interpolate import BSpline

import physml.s2wav as s2w
from physml.s2wav import _tiling


@pytest.mark.parametrize("family", s2w.FAMILIES)
@pytest.mark.parametrize(
    ("L", "N", "J_min", "lam"), [(32, 1, 0, 2.0), (33, 4, 2, 1.7), (40, 5, 1, 3.0)]
)
def test_kernels_resolve_the_identity_for_every_degree(family, L, N, J_min, lam):
    filt = s2w.filters(L, N=N, J_min=J_min, lam=lam, family=family)
    np.testing.assert_allclose(np.asarray(s2w.admissibility(filt)), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("spin", [1, 2, -3])
def test_spin_kernels_resolve_the_identity_above_the_spin(spin):
    filt = s2w.filters(16, N=3, J_min=1, spin=spin)
    adm = np.asarray(s2w.admissibility(filt))
    np.testing.assert_allclose(adm[abs(spin) :], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(adm[: abs(spin)], 0.0)


@pytest.mark.parametrize("family", s2w.FAMILIES)
def test_each_wavelet_lives_between_lam_j_minus_1_and_lam_j_plus_1(family):
    L, lam = 64, 1.8
    filt = s2w.filters(L, N=2, J_min=1, lam=lam, family=family)
    ell = np.arange(L)
    for i, j in enumerate(filt.scales):
        radial = np.abs(np.asarray(filt.psi[i])).sum(axis=1)
        outside = (ell <= lam ** (j - 1)) | (ell >= lam ** (j + 1))
        assert np.all(radial[outside] == 0)
        assert np.any(radial > 0)
        assert filt.bandlimits[i] >= ell[radial > 0].max() + 1
        assert filt.lower[i] <= ell[radial > 0].min()
    scal = np.asarray(filt.phi)
    assert np.all(scal[ell >= lam**filt.J_min] == 0)
    assert filt.scaling_bandlimit >= ell[scal > 0].max() + 1


def _scale_discretised_reference(t, lam):
    def integrand(u):
        x = 2 * lam / (lam - 1) * (u - 1 / lam) - 1
        return math.exp(-2 / (1 - x * x)) / u if abs(x) < 1 else 0.0

    def integral(a):
        return integrate.quad(integrand, a, 1.0, epsabs=1e-15, epsrel=1e-13, limit=200)[0]

    return integral(t) / integral(1 / lam)


def _needlet_reference(t, lam):
    def bump(x):
        return math.exp(-1 / (1 - x * x)) if abs(x) < 1 else 0.0

    u = 1 - 2 * lam / (lam - 1) * (t - 1 / lam)
    total = integrate.quad(bump, -1, 1, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
    return integrate.quad(bump, -1, u, epsabs=1e-15, epsrel=1e-13, limit=200)[0] / total


@pytest.mark.parametrize("lam", [2.0, 1.5, 3.0])
def test_tiling_steps_match_adaptive_quadrature(lam):
    t = np.linspace(1 / lam, 1.0, 23)
    sd = _tiling._step(t, lam, "scale_discretised", None)
    nd = _tiling._step(t, lam, "needlet", None)
    np.testing.assert_allclose(sd, [_scale_discretised_reference(x, lam) for x in t], atol=1e-13)
    np.testing.assert_allclose(nd, [_needlet_reference(x, lam) for x in t], atol=1e-13)


def test_spline_step_is_the_cubic_b_spline():
    lam = 2.0
    t = np.linspace(1 / lam, 1.0, 31)
    b3 = BSpline.basis_element([-2, -1, 0, 1, 2], extrapolate=False)
    x = 2 * (t - 1 / lam) / (1 - 1 / lam)
    expected = np.nan_to_num(1.5 * b3(x))
    np.testing.assert_allclose(_tiling._step(t, lam, "spline", None), expected, atol=1e-14)


def test_trapezoid_option_is_a_coarser_rule_for_the_same_integral():
    exact = np.asarray(s2w.filters(32, quad_iters=None).psi)
    coarse = np.asarray(s2w.filters(32, quad_iters=300).psi)
    fine = np.asarray(s2w.filters(32, quad_iters=30000).psi)
    assert 1e-7 < np.abs(coarse - exact).max() < 1e-4
    assert np.abs(fine - exact).max() < np.abs(coarse - exact).max() / 1000


@pytest.mark.parametrize("N", [1, 2, 3, 6])
def test_directional_profile_is_normalised_steerable_and_real(N):
    L = 12
    eta = _tiling.directional_profile(L, N)
    n = np.arange(-(N - 1), N)
    np.testing.assert_allclose((np.abs(eta[1:]) ** 2).sum(axis=1), 1.0, atol=1e-14)
    assert np.all(eta[0] == 0)
    assert np.all(eta[:, (n + N) % 2 == 0] == 0)
    # A real wavelet needs Ψ_ℓ,−n = (−1)^n conj Ψ_ℓn.
    np.testing.assert_allclose(eta[:, ::-1], (-1.0) ** n * np.conj(eta), atol=1e-15)
    # Binomial weights: |η_ℓn|² = C(γ, (γ−n)/2) / 2^γ with γ = N−1 once ℓ ≥ N.
    gamma = N - 1
    expected = [math.comb(gamma, (gamma - k) // 2) / 2**gamma if (N + k) % 2 else 0 for k in n]
    np.testing.assert_allclose(np.abs(eta[L - 1]) ** 2, expected, atol=1e-14)


def test_spin_lowering_factor_is_the_ratio_of_factorials():
    s0 = 2
    factor = _tiling.spin_lowering(8, s0)
    expected = [
        math.sqrt(math.factorial(ell + s0) / math.factorial(ell - s0)) if ell >= s0 else 0
        for ell in range(8)
    ]
    np.testing.assert_allclose(factor, expected, rtol=1e-14)
    filt = s2w.filters(8, spin0=s0, J_min=1)
    plain = s2w.filters(8, J_min=1)
    np.testing.assert_allclose(filt.phi, plain.phi * factor, rtol=1e-14)


def test_filters_are_a_pytree_with_static_configuration():
    import jax

    filt = s2w.filters(16, N=2)
    leaves, tree = jax.tree_util.tree_flatten(filt)
    assert len(leaves) == 2
    back = jax.tree_util.tree_unflatten(tree, leaves)
    assert back.bandlimits == filt.bandlimits == (4, 4, 8, 16, 16)
    assert back.directions == (2, 2, 2, 2, 2)
    assert filt.scales == (0, 1, 2, 3, 4)


def test_float32_filters():
    filt = s2w.filters(16, N=2, dtype=np.float32)
    assert filt.phi.dtype == np.float32
    assert filt.psi.dtype == np.complex64
