"""Wigner-d values against references we did not write: textbook tables, Wigner's explicit
sum evaluated in mpmath, scipy's spherical harmonics, special angles and group laws.

Tolerances: float64 rounding is ε ≈ 1.1e-16; the recursions lose at most ~ℓε (ℓ ≤ 64 here),
so 1e-13 leaves a margin of >10 over the worst case seen while still catching any wrong
coefficient, sign or phase (those give O(1e-3..1) errors).
"""

import functools
import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from scipy.special import sph_harm_y

from physml.core import wigner

TOL = 1e-13


def wigner_sum(ell, m, n, beta):
    """Wigner's explicit sum (Varshalovich et al. 1988, §4.3.1, eq. 2) at 50 digits."""
    with mpmath.workdps(50):
        b = mpmath.mpf(float(beta))
        c, s = mpmath.cos(b / 2), mpmath.sin(b / 2)
        f = mpmath.factorial
        total = mpmath.mpf(0)
        for k in range(2 * ell + 1):
            args = (ell + n - k, k, m - n + k, ell - m - k)
            if min(args) < 0:
                continue
            num = mpmath.sqrt(f(ell + m) * f(ell - m) * f(ell + n) * f(ell - n))
            den = f(args[0]) * f(args[1]) * f(args[2]) * f(args[3])
            total += (
                (-1) ** (m - n + k)
                * num
                / den
                * c ** (2 * ell + n - m - 2 * k)
                * s ** (m - n + 2 * k)
            )
        return float(total)


LT = 20  # band-limit shared by most tests, so each jitted helper compiles once


@functools.cache
def rows_fn(L):
    """Jitted wigner_d_rows at band-limit L; β and n are traced arguments."""
    return jax.jit(lambda beta, n: wigner.wigner_d_rows(L, beta, n))


@functools.cache
def matrix_fn(L):
    return jax.jit(lambda beta: wigner.wigner_d_matrix(L, beta))


@functools.cache
def _all_rows_fn(L):
    ns = jnp.arange(-(L - 1), L)
    rows = rows_fn(L)
    return jax.jit(lambda beta: jnp.moveaxis(jax.vmap(lambda n: rows(beta, n))(ns), 0, -1))


def all_rows(L, beta):
    """(L, [β,] 2L-1 [m], 2L-1 [n]) from the recursion route, vmapped over n."""
    return _all_rows_fn(L)(jnp.asarray(beta, jnp.float64))


def both_routes(route, L, beta):
    return all_rows(L, beta) if route == "recursion" else matrix_fn(L)(jnp.float64(beta))


def textbook_d1_d2(beta):
    """d^1 and d^2 from the standard tables (e.g. Sakurai & Napolitano, Table 3.1 / eq. 3.9.33;
    Varshalovich et al. 1988, Table 4.3), completed by d_mn = (-1)^{m-n} d_nm = d_{-n,-m}."""
    c, s = np.cos(beta), np.sin(beta)
    d1 = {(1, 1): (1 + c) / 2, (1, 0): -s / np.sqrt(2), (1, -1): (1 - c) / 2, (0, 0): c}
    d2 = {
        (2, 2): ((1 + c) / 2) ** 2,
        (2, 1): -(1 + c) * s / 2,
        (2, 0): np.sqrt(3 / 8) * s**2,
        (2, -1): -(1 - c) * s / 2,
        (2, -2): ((1 - c) / 2) ** 2,
        (1, 1): (1 + c) * (2 * c - 1) / 2,
        (1, 0): -np.sqrt(3 / 2) * s * c,
        (1, -1): (1 - c) * (2 * c + 1) / 2,
        (0, 0): (3 * c**2 - 1) / 2,
    }
    tables = []
    for ell, known in ((1, d1), (2, d2)):
        full = np.full((2 * ell + 1, 2 * ell + 1), np.nan)
        for (m, n), v in known.items():
            sign = (-1) ** (m - n)
            for mm, nn, value in ((m, n, v), (n, m, sign * v), (-n, -m, v), (-m, -n, sign * v)):
                full[ell + mm, ell + nn] = value
        assert not np.isnan(full).any()
        tables.append(full)
    return tables


@pytest.mark.parametrize("route", ["recursion", "delta"])
@pytest.mark.parametrize("beta", [0.0, 0.37, 1.9, np.pi])
def test_degrees_one_and_two_match_the_textbook_tables(route, beta):
    d = np.asarray(both_routes(route, LT, beta))
    for ell, table in zip((1, 2), textbook_d1_d2(beta), strict=True):
        block = d[ell, LT - 1 - ell : LT + ell, LT - 1 - ell : LT + ell]
        np.testing.assert_allclose(block, table, atol=TOL, rtol=0)


def test_d1_10_has_the_condon_shortley_sign():
    beta = 0.8
    d = np.asarray(wigner.wigner_d_rows(2, beta, 0))
    assert d[1, 2] == pytest.approx(-np.sin(beta) / np.sqrt(2), abs=TOL)


@pytest.mark.parametrize("route", ["recursion", "delta"])
def test_beta_zero_gives_the_identity(route):
    d = np.asarray(both_routes(route, LT, 0.0))
    present = np.abs(np.arange(-(LT - 1), LT)) <= np.arange(LT)[:, None]
    expected = present[:, :, None] * np.eye(2 * LT - 1)[None]
    np.testing.assert_allclose(d, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("route", ["recursion", "delta"])
def test_beta_pi_gives_the_signed_antidiagonal(route):
    """Wigner's sum at β = π keeps one term, k = ℓ - m with n = -m: d^ℓ_{m,-m}(π) = (-1)^{ℓ+m}."""
    d = np.asarray(both_routes(route, LT, np.pi))
    for ell in (0, 1, 2, 7, LT - 1):
        for m in (-ell, 0, ell):
            assert (-1) ** (ell + m) == pytest.approx(wigner_sum(ell, m, -m, np.pi), abs=1e-15)
        ms = np.arange(-ell, ell + 1)
        expected = np.zeros((2 * LT - 1, 2 * LT - 1))
        expected[LT - 1 + ms, LT - 1 - ms] = (-1.0) ** (ell + ms)
        np.testing.assert_allclose(d[ell], expected, atol=TOL, rtol=0)


def test_half_pi_rows_equal_the_delta_matrices():
    delta = np.asarray(wigner.delta_matrices(LT))
    np.testing.assert_allclose(np.asarray(all_rows(LT, np.pi / 2)), delta, atol=TOL, rtol=0)


def test_recursion_matches_wigners_sum_at_50_digits():
    rng = np.random.default_rng(7)
    L = 41
    for n in (0, 1, -3, 17, -29, 40):
        betas = rng.uniform(0, np.pi, 3)
        rows = np.asarray(rows_fn(L)(jnp.asarray(betas), n))
        for _ in range(20):
            ell = int(rng.integers(abs(n), L))
            m = int(rng.integers(-ell, ell + 1))
            for i, beta in enumerate(betas):
                assert rows[ell, i, L - 1 + m] == pytest.approx(
                    wigner_sum(ell, m, n, beta), abs=TOL
                ), (ell, m, n, beta)


def test_delta_route_matches_wigners_sum_at_50_digits():
    rng = np.random.default_rng(8)
    L = 41
    beta = float(rng.uniform(0, np.pi))
    d = np.asarray(matrix_fn(L)(beta))
    for _ in range(60):
        ell = int(rng.integers(0, L))
        m, n = (int(v) for v in rng.integers(-ell, ell + 1, 2))
        assert d[ell, L - 1 + m, L - 1 + n] == pytest.approx(
            wigner_sum(ell, m, n, beta), abs=TOL
        ), (ell, m, n)


def test_n_zero_matches_scipy_spherical_harmonics():
    """d^ℓ_{m0}(θ) = sqrt(4π/(2ℓ+1)) Y_ℓ^m(θ, 0), scipy's Y having the Condon–Shortley phase."""
    L = 65
    theta = np.array([1e-3, 0.4, 1.3, np.pi / 2, 2.2, np.pi - 1e-3])
    rows = np.asarray(rows_fn(L)(jnp.asarray(theta), 0))
    ell = np.arange(L)[:, None, None]
    m = np.arange(-(L - 1), L)[None, None, :]
    valid = np.abs(m) <= ell
    ref = sph_harm_y(ell, np.where(valid, m, 0), theta[None, :, None], 0.0).real
    ref = np.where(valid, ref * np.sqrt(4 * np.pi / (2 * ell + 1)), 0.0)
    np.testing.assert_allclose(rows, ref, atol=TOL, rtol=0)


@pytest.mark.parametrize("route", ["recursion", "delta"])
def test_index_symmetries_hold(route):
    """d_mn = (-1)^{m-n} d_nm = d_{-n,-m} (Varshalovich et al. 1988, §4.4)."""
    d = np.asarray(both_routes(route, LT, 1.1))
    k = np.arange(-(LT - 1), LT)
    sign = (-1.0) ** (k[:, None] - k[None, :])
    np.testing.assert_allclose(d, sign * np.swapaxes(d, 1, 2), atol=TOL, rtol=0)
    np.testing.assert_allclose(d, np.swapaxes(d[:, ::-1, ::-1], 1, 2), atol=TOL, rtol=0)


@pytest.mark.parametrize("route", ["recursion", "delta"])
def test_group_law_adds_angles(route):
    """Σ_k d^ℓ_mk(β1) d^ℓ_kn(β2) = d^ℓ_mn(β1 + β2): rotations about one axis compose."""
    b1, b2 = 0.45, 1.7
    lhs = jnp.einsum("lmk,lkn->lmn", both_routes(route, LT, b1), both_routes(route, LT, b2))
    rhs = both_routes(route, LT, b1 + b2)
    np.testing.assert_allclose(np.asarray(lhs), np.asarray(rhs), atol=TOL, rtol=0)


@pytest.mark.parametrize("beta", [0.05, 0.9, 2.4, 3.1])
def test_delta_and_recursion_routes_agree(beta):
    rec = np.asarray(both_routes("recursion", LT, beta))
    via_delta = np.asarray(both_routes("delta", LT, beta))
    np.testing.assert_allclose(rec, via_delta, atol=TOL, rtol=0)


def test_wigner_d_from_delta_takes_a_vector_of_angles():
    delta = wigner.delta_matrices(10)
    betas = jnp.array([0.2, 1.4])
    batched = np.asarray(wigner.wigner_d_from_delta(delta[7], betas))
    assert batched.shape == (2, 19, 19)
    for i in range(2):
        single = np.asarray(wigner.wigner_d_from_delta(delta[7], betas[i]))
        np.testing.assert_allclose(batched[i], single, atol=1e-15, rtol=0)


@pytest.mark.parametrize("route", ["recursion", "delta"])
def test_entries_below_the_minimal_degree_are_exactly_zero(route):
    d = np.asarray(both_routes(route, LT, 0.7))
    k = np.abs(np.arange(-(LT - 1), LT))
    below = np.arange(LT)[:, None, None] < np.maximum(k[:, None], k[None, :])[None]
    assert np.all(d[below] == 0.0)


def test_columns_of_each_degree_are_orthonormal():
    d = np.asarray(both_routes("delta", LT, 2.3))
    for ell in (0, 5, LT - 1):
        block = d[ell, LT - 1 - ell : LT + ell, LT - 1 - ell : LT + ell]
        np.testing.assert_allclose(block.T @ block, np.eye(2 * ell + 1), atol=TOL, rtol=0)


def test_top_row_has_the_binomial_closed_form():
    """d^ℓ_{ℓn}(β) = (-1)^{ℓ-n} sqrt(C(2ℓ, ℓ+n)) cos^{ℓ+n}(β/2) sin^{ℓ-n}(β/2)."""
    beta, ell = 0.6, LT - 1
    d = np.asarray(both_routes("recursion", LT, beta))
    for n in range(-ell, ell + 1):
        ref = (
            (-1) ** (ell - n)
            * math.sqrt(math.comb(2 * ell, ell + n))
            * math.cos(beta / 2) ** (ell + n)
            * math.sin(beta / 2) ** (ell - n)
        )
        assert d[ell, 2 * ell, LT - 1 + n] == pytest.approx(ref, rel=1e-13, abs=1e-300)
