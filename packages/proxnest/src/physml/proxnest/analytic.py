r"""Closed-form evidences used to validate the sampler (likelihood ``exp(-‖y − Φx‖²/2σ²)``).

Gaussian prior :math:`\mathcal N(m, s^2 I)`: with :math:`A = \Phi^\top\Phi/\sigma^2 + I/s^2`,
:math:`b = \Phi^\top y/\sigma^2 + m/s^2`,

.. math:: \ln Z = \tfrac12 b^\top A^{-1} b - \tfrac12\ln\det A - \tfrac d2\ln s^2
          - \|y\|^2/2\sigma^2 - \|m\|^2/2s^2.

Laplace prior :math:`(\mu/2)^d e^{-\mu\|Wx\|_1}` with orthonormal ``W`` and ``Φ = I`` separates
over :math:`b = Wy`:

.. math:: Z = \prod_i \frac{\mu}{2}\sigma\sqrt{\frac\pi2}\, e^{\mu^2\sigma^2/2}
   \Big[e^{-\mu b_i}\,\mathrm{erfc}\Big(\frac{\mu\sigma^2 - b_i}{\sqrt2\sigma}\Big)
   + e^{\mu b_i}\,\mathrm{erfc}\Big(\frac{\mu\sigma^2 + b_i}{\sqrt2\sigma}\Big)\Big].
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr

from physml.proxnest.operators import Identity, LinearOperator


def dense_matrix(phi: LinearOperator) -> np.ndarray:
    """``Φ`` as a real matrix on flattened images (complex outputs as ``[Re; Im]``)."""
    n = int(np.prod(phi.in_shape))
    basis = jnp.eye(n).reshape((n, *phi.in_shape))
    cols = np.asarray(jax.vmap(phi.forward)(basis)).reshape(n, -1).T
    if phi.complex_output:
        cols = np.concatenate([cols.real, cols.imag])
    return cols


def gaussian_ln_evidence(y, phi: LinearOperator, sigma: float, std: float, mean=0.0) -> float:
    """ln Z for a Gaussian prior ``N(mean, std² I)`` and any linear ``phi``.

    Dense linear algebra (small d), except for ``phi = Identity``, where the evidence
    separates: :math:`\\ln Z = \\sum_i \\tfrac12\\ln\\frac{\\sigma^2}{s^2 + \\sigma^2}
    - \\frac{(y_i - m_i)^2}{2(s^2 + \\sigma^2)}` (any d).
    """
    if isinstance(phi, Identity):
        v = std**2 + sigma**2
        r = np.asarray(y, float) - np.broadcast_to(np.asarray(mean, float), np.shape(y))
        return float(np.sum(0.5 * np.log(sigma**2 / v) - r**2 / (2 * v)))
    A_phi = dense_matrix(phi)
    y = np.asarray(y).ravel()
    y = np.concatenate([y.real, y.imag]) if np.iscomplexobj(y) else y
    d = A_phi.shape[1]
    m = (
        np.broadcast_to(np.asarray(mean, float), (d,)).ravel()
        if np.ndim(mean) == 0
        else (np.asarray(mean, float).ravel())
    )
    A = A_phi.T @ A_phi / sigma**2 + np.eye(d) / std**2
    b = A_phi.T @ y / sigma**2 + m / std**2
    _, logdet = np.linalg.slogdet(A)
    return float(
        0.5 * b @ np.linalg.solve(A, b)
        - 0.5 * logdet
        - 0.5 * d * np.log(std**2)
        - 0.5 * y @ y / sigma**2
        - 0.5 * m @ m / std**2
    )


def laplace_ln_evidence(y, basis: LinearOperator, sigma: float, mu: float) -> float:
    """ln Z for ``Φ = I`` and the Laplace prior ``(μ/2)^d exp(-μ‖Wx‖₁)``, ``W`` orthonormal."""
    if not basis.orthonormal:
        raise ValueError("laplace_ln_evidence needs an orthonormal basis")
    b = basis.forward(jnp.asarray(y)).ravel()
    a = mu * sigma**2
    t1 = -mu * b + log_ndtr((b - a) / sigma)
    t2 = mu * b + log_ndtr(-(b + a) / sigma)
    per = (
        np.log(mu / 2)
        + np.log(sigma)
        + 0.5 * np.log(np.pi / 2)
        + 0.5 * a * mu
        + np.log(2.0)
        + jnp.logaddexp(t1, t2)
    )
    return float(jnp.sum(per))
