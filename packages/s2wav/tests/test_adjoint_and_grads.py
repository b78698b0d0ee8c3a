"""Adjoint identities ⟨W f, c⟩ = ⟨f, W† c⟩ and second-order derivatives."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _signals import inner, random_like, random_signal
from jax.test_util import check_grads

import physml.s2wav as s2w


@pytest.mark.parametrize(("N", "reality", "gamma_oversample"), [(2, False, 1), (3, True, 2)])
def test_analysis_adjoint_satisfies_the_inner_product_identity(N, reality, gamma_oversample):
    L = 8
    kw = {"N": N, "reality": reality, "gamma_oversample": gamma_oversample}
    f = random_signal(L, seed=20, reality=reality)
    coeffs = s2w.analysis(f, L, **kw)
    c = random_like(coeffs, seed=21, real=reality)
    lhs = inner(coeffs, c)
    rhs = inner(f, s2w.analysis_adjoint(*c, L, **kw))
    assert abs(lhs - rhs) < 1e-12 * max(abs(lhs), 1.0)


@pytest.mark.parametrize(("N", "reality"), [(2, False), (3, True)])
def test_synthesis_adjoint_satisfies_the_inner_product_identity(N, reality):
    L = 8
    shapes, scal_shape = s2w.coefficient_shapes(s2w.filters(L, N=N))
    zeros = s2w.WaveletCoefficients(tuple(np.zeros(s) for s in shapes), np.zeros(scal_shape))
    c = random_like(zeros, seed=22, real=reality)
    f = random_like(np.zeros((L, 2 * L - 1)), seed=23, real=reality)
    lhs = inner(s2w.synthesis(*c, L, N=N, reality=reality), f)
    rhs = inner(c, s2w.synthesis_adjoint(f, L, N=N, reality=reality))
    assert abs(lhs - rhs) < 1e-12 * max(abs(lhs), 1.0)


def test_analysis_and_synthesis_have_second_order_derivatives():
    L = 8
    f = jnp.asarray(random_signal(L, seed=24))
    coeffs = s2w.analysis(f, L, N=2)

    def ana(x):
        return s2w.analysis(x, L, N=2)

    def syn(wav, scal):
        return s2w.synthesis(wav, scal, L, N=2)

    check_grads(ana, (f,), order=2, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)
    check_grads(syn, tuple(coeffs), order=2, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)


def test_gradient_of_a_wavelet_energy_is_the_adjoint_applied_to_the_coefficients():
    """∇_f Σ|W f|² = 2 W† W f for real f (a closed form of the quadratic)."""
    L = 8
    f = jnp.asarray(random_signal(L, seed=25, reality=True))

    def energy(x):
        c = s2w.analysis(x, L, N=2, reality=True)
        return sum(jnp.sum(w**2) for w in c.wavelet) + jnp.sum(c.scaling**2)

    grad = jax.grad(energy)(f)
    c = s2w.analysis(f, L, N=2, reality=True)
    expected = 2 * s2w.analysis_adjoint(*c, L, N=2, reality=True)
    np.testing.assert_allclose(grad, expected, atol=1e-10)
