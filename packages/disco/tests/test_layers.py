"""Flax NNX layers: agreement with the functional API, adjointness, pooling, the U-Net."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _fields import GaussianMixture, on_grid
from flax import nnx

import physml.disco as pd
from physml.core import quadrature


def test_disco_conv_is_the_functional_convolution_plus_bias():
    layer = pd.DiscoConv(4, 6, L_in=8, sampling_in="mwss", L_out=4, groups=2,
                         dtype=jnp.float64, rngs=nnx.Rngs(0))  # fmt: skip
    layer.bias[...] = jnp.arange(6.0)
    x = np.random.default_rng(0).standard_normal((3, 4, 9, 16))
    kernel = layer.kernel.get_value()
    ref = pd.conv(kernel, x, layer.weight[...], groups=2) + jnp.arange(6.0)[:, None, None]
    np.testing.assert_allclose(layer(x), ref, atol=1e-14)
    assert layer(x).shape == (3, 6, 5, 8)


def test_groups_are_independent_blocks():
    layer = pd.DiscoConv(4, 4, L_in=6, sampling_in="gl", groups=2, use_bias=False,
                         dtype=jnp.float64, rngs=nnx.Rngs(1))  # fmt: skip
    x = np.random.default_rng(1).standard_normal((4, 6, 11))
    kernel, w = layer.kernel.get_value(), layer.weight[...]
    first = pd.conv(kernel, x[:2], w[:2])
    second = pd.conv(kernel, x[2:], w[2:])
    np.testing.assert_allclose(layer(x), jnp.concatenate([first, second]), atol=1e-14)


def test_transpose_layer_is_the_adjoint_of_the_forward_layer():
    down = pd.DiscoConv(3, 5, L_in=8, sampling_in="mwss", L_out=4, use_bias=False,
                        dtype=jnp.float64, rngs=nnx.Rngs(2))  # fmt: skip
    up = pd.DiscoConvTranspose(5, 3, L_in=4, sampling_in="mwss", L_out=8, use_bias=False,
                               dtype=jnp.float64, rngs=nnx.Rngs(3))  # fmt: skip
    up.weight[...] = down.weight[...]
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((3, 9, 16)), rng.standard_normal((5, 5, 8))
    lhs, rhs = jnp.vdot(down(x), y), jnp.vdot(x, up(y))
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs)


def test_healpix_layer_downsamples_to_an_equiangular_grid():
    layer = pd.DiscoConv(2, 3, L_in=8, sampling_in="healpix", nside_in=4, L_out=4,
                         sampling_out="mw", dtype=jnp.float64, rngs=nnx.Rngs(4))  # fmt: skip
    assert isinstance(layer.kernel.get_value(), pd.SparseKernel)
    assert layer(jnp.ones((2, 192))).shape == (3, 4, 7)


def test_mean_pooling_integrates_band_limited_signals_exactly():
    L = 8
    theta = np.pi * np.arange(L + 1) / L
    x = np.broadcast_to((2.0 + np.cos(theta) + np.cos(theta) ** 2)[:, None], (L + 1, 2 * L))
    # (1/4π) ∫ (2 + cos θ + cos² θ) dΩ = 2 + 0 + 1/3
    np.testing.assert_allclose(pd.SphericalMeanPool(L, "mwss")(x), 2 + 1 / 3, rtol=1e-14)
    w = quadrature.healpix_ring_weights(4)
    assert w.size == 15
    np.testing.assert_allclose(pd.spherical_mean(jnp.ones(192), 8, "healpix", 4), 1.0, rtol=1e-13)


def test_avg_pool_preserves_constants_and_averages_locally():
    pool = pd.DiscoAvgPool(L_in=16, sampling_in="mwss", L_out=8, dtype=jnp.float64)
    x = 3.0 * jnp.ones((2, 17, 32))
    np.testing.assert_allclose(pool(x), 3.0, rtol=1e-13)
    f = on_grid(GaussianMixture(0), 16, "mwss").reshape(17, 32)
    pooled = pool(f[None])[0]
    assert pooled.min() >= f.min() - 1e-12
    assert pooled.max() <= f.max() + 1e-12


def test_unet_commutes_with_coarse_grid_azimuthal_steps_and_trains():
    net = pd.SphericalUNet(2, 3, L=16, depth=2, width=4, dtype=jnp.float64, rngs=nnx.Rngs(5))
    x = np.random.default_rng(3).standard_normal((2, 2, 17, 32))
    forward = nnx.jit(lambda m, x: m(x))
    out = forward(net, x)
    assert out.shape == (2, 3, 17, 32)
    # One step of the coarsest grid (L = 4, 8 longitudes) is 4 fine longitudes.
    np.testing.assert_allclose(forward(net, np.roll(x, 4, -1)), np.roll(out, 4, -1), atol=1e-12)
    loss = nnx.jit(nnx.value_and_grad(lambda m: jnp.mean((m(x) - 1.0) ** 2)))
    value, grads = loss(net)
    leaves = jax.tree.leaves(nnx.state(grads, nnx.Param))
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    assert sum(float(jnp.sum(g**2)) for g in leaves) > 0
    assert len(jax.tree.leaves(nnx.state(net, pd.DiscoKernelVariable))) > 0
    assert np.isfinite(float(value))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"in_channels": 3, "out_channels": 4, "groups": 2}, "must both be divisible by groups=2"),
        ({"in_channels": 0, "out_channels": 4}, "in_channels must be a positive integer"),
        ({"in_channels": 2, "out_channels": 4, "groups": 0}, "groups must be a positive integer"),
        ({"in_channels": 2, "out_channels": 4, "theta_cutoff": 4.0}, "theta_cutoff must lie in"),
    ],
)
def test_layers_reject_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pd.DiscoConv(**kwargs, L_in=8, sampling_in="mwss", rngs=nnx.Rngs(0))


def test_unet_rejects_band_limit_not_divisible_by_depth():
    with pytest.raises(ValueError, match="must be divisible by 2\\*\\*depth"):
        pd.SphericalUNet(1, 1, L=12, depth=3, rngs=nnx.Rngs(0))
