r"""Proximal operators :math:`\mathrm{prox}_{\lambda f}(x) = \arg\min_z \tfrac12\|z - x\|^2 +
\lambda f(z)` used by the sampler and the priors.

Closed forms are used where they exist (soft thresholding in an orthonormal basis, positivity,
projection onto the likelihood ball of a tight operator); otherwise the problem is solved by
an accelerated (FISTA, Beck & Teboulle 2009) forward-backward iteration on its Fenchel dual,
with a fixed number of iterations so that the result is a deterministic, jit-able function.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from physml.proxnest.operators import LinearOperator


def soft_threshold(x: jax.Array, threshold: jax.Array | float) -> jax.Array:
    r"""Prox of :math:`t\|\cdot\|_1`: :math:`\mathrm{sign}(x)\max(|x| - t, 0)`."""
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0.0)


def prox_positivity(x: jax.Array) -> jax.Array:
    """Projection onto the non-negative orthant (prox of its indicator)."""
    return jnp.maximum(x, 0.0)


def _fista_dual(x, apply_t, apply, project, step, n_iter):
    """FISTA on the dual of ``min_z ½‖z − x‖² + h(Az)``: ``z = x − A†u``.

    ``project(v)`` must return ``prox_{step·h*}(v)``.
    """
    u0 = jnp.zeros_like(apply(x))

    def body(_, carry):
        u, v, t = carry
        z = x - apply_t(v)
        u_new = project(v + step * apply(z))
        t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * t * t))
        v_new = u_new + ((t - 1.0) / t_new) * (u_new - u)
        return u_new, v_new, t_new

    u, _, _ = jax.lax.fori_loop(0, n_iter, body, (u0, u0, jnp.asarray(1.0, x.real.dtype)))
    return x - apply_t(u)


def prox_l1(
    x: jax.Array,
    threshold: jax.Array | float,
    basis: LinearOperator,
    *,
    n_iter: int = 200,
    norm_sq: float | None = None,
) -> jax.Array:
    r"""Prox of :math:`t\|Wx\|_1` for an analysis operator :math:`W`.

    Exact, :math:`W^\dagger\,\mathrm{soft}(Wx, t)`, when ``basis.orthonormal``; otherwise
    dual FISTA: :math:`u \leftarrow \mathrm{clip}(u + \gamma W(x - W^\dagger u), -t, t)` with
    :math:`\gamma = 1/\|W\|^2` (Combettes & Pesquet 2011).

    Args:
        x: image, ``basis.in_shape``.
        threshold: :math:`t \ge 0`.
        basis: the analysis operator ``W``.
        n_iter: dual iterations (non-orthonormal ``W`` only).
        norm_sq: :math:`\|W\|^2` (power iteration result); required when not orthonormal.
    """
    if basis.orthonormal:
        return basis.adjoint(soft_threshold(basis.forward(x), threshold))
    if norm_sq is None:
        raise ValueError("prox_l1 with a non-orthonormal basis needs norm_sq = ‖W‖²")

    def project(v):
        return jnp.clip(v, -threshold, threshold)

    return _fista_dual(x, basis.adjoint, basis.forward, project, 1.0 / norm_sq, n_iter)


def project_l2_ball(
    x: jax.Array,
    y: jax.Array,
    phi: LinearOperator,
    radius: jax.Array | float,
    *,
    n_iter: int = 200,
    norm_sq: float | None = None,
) -> jax.Array:
    r"""Projection onto the likelihood ball :math:`\{z : \|y - \Phi z\| \le \varepsilon\}`.

    For a tight operator (:math:`\Phi\Phi^\dagger = \nu I`) the projection is exact:

    .. math::

        P(x) = x + \nu^{-1}\Phi^\dagger\big(1 - \varepsilon/\|r\|\big)_+ r,\quad r = y - \Phi x.

    Otherwise it is solved by dual FISTA on :math:`\min_z \tfrac12\|z - x\|^2 +
    \iota_{B(y,\varepsilon)}(\Phi z)` (Carrillo, McEwen & Wiaux 2012) with
    :math:`\mathrm{prox}_{\gamma h^*}(v) = v - \gamma P_B(v/\gamma)`.

    Args:
        x: image, ``phi.in_shape``.
        y: data, ``phi.out_shape``.
        phi: measurement operator.
        radius: :math:`\varepsilon = \sqrt{2\sigma^2\tau}`.
        n_iter: dual iterations (non-tight ``phi`` only).
        norm_sq: :math:`\|\Phi\|^2`; required when ``phi`` is not tight.
    """

    def ball(v):
        r = v - y
        nr = jnp.sqrt(jnp.sum(jnp.abs(r) ** 2))
        return y + r * jnp.minimum(1.0, radius / jnp.maximum(nr, 1e-300))

    if phi.tight is not None:
        r = y - phi.forward(x)
        nr = jnp.sqrt(jnp.sum(jnp.abs(r) ** 2))
        scale = jnp.maximum(1.0 - radius / jnp.maximum(nr, 1e-300), 0.0) / phi.tight
        return x + phi.adjoint(scale * r)
    if norm_sq is None:
        raise ValueError("project_l2_ball with a non-tight phi needs norm_sq = ‖Φ‖²")
    gamma = 1.0 / norm_sq

    def project(v):
        return v - gamma * ball(v / gamma)

    return _fista_dual(x, phi.adjoint, phi.forward, project, gamma, n_iter)
