"""Extended-range three-term recursion in ℓ for d^ℓ_{mn}(β): fixed n, every m, many β.

This is what a spin-s spherical harmonic transform needs at every ring θ_t (with n = -s), so
it is written as a state that advances one degree per call; a transform fuses its own
accumulation into the same ``lax.scan`` and never materialises the (L, nβ, 2L-1) array.

Numbers are carried as ``mantissa * 2**exponent`` with an integer exponent per element
(extended range), so starting values such as sin(β/2)^16000 neither underflow nor lose
precision before the recursion has grown them to their true size.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .validation import check_finite, is_concrete, validate_L

# Rescaling threshold of the recursion mantissas (2**T) and the exponent window used when a
# value is brought back to an ordinary float.  One recursion step multiplies a mantissa by at
# most ~2ℓ < 2**15 for ℓ < 8192, so 2**(T + 30) must stay finite.
_T = {np.dtype(np.float64): 512, np.dtype(np.float32): 32}
_EXP_WINDOW = {np.dtype(np.float64): (-2000, 1000), np.dtype(np.float32): (-240, 120)}
_FLUSH = {np.dtype(np.float64): 1e-290, np.dtype(np.float32): 1e-35}


def resolve_dtype(dtype: object) -> np.dtype:
    """float64 when x64 is enabled else float32 for ``None``; otherwise check the request."""
    x64 = bool(jax.config.jax_enable_x64)
    if dtype is None:
        return np.dtype(np.float64 if x64 else np.float32)
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from err
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    if dt == np.float64 and not x64:
        raise ValueError(
            "dtype=float64 needs 64-bit JAX: set jax.config.update('jax_enable_x64', True)"
            " or JAX_ENABLE_X64=1"
        )
    return dt


def as_beta(beta: object, dtype: np.dtype, *, scalar: bool = False) -> jax.Array:
    """Check β (a real scalar, or a 1-D array of angles unless ``scalar``) and cast it."""
    shape = np.shape(beta)
    if scalar and shape != ():
        raise ValueError(f"beta must be a scalar angle, got an array of shape {shape}")
    if len(shape) > 1:
        raise ValueError(f"beta must be a scalar or a 1-D array of angles, got shape {shape}")
    kind = np.dtype(beta.dtype if hasattr(beta, "dtype") else np.asarray(beta).dtype)
    if not (np.issubdtype(kind, np.floating) or np.issubdtype(kind, np.integer)):
        raise TypeError(f"beta must be real (an angle in radians), got dtype {kind}")
    check_finite(beta, name="beta")
    return jnp.asarray(beta, dtype=dtype)


def as_n(n: object, L: int) -> jax.Array:
    """Check the fixed second index n (``|n| < L``); a traced n (under vmap/jit) is allowed."""
    if is_concrete(n):
        if isinstance(n, bool) or not (
            isinstance(n, numbers.Integral)
            or (np.ndim(n) == 0 and np.issubdtype(np.asarray(n).dtype, np.integer))
        ):
            raise TypeError(f"n must be an integer (the fixed order of d^ℓ_mn), got {n!r}")
        if abs(int(n)) >= L:
            raise ValueError(f"n={int(n)} needs |n| < L, but L={L}")
    elif np.ndim(n) != 0 or not np.issubdtype(n.dtype, np.integer):
        raise TypeError(f"n must be an integer scalar, got a traced {n.dtype} of shape {n.shape}")
    return jnp.asarray(n, dtype=jnp.int32)


def pow2(k: jax.Array, dtype: np.dtype) -> jax.Array:
    """Exact 2**k for integer k, built from the bits; k is clipped to the normal range."""
    if dtype == np.float64:
        k = jnp.clip(k.astype(jnp.int64), -1022, 1023)
        return lax.bitcast_convert_type((k + 1023) << 52, jnp.float64)
    k = jnp.clip(k.astype(jnp.int32), -126, 127)
    return lax.bitcast_convert_type((k + 127) << 23, jnp.float32)


def sign_of_parity(k: jax.Array) -> jax.Array:
    """(-1)**k for integer arrays (negative k included)."""
    return 1 - 2 * (k & 1)


def _two_product(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """a*b = p + e to O(ε²) (Dekker 1971).  The halves are cut by masking mantissa bits
    rather than by Veltkamp's t - (t - x), which a compiler's FMA contraction may break."""
    if a.dtype == jnp.float64:
        itype, mask = jnp.int64, ~np.int64((1 << 27) - 1)
    else:
        itype, mask = jnp.int32, ~np.int32((1 << 12) - 1)

    def halves(x):
        hi = lax.bitcast_convert_type(lax.bitcast_convert_type(x, itype) & mask, x.dtype)
        return hi, x - hi

    p = a * b
    (ah, al), (bh, bl) = halves(a), halves(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _half_angle_terms(b: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """[cos²(β/2), sin²(β/2)] and cos(β/2) sin(β/2) as unevaluated sums hi + lo.

    The seeds are products of ~ℓ such factors, so an inconsistency η in c² + s² = 1 would
    bias them by ~ℓη (a unitarity error ~1e-12 at ℓ = 8192).  The rounded c, s are therefore
    renormalised in double-word arithmetic: with c² = p1 + e1, s² = p2 + e2 (exact
    products) and 1 + η = c² + s², the factors are (p + e)(1 - η) to O(ε²).

    Returns (squares_hi, squares_lo) of shape (..., 2) and (cs_hi, cs_lo) of shape (..., 1).
    """
    c, s = jnp.cos(b / 2), jnp.sin(b / 2)
    (p1, e1), (p2, e2), (p3, e3) = _two_product(c, c), _two_product(s, s), _two_product(c, s)
    # (p - 1) is exact for the larger square (Sterbenz), and the sum that follows is ~ε.
    eta = jnp.where(p1 >= p2, (p1 - 1) + p2, (p2 - 1) + p1) + (e1 + e2)
    squares_hi = jnp.concatenate([p1, p2], axis=-1)
    squares_lo = jnp.concatenate([e1 - p1 * eta, e2 - p2 * eta], axis=-1)
    return squares_hi, squares_lo, p3, e3 - p3 * eta


def _dw_times(a_hi, a_lo, b_hi, b_lo):
    """Double-word product (a_hi + a_lo)(b_hi + b_lo), renormalised (Dekker 1971)."""
    p, e = _two_product(a_hi, b_hi)
    e = e + (a_hi * b_lo + a_lo * b_hi)
    hi = p + e
    return hi, e - (hi - p)


class RecursionState(NamedTuple):
    """State of the ℓ-recursion for d^ℓ_{m,n}(β), m = -(L-1)..L-1, at one fixed n.

    Attributes
    ----------
    ell : int32 scalar, the degree the next :func:`recursion_step` emits.
    n : int32 scalar, the fixed second index.
    squares_hi, squares_lo : (..., 2) [cos²(β/2), sin²(β/2)] as unevaluated sums hi + lo.
    cs_hi, cs_lo : (..., 1) cos(β/2) sin(β/2) likewise (see :func:`_half_angle_terms`).
    corner_hi, corner_lo, corner_exp : (..., 2) the seeds [G_ℓ(ℓ), G_{-ℓ}(ℓ)] = [c^{2ℓ},
        s^{2ℓ}] in double-word extended range: a power of a factor near 1 accumulates
        rounding with one sign, so it is formed to O(ε²) per step.
    g_mant, g_exp : (..., 2L-1) extended-range G_k(ℓ) = sqrt(C(2ℓ, ℓ+k)) c^{ℓ+k} s^{ℓ-k}, the
        seeds d^{ℓ0} of every (m, n) (zero for |k| > ℓ).
    curr, aux, exp : (..., 2L-1) mantissas of d^{ℓ-1} and E^{ℓ-1} = d^{ℓ-1} - σ d^{ℓ-2}
        (see :func:`recursion_step`) and their shared exponent.
    """

    ell: jax.Array
    n: jax.Array
    squares_hi: jax.Array
    squares_lo: jax.Array
    cs_hi: jax.Array
    cs_lo: jax.Array
    corner_hi: jax.Array
    corner_lo: jax.Array
    corner_exp: jax.Array
    g_mant: jax.Array
    g_exp: jax.Array
    curr: jax.Array
    aux: jax.Array
    exp: jax.Array


def recursion_init(L: int, beta: object, n: object, dtype: object = None) -> RecursionState:
    """Start the ℓ-recursion for d^ℓ_{m,n}(β) at ℓ = 0.

    Parameters
    ----------
    L : int
        Band-limit (static): the recursion emits ℓ = 0, ..., L-1 and m = -(L-1), ..., L-1.
    beta : float or array of shape (nβ,)
        Angles in radians (traced; any real value, typically θ_t ∈ [0, π]).
    n : int or int32 scalar
        Fixed second index, |n| < L (a spin-s transform uses n = -s).  May be traced, e.g.
        under ``jax.vmap`` over the N directions of a Wigner transform.
    dtype : float32 or float64, optional
        Working precision; float64 when x64 is enabled, else float32.

    Returns
    -------
    RecursionState
        A pytree; feed it to :func:`recursion_step`.
    """
    L = validate_L(L)
    dt = resolve_dtype(dtype)
    n = as_n(n, L)
    b = as_beta(beta, dt)[..., None]
    squares_hi, squares_lo, cs_hi, cs_lo = _half_angle_terms(b)
    k = jnp.arange(-(L - 1), L)
    batch = (*b.shape[:-1], 2 * L - 1)
    zeros = jnp.zeros(batch, dt)
    izeros = jnp.zeros(batch, jnp.int32)
    return RecursionState(
        ell=jnp.zeros((), jnp.int32),
        n=n,
        squares_hi=squares_hi,
        squares_lo=squares_lo,
        cs_hi=cs_hi,
        cs_lo=cs_lo,
        corner_hi=jnp.ones_like(squares_hi),
        corner_lo=jnp.zeros_like(squares_lo),
        corner_exp=jnp.zeros(squares_hi.shape, jnp.int32),
        g_mant=jnp.broadcast_to(jnp.where(k == 0, 1.0, 0.0).astype(dt), batch),
        g_exp=izeros,
        curr=zeros,
        aux=zeros,
        exp=izeros,
    )


def _seeds(state: RecursionState, m: jax.Array) -> tuple[jax.Array, jax.Array]:
    """d^{ℓ0}_{mn} (mantissa, exponent) for every m, ℓ0 = max(|m|, |n|), read from G(ℓ).

    Wigner's sum has one term at ℓ0 (Varshalovich et al. 1988, §4.3):
    |m| ≤ |n|: n ≥ 0 gives G_m, n < 0 gives (-1)^{|n|+m} G_{-m};
    m > |n| gives (-1)^{m-n} G_n;  m < -|n| gives G_{-n}.
    Only ℓ = |n| needs the whole row of G; every other degree reads G_{±n}.
    """
    n, L = state.n, (m.shape[0] + 1) // 2
    g, ge = state.g_mant, state.g_exp

    def edges(_):
        g_n = lax.dynamic_index_in_dim(g, n + L - 1, axis=-1)
        ge_n = lax.dynamic_index_in_dim(ge, n + L - 1, axis=-1)
        g_mn = lax.dynamic_index_in_dim(g, L - 1 - n, axis=-1)
        ge_mn = lax.dynamic_index_in_dim(ge, L - 1 - n, axis=-1)
        return (
            jnp.where(m > 0, sign_of_parity(m - n) * g_n, g_mn),
            jnp.where(m > 0, ge_n, ge_mn),
        )

    def whole_row(_):
        outer_m, outer_e = edges(None)
        inner = jnp.abs(m) <= jnp.abs(n)
        inner_m = jnp.where(n >= 0, g, sign_of_parity(jnp.abs(n) + m) * g[..., ::-1])
        inner_e = jnp.where(n >= 0, ge, ge[..., ::-1])
        return jnp.where(inner, inner_m, outer_m), jnp.where(inner, inner_e, outer_e)

    return lax.cond(state.ell == jnp.abs(n), whole_row, edges, None)


def _seed_ratio(lp: jax.Array, kf: jax.Array) -> jax.Array:
    """G_k(ℓ+1) / (c s G_k(ℓ)) = sqrt((2ℓ+1)(2ℓ+2) / ((ℓ+1+k)(ℓ+1-k))), lp = ℓ+1, |k| < lp."""
    return jnp.sqrt((2 * lp - 1) * (2 * lp)) / (jnp.sqrt(lp + kf) * jnp.sqrt(lp - kf))


def _advance_seeds(state: RecursionState, k: jax.Array) -> dict[str, jax.Array]:
    """G(ℓ) → G(ℓ+1), renormalised exactly with frexp.

    G_k gains :func:`_seed_ratio` times c s; the new corners are G_{ℓ+1} = c² G_ℓ and
    G_{-ℓ-1} = s² G_{-ℓ}.  Once ℓ ≥ |n| only G_{±n} is ever read again, so only those two
    columns are advanced (a ``lax.cond``: under ``vmap`` over n both branches run).
    """
    dt = state.g_mant.dtype
    lp = (state.ell + 1).astype(dt)
    L = (k.shape[0] + 1) // 2

    def times_cs(g):
        return g * state.cs_hi + g * state.cs_lo

    def whole_row(_):
        interior = jnp.abs(k) <= state.ell
        g = times_cs(state.g_mant * _seed_ratio(lp, jnp.where(interior, k, 0).astype(dt)))
        hi, lo = _dw_times(state.corner_hi, state.corner_lo, state.squares_hi, state.squares_lo)
        hi, shift = jnp.frexp(hi)
        lo = lo * pow2(-shift, dt)
        corner_exp = state.corner_exp + shift.astype(jnp.int32)
        top, bottom = k == state.ell + 1, k == -(state.ell + 1)
        g = jnp.where(interior, g, jnp.where(top, hi[..., :1], jnp.where(bottom, hi[..., 1:], 0)))
        g_exp = jnp.where(
            interior,
            state.g_exp,
            jnp.where(top, corner_exp[..., :1], jnp.where(bottom, corner_exp[..., 1:], 0)),
        )
        g, g_shift = jnp.frexp(g)
        return g, g_exp + g_shift.astype(jnp.int32), hi, lo, corner_exp

    def two_columns(_):
        g, g_exp = state.g_mant, state.g_exp
        updates = []
        for col in (state.n, -state.n):  # both read before either is written (n = 0)
            idx = col + L - 1
            mant = lax.dynamic_index_in_dim(state.g_mant, idx, axis=-1)
            mant, shift = jnp.frexp(times_cs(mant * _seed_ratio(lp, col.astype(dt))))
            e = lax.dynamic_index_in_dim(state.g_exp, idx, axis=-1) + shift.astype(jnp.int32)
            updates.append((idx, mant, e))
        for idx, mant, e in updates:
            g = lax.dynamic_update_index_in_dim(g, mant, idx, axis=-1)
            g_exp = lax.dynamic_update_index_in_dim(g_exp, e, idx, axis=-1)
        return g, g_exp, state.corner_hi, state.corner_lo, state.corner_exp

    out = lax.cond(state.ell < jnp.abs(state.n), whole_row, two_columns, None)
    return dict(zip(("g_mant", "g_exp", "corner_hi", "corner_lo", "corner_exp"), out, strict=True))


def _coefficients(ell, m, n, running, dt):
    """α = ℓ(2ℓ-1)/R_ℓ, b = ℓ R_{ℓ-1}/((ℓ-1) R_ℓ) and κ± of the pole-adapted recurrence.

    R_ℓ = sqrt((ℓ²-m²)(ℓ²-n²)).  κ± = α(1 ∓ mn/(ℓ(ℓ-1))) - 1 - b is a small difference of
    O(ℓ) terms; it is evaluated without cancellation as κ± = (δ±_ℓ + ℓ δ±_{ℓ-1}/(ℓ-1)) / R_ℓ
    with δ±_j = j² ∓ mn - R_j = j²(m ∓ n)² / (j² ∓ mn + R_j), using (j² ∓ mn)² - R_j² =
    j²(m ∓ n)².
    """
    lf, mf, nf = ell.astype(dt), m.astype(dt), n.astype(dt)
    lm1 = jnp.maximum(lf - 1, 1)

    def radius(j):
        return jnp.sqrt(jnp.where(running, (j - mf) * (j + mf), 1)) * jnp.sqrt(
            jnp.where(running, jnp.maximum((j - nf) * (j + nf), 0), 1)
        )

    r, r_prev = radius(lf), radius(lf - 1)

    def delta(j, rj, sign):
        den = j * j - sign * mf * nf + rj
        return jnp.where(den > 0, j * j * (mf - sign * nf) ** 2 / jnp.where(den > 0, den, 1), 0)

    def kappa(sign):
        return (delta(lf, r, sign) + lf / lm1 * delta(lf - 1, r_prev, sign)) / r

    return lf * (2 * lf - 1) / r, lf / lm1 * r_prev / r, kappa(1), kappa(-1)


def recursion_step(state: RecursionState) -> tuple[RecursionState, jax.Array]:
    r"""Emit d^ℓ_{m,n}(β) for ℓ = ``state.ell`` and every m; advance the state to ℓ+1.

    For ℓ > ℓ0 = max(|m|, |n|) the three-term recurrence (Varshalovich et al. 1988, §4.8.2;
    Kostelec & Rockmore 2008, eq. 8)

    .. math::
        d^ℓ_{mn} = α_ℓ \Big(\cos β - \frac{mn}{ℓ(ℓ-1)}\Big) d^{ℓ-1}_{mn} - b_ℓ d^{ℓ-2}_{mn},
        \quad α_ℓ = \frac{ℓ(2ℓ-1)}{R_ℓ},\quad b_ℓ = \frac{ℓ R_{ℓ-1}}{(ℓ-1) R_ℓ},
        \quad R_ℓ = \sqrt{(ℓ^2-m^2)(ℓ^2-n^2)},

    is run on (d^{ℓ-1}, E^{ℓ-1}) with E^ℓ = d^ℓ - σ d^{ℓ-1}, σ = sign(cos β):

    .. math::
        E^ℓ = σ(κ_σ - 2α_ℓ h_σ) d^{ℓ-1} + σ b_ℓ E^{ℓ-1}, \qquad d^ℓ = σ d^{ℓ-1} + E^ℓ,

    with h_+ = sin²(β/2), h_- = cos²(β/2) and κ± from :func:`_coefficients`.  This is the
    same recurrence, but near the poles (cos β ≈ ±1, a double root of the plain recurrence,
    where rounding cos β alone costs ~ℓ²ε) every coefficient is small and exact, so the
    error stays ~ℓε there too.

    The recurrence is seeded at ℓ = ℓ0 by the one-term closed form d^{ℓ0}_{mn} =
    ± sqrt(C(2ℓ0, |m+n|)) cos(β/2)^{|m+n|} sin(β/2)^{|m-n|} (sign (-1)^{m-n} if m > n),
    built by exact products in extended range rather than from lgamma, whose cancellation
    would cost ~ℓε; β = 0 and β = π need no special case.

    Parameters
    ----------
    state : RecursionState
        From :func:`recursion_init` or a previous step.

    Returns
    -------
    state : RecursionState
        Advanced to ℓ+1.
    d_ell : array of shape (..., 2L-1)
        d^ℓ_{m,n}(β) at index L-1+m (batch shape of β first); exactly 0 for |m| > ℓ or
        ℓ < |n|, and where |d| < 1e-290 (float64) / 1e-35 (float32).
    """
    dt = np.dtype(state.curr.dtype)
    L = (state.curr.shape[-1] + 1) // 2
    m = jnp.arange(-(L - 1), L)
    ell0 = jnp.maximum(jnp.abs(m), jnp.abs(state.n))
    running, seeding = state.ell > ell0, state.ell == ell0

    alpha, b, kappa_plus, kappa_minus = _coefficients(state.ell, m, state.n, running, dt)
    c2, s2 = state.squares_hi[..., :1], state.squares_hi[..., 1:]
    north = c2 >= s2
    sigma = jnp.where(north, 1, -1).astype(dt)
    h_hi = jnp.where(north, s2, c2)
    h_lo = jnp.where(north, state.squares_lo[..., 1:], state.squares_lo[..., :1])
    coef = sigma * (
        jnp.where(north, kappa_plus, kappa_minus) - (2 * alpha * h_hi + 2 * alpha * h_lo)
    )
    aux = coef * state.curr + sigma * b * state.aux
    seed, seed_e = _seeds(state, m)
    new = jnp.where(running, sigma * state.curr + aux, jnp.where(seeding, seed, 0))
    aux = jnp.where(running, aux, jnp.where(seeding, seed, 0))
    exp = jnp.where(seeding, seed_e, state.exp)

    big = jnp.maximum(jnp.abs(new), jnp.abs(aux)) > 2.0 ** _T[dt]
    shrink = jnp.asarray(2.0 ** -_T[dt], dt)
    new = jnp.where(big, new * shrink, new)
    aux = jnp.where(big, aux * shrink, aux)
    exp = jnp.where(big, exp + _T[dt], exp)

    lo, hi = _EXP_WINDOW[dt]
    e = jnp.clip(exp, lo, hi)
    half = e // 2
    value = new * pow2(half, dt) * pow2(e - half, dt)
    d_ell = jnp.where((exp < lo) | (jnp.abs(value) < _FLUSH[dt]), 0, value).astype(dt)

    new_state = state._replace(
        ell=state.ell + 1, aux=aux, curr=new, exp=exp, **_advance_seeds(state, m)
    )
    return new_state, d_ell


def scan_wigner_d(
    L: int,
    beta: object,
    n: object,
    fn: Callable[[Any, jax.Array, jax.Array], Any],
    init: Any,
    dtype: object = None,
) -> Any:
    """Stream d^ℓ_{m,n}(β) over ℓ = 0..L-1 in one ``lax.scan``: ``carry = fn(carry, ell, d_ell)``.

    Memory is O(nβ L): the (L, nβ, 2L-1) array is never formed, and compile time does not
    depend on L.  ``d_ell`` has shape (..., 2L-1) as in :func:`recursion_step`; ``ell`` is an
    int32 scalar.

    Examples
    --------
    Σ_m |d^ℓ_{mn}(β)|² for every ℓ (= 1 by unitarity), accumulated without materialising:

    >>> norms = scan_wigner_d(8, jnp.array([0.3]), 2,
    ...     lambda c, ell, d: c.at[ell].set((d**2).sum(-1)[0]), jnp.zeros(8))
    """
    state = recursion_init(L, beta, n, dtype)

    def body(carry, _):
        st, acc = carry
        ell = st.ell
        st, d_ell = recursion_step(st)
        return (st, fn(acc, ell, d_ell)), None

    (_, out), _ = lax.scan(body, (state, init), None, length=L)
    return out


def wigner_d_rows(L: int, beta: object, n: object, dtype: object = None) -> jax.Array:
    """All d^ℓ_{m,n}(β) for one fixed n, materialised (precompute kernels).

    Parameters
    ----------
    L : int
        Band-limit (static).
    beta : float or array of shape (nβ,)
        Angles in radians.
    n : int
        Fixed second index, |n| < L (traced n works under ``jax.vmap``).
    dtype : float32 or float64, optional

    Returns
    -------
    array of shape (L, nβ, 2L-1)  (or (L, 2L-1) for scalar β)
        ``out[ℓ, k, L-1+m] = d^ℓ_{m,n}(β_k)``, zero where ℓ < max(|m|, |n|).
    """
    state = recursion_init(L, beta, n, dtype)
    _, rows = lax.scan(lambda st, _: recursion_step(st), state, None, length=L)
    return rows
