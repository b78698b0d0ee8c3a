"""The on-the-fly ℓ-sums against dense sums of closed-form Wigner d (Jacobi polynomials)."""

import numpy as np
import pytest
from scipy.special import binom, eval_jacobi

from physml.core import sampling
from physml.s2fft import _kernel


def wigner_d(ell: int, m: int, n: int, theta: np.ndarray) -> np.ndarray:
    """d^ℓ_{mn}(θ) from its Jacobi-polynomial closed form (Varshalovich et al. 1988, §4.3.4)."""
    if abs(m) > ell or abs(n) > ell:
        return np.zeros_like(theta)
    k = min(ell + n, ell - n, ell + m, ell - m)
    if k in (ell - n, ell + m):
        a, sign = n - m, 1
    else:  # k = ℓ + n or ℓ − m
        a, sign = m - n, (-1) ** (m - n)
    b = 2 * ell - 2 * k - a
    norm = np.sqrt(binom(2 * ell - k, k + a) / binom(k + b, b))
    half = theta / 2
    return sign * norm * np.sin(half) ** a * np.cos(half) ** b * eval_jacobi(k, a, b, np.cos(theta))


def dense(L, theta, orders, half):
    """(P, L, nθ, M) table d^ℓ_{m,n_p}(θ_t) on the columns m of the layout."""
    ms = range(L) if half else range(-(L - 1), L)
    return np.array(
        [[[wigner_d(ell, m, n, theta) for m in ms] for ell in range(L)] for n in orders]
    ).transpose(0, 1, 3, 2)


CASES = [
    ((0,), True, "mwss"),  # a real spin-0 signal: m ≥ 0, even/odd split
    ((0,), False, "gl"),  # complex spin 0: m = +j recursed, −j a signed copy
    ((-2,), False, "mwss"),  # spin 2: both halves recursed
    ((3, -1), False, "gl"),  # two unrelated orders
    ((-1, 0, 1), False, "mwss"),  # Wigner orders closed under negation
    ((-1, 0, 1), True, "gl"),  # the same on the columns m ≥ 0 only
]


@pytest.mark.parametrize(("orders", "half", "rings"), CASES)
def test_legendre_sums_equal_dense_closed_form_sums(orders, half, rings):
    L = 21  # two blocks of columns, and degrees past the seeded steps in groups
    theta = sampling.thetas(L, rings)
    d = dense(L, theta, orders, half)
    rng = np.random.default_rng(len(orders) + 7 * half)
    M = L if half else 2 * L - 1
    x = rng.normal(size=(2, len(orders), L, M)) + 1j * rng.normal(size=(2, len(orders), L, M))
    g = rng.normal(size=(2, len(orders), theta.size, M)) * (1 + 0.5j)
    synthesis = _kernel.synthesis(x, L=L, theta=theta, orders=orders, half=half)
    analysis = _kernel.analysis(g, L=L, theta=theta, orders=orders, half=half)
    np.testing.assert_allclose(synthesis, np.einsum("pltm,bplm->bptm", d, x), atol=1e-12)
    np.testing.assert_allclose(analysis, np.einsum("pltm,bptm->bplm", d, g), atol=1e-12)
