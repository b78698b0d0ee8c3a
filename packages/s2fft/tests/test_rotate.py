"""Rotations: group laws, agreement with the Wigner-d of physml.core and with s2fft."""

import jax
import numpy as np
import pytest
from _signals import random_flm
from jax.test_util import check_grads

import physml.s2fft as s2
from physml.s2fft._wigner import wigner_d_rows

L = 8


def test_rotation_by_beta_alone_applies_the_wigner_d_matrix_of_core():
    flm = random_flm(L, seed=80)
    beta = 0.7
    orders = jax.numpy.arange(-(L - 1), L)
    d = jax.vmap(lambda n: wigner_d_rows(L, beta, n))(orders)  # (n, ℓ, m)
    expected = np.einsum("nlm,ln->lm", d, flm)
    assert np.max(np.abs(s2.rotate(flm, L, 0.0, beta, 0.0) - expected)) < 1e-12


def test_rotations_compose_and_invert_as_group_elements():
    flm = random_flm(L, seed=81)
    # R(α,β,γ)⁻¹ = R(−γ,−β,−α); R_z(a)R_z(b) = R_z(a+b); R(α,β,γ) = R_z(α) R_y(β) R_z(γ).
    rotated = s2.rotate(flm, L, 0.4, 1.1, -2.0)
    assert np.max(np.abs(s2.rotate(rotated, L, 2.0, -1.1, -0.4) - flm)) < 1e-12
    steps = s2.rotate(s2.rotate(s2.rotate(flm, L, 0.0, 0.0, -2.0), L, 0.0, 1.1, 0.0), L, 0.4, 0, 0)
    assert np.max(np.abs(steps - rotated)) < 1e-12
    twice = s2.rotate(s2.rotate(flm, L, 0.0, 0.5, 0.0), L, 0.0, 0.6, 0.0)
    assert np.max(np.abs(twice - s2.rotate(flm, L, 0.0, 1.1, 0.0))) < 1e-12


def test_rotation_preserves_the_power_spectrum_and_equals_s2fft():
    s2fft = pytest.importorskip("s2fft")
    flm = random_flm(L, seed=82)
    rotated = s2.rotate(flm, L, 0.3, 0.7, -1.1)
    np.testing.assert_allclose(s2.power_spectrum(rotated, L), s2.power_spectrum(flm, L), rtol=1e-12)
    reference = s2fft.utils.rotation.rotate_flms(flm, L, (0.3, 0.7, -1.1))
    assert np.max(np.abs(rotated - reference)) < 1e-10


def test_angles_are_traced_and_differentiable():
    flm = random_flm(L, seed=83)
    rotate = jax.jit(lambda x, a, b, c: s2.rotate(x, L, a, b, c))
    for angles in [(0.1, 0.2, 0.3), (1.0, -2.0, 0.5)]:
        np.testing.assert_allclose(rotate(flm, *angles), s2.rotate(flm, L, *angles), atol=1e-13)
    assert rotate._cache_size() == 1
    check_grads(
        lambda x, b: s2.rotate(x, L, 0.3, b, -0.2), (flm, 0.8), order=2, modes=("fwd", "rev")
    )
