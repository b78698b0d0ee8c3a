r"""Evidence, its error and posterior weights from a nested-sampling run (Skilling 2006).

The ``K`` dead points have prior volumes :math:`X_i = t_i X_{i-1}` with
:math:`t_i \sim \mathrm{Beta}(N, 1)`; the ``N`` final live points, in increasing likelihood,
shrink the remaining volume with :math:`t \sim \mathrm{Beta}(N - k, 1)`, ``k = 0..N-1``
(the remaining mass is integrated, not dropped; the last live point takes the whole
remaining volume, so a constant likelihood gives :math:`Z = 1` exactly).
With :math:`\ln t = \ln U / n`,

.. math:: Z = \sum_i L_i (X_{i-1} - X_i).

The point estimate uses :math:`\mathbb E\ln t = -1/n`; the reported error is the standard
deviation of :math:`\ln Z` over ``n_sim`` simulated shrinkage sequences, which includes the
compounding of the volume errors that :math:`\sqrt{H/N}` approximates.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp


class EvidenceEstimate(NamedTuple):
    ln_z: jax.Array
    sigma_ln_z: jax.Array
    information: jax.Array
    ln_z_samples: jax.Array
    log_weights: jax.Array  # normalised posterior weights of every point (dead, then live)


def _shrink_counts(n_dead: int, n_live: int, batch: int) -> np.ndarray:
    dead = n_live - np.arange(n_dead) % batch
    return np.concatenate([dead, np.arange(n_live, 0, -1)]).astype(float)


def _log_dx(log_t_cumsum: jax.Array) -> jax.Array:
    """``ln(X_{i-1} - X_i)`` from ``ln X_i`` (``X_0 = 1``); the last point takes all the rest."""
    prev = jnp.concatenate([jnp.zeros((*log_t_cumsum.shape[:-1], 1)), log_t_cumsum[..., :-1]], -1)
    log_dx = prev + jnp.log(-jnp.expm1(log_t_cumsum - prev))
    return log_dx.at[..., -1].set(prev[..., -1])


@partial(jax.jit, static_argnames=("n_sim", "batch"))
def evidence(
    dead_ln_l: jax.Array,
    live_ln_l: jax.Array,
    key: jax.Array,
    *,
    n_sim: int = 1000,
    batch: int = 1,
) -> EvidenceEstimate:
    r"""ln Z, its spread over simulated prior volumes, the information H and weights.

    Args:
        dead_ln_l: ``(K,)`` log-likelihoods of the dead points in order of death.
        live_ln_l: ``(N,)`` log-likelihoods of the final live points (any order).
        key: PRNG key for the volume simulations.
        n_sim: number of simulated shrinkage sequences.
        batch: dead points were removed ``batch`` at a time (the ``j``-th of each batch with
            ``t ~ Beta(N - j, 1)``).

    Returns:
        :class:`EvidenceEstimate`; ``log_weights`` follow ``concat(dead, sort(live))``.
    """
    live_sorted = jnp.sort(live_ln_l)
    ln_l = jnp.concatenate([dead_ln_l, live_sorted])
    counts = jnp.asarray(_shrink_counts(dead_ln_l.shape[0], live_ln_l.shape[0], batch))
    ln_x = jnp.cumsum(-1.0 / counts)
    log_w = ln_l + _log_dx(ln_x)
    ln_z = logsumexp(log_w)
    log_p = log_w - ln_z
    information = jnp.sum(jnp.exp(log_p) * ln_l) - ln_z
    u = jax.random.uniform(key, (n_sim, ln_l.shape[0]), minval=1e-300, maxval=1.0)
    ln_x_sim = jnp.cumsum(jnp.log(u) / counts, axis=-1)
    ln_z_sim = logsumexp(ln_l + _log_dx(ln_x_sim), axis=-1)
    return EvidenceEstimate(ln_z, jnp.std(ln_z_sim), information, ln_z_sim, log_p)


def weighted_quantiles(samples: np.ndarray, weights: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-pixel quantiles ``q`` of weighted samples ``(n, ...)`` -> ``(len(q), ...)``."""
    samples = np.asarray(samples)
    weights = np.asarray(weights, float) / np.sum(weights)
    order = np.argsort(samples, axis=0)
    sorted_s = np.take_along_axis(samples, order, axis=0)
    w_sorted = weights[order]
    cdf = np.cumsum(w_sorted, axis=0) - 0.5 * w_sorted
    flat_s = sorted_s.reshape(samples.shape[0], -1)
    flat_c = cdf.reshape(samples.shape[0], -1)
    out = np.stack(
        [np.interp(q, flat_c[:, j], flat_s[:, j]) for j in range(flat_s.shape[1])], axis=-1
    )
    return out.reshape((len(q), *samples.shape[1:]))
