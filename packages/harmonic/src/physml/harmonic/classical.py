r"""A classical target density: a Gaussian mixture fitted by expectation–maximisation.

.. math:: q_T(θ) = \sum_k w_k\, \mathcal N(θ; μ_k, T Σ_k)

The temperature ``T`` scales every component covariance, the same definition as for the
flows (where it scales the base covariance), so ``T < 1`` concentrates the target inside the
posterior. Fitting is plain EM (Dempster, Laird & Rubin 1977) with a small ridge on the
covariances; with ``n_components=1`` it is the maximum-likelihood Gaussian.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from physml.harmonic._validation import (
    as_float_array,
    check_finite,
    check_positive_int,
    check_temperature,
)

__all__ = ["FittedGaussianMixture", "GaussianMixture"]

_LN2PI = math.log(2.0 * math.pi)


def _component_log_pdf(x, means, chols, temperature):
    """``ln N(x; μ_k, T C_k C_kᵀ)`` for ``x [n, d]``: returns ``[n, K]``."""
    d = x.shape[-1]

    def one(mean, chol):
        r = jax.scipy.linalg.solve_triangular(chol, (x - mean).T, lower=True).T
        return (
            -0.5 * jnp.sum(r**2, -1) / temperature
            - jnp.sum(jnp.log(jnp.diag(chol)))
            - 0.5 * d * (_LN2PI + jnp.log(temperature))
        )

    return jax.vmap(one, out_axes=1)(means, chols)


@functools.partial(jax.jit, static_argnums=(2,))
def _em(x, means, n_iter, ridge):
    n, d = x.shape
    k = means.shape[0]
    cov0 = jnp.cov(x, rowvar=False).reshape(d, d) + ridge * jnp.eye(d)
    chols = jnp.broadcast_to(jnp.linalg.cholesky(cov0), (k, d, d))
    ln_w = jnp.full(k, -math.log(k))

    def step(_, state):
        ln_w, means, chols = state
        ln_r = ln_w + _component_log_pdf(x, means, chols, 1.0)
        ln_r = ln_r - logsumexp(ln_r, axis=1, keepdims=True)
        r = jnp.exp(ln_r)
        nk = r.sum(0) + 1e-12
        means = (r.T @ x) / nk[:, None]
        diff = x[None] - means[:, None]
        covs = jnp.einsum("kn,kni,knj->kij", r.T, diff, diff) / nk[:, None, None]
        covs = covs + ridge * jnp.eye(d)
        return jnp.log(nk / n), means, jnp.linalg.cholesky(covs)

    return jax.lax.fori_loop(0, n_iter, step, (ln_w, means, chols))


@dataclasses.dataclass(frozen=True)
class FittedGaussianMixture:
    """Fitted mixture: ``log_prob(x, temperature)`` and ``sample(key, n, temperature)``.

    Attributes
    ----------
    ln_weights : array ``(K,)``, means : array ``(K, d)``, chols : array ``(K, d, d)``
        Log weights, means and lower Cholesky factors of the component covariances.
    """

    ln_weights: jax.Array
    means: jax.Array
    chols: jax.Array

    @property
    def ndim(self) -> int:
        return int(self.means.shape[1])

    def log_prob(self, x, temperature: float = 1.0) -> jax.Array:
        """``ln q_T(x)`` for ``x [..., d]``, returns ``[...]``."""
        temperature = check_temperature(temperature)
        x = jnp.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.ndim:
            raise ValueError(f"x must have shape [..., {self.ndim}], got {x.shape}")
        flat = x.reshape(-1, self.ndim).astype(self.means.dtype)
        lp = logsumexp(
            self.ln_weights + _component_log_pdf(flat, self.means, self.chols, temperature), -1
        )
        return lp.reshape(x.shape[:-1])

    def sample(self, key: jax.Array, n: int, temperature: float = 1.0) -> jax.Array:
        """``n`` draws from ``q_T``, shape ``(n, d)``."""
        n = check_positive_int("n", n)
        temperature = check_temperature(temperature)
        k1, k2 = jax.random.split(key)
        comp = jax.random.categorical(k1, self.ln_weights, shape=(n,))
        z = jax.random.normal(k2, (n, self.ndim), dtype=self.means.dtype)
        chol = self.chols[comp]
        return self.means[comp] + math.sqrt(temperature) * jnp.einsum("nij,nj->ni", chol, z)


@dataclasses.dataclass(frozen=True)
class GaussianMixture:
    """Gaussian mixture with ``n_components`` full-covariance components, fitted by EM.

    Call :meth:`fit` on samples ``[n, d]`` (or a Chains) to get a
    :class:`FittedGaussianMixture`.
    """

    n_components: int = 1
    n_iter: int = 100
    ridge: float = 1e-6

    def fit(self, samples, *, key: jax.Array, progress: bool = False, **unused):
        """Fit by EM; initial means are ``n_components`` random samples.

        ``progress`` and other keyword arguments of the flows' ``fit`` are accepted and
        ignored, so that every model can be fitted through one call.
        """
        del progress, unused
        k = check_positive_int("n_components", self.n_components)
        if hasattr(samples, "flat_samples"):
            x = samples.flat_samples()
        else:
            x = as_float_array("samples", samples, 2, "[n, d] (or a Chains)")
            check_finite("samples", x)
        if x.shape[0] < k + 1:
            raise ValueError(f"need more than n_components={k} samples, got {x.shape[0]}")
        idx = np.asarray(jax.random.choice(key, x.shape[0], (k,), replace=False))
        xj = jnp.asarray(x)
        scale = float(np.mean(np.var(x, axis=0)))
        ln_w, means, chols = _em(xj, xj[idx], self.n_iter, self.ridge * scale)
        return FittedGaussianMixture(ln_w, means, chols)
