"""What a synthesis matches (the target) and the weighted matching loss."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2
from physml.core import sampling as _sampling
from physml.core.compilation import jit
from physml.core.validation import check_finite, validate_geometry, validate_shape

from ._operator import Scattering
from ._statistics import FAMILIES, Statistics, families, flm_to_scattering_covariance, raw_s2


class Target(NamedTuple):
    """Statistics to match (a pytree).

    Attributes
    ----------
    stats : :class:`Statistics` of the target (mean over the fields in ``meta`` mode),
        normalised by ``norm``.
    norm : (J,) the target's raw S2 per scale; the emulated fields are normalised by it too.
    cl : (L,) the target's power spectrum C_ℓ (mean in ``meta`` mode).
    """

    stats: Statistics
    norm: jax.Array
    cl: jax.Array


def make_target(
    f: jax.Array,
    op: Scattering,
    *,
    sampling: str = "mw",
    nside: int | None = None,
    meta: bool = False,
) -> Target:
    """Target statistics of one field, or the mean statistics of several (``meta=True``).

    Parameters
    ----------
    f : (*f_shape(L, sampling, nside)) one field, or (B, *f_shape) with ``meta=True``.
    op : :class:`Scattering`.  sampling, nside : sampling of ``f``.
    meta : average the statistics (and C_ℓ, and the normalisation) over the B fields.

    Returns
    -------
    :class:`Target`.
    """
    L, sampling, nside = validate_geometry(op.L, sampling, nside)
    shape = _sampling.f_shape(L, sampling, nside or None)
    context = f"sampling={sampling!r} with L={L}"
    if meta:
        validate_shape(f, shape, name="f", context=context, batch_ok=True)
        if np.ndim(f) != len(shape) + 1:
            raise ValueError(f"meta=True needs f of shape (B, {', '.join(map(str, shape))})")
    else:
        validate_shape(f, shape, name="f", context=context)
    check_finite(f, name="f")
    return _target(jnp.asarray(f), op, sampling, nside or None)


@jit(static_argnames=("sampling", "nside"))
def _target(f, op: Scattering, sampling: str, nside: int | None) -> Target:
    """The target of validated fields, as one compiled program (not dozens of small ones)."""
    L = op.L
    flm = s2.forward(f, L, 0, sampling, nside, reality=op.reality)
    flm = flm.reshape(-1, L, 2 * L - 1)
    norm = jnp.mean(raw_s2(flm, op), axis=0)
    stats = flm_to_scattering_covariance(flm, op, norm)
    stats = jax.tree.map(lambda x: jnp.mean(x, axis=0), stats)
    cl = jnp.mean(s2.power_spectrum(flm, L), axis=0)
    return Target(stats, norm, cl)


@jit(static_argnames="floor")
def default_weights(target: Target, op: Scattering, floor: float = 0.1) -> jax.Array:
    """(D,) per-coefficient weights: relative squared error of every coefficient.

    w = 1/var for the mean, 1/var² for the variance, and 1/(|t_i|² + (floor · rms_F)²) for
    each S-coefficient t_i of family F with rms_F its root-mean-square: every coefficient
    counts once (a family of 10⁴ entries is not worth one mean) and near-zero entries do
    not dominate.
    """
    t = target.stats.vector()
    fam = families(op)
    w = jnp.zeros(t.shape, t.real.dtype)
    var = target.stats.var
    for index, name in enumerate(FAMILIES):
        mask = np.asarray(fam == index)
        if name == "mean":
            value = 1.0 / var
        elif name == "var":
            value = 1.0 / var**2
        else:
            rms = jnp.sqrt(jnp.sum(jnp.where(mask, jnp.abs(t) ** 2, 0)) / max(int(mask.sum()), 1))
            value = 1.0 / (jnp.abs(t) ** 2 + (floor * rms) ** 2)
        w = jnp.where(mask, value, w)
    return w


def loss(
    stats: Statistics,
    target: Target,
    weights: jax.Array,
    cl: jax.Array | None = None,
    power_weight: float = 1.0,
) -> jax.Array:
    """Weighted distance between statistics (plus a per-ℓ power-spectrum term).

    .. math:: \\mathcal L = \\frac1D Σ_i w_i |s_i − t_i|² + μ \\frac1{L−1} Σ_{ℓ≥1}
              \\Big(\\frac{C_ℓ − C^t_ℓ}{C^t_ℓ}\\Big)²

    Parameters
    ----------
    stats : :class:`Statistics` of one field (normalised by ``target.norm``).
    target : :class:`Target`.  weights : (D,) from :func:`default_weights`.
    cl : (L,) power spectrum of the field (``None``: no power term).
    power_weight : μ.

    Returns
    -------
    () real loss.
    """
    diff = stats.vector() - target.stats.vector()
    value = jnp.mean(weights * jnp.abs(diff) ** 2)
    if cl is not None:
        ref = target.cl[1:]
        keep = ref > 0
        rel = jnp.where(keep, (cl[1:] - ref) / jnp.where(keep, ref, 1.0), 0.0)
        value = value + power_weight * jnp.sum(rel**2) / max(ref.shape[0], 1)
    return value
