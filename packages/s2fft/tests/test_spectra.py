"""Power spectra, Gaussian random fields and healpy conversion."""

import jax
import numpy as np
import pytest
from _signals import random_flm, to_healpy

import physml.s2fft as s2


def test_random_fields_are_real_and_have_the_requested_spectrum():
    L, realisations = 8, 4000
    cl = 1.0 / (1.0 + np.arange(L)) ** 2
    flm = s2.random_flm(jax.random.key(0), L, cl, batch=(realisations,))
    f = s2.inverse(flm[:2], L, sampling="gl", reality=True)  # Hermitian: passes the check
    assert f.dtype == np.float64
    estimate = np.mean(s2.power_spectrum(flm, L), axis=0)
    # Each C_ℓ estimate averages (2ℓ+1)·realisations χ² terms: relative sd sqrt(2/((2ℓ+1)n)).
    sigma = np.sqrt(2.0 / ((2 * np.arange(L) + 1) * realisations))
    assert np.all(np.abs(estimate / cl - 1) < 5 * sigma)


def test_power_spectrum_of_a_single_harmonic():
    L = 6
    flm = np.zeros((L, 2 * L - 1), complex)
    flm[3, L - 1 + 2] = 2.0
    expected = np.zeros(L)
    expected[3] = 4.0 / 7.0
    np.testing.assert_allclose(s2.power_spectrum(flm, L), expected, rtol=1e-15)


def test_healpy_conversion_round_trips_and_matches_healpy_ordering():
    healpy = pytest.importorskip("healpy")
    L = 8
    flm = random_flm(L, reality=True, seed=90)
    alm = s2.flm_to_healpy(flm, L)
    np.testing.assert_array_equal(alm, to_healpy(flm, L))
    np.testing.assert_allclose(s2.healpy_to_flm(alm, L), flm, atol=0)
    cl = healpy.alm2cl(np.asarray(alm), lmax=L - 1)
    np.testing.assert_allclose(s2.power_spectrum(flm, L), cl, rtol=1e-12)
