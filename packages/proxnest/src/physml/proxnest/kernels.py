r"""Constrained Langevin moves: sampling the prior inside the likelihood level set.

Nested sampling needs draws from :math:`\pi(x)\,\mathbb 1[g(x) < \tau]` with
:math:`g(x) = \|y - \Phi x\|^2 / 2\sigma^2`. Two moves are provided:

``"mh"`` (default, exact)
    Proximal MALA (Pereyra 2016): proposal
    :math:`x' = x + \tfrac\delta2 b(x) + \sqrt\delta\,\xi` with
    :math:`b = \nabla\log\pi` or its Moreau–Yosida approximation (smoothing
    :math:`\lambda_\pi`), followed by a Metropolis–Hastings test against the *exact* prior;
    proposals with :math:`g(x') \ge \tau` are rejected. The chain is therefore exactly
    invariant for the constrained prior.

``"myula"`` (approximate, for priors known only through a score, e.g. learned denoisers)
    Unadjusted (MY)ULA (Durmus, Moulines & Pereyra 2018) with the same drift and no
    Metropolis test; steps that leave the level set are rejected (the chain stays), so the
    bias is the :math:`O(\delta)` discretisation bias of ULA only.

Why there is no likelihood smoothing parameter: Cai, McEwen & Pereyra (2022) add the
Moreau–Yosida term :math:`-(x - P_\tau(x))/\lambda_L` of the constraint to the drift. Because
every proposal outside the constraint is rejected here, the chain only ever sits at states
with :math:`P_\tau(x) = x`, where that term is identically zero; it mattered in ProxNest
only because outside proposals were projected and *accepted* (the bias this package removes).
:func:`physml.proxnest.project_l2_ball` remains available for MAP/projection uses.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class MoveConfig(NamedTuple):
    """Static configuration of a constrained move."""

    n_steps: int
    correction: str  # "mh" or "myula"


def _log_q(x_to, x_from, drift_from, delta):
    return -jnp.sum((x_to - x_from - 0.5 * delta * drift_from) ** 2) / (2.0 * delta)


def constrained_move(key, x, g_x, tau, delta, lam_prior, problem, config):
    """Run ``config.n_steps`` steps from ``x`` (with ``g(x) < tau``).

    Args:
        key: PRNG key.
        x: start, inside the level set.
        g_x: :math:`g(x)`.
        tau: level :math:`\\tau`; ``inf`` samples the prior.
        delta: step size :math:`\\delta`.
        lam_prior: Moreau–Yosida parameter of the prior.
        problem: a :class:`physml.proxnest.nested.Problem`.
        config: :class:`MoveConfig`.

    Returns:
        ``(x, g_x, acceptance)`` with ``g_x < tau`` and the fraction of accepted steps.
    """
    prior = problem.prior

    if config.correction == "mh":

        def step(carry, k):
            xc, gc, fc, bc, acc = carry
            k1, k2 = jax.random.split(k)
            xp = xc + 0.5 * delta * bc + jnp.sqrt(delta) * jax.random.normal(k1, xc.shape, xc.dtype)
            gp = problem.neg_log_like(xp)
            fp = prior.neg_log_density(xp)
            bp = prior.drift(xp, lam_prior)
            log_a = fc - fp + _log_q(xc, xp, bp, delta) - _log_q(xp, xc, bc, delta)
            ok = (gp < tau) & (jnp.log(jax.random.uniform(k2, dtype=xc.dtype)) < log_a)
            ok = ok & jnp.isfinite(gp)
            new = jax.tree.map(lambda a, b: jnp.where(ok, a, b), (xp, gp, fp, bp), (xc, gc, fc, bc))
            return (*new, acc + ok), None

        f0 = prior.neg_log_density(x)
        b0 = prior.drift(x, lam_prior)
        init = (x, g_x, f0, b0, jnp.zeros((), x.dtype))
        (x, g_x, _, _, acc), _ = jax.lax.scan(step, init, jax.random.split(key, config.n_steps))
        return x, g_x, acc / config.n_steps

    def ula_step(carry, k):
        xc, gc, n_in = carry
        xn = xc + 0.5 * delta * prior.drift(xc, lam_prior)
        xn = xn + jnp.sqrt(delta) * jax.random.normal(k, xc.shape, xc.dtype)
        gn = problem.neg_log_like(xn)
        inside = (gn < tau) & jnp.isfinite(gn)
        xc = jnp.where(inside, xn, xc)
        gc = jnp.where(inside, gn, gc)
        return (xc, gc, n_in + inside), None

    init = (x, g_x, jnp.zeros((), x.dtype))
    (x, g_x, n_in), _ = jax.lax.scan(ula_step, init, jax.random.split(key, config.n_steps))
    return x, g_x, n_in / config.n_steps
