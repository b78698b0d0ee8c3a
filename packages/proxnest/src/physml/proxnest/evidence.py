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

from typing import NamedTuple

import jax
import numpy as np


class EvidenceEstimate(NamedTuple):
    ln_z: float
    sigma_ln_z: float
    information: float
    ln_z_samples: np.ndarray
    log_weights: np.ndarray  # normalised posterior weights of every point (dead, then live)


def _shrink_counts(n_dead: int, n_live: int, batch: int) -> np.ndarray:
    dead = n_live - np.arange(n_dead) % batch
    return np.concatenate([dead, np.arange(n_live, 0, -1)]).astype(float)


def _log_dx(ln_x: np.ndarray) -> np.ndarray:
    """``ln(X_{i-1} - X_i)`` from ``ln X_i`` (``X_0 = 1``); the last point takes all the rest."""
    prev = np.concatenate([np.zeros((*ln_x.shape[:-1], 1)), ln_x[..., :-1]], -1)
    log_dx = prev + np.log(-np.expm1(ln_x - prev))
    log_dx[..., -1] = prev[..., -1]
    return log_dx


def _logsumexp(a: np.ndarray, axis=None) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


_SIM_BLOCK = 64


def _simulate(rng, ln_l, counts, m):
    """``m`` values of ln Z with ``ln t = -E/n``, ``E ~ Exp(1)`` (i.e. ``t ~ Beta(n, 1)``)."""
    ln_x = np.cumsum(rng.standard_exponential((m, ln_l.shape[0])) / -counts, axis=-1)
    return _logsumexp(ln_l + _log_dx(ln_x), axis=-1)


def evidence(
    dead_ln_l,
    live_ln_l,
    key: jax.Array,
    *,
    n_sim: int = 200,
    batch: int = 1,
) -> EvidenceEstimate:
    r"""ln Z, its spread over simulated prior volumes, the information H and weights.

    Post-processing on the host (NumPy); the uniforms are seeded from ``key``.

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
    dead_ln_l = np.asarray(dead_ln_l, float)
    ln_l = np.concatenate([dead_ln_l, np.sort(np.asarray(live_ln_l, float))])
    counts = _shrink_counts(dead_ln_l.shape[0], np.shape(live_ln_l)[0], batch)
    log_w = ln_l + _log_dx(np.cumsum(-1.0 / counts))
    ln_z = float(_logsumexp(log_w))
    log_p = log_w - ln_z
    information = float(np.sum(np.exp(log_p) * ln_l) - ln_z)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel())
    ln_z_sim = np.concatenate(
        [_simulate(rng, ln_l, counts, m) for m in np.diff(np.r_[0:n_sim:_SIM_BLOCK, n_sim])]
    )
    return EvidenceEstimate(ln_z, float(np.std(ln_z_sim)), information, ln_z_sim, log_p)


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
