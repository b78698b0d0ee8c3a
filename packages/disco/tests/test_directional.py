"""Directional DISCO with orientations carried: quadrature on SO(3) and rotation equivariance."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _fields import GaussianMixture, on_grid, random_rotation, unit_vectors
from flax import nnx

import physml.disco as pd
from physml.disco import directional, reference


def _euler_matrices(phi, theta, gamma):
    """Q = R_z(φ) R_y(θ) R_z(γ) for arrays of angles: (n, 3, 3)."""

    def rz(a):
        c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
        return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                         np.stack([z, z, o], -1)], -2)  # fmt: skip

    c, s = np.cos(theta), np.sin(theta)
    z, o = np.zeros_like(theta), np.ones_like(theta)
    ry = np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                   np.stack([-s, z, c], -1)], -2)  # fmt: skip
    return rz(phi) @ ry @ rz(gamma)


def _so3_quadrature(frames, fn_values, L, sampling, base, cutoff):
    """Σ_j w_j ψ_k(Q⁻¹ y_j) f(y_j) for rotation matrices Q (independent of the ring builder)."""
    theta, phi, w = reference.pixel_positions(L, sampling)
    y = unit_vectors(theta, phi)
    out = []
    for q in frames:
        v = y @ q  # rows Qᵀ y = Q⁻¹ y
        r = np.arctan2(np.hypot(v[:, 0], v[:, 1]), v[:, 2])
        out.append(base(r / cutoff, np.arctan2(v[:, 1], v[:, 0])) @ (w * fn_values))
    return np.stack(out, -1)  # (K, n_points)


def _so3_error(L, base, cutoff=0.4, n_orient=4, seed=5, sampling="mwss", n_points=60):
    """Relative max |conv(Rf)(Q) − conv(f)(R⁻¹Q)| over random grid points Q = (φ, θ, γ_n)."""
    op = pd.build(L, sampling, basis=directional.OrientedBasis(base.kind, base.kernel_shape,
                  n_orient), theta_cutoff=cutoff, normalization="none")  # fmt: skip
    fn, rot = GaussianMixture(seed), random_rotation(seed)
    weight = np.eye(base.size)[:, None, :]
    out = np.asarray(directional.conv_so3(op, on_grid(fn, L, sampling, rotation=rot)
                                          .reshape(1, *op.geometry_in.shape), weight))  # fmt: skip
    out = out.reshape(base.size, n_orient, -1)  # (K, N, pixels)
    theta, phi, _ = reference.pixel_positions(L, sampling)
    rng = np.random.default_rng(seed)
    pix, orient = rng.integers(0, theta.size, n_points), rng.integers(0, n_orient, n_points)
    frames = _euler_matrices(phi[pix], theta[pix], 2 * np.pi * orient / n_orient)
    ref = _so3_quadrature(rot.T @ frames, on_grid(fn, L, sampling), L, sampling, base, cutoff)
    return np.max(np.abs(out[:, orient, pix] - ref)) / np.max(np.abs(ref))


def test_orientations_equal_the_quadrature_with_rotated_frames_without_rotation():
    # With R = identity the comparison is exact: each γ_n column is the quadrature with frame
    # R_z(φ) R_y(θ) R_z(γ_n), computed from rotation matrices instead of the ring builder.
    base = pd.FilterBasis("piecewise_linear", (3, 4))
    op = pd.build(8, "mwss", basis=directional.OrientedBasis("piecewise_linear", (3, 4), 3),
                  theta_cutoff=0.7, normalization="none")  # fmt: skip
    fn = GaussianMixture(1)
    f = on_grid(fn, 8, "mwss")
    out = np.asarray(directional.conv_so3(op, f.reshape(1, 9, 16), np.eye(base.size)[:, None]))
    theta, phi, _ = reference.pixel_positions(8, "mwss")
    for n in range(3):
        frames = _euler_matrices(phi, theta, np.full_like(phi, 2 * np.pi * n / 3))
        ref = _so3_quadrature(frames, f, 8, "mwss", base, 0.7)
        np.testing.assert_allclose(out[:, n].reshape(base.size, -1), ref, rtol=0,
                                   atol=1e-12 * np.max(np.abs(ref)))  # fmt: skip


def test_so3_valued_directional_layer_is_equivariant_to_generic_rotations():
    # Orientations carried: the error falls with resolution like the isotropic layer's
    # (test_convolution: ≥ 1.5 orders for piecewise-linear hats) — unlike the S²-valued
    # directional layer, whose error stays O(1) (test_directional_filters_are_not_equivariant…).
    base = pd.FilterBasis("zernike", (2, 2))
    errors = np.array([_so3_error(L, base) for L in (8, 16, 32)])
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all(orders >= 1.5), (errors, orders)
    assert errors[-1] < 0.05, errors


def test_so3_layer_shapes_bias_and_gradients():
    layer = directional.DiscoConvSO3(
        2, 3, L_in=8, sampling_in="mwss", L_out=4, n_orientations=6, dtype=jnp.float64,
        rngs=nnx.Rngs(0),
    )  # fmt: skip
    layer.bias[...] = jnp.arange(3.0)
    x = np.random.default_rng(0).standard_normal((5, 2, 9, 16))
    y = layer(x)
    assert y.shape == (5, 3, 6, 5, 8)
    kernel = layer.kernel.get_value()
    ref = directional.conv_so3(kernel, x, layer.weight[...]) + jnp.arange(3.0)[:, None, None, None]
    np.testing.assert_allclose(y, ref, atol=1e-14)
    pooled = directional.orientation_pool(y)
    np.testing.assert_allclose(pooled, y.max(axis=2))
    grads = nnx.grad(lambda m: jnp.sum(directional.orientation_pool(m(x), kind="mean") ** 2))(layer)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))


def test_directional_bad_input_raises():
    with pytest.raises(ValueError, match="n_orientations must be a positive integer"):
        directional.OrientedBasis("piecewise_linear", (2, 3), 0)
    with pytest.raises(ValueError, match="kernel_shape must be directional"):
        directional.DiscoConvSO3(1, 1, L_in=8, kernel_shape=(3,), rngs=nnx.Rngs(0))
    op = pd.build(8, "mwss", theta_cutoff=0.5)
    with pytest.raises(TypeError, match="kernel must be built with an OrientedBasis"):
        directional.conv_so3(op, np.ones((1, 9, 16)), np.ones((1, 1, 3)))
    op = pd.build(8, "mwss", basis=directional.OrientedBasis("piecewise_linear", (2, 3), 2))
    with pytest.raises(ValueError, match=r"weight has shape \(1, 1, 8\) but needs"):
        directional.conv_so3(op, np.ones((1, 9, 16)), np.ones((1, 1, 8)))
    with pytest.raises(ValueError, match="kind='min' is not one of"):
        directional.orientation_pool(jnp.ones((1, 2, 3, 4)), kind="min")
