r"""Prior objects for proximal nested sampling.

A prior :math:`\pi(x) \propto e^{-f(x)}` supplies

- ``neg_log_density(x)``: :math:`f(x)` up to a constant (used by the Metropolis correction;
  ``None`` for priors known only through a score, ``has_density = False``);
- ``drift(x, lam)``: :math:`\nabla\log\pi` or its Moreau–Yosida approximation
  :math:`-(x - \mathrm{prox}_{\lambda f}(x))/\lambda` (Durmus, Moulines & Pereyra 2018);
- ``lipschitz(lam)``: the Lipschitz constant of ``drift`` (Langevin stability needs
  :math:`\delta < 2/L`);
- ``sample(key, n)``: ``n`` exact prior draws where possible (``exact_sampler = True``).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from physml.proxnest._validation import check_positive
from physml.proxnest.operators import LinearOperator
from physml.proxnest.prox import prox_l1
from physml.proxnest.tv import prox_tv, tv_norm


class Prior:
    """Interface of the priors (see the module docstring)."""

    has_density: bool = True
    exact_sampler: bool = False

    @property
    def shape(self) -> tuple[int, ...]:  # pragma: no cover - interface
        raise NotImplementedError

    def neg_log_density(self, x: jax.Array) -> jax.Array:  # pragma: no cover - interface
        raise NotImplementedError

    def drift(self, x: jax.Array, lam: jax.Array) -> jax.Array:  # pragma: no cover
        raise NotImplementedError

    def lipschitz(self, lam: jax.Array) -> jax.Array:
        return 1.0 / lam

    def sample(self, key: jax.Array, n: int) -> jax.Array:
        raise NotImplementedError(f"{type(self).__name__} has no exact sampler")


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class GaussianPrior(Prior):
    r"""i.i.d. Gaussian prior :math:`x \sim \mathcal N(m, s^2 I)`; the drift is exact."""

    std: jax.Array
    mean: jax.Array
    image_shape: tuple[int, ...] = dataclasses.field(metadata={"static": True})
    exact_sampler = True

    @classmethod
    def create(cls, shape: tuple[int, ...], std: float = 1.0, mean=0.0) -> GaussianPrior:
        check_positive(std, "std")
        return cls(jnp.asarray(std, float), jnp.asarray(mean, float), tuple(shape))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.image_shape

    def neg_log_density(self, x):
        return 0.5 * jnp.sum((x - self.mean) ** 2) / self.std**2

    def drift(self, x, lam):
        return -(x - self.mean) / self.std**2

    def lipschitz(self, lam):
        return 1.0 / self.std**2

    def sample(self, key, n):
        return self.mean + self.std * jax.random.normal(key, (n, *self.shape))


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class LaplaceWaveletPrior(Prior):
    r"""Sparsity prior :math:`\pi(x) \propto \exp(-\mu\|Wx\|_1)` in an analysis basis ``W``.

    For an orthonormal ``W`` the coefficients are i.i.d. Laplace with scale :math:`1/\mu`, the
    prox is soft thresholding and exact prior draws are :math:`W^\dagger c`.
    """

    mu: jax.Array
    basis: LinearOperator
    norm_sq: float | None = dataclasses.field(default=None, metadata={"static": True})
    n_iter: int = dataclasses.field(default=100, metadata={"static": True})

    @classmethod
    def create(cls, basis: LinearOperator, mu: float, norm_sq: float | None = None):
        check_positive(mu, "mu")
        if not basis.orthonormal and norm_sq is None:
            raise ValueError("a non-orthonormal basis needs norm_sq = ‖W‖² (operator_norm)")
        return cls(jnp.asarray(mu, float), basis, norm_sq)

    @property
    def exact_sampler(self) -> bool:  # type: ignore[override]
        return self.basis.orthonormal

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.basis.in_shape)

    def neg_log_density(self, x):
        return self.mu * jnp.sum(jnp.abs(self.basis.forward(x)))

    def prox(self, x, lam):
        return prox_l1(x, lam * self.mu, self.basis, n_iter=self.n_iter, norm_sq=self.norm_sq)

    def drift(self, x, lam):
        return -(x - self.prox(x, lam)) / lam

    def sample(self, key, n):
        if not self.basis.orthonormal:
            return super().sample(key, n)
        c = jax.random.laplace(key, (n, *self.basis.out_shape)) / self.mu
        return jax.vmap(self.basis.adjoint)(c)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class TVPrior(Prior):
    r"""Total-variation prior :math:`\pi(x) \propto \exp(-\mu\,\mathrm{TV}(x) - \|x\|^2/2s^2)`.

    The weak Gaussian term (``std`` :math:`s`) makes the prior proper (TV alone is constant
    along constant images). Its prox is exact given the TV prox:
    :math:`\mathrm{prox}_{\lambda f}(x) = \mathrm{prox}_{\lambda\mu/(1+\lambda/s^2)\,\mathrm{TV}}
    (x/(1+\lambda/s^2))`. No exact sampler: initial draws come from an unconstrained chain.
    """

    mu: jax.Array
    std: jax.Array
    image_shape: tuple[int, int] = dataclasses.field(metadata={"static": True})
    n_iter: int = dataclasses.field(default=50, metadata={"static": True})

    @classmethod
    def create(cls, shape: tuple[int, int], mu: float, std: float = 10.0, n_iter: int = 50):
        check_positive(mu, "mu")
        check_positive(std, "std")
        return cls(jnp.asarray(mu, float), jnp.asarray(std, float), tuple(shape), n_iter)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.image_shape

    def neg_log_density(self, x):
        return self.mu * tv_norm(x) + 0.5 * jnp.sum(x**2) / self.std**2

    def prox(self, x, lam):
        shrink = 1.0 + lam / self.std**2
        return prox_tv(x / shrink, lam * self.mu / shrink, n_iter=self.n_iter)

    def drift(self, x, lam):
        return -(x - self.prox(x, lam)) / lam
