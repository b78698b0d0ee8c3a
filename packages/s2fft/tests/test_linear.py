"""The transforms as linear maps: adjoints, transposes, derivatives and vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _signals import random_flm
from jax.test_util import check_grads

import physml.s2fft as s2
from physml.core import sampling as core_sampling

SAMPLINGS = ("mw", "mwss", "dh", "gl", "healpix")


def _geometry(sampling):
    return {"sampling": sampling, "nside": 4 if sampling == "healpix" else None}


def _random_map(L, sampling, seed):
    rng = np.random.default_rng(seed)
    shape = core_sampling.f_shape(L, **_geometry(sampling))
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


@pytest.mark.parametrize("sampling", SAMPLINGS)
def test_adjoints_satisfy_the_inner_product_identity(sampling):
    L, spin = 8, 1
    geo = _geometry(sampling)
    flm = random_flm(L, spin, seed=60)
    f = _random_map(L, sampling, 61)
    iters = 2 if sampling == "healpix" else 0
    lhs = np.vdot(s2.forward(f, L, spin, **geo, iter=iters), flm)
    rhs = np.vdot(f, s2.forward_adjoint(flm, L, spin, **geo, iter=iters))
    assert abs(lhs - rhs) < 1e-12 * abs(lhs)
    lhs = np.vdot(s2.inverse(flm, L, spin, **geo), f)
    rhs = np.vdot(flm, s2.inverse_adjoint(f, L, spin, **geo))
    assert abs(lhs - rhs) < 1e-12 * abs(lhs)


@pytest.mark.parametrize(
    "sampling",
    # The ℓ-sums and ring FFTs are shared; mwss/dh/gl differ only in constant weights and
    # matrices, so they run with the slow tests (each order-2 check compiles ~10 programs).
    ["mw", "healpix"] + [pytest.param(s, marks=pytest.mark.slow) for s in ("mwss", "dh", "gl")],
)
def test_transforms_have_order_two_derivatives_forward_and_reverse(sampling):
    L, spin = 8, 2
    geo = _geometry(sampling)
    flm = random_flm(L, spin, seed=62)
    check_grads(lambda x: s2.inverse(x, L, spin, **geo), (flm,), order=2, modes=("fwd", "rev"))
    f = _random_map(L, sampling, 63)
    check_grads(lambda x: s2.forward(x, L, spin, **geo), (f,), order=2, modes=("fwd", "rev"))


def test_gradient_of_a_real_loss_matches_the_adjoint():
    # ∇_{flm} ||inverse(flm)||² = 2 · inverse_adjoint(inverse(flm)) (conjugate convention of jax).
    L = 8
    flm = random_flm(L, 0, seed=64)
    grad = jax.grad(lambda x: jnp.sum(jnp.abs(s2.inverse(x, L, sampling="gl")) ** 2))(flm)
    expected = 2 * s2.inverse_adjoint(s2.inverse(flm, L, sampling="gl"), L, sampling="gl")
    np.testing.assert_allclose(np.conj(grad), expected, atol=1e-12)


def test_linear_transpose_and_vmap_of_the_inverse():
    L, spin = 8, -1
    flm = random_flm(L, spin, batch=(3,), seed=65)
    batched = jax.vmap(lambda x: s2.inverse(x, L, spin))(flm)
    np.testing.assert_allclose(batched, s2.inverse(flm, L, spin), atol=1e-13)
    f = _random_map(L, "mw", 66)
    (transposed,) = jax.linear_transpose(lambda x: s2.inverse(x, L, spin), flm[0])(f)
    expected = np.conj(s2.inverse_adjoint(np.conj(f), L, spin))
    np.testing.assert_allclose(transposed, expected, atol=1e-12)


def test_jit_of_the_public_functions_compiles_once_per_configuration():
    L = 8
    inverse = jax.jit(lambda x: s2.inverse(x, L, 2, "dh"))
    forward = jax.jit(lambda x: s2.forward(x, L, 2, "dh"))
    flm = random_flm(L, 2, seed=67)
    assert np.max(np.abs(forward(inverse(flm)) - flm)) < 1e-12


@pytest.mark.parametrize(("layout_forward", "spin"), [(False, 2), (True, 0)])
def test_precompute_derivatives_equal_the_on_the_fly_ones_in_either_layout(layout_forward, spin):
    # Reverse mode transposes the kernel product into the other orientation: both layouts
    # must give the on-the-fly method's vector-Jacobian and Jacobian-vector products.
    L = 6
    args = {"spin": spin, "reality": spin == 0}
    kernels = s2.precompute_kernels(L, **args, forward=layout_forward)
    pre = {"method": "precompute", "precomps": kernels}
    flm = random_flm(L, spin, reality=spin == 0, seed=68)
    f = s2.inverse(flm, L, **args)
    rng = np.random.default_rng(69)
    w_map, w_flm = rng.normal(size=f.shape), rng.normal(size=flm.shape)
    for transform, x, w in ((s2.inverse, flm, w_map), (s2.forward, f, w_flm)):

        def loss(x, transform=transform, w=w, **method):
            return jnp.sum(w * jnp.abs(transform(x, L, **args, **method)) ** 2)

        np.testing.assert_allclose(
            jax.grad(loss)(x, **pre), jax.grad(loss)(x), atol=1e-10 * np.abs(x).max()
        )
        _, tangent = jax.jvp(lambda x, t=transform: t(x, L, **args, **pre), (x,), (x,))
        np.testing.assert_allclose(tangent, transform(x, L, **args), atol=1e-12)
