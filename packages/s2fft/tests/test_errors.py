"""Bad input fails early with a message that names the argument."""

import numpy as np
import pytest
from _signals import random_flm

import physml.s2fft as s2


def test_wrong_shapes_are_rejected_with_the_expected_shape():
    with pytest.raises(ValueError, match=r"flm has shape \(8, 15\) but L=9 needs"):
        s2.inverse(np.zeros((8, 15), complex), 9)
    with pytest.raises(ValueError, match=r"f has shape \(8, 8\) but sampling='mw' with L=8"):
        s2.forward(np.zeros((8, 8)), 8)
    with pytest.raises(ValueError, match=r"f has shape .* sampling='healpix' with nside=4"):
        s2.forward(np.zeros(100), 8, sampling="healpix", nside=4)


def test_band_limit_spin_and_nside_are_checked():
    with pytest.raises(ValueError, match="L must be a band-limit >= 1"):
        s2.inverse(np.zeros((0, 0), complex), 0)
    with pytest.raises(ValueError, match=r"spin=4 needs \|spin\| < L, but L=4"):
        s2.inverse(np.zeros((4, 7), complex), 4, spin=4)
    with pytest.raises(ValueError, match="nside must be a power of two"):
        s2.forward(np.zeros(12 * 36), 6, sampling="healpix", nside=6)
    with pytest.raises(ValueError, match="L=13 is too large for nside=4"):
        s2.inverse(np.zeros((13, 25), complex), 13, sampling="healpix", nside=4)
    with pytest.raises(ValueError, match="sampling='xyz' is not one of"):
        s2.inverse(np.zeros((4, 7), complex), 4, sampling="xyz")
    with pytest.raises(ValueError, match="iter must be an integer >= 0"):
        s2.forward(np.zeros((4, 7)), 4, iter=-1)


def test_nan_and_non_hermitian_coefficients_are_rejected():
    flm = random_flm(4, seed=1)
    flm[2, 3] = np.nan
    with pytest.raises(ValueError, match="flm contains 1 NaN or inf"):
        s2.inverse(flm, 4)
    f = np.zeros((4, 7))
    f[0, 0] = np.inf
    with pytest.raises(ValueError, match="f contains 1 NaN or inf"):
        s2.forward(f, 4)
    with pytest.raises(ValueError, match="flm is not Hermitian .* but reality=True"):
        s2.inverse(random_flm(4, seed=2), 4, reality=True)
    with pytest.raises(
        ValueError, match="reality=True describes a real signal, which needs spin=0"
    ):
        s2.inverse(random_flm(4, 1, reality=True, seed=3), 4, spin=1, reality=True)
    with pytest.raises(TypeError, match="reality=True needs a real signal f"):
        s2.forward(np.zeros((4, 7), complex), 4, reality=True)


def test_methods_and_precomputed_kernels_are_checked():
    flm = random_flm(4, seed=4)
    with pytest.raises(ValueError, match="method='fast' is not one of"):
        s2.inverse(flm, 4, method="fast")
    with pytest.raises(TypeError, match="method='precompute' needs precomps="):
        s2.inverse(flm, 4, method="precompute")
    kernels = s2.precompute_kernels(4, spin=1)
    with pytest.raises(ValueError, match="precomps were built for"):
        s2.inverse(flm, 4, method="precompute", precomps=kernels)
    with pytest.raises(ValueError, match="precomps were built for"):
        s2.forward(np.zeros((4, 7)), 4, spin=2, method="precompute", precomps=kernels)
