"""Generative synthesis: new fields whose scattering statistics match a target's.

Starting from Gaussian fields with the target's power spectrum, minimise (Bruna & Mallat
2019; Mousset et al. 2024)::

    min_f  Σ_i w_i |S_i(f) − S_i(f_target)|² + μ Σ_ℓ (C_ℓ(f)/C^t_ℓ − 1)²

over the harmonic coefficients, whitened by the target spectrum, f_ℓm = sqrt(C^t_ℓ) z_ℓm.
Each sample is optimised independently (``vmap``); a chunk of iterations runs in one
compiled ``lax.scan``, and between chunks the progress bar moves and a checkpoint is written.
"""

from __future__ import annotations

import numbers
import os
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

import physml.s2fft as s2
from physml.core.compilation import jit
from physml.core.indexing import valid_mask

from . import _checkpoint, _lbfgs
from ._loss import Target, default_weights, loss, make_target
from ._moments import moments
from ._operator import Scattering, map_fields
from ._statistics import Statistics

OPTIMISERS = ("lbfgs", "lbfgs_zoom", "adam")


class SynthesisResult(NamedTuple):
    """Emulated fields.

    Attributes
    ----------
    flm : (n_samples, L, 2L−1) harmonic coefficients.
    f : (n_samples, *f_shape(L, sampling, nside)) samples.
    initial_flm : (n_samples, L, 2L−1) the Gaussian starting points.
    losses : (n_samples, steps) loss after each iteration.
    target : the :class:`Target` that was matched.
    """

    flm: jax.Array
    f: jax.Array
    initial_flm: jax.Array
    losses: jax.Array
    target: Target


def _to_flm(z: jax.Array, scale: jax.Array, reality: bool) -> jax.Array:
    """Coefficients from whitened real parameters z of shape (L, 2L−1) (or (2, L, 2L−1))."""
    L = scale.shape[0]
    mask = jnp.asarray(valid_mask(L))
    if not reality:
        c = jax.lax.complex(z[0], z[1]) * np.sqrt(0.5)
        return jnp.where(mask, c, 0) * scale[:, None]
    m = np.arange(-(L - 1), L)
    pos = jax.lax.complex(z[:, L - 1 :], z[:, L - 1 :: -1]) * np.sqrt(0.5)
    pos = pos.at[:, 0].set(z[:, L - 1])
    sign = jnp.asarray(np.where(m[L:] % 2, -1.0, 1.0), z.dtype)
    neg = (jnp.conj(pos[:, 1:]) * sign)[:, ::-1]
    c = jnp.concatenate([neg, pos], axis=-1)
    return jnp.where(mask, c, 0) * scale[:, None]


def _scale(target: Target, xp=jnp) -> jax.Array:
    """sqrt(C^t_ℓ), floored (``xp``: jax.numpy, or numpy on the host)."""
    cl = xp.asarray(target.cl)
    floor = xp.max(cl) * 1e-12 + xp.finfo(cl.dtype).tiny
    return xp.sqrt(xp.maximum(cl, floor))


def _objective(z, target: Target, weights, op: Scattering, power_weight):
    flm = _to_flm(z, _scale(target), op.reality)
    raw = moments(flm, op)
    root = jnp.sqrt(target.norm)
    pairs, triples = op.pairs, op.triples
    stats = Statistics(
        raw.mean,
        raw.var,
        raw.s1 / root,
        raw.s2 / target.norm,
        raw.s3 / (root[pairs[:, 0]] * root[pairs[:, 1]])[:, None],
        raw.s4 / (root[triples[:, 0]] * root[triples[:, 1]])[:, None, None],
    )
    return loss(stats, target, weights, s2.power_spectrum(flm, op.L), power_weight)


# optax's L-BFGS with zoom line search evaluates the objective at three call sites (its
# state's first value, the line search's first trial and its loop): through one jitted
# function the objective is traced once and its derivatives built once (JAX caches both)
_objective_once = jax.jit(_objective)


def _optimiser(name: str, learning_rate):
    if name == "lbfgs_zoom":
        return optax.lbfgs(learning_rate=learning_rate)
    return optax.adam(1e-2 if learning_rate is None else learning_rate)


def _init_state(name: str, learning_rate, z):
    """Optimiser state of one sample, strongly typed (a weakly typed entry that the first
    chunk returns strongly typed would compile the loop a second time)."""
    state = _lbfgs.init(z) if name == "lbfgs" else _optimiser(name, learning_rate).init(z)
    return jax.tree.map(lambda a: jnp.asarray(a, dtype=a.dtype), state)


@jit(static_argnames=("name", "learning_rate", "length"))
def _chunk(z, state, target, weights, power_weight, op, *, name, learning_rate, length):
    """``length`` iterations for each sample (vmapped over the leading axis of z, state)."""
    opt = None if name == "lbfgs" else _optimiser(name, learning_rate)  # optax's optimisers

    def one(z, state):
        def fun(z):
            return _objective_once(z, target, weights, op, power_weight)

        def step(carry, _):
            z, state = carry
            if name == "lbfgs":  # one evaluation site: the objective compiles once
                z, state = _lbfgs.step(fun, z, state)
                return (z, state), state.value
            if name == "lbfgs_zoom":
                value, grad = optax.value_and_grad_from_state(fun)(z, state=state)
                updates, state = opt.update(grad, state, z, value=value, grad=grad, value_fn=fun)
            else:
                value, grad = jax.value_and_grad(fun)(z)
                updates, state = opt.update(grad, state, z)
            return (optax.apply_updates(z, updates), state), value

        (z, state), values = jax.lax.scan(step, (z, state), None, length=length)
        return z, state, values

    return map_fields(one, op)(z, state)


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def synthesise(
    target,
    key: jax.Array,
    op: Scattering,
    *,
    n_samples: int = 1,
    steps: int = 100,
    optimiser: str = "lbfgs",
    learning_rate: float | None = None,
    weights: jax.Array | None = None,
    power_weight: float = 1.0,
    meta: bool = False,
    sampling: str = "mw",
    nside: int | None = None,
    chunk: int = 10,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
) -> SynthesisResult:
    """Emulate fields by matching the scattering statistics of a target.

    Parameters
    ----------
    target : a :class:`Target` (from :func:`make_target`), or the target field(s) sampled
        with ``sampling``/``nside`` (one field, or (B, ...) several with ``meta=True``: then
        the mean statistics of the B fields are matched).
    key : PRNG key for the Gaussian starting fields.
    op : :class:`Scattering`.
    n_samples : number of independent emulations (optimised together, vmapped).
    steps : iterations.  optimiser : ``"lbfgs"`` (optax's L-BFGS direction with a
        backtracking Armijo line search that evaluates the objective at one place, so it
        compiles once; :mod:`physml.s2scat._lbfgs`), ``"lbfgs_zoom"`` (``optax.lbfgs`` with
        its zoom line search: strong Wolfe steps, three compiled copies of the objective) or
        ``"adam"``.  learning_rate : ``None`` = line search (L-BFGS) or 1e-2 (Adam); a fixed
        step for ``"lbfgs_zoom"`` and ``"adam"`` only.
    weights : (D,) per-coefficient weights (default :func:`default_weights`).
    power_weight : weight μ of the per-ℓ power-spectrum term.
    chunk : iterations per compiled chunk (progress and checkpoints between chunks).
    progress : show a tqdm progress bar.
    checkpoint : directory; written after every chunk, and resumed from if it exists.

    Returns
    -------
    :class:`SynthesisResult`.

    Examples
    --------
    >>> op = make_scattering(32, J_min=2)                                   # doctest: +SKIP
    >>> out = synthesise(target_map, jax.random.key(0), op, steps=200)      # doctest: +SKIP
    """
    if not isinstance(op, Scattering):
        raise TypeError(f"op must be a physml.s2scat.Scattering, got {type(op).__name__}")
    if optimiser not in OPTIMISERS:
        raise ValueError(f"optimiser must be one of {OPTIMISERS}, got {optimiser!r}")
    if optimiser == "lbfgs" and learning_rate is not None:
        raise ValueError(
            "optimiser='lbfgs' always uses its line search; pass learning_rate with "
            "optimiser='lbfgs_zoom' or 'adam'"
        )
    n_samples = _check_int(n_samples, "n_samples", 1)
    steps = _check_int(steps, "steps", 0)
    chunk = _check_int(chunk, "chunk", 1)
    if not isinstance(target, Target):
        target = make_target(target, op, sampling=sampling, nside=nside, meta=meta)
    weights = default_weights(target, op) if weights is None else jnp.asarray(weights)
    if weights.shape != target.stats.vector().shape:
        raise ValueError(
            f"weights must have shape {target.stats.vector().shape}, got {weights.shape}"
        )
    L = op.L
    dtype = target.cl.dtype
    z = z_start = _start(key, target, op, n_samples)
    state = _init_states(z, name=optimiser, learning_rate=learning_rate)
    losses = np.zeros((n_samples, 0))
    done = 0
    expected = {
        "L": L,
        "N": op.N,
        "n_samples": n_samples,
        "optimiser": optimiser,
        "reality": op.reality,
        "start": "whitened",  # the starting points are stored as z (before: as flm)
    }
    if checkpoint is not None:
        restored, record = _checkpoint.load(checkpoint, (z, state, z_start), expected)
        if restored is not None:
            (z, state, z_start), done = restored, int(record["steps_done"])
            with np.load(os.path.join(checkpoint, "losses.npz")) as data:
                losses = data["losses"]
    with tqdm(total=steps, initial=min(done, steps), disable=not progress) as bar:
        while done < steps:
            length = min(chunk, steps - done)
            z, state, values = _chunk(
                z,
                state,
                target,
                weights,
                jnp.asarray(power_weight, dtype),
                op,
                name=optimiser,
                learning_rate=learning_rate,
                length=length,
            )
            losses = np.concatenate([losses, np.asarray(values)], axis=1)
            done += length
            bar.update(length)
            bar.set_postfix(loss=float(np.mean(values[:, -1])))
            if checkpoint is not None:
                _checkpoint.save(checkpoint, (z, state, z_start), dict(expected, steps_done=done))
                np.savez(os.path.join(checkpoint, "losses.npz"), losses=losses)
    flm, f, initial_flm = _fields(z, z_start, target, op, sampling=sampling, nside=nside)
    return SynthesisResult(flm, f, initial_flm, jnp.asarray(losses), target)


def _start(key: jax.Array, target: Target, op: Scattering, n_samples: int) -> jax.Array:
    """Gaussian starting points z (whitened), drawn on the host with NumPy from the key.

    Standard normal entries (the Gaussian field with the target's C_ℓ), except that the
    ℓ = 0 coefficient of a real field starts at the target's mean exactly.  NumPy instead of
    ``jax.random.normal``: its program took 0.3 s to compile for one use.
    """
    L = op.L
    shape = (n_samples, L, 2 * L - 1) if op.reality else (n_samples, 2, L, 2 * L - 1)
    seed = (
        jax.random.key_data(key) if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    )
    rng = np.random.default_rng(np.asarray(seed, np.uint32).ravel())
    dtype = np.asarray(target.cl).dtype
    z = rng.standard_normal(shape).astype(dtype)
    if op.reality:
        mean = np.asarray(target.stats.mean).real
        z[..., 0, L - 1] = mean * np.sqrt(4 * np.pi) / _scale(target, np)[0]
    return jnp.asarray(z)


@jit(static_argnames=("name", "learning_rate"))
def _init_states(z, *, name, learning_rate):
    """The optimiser state of every sample (vmapped over the leading axis of z)."""
    return jax.vmap(partial(_init_state, name, learning_rate))(z)


@jit(static_argnames=("sampling", "nside"))
def _fields(z, z_start, target: Target, op: Scattering, *, sampling, nside):
    """Coefficients and sampled fields of the optimised parameters z, and the starting flm."""
    flm = _flm_of(z, target, op)
    f = s2.inverse(flm, op.L, 0, sampling, nside, reality=op.reality)
    return flm, f, _flm_of(z_start, target, op)


def _flm_of(z, target: Target, op: Scattering):
    """(n_samples, L, 2L−1) coefficients of the whitened parameters z of every sample."""
    return jax.vmap(partial(_to_flm, scale=_scale(target), reality=op.reality))(z)
