"""One-call proximal nested sampling: :func:`sample` and its :class:`NestedResult`."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from physml.proxnest._validation import check_finite, check_int, check_positive, check_shape
from physml.proxnest.evidence import evidence, weighted_quantiles
from physml.proxnest.nested import (
    NestedState,
    Problem,
    SamplerConfig,
    exact_start,
    init_state,
    prior_draws,
    run_chunk_jit,
    status,
)
from physml.proxnest.operators import LinearOperator
from physml.proxnest.priors import GaussianPrior, Prior

CHECKPOINT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class NestedResult:
    """Outcome of :func:`sample`.

    Attributes:
        ln_z: log evidence (likelihood ``exp(-‖y − Φx‖²/2σ²)``, normalised prior).
        sigma_ln_z: std of ln Z over simulated prior-volume shrinkages.
        information: KL divergence H from prior to posterior (nats).
        ln_z_samples: ``(n_sim,)`` simulated ln Z values.
        samples: ``(n, *shape)`` kept dead points (every ``thin``-th) and the final live points.
        log_weights: ``(n,)`` normalised log posterior weights of ``samples``.
        posterior_mean, posterior_std: per-pixel moments over *all* dead and live points.
        dead_log_likelihood: ``(K,)`` ln L of every dead point, in order of death.
        n_iter: number of dead points ``K``; ``n_live``: ``N``.
        acceptance: mean acceptance (``"mh"``) or inside fraction (``"myula"``) of the moves.
        step_size: final Langevin step size.
    """

    ln_z: float
    sigma_ln_z: float
    information: float
    ln_z_samples: np.ndarray
    samples: np.ndarray
    log_weights: np.ndarray
    posterior_mean: np.ndarray
    posterior_std: np.ndarray
    dead_log_likelihood: np.ndarray
    n_iter: int
    n_live: int
    acceptance: float
    step_size: float

    @property
    def weights(self) -> np.ndarray:
        return np.exp(self.log_weights)

    @property
    def effective_sample_size(self) -> float:
        w = self.weights
        return float(w.sum() ** 2 / np.sum(w**2))

    def credible_interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel equal-tailed credible interval from the weighted samples."""
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        q = np.array([(1 - level) / 2, (1 + level) / 2])
        lo, hi = weighted_quantiles(self.samples, self.weights, q)
        return lo, hi


def _save(path: Path, state: NestedState, key, host: dict, meta: dict) -> None:
    arrays = {f"state_{k}": np.asarray(v) for k, v in state._asdict().items()}
    arrays["key"] = np.asarray(jax.random.key_data(key))
    arrays.update({k: np.concatenate(v) if v else np.zeros(0) for k, v in host.items()})
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path.with_suffix(".npz"))
    path.with_suffix(".json").write_text(json.dumps(meta))


def _load(path: Path, meta: dict):
    stored = json.loads(path.with_suffix(".json").read_text())
    for name in ("version", "shape", "n_live", "batch", "n_steps", "correction", "thin"):
        if stored.get(name) != meta[name]:
            raise ValueError(
                f"checkpoint {path} has {name}={stored.get(name)!r} but this run needs "
                f"{meta[name]!r}"
            )
    data = np.load(path.with_suffix(".npz"))
    state = NestedState(**{k: jnp.asarray(data[f"state_{k}"]) for k in NestedState._fields})
    key = jax.random.wrap_key_data(jnp.asarray(data["key"]))
    host = {k: [data[k]] for k in ("dead_g", "kept_x", "kept_g")}
    host["kept_x"] = [data["kept_x"].reshape((-1, *meta["shape"]))]
    return state, key, host


def default_n_steps(d: int) -> int:
    r"""Langevin steps per replacement: :math:`\max(30, \lceil 3 d^{1/3}\rceil)`.

    Metropolis-adjusted Langevin needs :math:`O(d^{1/3})` steps to move an :math:`O(1)`
    distance in each coordinate (Roberts & Rosenthal 1998); the constants were set on the
    calibration runs in ``benchmarks/proxnest`` (z-scores of ln Z over 20 seeds at d = 16 and
    200, accuracy at d = 1024). The floor is set by the Laplace prior's walks, which mix
    slower than the Gaussian's: at d = 16 its z-scores have std 1.7 with 20 steps and 1.07
    with 30. ``d ≤ 1000`` gives 30, ``d = 1024`` 31, ``d = 16384`` 77.

    Not enough for non-smooth priors at very large d.  With the Laplace (ℓ1-in-wavelets)
    prior at d = 16 384 the evidence is biased low: −44 nats with 16 steps and −15.5 nats
    (8σ) with the default 77 (``benchmarks/proxnest/README.md`` §2).  σ(ln Z) does not
    contain this bias.  At d ≳ 10⁴ with such priors, raise ``n_steps`` until ln Z is stable.
    """
    return max(30, math.ceil(3 * d ** (1 / 3) - 1e-9))


VALIDATED_D = 1024
"""Largest d at which the default ``n_steps`` put the Laplace prior's ln Z within 0.5 nats
of the truth (benchmarks/proxnest §2); :func:`sample` warns above it for non-Gaussian
priors."""


def check_step_size(step_size: float, lipschitz: float) -> None:
    """Warn when ``δ > 2/L`` (``L`` the drift's Lipschitz constant): Langevin diverges."""
    if step_size * lipschitz > 2.0:
        warnings.warn(
            f"step_size={step_size:g} exceeds the Langevin stability limit 2/L = "
            f"{2 / lipschitz:g} (L = Lipschitz constant of the drift): the unadjusted chain "
            f"diverges and Metropolis moves are all rejected; adaptation will reduce it",
            RuntimeWarning,
            stacklevel=3,
        )


def _check_inputs(y, phi, sigma, prior, n_live):
    if not isinstance(phi, LinearOperator):
        raise TypeError(f"phi must be a physml.proxnest LinearOperator, got {type(phi).__name__}")
    if not isinstance(prior, Prior):
        raise TypeError(f"prior must be a physml.proxnest Prior, got {type(prior).__name__}")
    check_shape(y, phi.out_shape, "y", "phi.out_shape")
    check_shape(np.empty(prior.shape), phi.in_shape, "prior image", "phi.in_shape")
    check_finite(y, "y")
    check_positive(sigma, "sigma")
    return check_int(n_live, "n_live", minimum=2)


def _chain_sharding(mesh, batch: int, prior_chains: int | None):
    if mesh is None:
        return None
    if not isinstance(mesh, jax.sharding.Mesh):
        raise TypeError(f"mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    for name, n in (("batch", batch), ("n_live", prior_chains)):
        if n is not None and n % mesh.size:
            raise ValueError(
                f"{name} must be a multiple of the mesh's {mesh.size} devices to shard the "
                f"chains, got {name}={n}"
            )
    spec = jax.sharding.PartitionSpec(tuple(mesh.axis_names))
    return jax.sharding.NamedSharding(mesh, spec)


def sample(
    key: jax.Array,
    y: jax.Array,
    phi: LinearOperator,
    sigma: float,
    prior: Prior,
    *,
    n_live: int = 200,
    batch: int | None = None,
    n_steps: int | None = None,
    step_size: float | None = None,
    lambda_prior: float | None = None,
    correction: str | None = None,
    dlogz: float = 0.01,
    target_accept: float = 0.57,
    chunk: int | None = None,
    thin: int | None = None,
    max_iter: int | None = None,
    n_sim: int = 200,
    n_burn_rounds: int = 50,
    progress: bool = True,
    checkpoint: str | Path | None = None,
    mesh: jax.sharding.Mesh | None = None,
) -> NestedResult:
    r"""Proximal nested sampling of :math:`p(x|y) \propto L(x)\pi(x)` for ``y = Φx + n``.

    Args:
        key: PRNG key (the only source of randomness).
        y: data, ``phi.out_shape`` (complex for :class:`MaskedFourier`).
        phi: measurement operator.
        sigma: Gaussian noise std (per real component) ``> 0``.
        prior: a :class:`Prior`.
        n_live: number of live points ``N`` (exactly ``N`` prior draws start the run).
        batch: live points replaced per iteration by parallel (vectorised) walks, the
            ``j``-th removed shrinking the volume by ``Beta(N - j, 1)``; default ``⌈N/4⌉``.
        n_steps: Langevin steps per replacement; default :func:`default_n_steps`.
        step_size: initial step δ (adapted to ``target_accept``); default ``0.1 × prior scale``.
        lambda_prior: Moreau–Yosida parameter of the prior; ``None`` ties it to δ/2, which
            makes the proposal mean :math:`\mathrm{prox}_{\delta f/2}(x)` (Pereyra 2016).
        correction: ``"mh"`` (exact, priors with a density) or ``"myula"``; default by prior.
        dlogz: stop when the remaining evidence could change ln Z by less than this.
        chunk: iterations (of ``batch`` deaths) per jit-compiled block (progress,
            checkpoints, divergence checks); default ``⌈10 N / batch⌉``.
        thin: keep every ``thin``-th dead point as a posterior sample; default keeps the
            buffer of one chunk under ~32 MB (``thin = 1`` up to ``d·10N ≈ 4·10⁶``).
        max_iter: cap on the number of dead points (checked between chunks; default 10⁷).
        n_sim: number of simulated prior-volume sequences for ``sigma_ln_z``.
        n_burn_rounds: rounds of prior moves when the prior has no exact sampler.
        progress: show a tqdm progress bar.
        checkpoint: path stem; state is written after every chunk and resumed if present.
        mesh: a ``jax.sharding.Mesh``; the ``batch`` replacement chains (and the prior chains
            of priors without an exact sampler) are then sharded over all its devices
            (``batch``, and ``n_live`` for the latter, must be multiples of ``mesh.size``).
            The result is the same as without a mesh.

    Returns:
        :class:`NestedResult`.

    Example:
        >>> phi = Identity((8, 8)); prior = GaussianPrior.create((8, 8))
        >>> res = sample(jax.random.key(0), y, phi, 0.5, prior, progress=False)
    """
    n_live = _check_inputs(y, phi, sigma, prior, n_live)
    if correction is None:
        correction = "mh" if prior.has_density else "myula"
    if correction not in ("mh", "myula"):
        raise ValueError(f"correction must be 'mh' or 'myula', got {correction!r}")
    if correction == "mh" and not prior.has_density:
        raise ValueError(f"correction='mh' needs a prior with a density; {type(prior).__name__}")
    d = math.prod(prior.shape)
    if n_steps is None and d > VALIDATED_D and not isinstance(prior, GaussianPrior):
        warnings.warn(
            f"d = {d} is above the largest dimension at which the default n_steps = "
            f"{default_n_steps(d)} was validated for non-Gaussian priors (d = {VALIDATED_D}); "
            "at d = 16384 the Laplace prior's ln Z is biased low by 8σ with it. Raise "
            "n_steps until ln Z is stable (see default_n_steps)",
            RuntimeWarning,
            stacklevel=2,
        )
    n_steps = check_int(n_steps or default_n_steps(d), "n_steps")
    batch = check_int(batch or math.ceil(n_live / 4), "batch")
    if batch >= n_live:
        raise ValueError(f"batch must be < n_live, got batch={batch} with n_live={n_live}")
    chunk = check_int(chunk or math.ceil(10 * n_live / batch), "chunk")
    thin = check_int(thin or math.ceil(chunk * batch * d / 4e6), "thin")
    chunk = thin * math.ceil(chunk / thin)
    max_iter = check_int(max_iter or 10_000_000, "max_iter")
    tie = lambda_prior is None
    if tie and correction == "myula":
        raise ValueError("correction='myula' needs an explicit lambda_prior")
    lam_p = 1.0 if tie else check_positive(lambda_prior, "lambda_prior")
    if step_size is None:
        step_size = 0.1 / float(prior.lipschitz(jnp.asarray(lam_p))) if not tie else 1e-2
    step_size = check_positive(step_size, "step_size")
    if not tie:
        check_step_size(step_size, float(prior.lipschitz(jnp.asarray(lam_p))))
    y = jnp.asarray(y)
    dtype = y.real.dtype if jnp.issubdtype(y.real.dtype, jnp.floating) else jnp.result_type(float)
    problem = Problem(y, phi, jnp.asarray(sigma, dtype), prior)
    sharding = _chain_sharding(mesh, batch, None if prior.exact_sampler else n_live)
    config = SamplerConfig(
        n_live,
        batch,
        n_steps,
        correction,
        chunk,
        thin,
        float(dlogz),
        target_accept,
        0.5,
        tie,
        sharding,
    )
    meta = {
        "version": CHECKPOINT_VERSION,
        "shape": list(prior.shape),
        "n_live": n_live,
        "batch": batch,
        "n_steps": n_steps,
        "correction": correction,
        "thin": thin,
    }
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.with_suffix(".json").exists():
        state, key, host = _load(path, meta)
    else:
        if prior.exact_sampler:
            state, key = exact_start(key, problem, n_live, step_size, lam_p, jnp.dtype(dtype))
        else:
            key, k_init = jax.random.split(key)
            live_x, delta = prior_draws(
                k_init, problem, n_live, config, step_size, lam_p, n_burn_rounds
            )
            live_x = live_x.astype(dtype)  # chains run in the data's precision
            live_g = jax.vmap(problem.neg_log_like)(live_x).astype(dtype)
            state = init_state(live_x, live_g, delta, lam_p)
        host = {"dead_g": [], "kept_x": [], "kept_g": []}
    bar = tqdm(disable=not progress, desc="proxnest", unit="it")
    bar.update(int(state.iteration))
    done, finite = status(state, config)
    while not done and int(state.iteration) < max_iter:
        state, dead_g, kept_x, kept_g, n_done, key = run_chunk_jit(key, state, problem, config)
        n_done = int(n_done) * batch
        done, finite = status(state, config)
        if not finite:
            raise FloatingPointError(
                "proximal nested sampling diverged (non-finite likelihood or step size): "
                "reduce step_size or increase lambda_prior"
            )
        n_kept = math.ceil(n_done / thin)
        host["dead_g"].append(np.asarray(dead_g)[:n_done])  # slice on the host: no recompiles
        host["kept_x"].append(np.asarray(kept_x)[:n_kept])
        host["kept_g"].append(np.asarray(kept_g)[:n_kept])
        bar.update(n_done)
        if progress:
            bar.set_postfix(ln_z=float(state.ln_z_dead), step=float(np.exp(state.log_delta)))
        if path is not None:
            _save(path, state, key, host, meta)
    bar.close()
    return _finish(key, state, host, n_live, batch, thin, n_sim)


def _finish(key, state: NestedState, host, n_live, batch, thin, n_sim) -> NestedResult:
    dead_g = np.concatenate(host["dead_g"]) if host["dead_g"] else np.zeros(0)
    kept_x = np.concatenate(host["kept_x"]) if host["kept_x"] else np.zeros((0,))
    order = np.argsort(-np.asarray(state.live_g))  # increasing likelihood
    live_x = np.asarray(state.live_x)[order]
    live_g = np.asarray(state.live_g)[order]
    est = evidence(-dead_g, -live_g, key, n_sim=n_sim, batch=batch)
    log_p = np.asarray(est.log_weights)
    ln_z = float(est.ln_z)
    k = dead_g.shape[0]
    kept_idx = np.arange(0, k, thin)[: kept_x.shape[0]]
    samples = np.concatenate([kept_x.reshape((-1, *live_x.shape[1:])), live_x])
    log_w = np.concatenate([log_p[kept_idx] + np.log(thin), log_p[k:]])
    log_w -= np.logaddexp.reduce(log_w)
    # Moments: all dead points (accumulated on the fly) plus the live points.
    live_lw = log_p[k:] + ln_z
    shift = max(float(state.log_shift), float(live_lw.max()))
    scale = np.exp(float(state.log_shift) - shift) if k else 0.0
    w_live = np.exp(live_lw - shift)[:, None]
    flat = live_x.reshape(n_live, -1)
    s0 = float(state.s0) * scale + w_live.sum()
    s1 = np.asarray(state.s1).ravel() * scale + (w_live * flat).sum(0)
    s2 = np.asarray(state.s2).ravel() * scale + (w_live * flat**2).sum(0)
    mean = s1 / s0
    std = np.sqrt(np.maximum(s2 / s0 - mean**2, 0.0))
    it = int(state.iteration)
    return NestedResult(
        ln_z=ln_z,
        sigma_ln_z=float(est.sigma_ln_z),
        information=float(est.information),
        ln_z_samples=np.asarray(est.ln_z_samples),
        samples=samples,
        log_weights=log_w,
        posterior_mean=mean.reshape(live_x.shape[1:]),
        posterior_std=std.reshape(live_x.shape[1:]),
        dead_log_likelihood=-dead_g,
        n_iter=it,
        n_live=n_live,
        acceptance=float(state.acceptance) / max(it, 1),
        step_size=float(np.exp(state.log_delta)),
    )
