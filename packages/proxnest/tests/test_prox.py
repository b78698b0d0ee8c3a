import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from physml.proxnest.operators import Blur, Identity, MaskedFourier, MatrixOperator, operator_norm
from physml.proxnest.prox import project_l2_ball, prox_l1, prox_positivity
from physml.proxnest.tv import gradient, gradient_adjoint, prox_tv, prox_tv_dual, tv_norm
from physml.proxnest.wavelets import DaubechiesWavelet2D

SHAPE = (8, 8)


def test_prox_l1_orthonormal_satisfies_subgradient_optimality():
    # 0 ∈ z − x + t W†∂‖·‖₁(Wz): W(x − z)/t = sign(Wz) where Wz ≠ 0, in [−1, 1] elsewhere.
    W = DaubechiesWavelet2D.create(SHAPE, order=3, levels=2)
    x = jax.random.normal(jax.random.key(0), SHAPE)
    t = 0.7
    z = prox_l1(x, t, W)
    u = W.forward(x - z) / t
    c = W.forward(z)
    active = jnp.abs(c) > 1e-12
    assert int(active.sum()) > 0
    assert int((~active).sum()) > 0
    np.testing.assert_allclose(u[active], jnp.sign(c[active]), atol=1e-12)
    assert float(jnp.max(jnp.abs(u[~active]))) <= 1 + 1e-12


def test_prox_l1_redundant_frame_closes_the_duality_gap():
    # P(z) = ½‖z−x‖² + t‖Wz‖₁ ≥ D(u) = ½‖x‖² − ½‖x − W†u‖² for all ‖u‖∞ ≤ t (weak duality).
    rng = np.random.default_rng(1)
    W = MatrixOperator.create(rng.normal(size=(40, 16)), (4, 4))
    x = jnp.asarray(rng.normal(size=(4, 4)))
    t = 0.3
    norm_sq = float(operator_norm(W, jax.random.key(1))) ** 2
    z = jax.jit(lambda v: prox_l1(v, t, W, n_iter=3000, norm_sq=norm_sq))(x)
    primal = 0.5 * jnp.sum((z - x) ** 2) + t * jnp.sum(jnp.abs(W.forward(z)))
    # Brute force: the primal at z is the minimum of a convex function found by a generic solver.
    res = optimize.minimize(
        lambda v: 0.5 * np.sum((v - x.ravel()) ** 2) + t * np.abs(W.matrix @ v).sum(),
        np.asarray(z).ravel(),
        method="Powell",
        options={"xtol": 1e-10, "ftol": 1e-14, "maxiter": 20000},
    )
    assert float(primal) <= res.fun + 1e-7
    assert float(primal) >= res.fun - 1e-4


def test_prox_positivity_satisfies_kkt():
    x = jax.random.normal(jax.random.key(2), SHAPE)
    z = prox_positivity(x)
    assert float(z.min()) >= 0
    assert float((z - x).min()) >= 0
    assert float(jnp.max(jnp.abs(z * (z - x)))) == 0.0


def test_gradient_adjoint_is_exact():
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.normal(size=(5, 7)))
    p = jnp.asarray(rng.normal(size=(2, 5, 7)))
    lhs = jnp.sum(gradient(x) * p)
    rhs = jnp.sum(x * gradient_adjoint(p))
    assert abs(float(lhs - rhs)) < 1e-12


@pytest.mark.parametrize("weight", [0.05, 0.3, 2.0])
def test_prox_tv_closes_the_duality_gap(weight):
    # Primal ½‖z−x‖² + λTV(z) and dual ½‖x‖² − ½‖x − λ∇ᵀp‖² (|p| ≤ 1) bound each other.
    x = jax.random.normal(jax.random.key(4), (6, 6))
    p = prox_tv_dual(x, weight, n_iter=4000)
    z = prox_tv(x, weight, n_iter=4000)
    assert float(jnp.max(jnp.sqrt(jnp.sum(p**2, axis=0)))) <= 1 + 1e-12
    primal = 0.5 * jnp.sum((z - x) ** 2) + weight * tv_norm(z)
    dual = 0.5 * jnp.sum(x**2) - 0.5 * jnp.sum((x - weight * gradient_adjoint(p)) ** 2)
    assert float(dual) <= float(primal) + 1e-12
    assert float(primal - dual) < 1e-6 * float(primal)


def test_prox_tv_matches_brute_force_minimiser_at_tiny_size():
    x = jax.random.normal(jax.random.key(5), (3, 3))
    weight = 0.2
    z = prox_tv(x, weight, n_iter=5000)

    def objective(v):
        v = v.reshape(3, 3)
        d0 = np.vstack([np.diff(v, axis=0), np.zeros((1, 3))])
        d1 = np.hstack([np.diff(v, axis=1), np.zeros((3, 1))])
        return 0.5 * np.sum((v - np.asarray(x)) ** 2) + weight * np.sum(np.hypot(d0, d1))

    res = optimize.minimize(
        objective, np.asarray(x).ravel(), method="Powell", options={"xtol": 1e-10, "ftol": 1e-15}
    )
    assert objective(np.asarray(z).ravel()) <= res.fun + 1e-9


def _ball_reference(A, x, y, eps):
    """KKT: z(μ) = (I + μAᵀA)⁻¹(x + μAᵀy) with ‖y − Az(μ)‖ = ε, μ by root finding."""
    n = A.shape[1]

    def z_of(mu):
        return np.linalg.solve(
            np.eye(n) + mu * (A.conj().T @ A).real, x + mu * (A.conj().T @ y).real
        )

    def excess(log_mu):
        return np.linalg.norm(y - A @ z_of(np.exp(log_mu))) - eps

    if excess(-60) <= 0:
        return x
    return z_of(np.exp(optimize.brentq(excess, -60, 60, xtol=1e-14)))


def _dense(phi):
    n = int(np.prod(phi.in_shape))
    basis = jnp.eye(n).reshape((n, *phi.in_shape))
    return np.asarray(jax.vmap(phi.forward)(basis)).reshape(n, -1).T


@pytest.mark.parametrize("name", ["identity", "wavelet", "matrix", "fourier", "blur"])
def test_project_l2_ball_matches_kkt_reference(name):
    rng = np.random.default_rng(6)
    phi = {
        "identity": Identity(SHAPE),
        "wavelet": DaubechiesWavelet2D.create(SHAPE, order=2, levels=2),
        "matrix": MatrixOperator.create(rng.normal(size=(30, 64)) / 8, SHAPE),
        "fourier": MaskedFourier.create(rng.random(SHAPE) < 0.5),
        "blur": Blur.gaussian(SHAPE, 1.0),
    }[name]
    x = jnp.asarray(rng.normal(size=SHAPE))
    y = phi.forward(jnp.asarray(rng.normal(size=SHAPE)))
    eps = 0.5 * float(jnp.linalg.norm(y - phi.forward(x)))
    norm_sq = float(operator_norm(phi, jax.random.key(0))) ** 2
    project = jax.jit(lambda v, e: project_l2_ball(v, y, phi, e, n_iter=3000, norm_sq=norm_sq))
    z = project(x, eps)
    A = _dense(phi)
    ref = _ball_reference(A, np.asarray(x).ravel(), np.asarray(y).ravel(), eps)
    tol = 1e-12 if phi.tight is not None else 1e-6
    np.testing.assert_allclose(np.asarray(z).ravel(), ref, atol=tol)
    # A point already inside the ball is left unchanged.
    inside = project(z, 1.01 * eps)
    np.testing.assert_allclose(inside, z, atol=tol)


def test_iterative_prox_needs_operator_norm():
    W = MatrixOperator.create(np.ones((3, 4)), (2, 2))
    with pytest.raises(ValueError, match="needs norm_sq"):
        prox_l1(jnp.ones((2, 2)), 0.1, W)
    with pytest.raises(ValueError, match="needs norm_sq"):
        project_l2_ball(jnp.ones((2, 2)), jnp.ones(3), W, 0.1)
