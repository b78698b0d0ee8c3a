"""Exact ring moves on the torus against closed-form trigonometric polynomials."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from physml.core import sampling
from physml.s2fft import _quadrature, _torus


def _profiles(coeffs: np.ndarray, theta: np.ndarray, parity: np.ndarray) -> np.ndarray:
    """(nθ, M) values at ``theta`` of degree < L profiles with G(2π − θ) = ±G(θ): cosine
    series (even) or sine series (odd), coefficients ``coeffs`` (M, L)."""
    k = np.arange(coeffs.shape[1])
    basis = np.where(parity[:, None, None], np.sin(k * theta[:, None]), np.cos(k * theta[:, None]))
    return np.einsum("mtk,mk->tm", basis, coeffs)


@pytest.mark.parametrize("L", [7, 8])
@pytest.mark.parametrize(("source", "target"), [("mw", "dh"), ("mwss", "dh"), ("mwss", "mw")])
@pytest.mark.parametrize("dense", [True, False])
def test_ring_moves_are_exact_for_band_limited_profiles(L, source, target, dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(_torus, "DENSE_MAX_L", 0)
    rng = np.random.default_rng(L)
    parity = (np.arange(2 * L - 1) + L) % 2 == 1  # alternating, as (m − n) mod 2
    coeffs = rng.normal(size=(parity.size, L)) + 1j * rng.normal(size=(parity.size, L))
    before = _profiles(coeffs, sampling.thetas(L, source), parity)
    expected = _profiles(coeffs, sampling.thetas(L, target), parity)
    moved = _torus.move(jnp.asarray(before)[None], parity[None], L, source, target)[0]
    np.testing.assert_allclose(np.asarray(moved), expected, atol=1e-12 * L)


@pytest.mark.parametrize("L", [7, 8])
@pytest.mark.parametrize(("source", "target"), [("mw", "dh"), ("mwss", "dh"), ("mwss", "mw")])
def test_ring_moves_with_rings_last_are_exact(L, source, target):
    """The (..., P, M, nθ) layout of the precompute inverse, with a traced parity under jit."""
    rng = np.random.default_rng(L + 1)
    parity = (np.arange(L) + 1) % 2 == 1
    coeffs = rng.normal(size=(2, parity.size, L)) + 1j * rng.normal(size=(2, parity.size, L))
    before = np.stack([_profiles(c, sampling.thetas(L, source), parity).T for c in coeffs])
    expected = np.stack([_profiles(c, sampling.thetas(L, target), parity).T for c in coeffs])
    move = jax.jit(lambda g, q: _torus.resample_columns(g, q, L, source, target))
    moved = move(jnp.asarray(before)[:, None], jnp.asarray(parity)[None])[:, 0]
    assert moved.shape == expected.shape
    np.testing.assert_allclose(np.asarray(moved), expected, atol=1e-12 * L)


@pytest.mark.parametrize(("L", "M", "first_odd"), [(7, 7, False), (8, 8, True), (8, 7, True)])
@pytest.mark.parametrize(("source", "target"), [("mw", "dh"), ("mwss", "dh"), ("mwss", "mw")])
def test_ring_moves_of_order_pairs_are_exact(L, M, first_odd, source, target):
    """Two orders per FFT (an even and an odd profile on one torus): odd and even numbers of
    orders (an odd M is padded with a zero order), either parity first, two P; against the
    exact trigonometric profiles."""
    rng = np.random.default_rng(L + 2)
    parity = np.stack(
        [(np.arange(M) + first_odd) % 2 == 1, (np.arange(M) + 1 - first_odd) % 2 == 1]
    )
    coeffs = rng.normal(size=(2, M, L)) + 1j * rng.normal(size=(2, M, L))
    before = np.stack(
        [_profiles(c, sampling.thetas(L, source), q).T for c, q in zip(coeffs, parity)]
    )
    expected = np.stack(
        [_profiles(c, sampling.thetas(L, target), q).T for c, q in zip(coeffs, parity)]
    )
    moved = jax.jit(lambda g: _torus.resample_pairs(g, parity, L, source, target))(before)
    assert moved.shape == expected.shape
    np.testing.assert_allclose(np.asarray(moved), expected, atol=1e-12 * L)
    real = _torus.resample_pairs(jnp.asarray(before.real), parity, L, source, target)
    reference = _torus.resample_columns(jnp.asarray(before.real), parity, L, source, target)
    np.testing.assert_allclose(np.asarray(real), np.asarray(reference), atol=1e-12 * L)


def test_ring_moves_of_order_pairs_need_alternating_parities():
    with pytest.raises(ValueError, match="alternating"):
        _torus.resample_pairs(jnp.zeros((3, 5)), np.array([True, True, False]), 4, "mwss", "mw")


@pytest.mark.parametrize("source", ["mw", "mwss", "dh"])
def test_kernel_quadrature_integrates_exactly(source):
    """Σ_{t,s} h(θ_t) A_q[t, s] G(θ_s) (t over MWSS rings, s over ``source`` rings) equals
    (2π/nφ) ∫ G h sin θ dθ for degree < L profiles of the parity q (the exact rule)."""
    L = 8
    rng = np.random.default_rng(3)
    mats = _quadrature.kernel_matrices(L, source)
    k = np.arange(L)
    fine = np.linspace(0, np.pi, 40001)
    for q in (0, 1):
        trig = np.sin if q else np.cos
        a, b = rng.normal(size=L), rng.normal(size=L)
        G = trig(np.outer(sampling.thetas(L, source), k)) @ a
        h = trig(np.outer(sampling.thetas(L, "mwss"), k)) @ b
        integrand = (trig(np.outer(fine, k)) @ a) * (trig(np.outer(fine, k)) @ b) * np.sin(fine)
        exact = 2 * np.pi * np.trapezoid(integrand, fine) / sampling.nphi(L, source)
        np.testing.assert_allclose(h @ mats[q] @ G, exact, rtol=1e-7)
