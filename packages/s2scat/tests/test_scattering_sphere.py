"""The per-scale Gauss–Legendre transforms against physml.s2fft and quadrature exactness."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scattering_fields import gaussian_flm

import physml.s2fft as s2
from physml.s2scat import _sphere

L = 8


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("reality", [True, False])
def test_synthesis_on_the_band_limit_grid_matches_s2fft_gauss_legendre(streamed, reality):
    # oversample = 1 gives n_θ = L nodes and n_φ = 2L − 1 = 15 longitudes: s2fft's GL grid.
    ntheta, nphi = _sphere.grid_shape(L, 1)
    assert (ntheta, nphi) == (L, 2 * L - 1)
    flm = gaussian_flm(jax.random.key(0), L)
    if not reality:
        flm = flm + 1j * gaussian_flm(jax.random.key(1), L)
    kernel = None if streamed else _sphere.legendre_kernel(L, ntheta)
    ours = _sphere.synthesis(flm, nphi, kernel, ntheta, reality)
    expected = s2.inverse(flm, L, 0, "gl", reality=reality)
    np.testing.assert_allclose(ours, expected, atol=1e-12)


@pytest.mark.parametrize("streamed", [False, True])
def test_analysis_of_the_squared_field_is_exact_on_the_oversampled_grid(streamed):
    # |f|² has band-limit 2L − 1; the grid of oversample = 2 integrates |f|² Y*_ℓm (ℓ < L)
    # exactly, so its coefficients equal those of s2fft's forward transform at 2L − 1.
    ntheta, nphi = _sphere.grid_shape(L, 2)
    flm = gaussian_flm(jax.random.key(2), L)
    kernel = None if streamed else _sphere.legendre_kernel(L, ntheta)
    f = _sphere.synthesis(flm, nphi, kernel, ntheta, True)
    weights = jnp.asarray(_sphere.quadrature_weights(ntheta))
    ours = _sphere.analysis(f**2, L, kernel, weights)
    L2 = 2 * L - 1
    fine = s2.inverse(jnp.pad(flm, [(0, L2 - L), (L2 - L, L2 - L)]), L2, reality=True)
    expected = s2.forward(fine**2, L2, reality=True)[:L, L2 - L : L2 - 1 + L]
    np.testing.assert_allclose(ours, expected, atol=1e-12)


def test_kernels_of_several_band_limits_from_one_program_match_s2fft():
    # legendre_kernels slices every kernel out of the largest band-limit's recursion (nodes
    # padded to the longest list): each equals the kernel computed for its own band-limit
    # alone, and the largest synthesises s2fft's Gauss–Legendre inverse.
    bandlimits = (3, 5, 8)
    kernels = _sphere.legendre_kernels(bandlimits, oversample=2)
    for Lj, kernel in zip(bandlimits, kernels, strict=True):
        alone = _sphere.legendre_kernel(Lj, _sphere.grid_shape(Lj, 2)[0])
        np.testing.assert_allclose(kernel, alone, rtol=1e-14, atol=1e-300)
    (kernel,) = _sphere.legendre_kernels((L,), oversample=1)
    ntheta, nphi = _sphere.grid_shape(L, 1)
    flm = gaussian_flm(jax.random.key(3), L)
    ours = _sphere.synthesis(flm, nphi, kernel, ntheta, True)
    np.testing.assert_allclose(ours, s2.inverse(flm, L, 0, "gl", reality=True), atol=1e-12)
