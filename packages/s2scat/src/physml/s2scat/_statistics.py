"""Scattering covariance statistics: the public entry points, normalisation and flat views."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2
from physml.core import sampling as _sampling
from physml.core.compilation import jit
from physml.core.validation import check_finite, validate_geometry, validate_shape

from ._moments import moments
from ._operator import Scattering, map_fields


class Statistics(NamedTuple):
    """Normalised scattering covariance statistics of a field (a static-shape pytree).

    With J scales, P = J(J+1)/2 pairs (λ2 ≤ λ1), T triples (λ3 ≤ λ1 ≤ λ2) and K orientation
    harmonics (see :mod:`physml.s2scat._moments` for the formulas)::

        mean  ()          ⟨f⟩
        var   ()          ⟨|f − ⟨f⟩|²⟩
        s1    (J,)        S1_λ / sqrt(S2ref_λ)
        s2    (J,)        S2_λ / S2ref_λ
        s3    (P, K)      S3[λ1, λ2, k] / sqrt(S2ref_λ1 S2ref_λ2)          (complex)
        s4    (T, K, K)   S4[λ1, λ2, λ3, k1, k2] / sqrt(S2ref_λ1 S2ref_λ2)  (complex)

    S2ref is the direction-averaged S2 of a reference field (by default the field itself): one
    number per scale, so the normalisation commutes with the isotropic reduction.  Leading
    batch axes are allowed on every leaf.
    """

    mean: jax.Array
    var: jax.Array
    s1: jax.Array
    s2: jax.Array
    s3: jax.Array
    s4: jax.Array

    def vector(self) -> jax.Array:
        """Flat complex view (..., D) in the order of :func:`labels`."""
        batch = self.s1.shape[:-1]
        parts = [
            self.mean[..., None],
            self.var[..., None],
            self.s1,
            self.s2,
            self.s3.reshape(*batch, -1),
            self.s4.reshape(*batch, -1),
        ]
        dtype = jnp.result_type(*[p.dtype for p in parts], jnp.complex64)
        return jnp.concatenate([p.astype(dtype) for p in parts], axis=-1)


def labels(op: Scattering) -> list[str]:
    """Names of the entries of :meth:`Statistics.vector` (``"S3[j1=3,j2=2,k=0]"`` …)."""
    scales, K = op.scales, op.harmonics
    out = ["mean", "var"]
    out += [f"S1[j={j}]" for j in scales]
    out += [f"S2[j={j}]" for j in scales]
    for a, b in op.pairs:
        out += [f"S3[j1={scales[a]},j2={scales[b]},k={k}]" for k in range(K)]
    for a, b, c in op.triples:
        names = f"j1={scales[a]},j2={scales[b]},j3={scales[c]}"
        out += [f"S4[{names},k1={k1},k2={k2}]" for k1 in range(K) for k2 in range(K)]
    return out


FAMILIES = ("mean", "var", "S1", "S2", "S3", "S4")


def families(op: Scattering) -> np.ndarray:
    """(D,) index into :data:`FAMILIES` of each entry of :meth:`Statistics.vector`."""
    return np.array([FAMILIES.index(name.split("[")[0]) for name in labels(op)])


@jit(static_argnames=("self_normalise",))
def _statistics(flm: jax.Array, op: Scattering, norm, self_normalise: bool):
    raw = moments(flm, op)
    ref = raw.s2 if self_normalise else norm
    root = jnp.sqrt(ref)
    pairs, triples = op.pairs, op.triples
    return Statistics(
        mean=raw.mean,
        var=raw.var,
        s1=raw.s1 / root,
        s2=raw.s2 / ref,
        s3=raw.s3 / (root[pairs[:, 0]] * root[pairs[:, 1]])[:, None],
        s4=raw.s4 / (root[triples[:, 0]] * root[triples[:, 1]])[:, None, None],
    )


def _batched(fn, flm: jax.Array, batch: int, op: Scattering):
    for _ in range(batch):
        fn = map_fields(fn, op)
    return fn(flm)


def _check_op(op: object) -> Scattering:
    if not isinstance(op, Scattering):
        raise TypeError(
            f"op must be a physml.s2scat.Scattering (from make_scattering), got {type(op).__name__}"
        )
    return op


def _check_norm(norm, op: Scattering):
    if norm is None:
        return None
    validate_shape(norm, (op.n_scales,), name="norm", context=f"{op.n_scales} scales")
    check_finite(norm, name="norm")
    return jnp.asarray(norm)


def flm_to_scattering_covariance(
    flm: jax.Array, op: Scattering, norm: jax.Array | None = None
) -> Statistics:
    """Scattering covariance statistics from harmonic coefficients.

    Parameters
    ----------
    flm : (..., L, 2L−1) spin-0 coefficients (Hermitian when ``op.reality``).
    op : :class:`Scattering` from :func:`make_scattering`.
    norm : (J,) reference S2 per scale (e.g. ``raw_s2(target_flm, op)``); ``None`` normalises
        by the field's own S2 (then ``s2 == 1``).

    Returns
    -------
    :class:`Statistics` with the leading batch axes of ``flm``.

    Examples
    --------
    >>> stats = flm_to_scattering_covariance(flm, make_scattering(32, J_min=2))  # doctest: +SKIP
    """
    op = _check_op(op)
    L = op.L
    validate_shape(flm, (L, 2 * L - 1), name="flm", context=f"L={L}", batch_ok=True)
    check_finite(flm, name="flm")
    flm = jnp.asarray(flm)
    flm = flm.astype(jnp.result_type(flm.dtype, jnp.complex64))
    norm = _check_norm(norm, op)
    fn = partial(_statistics, op=op, norm=norm, self_normalise=norm is None)
    return _batched(fn, flm, flm.ndim - 2, op)


def scattering_covariance(
    f: jax.Array,
    op: Scattering,
    norm: jax.Array | None = None,
    *,
    sampling: str = "mw",
    nside: int | None = None,
) -> Statistics:
    """Scattering covariance statistics S1–S4 of a field sampled on the sphere.

    The field is taken to harmonic space with :func:`physml.s2fft.forward` (exact on MW,
    MWSS, DH and GL) and passed to :func:`flm_to_scattering_covariance`.

    Parameters
    ----------
    f : (..., *f_shape(L, sampling, nside)) field samples.
    op : :class:`Scattering`.  norm : see :func:`flm_to_scattering_covariance`.
    sampling, nside : sampling of ``f`` (any scheme of :mod:`physml.core.sampling`).

    Returns
    -------
    :class:`Statistics`.
    """
    op = _check_op(op)
    L, sampling, nside = validate_geometry(op.L, sampling, nside)
    shape = _sampling.f_shape(L, sampling, nside or None)
    validate_shape(f, shape, name="f", context=f"sampling={sampling!r} with L={L}", batch_ok=True)
    check_finite(f, name="f")
    f = jnp.asarray(f)
    if op.reality and jnp.iscomplexobj(f):
        raise TypeError("f is complex but op.reality=True; build op with reality=False")
    flm = s2.forward(f, L, 0, sampling, nside or None, reality=op.reality)
    return flm_to_scattering_covariance(flm, op, norm)


@jit
def _raw_s2(flm: jax.Array, op: Scattering) -> jax.Array:
    return moments(flm, op).s2


def raw_s2(flm: jax.Array, op: Scattering) -> jax.Array:
    """(..., J) un-normalised S2_λ = ⟨|f ⋆ ψ_λ|²⟩ (direction-averaged): the usual ``norm``."""
    op = _check_op(op)
    validate_shape(flm, (op.L, 2 * op.L - 1), name="flm", context=f"L={op.L}", batch_ok=True)
    flm = jnp.asarray(flm)
    flm = flm.astype(jnp.result_type(flm.dtype, jnp.complex64))
    return _batched(partial(_raw_s2, op=op), flm, flm.ndim - 2, op)
