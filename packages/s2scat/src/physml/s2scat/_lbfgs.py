r"""L-BFGS whose objective is evaluated at one place in the program (compiled once).

optax's ``lbfgs`` chains ``scale_by_lbfgs`` with a zoom line search; the objective and its
gradient then appear at three call sites (the state's first value, the line search's first
trial and its loop), and XLA compiles each copy.  For the scattering objective at L = 64 that
is ~6 s of compilation per synthesis program.  Here the direction is optax's
``scale_by_lbfgs`` (Nocedal 1980; two-loop recursion, memory 10) and the step length comes
from a backtracking line search with the Armijo condition (Nocedal & Wright 2006, Alg. 3.1),

.. math:: f(z - t p) \le f(z) - c_1\, t\, \langle ∇f(z), p\rangle, \qquad t = 1, ½, ¼, …

written as one ``lax.while_loop`` whose body is the only evaluation of (f, ∇f).  The very
first trial of a run is the starting point itself (step 0), which stands in for the initial
evaluation.  Curvature pairs with ⟨y, s⟩ ≤ 0, which Armijo alone does not exclude, reset the
memory, and a non-descent direction falls back to the (norm-capped) gradient, so every
accepted step decreases f.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

C1 = 1e-4
MAX_BACKTRACKS = 30
MEMORY = 10


class LBFGSState(NamedTuple):
    """Optimiser state of one sample: optax's L-BFGS memory, f and ∇f at the iterate."""

    memory: optax.ScaleByLBFGSState
    value: jax.Array  # +inf before the first evaluation
    grad: jax.Array


def _direction():
    return optax.scale_by_lbfgs(memory_size=MEMORY)


def init(z: jax.Array) -> LBFGSState:
    """State before any evaluation (``value = +inf``)."""
    return LBFGSState(_direction().init(z), jnp.asarray(jnp.inf, z.dtype), jnp.zeros_like(z))


def step(fun, z: jax.Array, state: LBFGSState) -> tuple[jax.Array, LBFGSState]:
    """One L-BFGS iteration with backtracking: returns the new iterate and state."""
    started = jnp.isfinite(state.value)
    direction = _direction()
    memory = state.memory
    # reset the memory on a pair of negative curvature (y·s ≤ 0) from the last step
    ys = jnp.vdot(state.grad - memory.updates, z - memory.params).real
    memory = jax.tree.map(
        lambda fresh, old: jnp.where((memory.count > 0) & (ys <= 0), fresh, old),
        direction.init(z),
        memory,
    )
    p, new_memory = direction.update(state.grad, memory, z)
    slope = jnp.vdot(state.grad, p).real
    norm = jnp.linalg.norm(state.grad)
    fallback = state.grad * jnp.minimum(1.0, 1.0 / jnp.maximum(norm, 1e-300))
    descent = slope > 0
    p = jnp.where(descent, p, fallback)
    slope = jnp.where(descent, slope, jnp.vdot(state.grad, fallback).real)
    p = jnp.where(started, p, jnp.zeros_like(p))  # step 0: evaluate the starting point
    value_and_grad = jax.value_and_grad(fun)

    def not_done(c):
        _, _, _, accepted, tries = c
        return ~accepted & (tries < MAX_BACKTRACKS)

    def trial(c):
        t, _, _, _, tries = c
        v, g = value_and_grad(z - t * p)  # the only evaluation of the objective
        ok = jnp.isfinite(v) & (~started | (v <= state.value - C1 * t * slope))
        return jnp.where(ok, t, 0.5 * t), v, g, ok, tries + 1

    one = jnp.ones((), z.dtype)
    t, v, g, accepted, _ = jax.lax.while_loop(
        not_done, trial, (one, state.value, state.grad, jnp.zeros((), bool), 0)
    )
    z_new = jnp.where(accepted, z - t * p, z)
    state = LBFGSState(
        jax.tree.map(lambda a, b: jnp.where(started & accepted, a, b), new_memory, memory),
        jnp.where(accepted, v, state.value),
        jnp.where(accepted, g, state.grad),
    )
    return z_new, state
