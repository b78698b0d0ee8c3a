"""Quadrature exactness against analytic integrals of spherical harmonics.

References are closed forms we did not derive in the library: scipy's spherical harmonics
(``sph_harm_y``) and Legendre polynomials, and Goldberg's formula for spin-weighted harmonics
with Beta-function integrals (tests/_harmonics.py).  All tolerances are a few hundred ulps of
float64 for sums of O(L²) terms of size O(1).
"""

import numpy as np
import pytest
from _harmonics import spin_ylm, spin_ylm_integral
from scipy.special import eval_legendre, sph_harm_y

from physml.core import quadrature, sampling

EXACT = ["mw", "mwss", "dh", "gl"]
TOL = 1e-13


def _harmonic_matrix(L, scheme, spin=0):
    """Columns sY_ℓm sampled on the grid, for all ℓ < L, |m| ≤ ℓ, ℓ ≥ |spin|."""
    theta = sampling.thetas(L, scheme)[:, None]
    phi = sampling.phis(L, scheme)[None, :]
    cols = []
    for ell in range(abs(spin), L):
        for m in range(-ell, ell + 1):
            y = sph_harm_y(ell, m, theta, phi) if spin == 0 else spin_ylm(ell, m, spin, theta, phi)
            cols.append(y.ravel())
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("scheme", ["dh", "gl"])
@pytest.mark.parametrize("L", [1, 2, 5, 16])
def test_dh_and_gl_reproduce_orthonormality_of_harmonics(scheme, L):
    """∫ Y_ℓm Y*_ℓ'm' dΩ = δ δ: exact because the integrand is band-limited at 2L − 1."""
    Y = _harmonic_matrix(L, scheme)
    w = np.repeat(quadrature.weights(L, scheme), sampling.nphi(L, scheme))
    gram = Y.conj().T @ (w[:, None] * Y)
    np.testing.assert_allclose(gram, np.eye(L * L), atol=TOL)


@pytest.mark.parametrize("scheme", ["dh", "gl"])
@pytest.mark.parametrize("spin", [-2, 1, 3])
def test_dh_and_gl_reproduce_orthonormality_of_spin_harmonics(scheme, spin):
    L = 9
    Y = _harmonic_matrix(L, scheme, spin)
    w = np.repeat(quadrature.weights(L, scheme), sampling.nphi(L, scheme))
    gram = Y.conj().T @ (w[:, None] * Y)
    np.testing.assert_allclose(gram, np.eye(Y.shape[1]), atol=TOL)


@pytest.mark.parametrize("scheme", ["dh", "gl"])
def test_dh_and_gl_integrate_legendre_products_exactly_at_L_64(scheme):
    """m = 0 part at L = 64: ∫ P_ℓ P_ℓ' dΩ = 4π δ/(2ℓ+1) for ℓ, ℓ' < 64."""
    L = 64
    z = np.cos(sampling.thetas(L, scheme))
    P = np.stack([eval_legendre(ell, z) for ell in range(L)], axis=1)
    w = quadrature.weights(L, scheme) * sampling.nphi(L, scheme)
    gram = P.T @ (w[:, None] * P)
    np.testing.assert_allclose(gram, np.diag(4 * np.pi / (2 * np.arange(L) + 1)), atol=TOL)


SCHEME_SPINS = [(s, spin) for s in ("mw", "mwss") for spin in (0, 1, -2, 3)] + [
    (s, spin) for s in ("dh", "gl") for spin in (0, 2, -2)
]


@pytest.mark.parametrize(("scheme", "spin"), SCHEME_SPINS)
@pytest.mark.parametrize("L", [4, 11])
def test_every_exact_scheme_integrates_band_limited_spin_harmonics(scheme, spin, L):
    """∫ sY_ℓm dΩ for every ℓ < L equals its closed form (Beta functions).

    MW/MWSS handle any spin through the spin-parity of their torus extension; DH and GL are
    Gauss rules in cos θ, exact for even spin where sY_ℓ0 is a polynomial in cos θ.
    """
    Y = _harmonic_matrix(L, scheme, spin)
    w = np.repeat(quadrature.weights(L, scheme, spin=spin), sampling.nphi(L, scheme))
    got = w @ Y
    want = [
        spin_ylm_integral(ell, m, spin) for ell in range(abs(spin), L) for m in range(-ell, ell + 1)
    ]
    np.testing.assert_allclose(got, want, atol=TOL)


@pytest.mark.parametrize("scheme", ["mw", "mwss"])
def test_mw_weights_integrate_spin_zero_harmonics_up_to_L_64(scheme):
    L = 64
    z = np.cos(sampling.thetas(L, scheme))
    P = np.stack([eval_legendre(ell, z) for ell in range(L)], axis=1)
    w = quadrature.weights(L, scheme) * sampling.nphi(L, scheme)
    want = np.zeros(L)
    want[0] = 4 * np.pi
    np.testing.assert_allclose(w @ P, want, atol=TOL)


def test_mw_weights_depend_on_spin_parity_only():
    np.testing.assert_array_equal(
        quadrature.weights(8, "mw", spin=1), quadrature.weights(8, "mw", spin=3)
    )
    np.testing.assert_array_equal(quadrature.weights(8, "mw", spin=-2), quadrature.weights(8, "mw"))
    assert not np.allclose(quadrature.weights(8, "mw", spin=1), quadrature.weights(8, "mw"))


@pytest.mark.parametrize("nside", [1, 2, 4, 16, 64])
def test_healpix_ring_weights_integrate_axisymmetric_signals_exactly(nside):
    theta = sampling.healpix_thetas(nside)
    n = sampling.healpix_ring_lengths(nside)
    w = quadrature.healpix_ring_weights(nside)
    lmax = quadrature.healpix_exact_degree(nside)
    assert lmax >= 3 * nside
    for ell in range(lmax + 1):
        integral = np.sum(n * w * eval_legendre(ell, np.cos(theta)))
        assert integral == pytest.approx(4 * np.pi if ell == 0 else 0.0, abs=1e-12), ell
    # Not a degenerate solution: every weight stays close to the equal-area 4π/N_pix.
    relative = w * 12 * nside**2 / (4 * np.pi)
    assert np.all((relative > 0.7) & (relative < 1.2))
    np.testing.assert_allclose(w, w[::-1], rtol=1e-15, err_msg="north-south symmetric")
    np.testing.assert_array_equal(quadrature.weights(2 * nside, "healpix", nside=nside), w)


def test_healpix_ring_weights_beat_equal_area_weights_on_low_degrees():
    nside = 8
    theta = sampling.healpix_thetas(nside)
    n = sampling.healpix_ring_lengths(nside)
    p2 = eval_legendre(2, np.cos(theta))
    uniform = np.sum(n * p2) * 4 * np.pi / (12 * nside**2)
    ring = np.sum(n * quadrature.healpix_ring_weights(nside) * p2)
    assert abs(uniform) > 1e-4, "equal-area weights are not exact for P_2"
    assert abs(ring) < 1e-13


def test_so3_weights_add_the_gamma_factor():
    w = quadrature.weights_so3(6, 3, "gl")
    np.testing.assert_allclose(w, quadrature.weights(6, "gl") * 2 * np.pi / 5)
    # Volume of SO(3) in (α, β, γ): 8π².
    assert np.sum(w) * 5 * sampling.nphi(6, "gl") == pytest.approx(8 * np.pi**2, rel=1e-14)


def test_weights_reject_bad_arguments():
    with pytest.raises(ValueError, match="spin=5 needs \\|spin\\| < L, but L=4"):
        quadrature.weights(4, "mw", spin=5)
    with pytest.raises(TypeError, match="spin must be an integer"):
        quadrature.weights(4, "mw", spin=0.5)
    with pytest.raises(ValueError, match="not one of"):
        quadrature.weights(4, "clenshaw")
