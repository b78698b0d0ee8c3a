"""Sample positions against the published formulas and against healpy."""

import healpy as hp
import numpy as np
import pytest
from scipy.special import eval_legendre

from physml.core import sampling

LS = [1, 2, 3, 8, 17, 32]


@pytest.mark.parametrize("L", LS)
def test_mw_positions_follow_mcewen_wiaux_2011(L):
    t = np.arange(L)
    np.testing.assert_allclose(sampling.thetas(L, "mw"), np.pi * (2 * t + 1) / (2 * L - 1))
    p = np.arange(2 * L - 1)
    np.testing.assert_allclose(sampling.phis(L, "mw"), 2 * np.pi * p / (2 * L - 1))
    assert sampling.f_shape(L, "mw") == (L, 2 * L - 1)
    # The south pole is a sample of MW, the north pole is not.
    assert sampling.thetas(L, "mw")[-1] == pytest.approx(np.pi)


@pytest.mark.parametrize("L", LS)
def test_mwss_positions_include_both_poles(L):
    np.testing.assert_allclose(sampling.thetas(L, "mwss"), np.pi * np.arange(L + 1) / L)
    np.testing.assert_allclose(sampling.phis(L, "mwss"), np.pi * np.arange(2 * L) / L)
    assert sampling.f_shape(L, "mwss") == (L + 1, 2 * L)


@pytest.mark.parametrize("L", LS)
def test_dh_positions_follow_driscoll_healy_1994(L):
    t = np.arange(2 * L)
    np.testing.assert_allclose(sampling.thetas(L, "dh"), np.pi * (2 * t + 1) / (4 * L))
    assert sampling.f_shape(L, "dh") == (2 * L, 2 * L - 1)


@pytest.mark.parametrize("L", LS)
def test_gl_rings_are_roots_of_legendre_polynomial(L):
    theta = sampling.thetas(L, "gl")
    assert theta.shape == (L,)
    assert np.all(np.diff(theta) > 0), "rings must run north to south"
    np.testing.assert_allclose(eval_legendre(L, np.cos(theta)), 0.0, atol=1e-13)
    assert sampling.f_shape(L, "gl") == (L, 2 * L - 1)


@pytest.mark.parametrize("L", [5, 64])
def test_gl_nodes_and_weights_match_40_digit_mpmath(L):
    mpmath = pytest.importorskip("mpmath")
    theta, w = sampling.gauss_legendre_thetas(L)
    with mpmath.workdps(40):
        for k in range(0, L, max(1, L // 7)):
            root = mpmath.findroot(lambda t: mpmath.legendre(L, mpmath.cos(t)), theta[k])
            x = mpmath.cos(root)
            # Christoffel number 2(1 − x²)/(L P_{L−1}(x))² (Abramowitz & Stegun 25.4.29).
            weight = 2 * (1 - x**2) / (L * mpmath.legendre(L - 1, x)) ** 2
            assert abs(float(root) - theta[k]) < 4e-16 * max(1.0, float(root))
            # P_{L−1} is small at the polar nodes: its recurrence keeps ~L·eps absolute error.
            assert abs(float(weight) - w[k]) < 2e-15 * float(weight)


@pytest.mark.parametrize("L", [7, 128])
def test_gl_rule_orthogonality_to_rounding(L):
    theta, w = sampling.gauss_legendre_thetas(L)
    ell = np.arange(L)
    p = eval_legendre(ell[:, None], np.cos(theta)[None, :])
    gram = (p * w) @ p.T
    np.testing.assert_allclose(gram, np.diag(2 / (2 * ell + 1)), rtol=0, atol=3e-15)
    np.testing.assert_array_equal(theta + theta[::-1], np.full(L, np.pi))  # exactly symmetric
    np.testing.assert_array_equal(w, w[::-1])


@pytest.mark.parametrize("nside", [1, 2, 4, 8, 16, 32, 64])
def test_healpix_pixel_centres_equal_healpy_pix2ang(nside):
    theta, phi = sampling.healpix_pix2ang(nside)
    ref_theta, ref_phi = hp.pix2ang(nside, np.arange(hp.nside2npix(nside)))
    np.testing.assert_allclose(theta, ref_theta, rtol=0, atol=2e-15 * np.pi)
    np.testing.assert_allclose(phi, ref_phi, rtol=0, atol=4e-15 * np.pi)


@pytest.mark.parametrize("nside", [1, 2, 8, 64])
def test_healpix_ring_layout_equals_healpy_ringinfo(nside):
    rings = np.arange(1, 4 * nside)
    start, length, cos_theta, sin_theta, shifted = hp.ringinfo(nside, rings)
    np.testing.assert_array_equal(sampling.healpix_ring_offsets(nside), start)
    np.testing.assert_array_equal(sampling.healpix_ring_lengths(nside), length)
    theta = sampling.healpix_thetas(nside)
    np.testing.assert_allclose(np.cos(theta), cos_theta, atol=1e-15)
    np.testing.assert_allclose(np.sin(theta), sin_theta, atol=1e-15)
    # A shifted ring starts half a pixel after φ = 0.
    np.testing.assert_allclose(
        sampling.healpix_phi0(nside), np.where(shifted, np.pi / length, 0.0), atol=1e-15
    )
    assert sampling.ntheta(2 * nside, "healpix", nside) == 4 * nside - 1
    assert sampling.f_shape(2 * nside, "healpix", nside) == (12 * nside**2,)


@pytest.mark.parametrize("scheme", ["mw", "mwss", "dh", "gl"])
def test_grid_bundles_the_equiangular_geometry(scheme):
    L = 9
    g = sampling.grid(L, scheme)
    assert g.equiangular
    assert g.ntheta == sampling.ntheta(L, scheme)
    assert np.all(g.ring_lengths == sampling.nphi(L, scheme))
    np.testing.assert_array_equal(g.ring_offsets, np.arange(g.ntheta) * sampling.nphi(L, scheme))
    assert g.shape == sampling.f_shape(L, scheme)
    assert g is sampling.grid(L, scheme), "grids are cached"
    assert hash(g) == hash(sampling.grid(L, scheme.upper()))
    with pytest.raises(ValueError, match="read-only"):
        g.thetas[0] = 1.0


def test_healpix_grid_matches_its_ring_tables():
    g = sampling.grid(8, "healpix", nside=4)
    assert not g.equiangular
    assert g.max_ring_length == 16
    assert g.ring_lengths.sum() == 12 * 16
    assert g != sampling.grid(8, "healpix", nside=8)


def test_so3_shapes_and_gamma_samples():
    assert sampling.so3_shape(8, 3, "mw") == (5, 8, 15)
    assert sampling.so3_shape(8, 1, "healpix", nside=4) == (1, 192)
    assert sampling.flmn_shape(8, 3) == (5, 8, 15)
    np.testing.assert_allclose(sampling.gammas(3), 2 * np.pi * np.arange(5) / 5)


def test_npix_counts_all_samples():
    assert sampling.npix(4, "mwss") == 5 * 8
    assert sampling.npix(4, "healpix", nside=2) == 48


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: sampling.ntheta(0, "mw"), ValueError, "L must be a band-limit >= 1, got L=0"),
        (lambda: sampling.ntheta(4.0, "mw"), TypeError, "L must be an integer band-limit"),
        (lambda: sampling.thetas(4, "cc"), ValueError, "sampling='cc' is not one of"),
        (lambda: sampling.thetas(4, "healpix"), ValueError, "needs nside"),
        (lambda: sampling.thetas(4, "healpix", nside=3), ValueError, "power of two"),
        (lambda: sampling.thetas(13, "healpix", nside=4), ValueError, "L <= 3\\*nside = 12"),
        (lambda: sampling.thetas(4, "mw", nside=4), ValueError, "only meaningful for"),
        (lambda: sampling.nphi(4, "healpix"), ValueError, "needs nside"),
        (lambda: sampling.so3_shape(4, 5), ValueError, "N=5 directions needs 1 <= N <= L"),
        (lambda: sampling.gammas(0), ValueError, "N \\(number of directions\\)"),
    ],
)
def test_bad_geometry_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
