r"""Linear measurement operators with exact adjoints, as JAX pytrees.

Every operator maps real images of shape ``in_shape`` to data of shape ``out_shape`` (real or
complex) and has an ``adjoint`` that is exact for the real inner product
:math:`\langle u, v\rangle = \mathrm{Re}\sum_i \bar u_i v_i`, i.e.
:math:`\langle \Phi x, y\rangle = \langle x, \Phi^\dagger y\rangle`.
``tight`` is :math:`\nu` when :math:`\Phi\Phi^\dagger = \nu I` (enables the exact projection
onto the likelihood ball) and ``None`` otherwise.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from physml.proxnest._validation import check_int


class LinearOperator:
    """Interface: ``forward``, ``adjoint``, ``in_shape``, ``out_shape``, ``tight``."""

    @property
    def in_shape(self) -> tuple[int, ...]:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def out_shape(self) -> tuple[int, ...]:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def tight(self) -> float | None:
        """``ν`` with ``ΦΦ† = νI``, or ``None``."""
        return None

    @property
    def orthonormal(self) -> bool:
        """True when ``Φ†Φ = ΦΦ† = I``."""
        return False

    @property
    def complex_output(self) -> bool:
        return False

    def forward(self, x: jax.Array) -> jax.Array:  # pragma: no cover - interface
        raise NotImplementedError

    def adjoint(self, y: jax.Array) -> jax.Array:  # pragma: no cover - interface
        raise NotImplementedError

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.forward(x)


class SameShapeOperator(LinearOperator):
    """An operator whose data have the image's shape (``self.shape``)."""

    shape: tuple[int, ...]

    @property
    def in_shape(self) -> tuple[int, ...]:
        return tuple(self.shape)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(self.shape)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Identity(SameShapeOperator):
    """``Φ = I`` on images of shape ``shape`` (denoising)."""

    shape: tuple[int, ...] = dataclasses.field(metadata={"static": True})

    @property
    def tight(self) -> float | None:
        return 1.0

    @property
    def orthonormal(self) -> bool:
        return True

    def forward(self, x: jax.Array) -> jax.Array:
        return x

    def adjoint(self, y: jax.Array) -> jax.Array:
        return y


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class MatrixOperator(LinearOperator):
    """A dense real matrix ``A`` of shape ``(m, prod(in_shape))`` acting on flattened images."""

    matrix: jax.Array
    shape: tuple[int, ...] = dataclasses.field(metadata={"static": True})

    @classmethod
    def create(cls, matrix, in_shape: tuple[int, ...]):
        matrix = jnp.asarray(matrix)
        if matrix.ndim != 2 or matrix.shape[1] != int(np.prod(in_shape)):
            raise ValueError(
                f"matrix has shape {matrix.shape} but in_shape={tuple(in_shape)} needs "
                f"(m, {int(np.prod(in_shape))})"
            )
        return cls(matrix=matrix, shape=tuple(int(s) for s in in_shape))

    @property
    def in_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.matrix.shape[0],)

    def forward(self, x: jax.Array) -> jax.Array:
        return self.matrix @ x.reshape(-1)

    def adjoint(self, y: jax.Array) -> jax.Array:
        return (self.matrix.T @ y).reshape(self.shape)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class MaskedFourier(LinearOperator):
    r"""Masked orthonormal 2-D Fourier sampling :math:`\Phi x = (F x)_{\Omega}`.

    ``F`` is the unitary DFT (``norm="ortho"``); the data are the complex coefficients at the
    flat indices ``Ω`` (row-major). For real images the adjoint is
    :math:`\Phi^\dagger y = \mathrm{Re}\, F^{-1} M^\top y`. Because ``Φ`` acts on real images,
    ``ΦΦ†`` is not the identity in general (Hermitian symmetry), so ``tight`` is ``None``.
    """

    indices: jax.Array
    shape: tuple[int, int] = dataclasses.field(metadata={"static": True})

    @classmethod
    def create(cls, mask) -> MaskedFourier:
        """From a boolean ``(ny, nx)`` mask of sampled frequencies (numpy FFT ordering)."""
        mask = np.asarray(mask)
        if mask.ndim != 2 or mask.dtype != bool:
            raise TypeError(f"mask must be a 2-D boolean array, got {mask.dtype} {mask.shape}")
        if not mask.any():
            raise ValueError("mask selects no frequency")
        return cls(indices=jnp.asarray(np.flatnonzero(mask)), shape=mask.shape)

    @classmethod
    def random(cls, key: jax.Array, shape: tuple[int, int], fraction: float) -> MaskedFourier:
        """A uniformly random mask keeping ``round(fraction * ny * nx)`` frequencies."""
        n = int(np.prod(shape))
        m = check_int(round(fraction * n), "round(fraction * ny * nx)")
        idx = jax.random.choice(key, n, (m,), replace=False)
        return cls(indices=jnp.sort(idx), shape=tuple(shape))

    @property
    def in_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.indices.shape[0],)

    @property
    def complex_output(self) -> bool:
        return True

    def forward(self, x: jax.Array) -> jax.Array:
        return jnp.fft.fft2(x, norm="ortho").reshape(-1)[self.indices]

    def adjoint(self, y: jax.Array) -> jax.Array:
        full = jnp.zeros(int(np.prod(self.shape)), dtype=y.dtype).at[self.indices].set(y)
        return jnp.fft.ifft2(full.reshape(self.shape), norm="ortho").real


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Blur(SameShapeOperator):
    r"""Periodic convolution with a real kernel, :math:`\Phi x = k \circledast x`.

    The kernel's centre ``(ky // 2, kx // 2)`` is the origin. The adjoint is the periodic
    correlation, applied as multiplication by :math:`\overline{\hat k}` in Fourier space.
    """

    transfer: jax.Array
    shape: tuple[int, int] = dataclasses.field(metadata={"static": True})

    @classmethod
    def create(cls, kernel, shape: tuple[int, int]) -> Blur:
        kernel = np.asarray(kernel, dtype=float)
        if kernel.ndim != 2 or kernel.shape[0] > shape[0] or kernel.shape[1] > shape[1]:
            raise ValueError(f"kernel has shape {kernel.shape}; it must be 2-D and fit {shape}")
        padded = np.zeros(shape)
        padded[: kernel.shape[0], : kernel.shape[1]] = kernel
        padded = np.roll(padded, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), (0, 1))
        return cls(transfer=jnp.asarray(np.fft.fft2(padded)), shape=tuple(shape))

    @classmethod
    def gaussian(cls, shape: tuple[int, int], width: float, size: int | None = None) -> Blur:
        """Normalised Gaussian kernel of standard deviation ``width`` pixels."""
        largest_odd = min(shape) - (1 - min(shape) % 2)
        size = size or min(2 * int(np.ceil(3 * width)) + 1, largest_odd)
        r = np.arange(size) - size // 2
        k = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * width**2))
        return cls.create(k / k.sum(), shape)

    def forward(self, x: jax.Array) -> jax.Array:
        fx = jnp.fft.fft2(x)
        return jnp.fft.ifft2(fx * self.transfer.astype(fx.dtype)).real

    def adjoint(self, y: jax.Array) -> jax.Array:
        fy = jnp.fft.fft2(y)
        return jnp.fft.ifft2(fy * jnp.conj(self.transfer).astype(fy.dtype)).real


def inner(u: jax.Array, v: jax.Array) -> jax.Array:
    """Real inner product ``Re Σ conj(u) v`` used for adjoints of complex-valued data."""
    return jnp.real(jnp.vdot(u, v))


def operator_norm(
    phi: LinearOperator, key: jax.Array, *, n_iter: int = 200, dtype=jnp.float64
) -> jax.Array:
    r"""Spectral norm :math:`\|\Phi\|_2` by power iteration on :math:`\Phi^\dagger\Phi`.

    Args:
        phi: the operator.
        key: PRNG key for the random start.
        n_iter: number of iterations (converges like :math:`(\sigma_2/\sigma_1)^{2k}`).

    Returns:
        scalar estimate of the largest singular value (from below).
    """
    n_iter = check_int(n_iter, "n_iter")
    x0 = jax.random.normal(key, phi.in_shape, dtype)

    def body(_, x):
        z = phi.adjoint(phi.forward(x))
        return z / jnp.linalg.norm(z)

    x = jax.lax.fori_loop(0, n_iter, body, x0 / jnp.linalg.norm(x0))
    return jnp.linalg.norm(phi.forward(x))
