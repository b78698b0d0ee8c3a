"""Starting values of the ℓ-recursion, tabulated once on the host in extended precision.

For each fixed order n, each m and each ring θ_t the recursion for d^ℓ_{mn}(θ_t) starts at
ℓ0 = max(|m|, |n|) from Wigner's one-term closed form (Varshalovich et al. 1988, §4.3)

    G_k(ℓ) = sqrt(C(2ℓ, ℓ+k)) cos(θ/2)^{ℓ+k} sin(θ/2)^{ℓ−k},
    d^{ℓ0}_{mn} = G_m(|n|) (n ≥ 0) or (−1)^{|n|+m} G_{−m}(|n|) (n < 0)   for |m| ≤ |n|,
    d^{ℓ0}_{mn} = (−1)^{m−n} G_n(m)  for m > |n|,      d^{ℓ0}_{mn} = G_{−n}(−m)  for m < −|n|.

These range from 1 down to 2^−20000 and beyond, so each is stored as ``mant · 2^{T k}``
with an integer k ≤ 0 and mant ∈ (2^−T, 1].  Their logarithms are formed in ``longdouble``
(64-bit mantissa on x86) from exact integer binomials, so a seed carries a relative error
~ε of the working precision even where |log₂ d| is in the thousands.  Tables depend only on
static configuration (L, rings, orders n, dtype) and are cached.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# Rescaling exponent T of the recursion (value = mant · 2^{T k}) and the number of recursion
# steps between overflow checks: one step multiplies a mantissa by less than 2^13 for
# L ≤ 4096, so 2^(T + 13 R) must stay finite.
EXPONENT = {np.dtype(np.float64): 512, np.dtype(np.float32): 64}
CHECK_EVERY = {np.dtype(np.float64): 4, np.dtype(np.float32): 4}


def _log2_sqrt_binomial(two_l: int, i: int) -> np.longdouble:
    """log₂ sqrt(C(two_l, i)) to the precision of ``longdouble`` (exact integer binomial)."""
    c = math.comb(two_l, i)
    shift = max(c.bit_length() - 64, 0)
    top = c >> shift
    mant = np.longdouble(top >> 32) * np.longdouble(2**32) + np.longdouble(top & 0xFFFFFFFF)
    return (np.log2(mant) + shift) / 2


def _seed_indices(L: int, n: int, width: int):
    """(ℓ0, k, sign) of d^{ℓ0}_{mn} = sign·G_k(ℓ0) for m = +j (half 0) and m = −j (half 1)."""
    ell0 = np.full((2, width), L, dtype=np.int64)
    kk = np.zeros((2, width), dtype=np.int64)
    sign = np.ones((2, width))
    for half, msign in enumerate((1, -1)):
        for j in range(min(width, L)):
            m = msign * j
            if j <= abs(n):
                ell0[half, j] = abs(n)
                kk[half, j] = m if n >= 0 else -m
                sign[half, j] = 1.0 if n >= 0 else (-1.0) ** (abs(n) + m)
            elif m > 0:
                ell0[half, j], kk[half, j], sign[half, j] = m, n, (-1.0) ** (m - n)
            else:
                ell0[half, j], kk[half, j] = -m, -n
    return ell0, kk, sign


@lru_cache(maxsize=32)
def seed_table(
    L: int, theta: tuple[float, ...], orders: tuple[int, ...], width: int, dtype_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Seeds of every (n, ±j, θ): mantissas and exponents k, each of shape (P, 2, width, nθ).

    ``theta`` are the (northern) ring colatitudes, ``orders`` the P fixed orders n, ``width``
    ≥ L the padded number of |m| columns (columns j ≥ L are zero).
    """
    dt = np.dtype(dtype_name)
    T = EXPONENT[dt]
    th = np.asarray(theta, dtype=np.longdouble)
    with np.errstate(divide="ignore"):
        log_c, log_s = np.log2(np.cos(th / 2)), np.log2(np.sin(th / 2))
    mant = np.zeros((len(orders), 2, width, th.size), dt)
    expo = np.full((len(orders), 2, width, th.size), -8.0, dt)
    for p, n in enumerate(orders):
        ell0, kk, sign = _seed_indices(L, n, width)
        live = ell0 < L
        lb = np.zeros(ell0.shape, np.longdouble)
        for half, j in zip(*np.nonzero(live), strict=True):
            lb[half, j] = _log2_sqrt_binomial(
                2 * int(ell0[half, j]), int(ell0[half, j] + kk[half, j])
            )
        a = (ell0 + kk).astype(np.longdouble)[..., None]
        b = (ell0 - kk).astype(np.longdouble)[..., None]
        with np.errstate(invalid="ignore"):
            log_d = lb[..., None] + np.where(a > 0, a * log_c, 0) + np.where(b > 0, b * log_s, 0)
        finite = live[..., None] & np.isfinite(log_d)
        k = np.where(finite, np.ceil(np.where(finite, log_d, 0) / T), -8)
        m = np.where(finite, np.exp2(np.where(finite, log_d - T * k, 0)), 0) * sign[..., None]
        mant[p], expo[p] = m.astype(dt), k.astype(dt)
    for arr in (mant, expo):
        arr.setflags(write=False)
    return mant, expo


def pole_distance(theta: tuple[float, ...], dtype_name: str) -> np.ndarray:
    """h_t = sin²(θ_t/2), formed in ``longdouble`` and rounded once."""
    th = np.asarray(theta, dtype=np.longdouble)
    return (np.sin(th / 2) ** 2).astype(np.dtype(dtype_name))
