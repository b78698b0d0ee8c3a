r"""Proximal nested sampling (Cai, McEwen & Pereyra 2022) with exact constrained moves.

For data :math:`y = \Phi x + n`, :math:`n \sim \mathcal N(0, \sigma^2 I)`, the likelihood is
:math:`L(x) = \exp(-g(x))`, :math:`g(x) = \|y - \Phi x\|^2 / 2\sigma^2` (the convention of
Cai et al. 2022: no :math:`(2\pi\sigma^2)^{-m/2}` factor), and the prior a normalised
:math:`\pi(x) \propto e^{-f(x)}`. The run keeps ``N`` live points drawn from the prior
(exactly ``N`` initial draws); each iteration removes the ``k = batch`` worst ones (the
``j``-th of them shrinks the prior volume by :math:`t \sim \mathrm{Beta}(N - j, 1)`; level
:math:`\tau` = the best removed) and replaces them by ``k`` independent constrained Langevin
walks (:mod:`physml.proxnest.kernels`, vectorised over the chains and optionally sharded
over the devices of a ``jax.sharding.Mesh``) started from copies of surviving live points
(drawn uniformly with replacement), with ``n_steps`` steps and a step size adapted between
iterations towards a target acceptance. ``batch = 1`` is classic one-at-a-time nested sampling.
It stops when the largest possible remaining contribution
:math:`\max L_\mathrm{live} X_i` changes :math:`\ln Z` by less than ``dlogz``; the final live
points are then integrated (:mod:`physml.proxnest.evidence`).

The loop runs as a jit-compiled ``lax.while_loop`` in chunks of ``chunk`` iterations; between
chunks the host updates the progress bar, checks for divergence and writes checkpoints.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from physml.core.compilation import jit
from physml.proxnest.kernels import MoveConfig, constrained_moves, split_bits
from physml.proxnest.operators import LinearOperator
from physml.proxnest.priors import Prior


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Problem:
    """Data, operator, noise level and prior of one inference problem."""

    y: jax.Array
    phi: LinearOperator
    sigma: jax.Array
    prior: Prior

    def neg_log_like(self, x: jax.Array) -> jax.Array:
        r = self.y - self.phi.forward(x)
        return jnp.sum(jnp.abs(r) ** 2) / (2.0 * self.sigma**2)


class SamplerConfig(NamedTuple):
    """Static settings of the nested-sampling loop."""

    n_live: int
    batch: int
    n_steps: int
    correction: str
    chunk: int
    thin: int
    dlogz: float
    target_accept: float
    adapt_rate: float
    tie_lambda: bool
    chain_sharding: jax.sharding.Sharding | None = None  # of the (batch, ...) chain axis


class NestedState(NamedTuple):
    """Everything needed to continue a run (a pytree; saved by checkpoints)."""

    live_x: jax.Array
    live_g: jax.Array
    log_delta: jax.Array
    lam_prior: jax.Array
    iteration: jax.Array
    ln_x: jax.Array
    ln_z_dead: jax.Array
    log_shift: jax.Array
    s0: jax.Array
    s1: jax.Array
    s2: jax.Array
    acceptance: jax.Array


def init_state(live_x, live_g, delta, lam_prior) -> NestedState:
    dtype = live_x.dtype
    zero_img = jnp.zeros(live_x.shape[1:], dtype)
    return NestedState(
        live_x,
        live_g,
        jnp.log(jnp.asarray(delta, dtype)),
        jnp.asarray(lam_prior, dtype),
        jnp.asarray(0, jnp.int64 if jax.config.jax_enable_x64 else jnp.int32),
        jnp.zeros((), dtype),
        jnp.asarray(-jnp.inf, dtype),
        jnp.asarray(-jnp.inf, dtype),
        jnp.zeros((), dtype),
        zero_img,
        zero_img,
        jnp.zeros((), dtype),
    )


def converged(state: NestedState, config: SamplerConfig) -> jax.Array:
    """Remaining-evidence rule: ``ln(Z + max L_live X) - ln Z < dlogz``."""
    ln_rest = -jnp.min(state.live_g) + state.ln_x
    return jnp.logaddexp(state.ln_z_dead, ln_rest) - state.ln_z_dead < config.dlogz


def _accumulate(state: NestedState, xs, log_w):
    shift = jnp.maximum(state.log_shift, jnp.max(log_w))
    scale = jnp.where(jnp.isfinite(state.log_shift), jnp.exp(state.log_shift - shift), 0.0)
    w = jnp.exp(log_w - shift).reshape((-1,) + (1,) * (xs.ndim - 1))
    return (
        shift,
        state.s0 * scale + jnp.sum(w),
        state.s1 * scale + jnp.sum(w * xs, axis=0),
        state.s2 * scale + jnp.sum(w * xs * xs, axis=0),
    )


def _adapt(log_delta, acc, prior, lam_prior, config: SamplerConfig):
    """Robbins–Monro step on ``ln δ`` towards ``target_accept`` (capped at ``1/L`` for ULA)."""
    new = log_delta + config.adapt_rate * (acc - config.target_accept)
    if config.correction == "myula":
        new = jnp.minimum(new, -jnp.log(prior.lipschitz(lam_prior)))
    return new.astype(log_delta.dtype)


def _shard_chains(arrays, config: SamplerConfig):
    """Lay the chains (leading axis) out over the devices of ``config.chain_sharding``.

    Each chain is independent, so the moves need no communication; the result is the same
    as on one device (the random bits do not depend on the layout: JAX's Threefry is
    partitionable).
    """
    if config.chain_sharding is None:
        return arrays
    return tuple(jax.lax.with_sharding_constraint(a, config.chain_sharding) for a in arrays)


def run_chunk(key, state: NestedState, problem: Problem, config: SamplerConfig):
    """Up to ``config.chunk`` iterations of ``config.batch`` deaths (stops once converged).

    Returns:
        ``(state, dead_g, kept_x, kept_g, n_done, key)``: the ``dead_g[:n_done * batch]`` levels in
        order of death, and every ``thin``-th dead point with its ``g``.
    """
    n, k = config.n_live, config.batch
    n_dead = config.chunk * k
    n_keep = n_dead // config.thin
    move = MoveConfig(config.n_steps, config.correction)
    dtype = state.live_x.dtype
    counts = n - jnp.arange(k, dtype=dtype)
    ln_x_steps = jnp.cumsum(-1.0 / counts)
    log_shrink = jnp.log(-jnp.expm1(-1.0 / counts))

    def cond(carry):
        i, st, *_ = carry
        return (i < config.chunk) & ~converged(st, config)

    def body(carry):
        i, st, dead_g, kept_x, kept_g, key = carry
        width = jax.random.key_data(key).shape[-1]
        key, bits = split_bits(key, k + width)
        k_move = jax.random.wrap_key_data(bits[k:], impl=jax.random.key_impl(key))
        order = jnp.argsort(-st.live_g)  # worst (largest g) first
        worst = order[:k]
        g_dead = st.live_g[worst]
        tau = g_dead[-1]
        x_dead = st.live_x[worst]
        ln_x_prev = st.ln_x + jnp.concatenate([jnp.zeros(1, dtype), ln_x_steps[:-1]])
        log_w = -g_dead + ln_x_prev + log_shrink
        shift, s0, s1, s2 = _accumulate(st, x_dead, log_w)
        pos = i * k + jnp.arange(k)
        dead_g = dead_g.at[pos].set(g_dead)
        slot = jnp.where(
            (st.iteration + jnp.arange(k)) % config.thin == 0, pos // config.thin, n_keep
        )
        kept_x = kept_x.at[slot].set(x_dead, mode="drop")
        kept_g = kept_g.at[slot].set(g_dead, mode="drop")
        starts = order[k + (bits[:k] % (n - k)).astype(order.dtype)]  # bias < N/2³²
        delta = jnp.exp(st.log_delta)
        lam_p = 0.5 * delta if config.tie_lambda else st.lam_prior
        x0, g0 = _shard_chains((st.live_x[starts], st.live_g[starts]), config)
        x_new, g_new, acc = constrained_moves(k_move, x0, g0, tau, delta, lam_p, problem, move)
        acc = jnp.mean(acc)
        log_delta = _adapt(st.log_delta, acc, problem.prior, st.lam_prior, config)
        st = st._replace(
            live_x=st.live_x.at[worst].set(x_new),
            live_g=st.live_g.at[worst].set(g_new),
            log_delta=log_delta,
            iteration=st.iteration + k,
            ln_x=st.ln_x + ln_x_steps[-1],
            ln_z_dead=jnp.logaddexp(st.ln_z_dead, jax.scipy.special.logsumexp(log_w)),
            log_shift=shift,
            s0=s0,
            s1=s1,
            s2=s2,
            acceptance=st.acceptance + acc * k,
        )
        return i + 1, st, dead_g, kept_x, kept_g, key

    shape = state.live_x.shape[1:]
    init = (
        jnp.asarray(0),
        state,
        jnp.full((n_dead,), jnp.nan, dtype),
        jnp.zeros((n_keep, *shape), dtype),
        jnp.full((n_keep,), jnp.nan, dtype),
        key,
    )
    n_done, state, dead_g, kept_x, kept_g, key = jax.lax.while_loop(cond, body, init)
    return state, dead_g, kept_x, kept_g, n_done, key


def status(state: NestedState, config: SamplerConfig) -> tuple[bool, bool]:
    """``(converged, finite)`` of a state, on the host.

    NumPy on four scalars/short vectors: a compiled program here would cost more to compile
    than every call of it costs to run.
    """
    live_g = np.asarray(state.live_g)
    ln_z, ln_x = float(state.ln_z_dead), float(state.ln_x)
    finite = bool(np.all(np.isfinite(live_g)) and np.isfinite(float(state.log_delta)))
    ln_rest = -float(np.min(live_g)) + ln_x
    return bool(np.logaddexp(ln_z, ln_rest) - ln_z < config.dlogz), finite


# The sampler's programs compile with physml.core's XLA:CPU options (classic emitters, no
# expensive LLVM passes: faster compilation of its many small fusions).


@jit(static_argnames=("n", "dtype"))
def exact_start(key, problem: Problem, n: int, delta, lam_p, dtype):
    """Initial state from ``n`` exact prior draws, and the key for the run (one compiled call).

    Returns:
        ``(state, key)``.
    """
    key, k_init = jax.random.split(key)
    live_x = problem.prior.sample(k_init, n).astype(dtype)
    live_g = jax.vmap(problem.neg_log_like)(live_x).astype(dtype)
    return init_state(live_x, live_g, delta, lam_p), key


run_chunk_jit = jit(run_chunk, static_argnames="config")


@jit(static_argnames="config")
def _prior_round(key, xs, gs, log_delta, lam_p, problem: Problem, config: SamplerConfig):
    d = jnp.exp(log_delta)
    lam = 0.5 * d if config.tie_lambda else lam_p
    move = MoveConfig(config.n_steps, config.correction)
    xs, gs = _shard_chains((xs, gs), config)
    xs, gs, acc = constrained_moves(key, xs, gs, jnp.inf, d, lam, problem, move)
    return xs, gs, _adapt(log_delta, jnp.mean(acc), problem.prior, lam_p, config)


def prior_draws(key, problem: Problem, n: int, config: SamplerConfig, delta, lam_p, n_rounds):
    """``n`` prior draws: exact when the prior has a sampler, else ``n`` parallel chains.

    The chains start at 0 and run ``n_rounds`` rounds of ``config.n_steps`` unconstrained
    moves (``τ = ∞``), adapting a common step size between rounds.
    """
    prior = problem.prior
    if prior.exact_sampler:
        return prior.sample(key, n), delta
    xs = jnp.zeros((n, *prior.shape), problem.y.real.dtype)
    gs = jax.vmap(problem.neg_log_like)(xs)
    log_delta = jnp.log(jnp.asarray(delta, xs.dtype))
    lam_p = jnp.asarray(lam_p, xs.dtype)
    for k in jax.random.split(key, n_rounds):
        xs, gs, log_delta = _prior_round(k, xs, gs, log_delta, lam_p, problem, config)
    return xs, jnp.exp(log_delta)
