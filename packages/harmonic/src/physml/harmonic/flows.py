r"""Normalizing flows for the harmonic-mean target: RealNVP and rational-quadratic splines.

A flow maps a sample θ to a latent z in three steps,

.. math:: u = C^{-1}(θ - m), \qquad z = f(u),

a whitening with the training mean ``m`` and the Cholesky factor ``C`` of the training
covariance, then a stack of coupling layers ``f`` (Dinh et al. 2017, RealNVP; Durkan et al.
2019, neural spline flows). The density at temperature ``T`` is

.. math:: \ln q_T(θ) = \ln \mathcal N(f(u); 0, T I) + \ln|\det ∂f/∂u| - \ln|\det C|,

i.e. **the temperature scales the covariance of the Gaussian base distribution by T** (for
every flow and for the classical Gaussian mixture alike). ``T < 1`` concentrates the target
inside the posterior, as the learned harmonic mean needs (McEwen et al. 2021, §5.2); the
density stays normalised for every ``T``. The whitening's log-Jacobian ``-ln|det C|`` is
included, so densities are in the units of θ.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from physml.core.compilation import jit
from physml.harmonic import _couplings
from physml.harmonic._random import key_data, numpy_rng
from physml.harmonic._training import (
    EXTRA_COMPILER_OPTIONS,
    TrainingHistory,
    _bucket,
    train_density,
)
from physml.harmonic._validation import (
    as_float_array,
    check_finite,
    check_fraction,
    check_positive_int,
    check_temperature,
)

__all__ = ["FittedFlow", "FlowEvaluation", "RQSplineFlow", "RealNVPFlow"]

_LN2PI = math.log(2.0 * math.pi)
_CHUNK = 1 << 16
# the fitted map at a set of m points in d dimensions is computed with NumPy when m·d is at
# most this (about 0.1 s on the host; compiling the XLA program takes 0.35-0.5 s, most of it
# hidden behind the training, and it is faster to run: best above this size, measured with
# benchmarks/harmonic/run.py speed)
_HOST_EVALUATION_LIMIT = 1 << 16


def _coupling_masks(d: int, n_layers: int, seed: int = 0) -> tuple[tuple[int, ...], ...]:
    """1 marks the coordinates a layer transforms; pairs of layers use complementary halves."""
    if d == 1:
        return ((1,),) * n_layers
    rng = np.random.default_rng(seed)
    masks = []
    for k in range(n_layers):
        if k % 2 == 0:
            perm = np.arange(d) if k == 0 else rng.permutation(d)
            half = np.zeros(d, dtype=int)
            half[perm[: d // 2]] = 1
            masks.append(tuple(int(v) for v in half))
        else:
            masks.append(tuple(1 - v for v in masks[-1]))
    return tuple(masks)


def _picks(masks: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """One-hot ``[n_layers, n_t, d]``: row t of layer k selects its t-th transformed coordinate.

    ``n_t = max_k Σ mask_k`` (⌈d/2⌉); a layer transforming fewer coordinates has zero rows.
    ``x @ pick.T`` gathers and ``y_t @ pick`` scatters exactly (products with 0 and 1).
    """
    masks = np.asarray(masks)
    n_t = int(masks.sum(1).max())
    out = np.zeros((len(masks), n_t, masks.shape[1]))
    for k, mask in enumerate(masks):
        idx = np.flatnonzero(mask)
        out[k, np.arange(len(idx)), idx] = 1.0
    return out


class _MLP(nnx.Module):
    def __init__(self, d_in, d_out, hidden, n_hidden, *, rngs, dtype):
        sizes = [d_in] + [hidden] * n_hidden
        self.layers = nnx.List(
            [
                nnx.Linear(a, b, rngs=rngs, param_dtype=dtype, dtype=dtype)
                for a, b in itertools.pairwise(sizes)
            ]
        )
        # zero output layer: every coupling starts as the identity map
        self.out = nnx.Linear(
            sizes[-1],
            d_out,
            rngs=rngs,
            kernel_init=nnx.initializers.zeros,
            param_dtype=dtype,
            dtype=dtype,
        )

    def __call__(self, x):
        for layer in self.layers:
            x = jax.nn.gelu(layer(x))
        return self.out(x)


def _transform(kind: str, bound: float, inverse: bool):
    """The elementwise bijection of a coupling layer, ``(x, params, xp) -> (y, ln|dy/dx|)``."""
    if kind == "realnvp":
        return _couplings.affine_inverse if inverse else _couplings.affine_forward
    fn = _couplings.spline_inverse if inverse else _couplings.spline_forward
    return functools.partial(fn, bound=bound)


def _coupling(x, logdet, net, mask, pick, transform, n_t: int, xp):
    """One coupling layer on ``x [..., d]``: the coordinates that ``pick [n_t, d]`` selects are
    transformed with parameters ``net(x masked)``, the others kept; ``logdet`` accumulates."""
    kept = x * (1.0 - mask)
    raw = net(kept).reshape(*x.shape[:-1], n_t, -1)
    valid = xp.sum(pick, -1)  # 0 for the padding rows of a layer with fewer coordinates
    y, ld = transform(x @ pick.T, raw, xp=xp)
    return kept + (valid * y) @ pick, logdet + xp.sum(valid * ld, -1)


def _host_weights(params) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(kernel, bias), ...]`` of the conditioner MLPs, hidden layers first and the output
    layer last, as NumPy arrays stacked over the coupling layers (waits for training)."""
    leaves = {}
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        names = [getattr(p, "key", getattr(p, "name", None)) for p in path]
        leaves[tuple(n for n in names if n not in (None, "value", "nets"))] = np.asarray(leaf)
    hidden = sorted(k[1] for k in leaves if k[0] == "layers" and k[-1] == "kernel")
    layers = [("layers", i) for i in hidden] + [("out",)]
    return [(leaves[(*k, "kernel")], leaves[(*k, "bias")]) for k in layers]


def forward_on_host(config, params, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``z = f(u)`` and ``ln|det ∂f/∂u|`` of a fitted coupling stack, computed with NumPy.

    The same formulas as :meth:`CouplingFlow.forward` (the spline and affine maps of
    :mod:`physml.harmonic._couplings` in their NumPy namespace), in the parameters' dtype:
    it agrees with the compiled forward to floating-point rounding and compiles nothing,
    which makes it the quicker way to map a set of points once right after a fit.
    """
    xp = _couplings.NUMPY
    weights = _host_weights(params)
    dtype = weights[0][0].dtype
    x = np.asarray(u, dtype)
    masks = _coupling_masks(x.shape[-1], config.n_layers)
    picks = _picks(masks).astype(dtype)
    n_t = picks.shape[1]
    transform = _transform(config.kind, float(config.bound), inverse=False)

    def net(k, h):
        for kernel, bias in weights[:-1]:
            h = xp.gelu(h @ kernel[k] + bias[k])
        return h @ weights[-1][0][k] + weights[-1][1][k]

    logdet = np.zeros(x.shape[:-1], dtype)
    for k, mask in enumerate(np.asarray(masks, dtype)):
        net_k = functools.partial(net, k)
        x, logdet = _coupling(x, logdet, net_k, mask, picks[k], transform, n_t, xp)
    return x, logdet


class CouplingFlow(nnx.Module):
    """Stack of coupling layers on whitened coordinates ``u [..., d]`` (an NNX module).

    The conditioners of all layers are stacked along a leading axis (``nnx.vmap``) and the
    layers applied with ``jax.lax.scan``, so compile time does not grow with ``n_layers``.
    A conditioner outputs parameters for the ⌈d/2⌉ coordinates its layer transforms only
    (half the width of the largest matrix and of the spline work of a full-width output).
    """

    def __init__(self, d, *, kind, n_layers, hidden, n_hidden, n_bins, bound, rngs, dtype):
        self.d, self.kind, self.bound, self.dtype = d, kind, float(bound), dtype
        self.n_out = 2 if kind == "realnvp" else 3 * n_bins - 1
        self.masks = _coupling_masks(d, n_layers)
        self.n_t = int(max(sum(m) for m in self.masks))

        @nnx.split_rngs(splits=n_layers)
        @nnx.vmap(in_axes=(0,), out_axes=0)
        def make(r):
            return _MLP(d, self.n_t * self.n_out, hidden, n_hidden, rngs=r, dtype=dtype)

        self.nets = make(rngs)

    def _scan(self, x, inverse):
        graphdef, state = nnx.split(self.nets)
        masks = jnp.asarray(self.masks, dtype=x.dtype)
        picks = jnp.asarray(_picks(self.masks), dtype=x.dtype)
        transform = _transform(self.kind, self.bound, inverse)

        def layer(carry, inputs):
            params, mask, pick = inputs
            net = nnx.merge(graphdef, params)
            return _coupling(*carry, net, mask, pick, transform, self.n_t, _couplings.JAX), None

        init = (x, jnp.zeros(x.shape[:-1], x.dtype))
        (x, logdet), _ = jax.lax.scan(layer, init, (state, masks, picks), reverse=inverse)
        return x, logdet

    def forward(self, u):
        """``z = f(u)`` and ``ln|det ∂f/∂u|``."""
        return self._scan(u, inverse=False)

    def inverse(self, z):
        """``u = f⁻¹(z)`` and ``ln|det ∂f⁻¹/∂z|``."""
        return self._scan(z, inverse=True)

    def log_prob_u(self, u, temperature):
        z, logdet = self.forward(u.astype(self.dtype))
        return _ln_base(jnp.sum(z**2, -1), self.d, temperature, jnp.log) + logdet


def _ln_base(sq_norm, d: int, temperature, log):
    """ln N(z; 0, T I) from ``sq_norm = Σ z²`` (``log``: jnp.log when traced, else math.log)."""
    return -0.5 * sq_norm / temperature - 0.5 * d * (_LN2PI + log(temperature))


def _log_prob_fn(graphdef, params, shift, chol, x, temperature):
    u = jax.scipy.linalg.solve_triangular(chol, (x - shift).T, lower=True).T
    lp = nnx.merge(graphdef, params).log_prob_u(u, temperature)
    return lp.astype(shift.dtype) - jnp.sum(jnp.log(jnp.diag(chol)))


def _sample_fn(graphdef, params, shift, chol, key, n, temperature):
    module = nnx.merge(graphdef, params)
    z = jnp.sqrt(temperature) * jax.random.normal(key, (n, module.d), dtype=module.dtype)
    u, _ = module.inverse(z)
    return shift + u.astype(shift.dtype) @ chol.T


# compiler options are only allowed on an outermost jit: traced calls use the plain functions
_log_prob = jit(_log_prob_fn, static_argnums=0, extra_compiler_options=EXTRA_COMPILER_OPTIONS)
_sample = jit(_sample_fn, static_argnums=(0, 5), extra_compiler_options=EXTRA_COMPILER_OPTIONS)


@dataclasses.dataclass(frozen=True, eq=False)
class FlowEvaluation:
    r"""The fitted map ``z = f(C^{-1}(x - m))`` at given points ``x [n, d]``.

    With ``sq_norm = Σ z²`` and ``log_det = ln|det ∂z/∂u|`` the density at any temperature
    follows without another pass through the network,
    ``ln q_T(x) = -sq_norm/(2T) - d/2 ln(2πT) + log_det - ln|det C|``.
    """

    points: np.ndarray
    sq_norm: np.ndarray
    log_det: np.ndarray

    def matches(self, x: np.ndarray) -> bool:
        return x.shape == self.points.shape and bool(np.array_equal(x, self.points))


@dataclasses.dataclass(frozen=True)
class FittedFlow:
    """A trained flow: ``log_prob(x, temperature)`` and ``sample(key, n, temperature)``.

    Attributes
    ----------
    config : RealNVPFlow or RQSplineFlow
        The hyper-parameters it was built from.
    graphdef, params :
        The Flax NNX graph definition and trained parameters of the coupling stack.
    shift : array ``(d,)``, chol : array ``(d, d)``
        Whitening mean and lower Cholesky factor of the training covariance.
    history : TrainingHistory or None
    evaluated : FlowEvaluation or None
        The fitted map at the points passed to ``fit(..., evaluate=...)``, computed right
        after training; :meth:`log_prob` of exactly these points reads it.
    """

    config: Any
    graphdef: Any
    params: Any
    shift: jax.Array
    chol: jax.Array
    history: TrainingHistory | None = None
    evaluated: FlowEvaluation | None = None

    @property
    def ndim(self) -> int:
        return int(self.shift.shape[0])

    def log_prob(self, x, temperature: float = 1.0) -> np.ndarray:
        """``ln q_T(x)`` for ``x [..., d]``; returns ``[...]`` in the dtype of ``shift``.

        Concrete inputs are evaluated in padded chunks and returned as NumPy; traced inputs
        (inside ``jax.jit`` / ``jax.grad``) return a traced array.
        """
        temperature = check_temperature(temperature)
        x = x if isinstance(x, jax.Array) else np.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.ndim:
            raise ValueError(f"x must have shape [..., {self.ndim}], got {x.shape}")
        if isinstance(x, jax.core.Tracer):  # inside the caller's jit / grad: stay traceable
            flat = x.reshape(-1, self.ndim).astype(self.shift.dtype)
            lp = _log_prob_fn(self.graphdef, self.params, self.shift, self.chol, flat, temperature)
            return lp.reshape(x.shape[:-1])
        flat = np.asarray(x, dtype=self.shift.dtype).reshape(-1, self.ndim)
        if self.evaluated is not None and self.evaluated.matches(flat):
            e = self.evaluated
            ln_det_c = float(np.sum(np.log(np.diag(np.asarray(self.chol)))))
            lp = _ln_base(e.sq_norm, self.ndim, temperature, math.log) + e.log_det - ln_det_c
            return lp.astype(flat.dtype).reshape(x.shape[:-1])
        # evaluate in padded chunks of a few fixed sizes: any number of points reuses one of
        # a handful of compiled programs instead of compiling one per shape
        chunk = min(_CHUNK, _bucket(len(flat), 256))
        out = []
        for start in range(0, len(flat), chunk):
            part = np.zeros((chunk, self.ndim), flat.dtype)
            part[: len(flat) - start] = flat[start : start + chunk]
            lp = _log_prob(self.graphdef, self.params, self.shift, self.chol, part, temperature)
            out.append(np.asarray(lp)[: len(flat) - start])
        return np.concatenate(out).reshape(x.shape[:-1])

    def sample(self, key: jax.Array, n: int, temperature: float = 1.0) -> jax.Array:
        """``n`` draws from ``q_T``, shape ``(n, d)``."""
        n = check_positive_int("n", n)
        temperature = check_temperature(temperature)
        fn = _sample_fn if isinstance(key, jax.core.Tracer) else _sample
        return fn(self.graphdef, self.params, self.shift, self.chol, key, n, temperature)


@functools.lru_cache(maxsize=32)
def _structure(config, d: int):
    """Graph definition and abstract parameters of ``config.build(d)`` (traced once: 0.1 s)."""
    return nnx.split(nnx.eval_shape(lambda: config.build(d, jax.random.key(0))))


def _init(config, d: int, key: jax.Array):
    """Graph definition and initial parameters of ``config.build(d)``, drawn on the host.

    The structure comes from ``nnx.eval_shape`` (tracing only); the weights are LeCun-normal
    kernels, zero biases and a zero output layer (every coupling starts as the identity), drawn
    with NumPy so that initialisation compiles nothing.
    """
    graphdef, abstract = _structure(config, d)
    rng = numpy_rng(key)

    def draw(path, leaf):
        names = [getattr(p, "key", getattr(p, "name", None)) for p in path]
        if "kernel" not in names or "out" in names:
            return jax.device_put(np.zeros(leaf.shape, leaf.dtype))
        w = rng.normal(size=leaf.shape) / math.sqrt(leaf.shape[-2])
        return jax.device_put(w.astype(leaf.dtype))

    return graphdef, jax.tree_util.tree_map_with_path(draw, abstract)


def _whitening(x: np.ndarray):
    shift = x.mean(0)
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    cov = cov + 1e-12 * np.trace(cov) / len(cov) * np.eye(len(cov))
    return shift, np.linalg.cholesky(cov)


def _training_samples(samples) -> np.ndarray:
    if hasattr(samples, "flat_samples"):
        return samples.flat_samples()
    x = as_float_array("samples", samples, 2, "[n, d] (or a Chains)")
    check_finite("samples", x)
    return x


@dataclasses.dataclass(frozen=True)
class _FlowConfig:
    n_layers: int = 4
    hidden: int = 32
    n_hidden: int = 2
    n_bins: int = 8
    bound: float = 5.0
    dtype: str = "float32"

    kind = "base"

    def build(self, d: int, key: jax.Array) -> CouplingFlow:
        """The untrained coupling stack for dimension ``d`` (identity map at initialisation)."""
        return CouplingFlow(
            d,
            kind=self.kind,
            n_layers=self.n_layers,
            hidden=self.hidden,
            n_hidden=self.n_hidden,
            n_bins=self.n_bins,
            bound=self.bound,
            rngs=nnx.Rngs(params=key),
            dtype=jnp.dtype(self.dtype),
        )

    def fit(
        self,
        samples,
        *,
        key: jax.Array,
        epochs: int = 200,
        batch_size: int = 512,
        learning_rate: float = 2e-3,
        weight_decay: float = 1e-4,
        validation_fraction: float = 0.2,
        patience: int = 3,
        min_delta: float = 1e-3,
        progress: bool = True,
        init: FittedFlow | None = None,
        mesh: Mesh | None = None,
        evaluate=None,
    ) -> FittedFlow:
        """Fit by maximum likelihood on ``samples [n, d]`` (or the valid samples of a Chains).

        A random ``validation_fraction`` of the samples is held out; training stops after
        ``patience`` epochs in which the validation loss did not improve by more than
        ``min_delta`` nats per sample, and the parameters with the lowest validation loss are
        kept. Set ``progress=False`` to hide the progress bar. Pass a previous result (e.g.
        one saved with :func:`physml.harmonic.io.save` and loaded again) as ``init`` to resume
        training from its parameters and whitening. Points ``evaluate [m, d]`` (e.g. the
        inference samples of the evidence) are mapped through the fitted flow as part of the
        fit: a small set on the host with NumPy (:func:`forward_on_host`, no compilation), a
        large one by a program that compiles while the training runs (a later ``log_prob``
        would compile its own program after it); the result's ``evaluated`` holds them and
        :meth:`FittedFlow.log_prob` of exactly these points (at any temperature) reads it.
        With a ``mesh`` (:class:`jax.sharding.Mesh`), training is data parallel over its first
        axis: each minibatch is split over the devices, the parameters are replicated and XLA
        all-reduces the gradients; the batch size is rounded up to a multiple of the device
        count.
        """
        x = _training_samples(samples)
        n, d = x.shape
        epochs = check_positive_int("epochs", epochs)
        validation_fraction = check_fraction("validation_fraction", validation_fraction)
        nval = max(1, round(validation_fraction * n))
        if n - nval < 2:
            raise ValueError(f"need at least 3 training samples to fit a flow, got {n}")
        rng = numpy_rng(key)
        if init is None:
            shift, chol = _whitening(x)
            graphdef, params = _init(self, d, rng.integers(0, 2**32, 2, dtype=np.uint32))
        elif init.config != self or init.ndim != d:
            raise ValueError(
                f"init was fitted with {init.config} in d={init.ndim}, not {self} in d={d}"
            )
        else:
            shift, chol = np.asarray(init.shift), np.asarray(init.chol)
            graphdef, params = init.graphdef, init.params
        perm = rng.permutation(n)
        u = np.linalg.solve(chol, (x - shift).T).T.astype(self.dtype)
        u_extra = None
        if evaluate is not None:
            evaluate = as_float_array("evaluate", evaluate, 2, f"[m, {d}]")
            if evaluate.shape[1] != d:
                raise ValueError(f"evaluate must have shape [m, {d}], got {evaluate.shape}")
            check_finite("evaluate", evaluate)
            u_extra = np.linalg.solve(chol, (evaluate - shift).T).T.astype(self.dtype)
        # a small set is mapped on the host after the training (no program to compile); a
        # large one by a compiled program that compiles while the training runs
        on_host = u_extra is not None and u_extra.size <= _HOST_EVALUATION_LIMIT
        params, history, extra = train_density(
            graphdef,
            params,
            u[perm[nval:]],
            u[perm[:nval]],
            key_data=key_data(rng),
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            patience=patience,
            min_delta=min_delta,
            progress=progress,
            mesh=mesh,
            x_extra=None if on_host else u_extra,
        )
        if on_host:
            z, log_det = forward_on_host(self, params, u_extra)
            extra = np.sum(z.astype(np.float64) ** 2, -1), log_det.astype(np.float64)
        evaluated = None if extra is None else FlowEvaluation(evaluate, *extra)
        # with a mesh the parameters come back replicated on it: keep the whitening beside them
        where = None if mesh is None else NamedSharding(mesh, PartitionSpec())
        shift, chol = jax.device_put((shift, chol), where)
        return FittedFlow(self, graphdef, params, shift, chol, history, evaluated)


@dataclasses.dataclass(frozen=True)
class RealNVPFlow(_FlowConfig):
    """RealNVP: affine coupling layers ``u ↦ u e^{s(u')} + t(u')`` (Dinh et al. 2017).

    ``n_layers`` coupling layers, each conditioner an MLP with ``n_hidden`` hidden layers of
    width ``hidden``; ``n_bins``/``bound`` are unused. Call :meth:`fit` to train.
    """

    n_layers: int = 6
    kind = "realnvp"


@dataclasses.dataclass(frozen=True)
class RQSplineFlow(_FlowConfig):
    """Rational-quadratic neural spline flow (Durkan et al. 2019).

    Each coupling layer applies monotone rational-quadratic splines with ``n_bins`` bins on
    ``[-bound, bound]`` (identity outside) to half of the whitened coordinates, conditioned
    on the other half; for ``d = 1`` the splines are unconditional. Call :meth:`fit` to train.
    """

    kind = "rqspline"
