import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import ndimage

from physml.proxnest.operators import (
    Blur,
    Identity,
    MaskedFourier,
    MatrixOperator,
    inner,
    operator_norm,
)
from physml.proxnest.wavelets import DaubechiesWavelet2D

SHAPE = (16, 8)


def _operators():
    rng = np.random.default_rng(0)
    mask = rng.random(SHAPE) < 0.4
    return {
        "identity": Identity(SHAPE),
        "fourier": MaskedFourier.create(mask),
        "blur": Blur.create(rng.random((3, 5)), SHAPE),
        "matrix": MatrixOperator.create(rng.normal(size=(20, 128)), SHAPE),
        "db4": DaubechiesWavelet2D.create(SHAPE, order=4, levels=2),
    }


def _random_data(rng, phi):
    y = rng.normal(size=phi.out_shape)
    if phi.complex_output:
        y = y + 1j * rng.normal(size=phi.out_shape)
    return jnp.asarray(y)


@pytest.mark.parametrize("name", list(_operators()))
def test_adjoint_satisfies_dot_product_identity(name):
    phi = _operators()[name]
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(size=SHAPE))
    y = _random_data(rng, phi)
    lhs = inner(phi.forward(x), y)
    rhs = inner(x, phi.adjoint(y))
    assert phi.forward(x).shape == phi.out_shape
    assert phi.adjoint(y).shape == phi.in_shape
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))


@pytest.mark.parametrize("name", list(_operators()))
def test_operator_norm_matches_largest_singular_value(name):
    phi = _operators()[name]
    n = int(np.prod(SHAPE))
    basis = jnp.eye(n).reshape((n, *SHAPE))
    dense = np.asarray(jax.vmap(phi.forward)(basis)).reshape(n, -1).T
    if phi.complex_output:
        dense = np.concatenate([dense.real, dense.imag])
    expected = np.linalg.norm(dense, 2)
    got = operator_norm(phi, jax.random.key(0), n_iter=500)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_blur_equals_scipy_periodic_convolution():
    rng = np.random.default_rng(2)
    kernel = rng.random((3, 5))
    x = rng.normal(size=SHAPE)
    got = Blur.create(kernel, SHAPE).forward(jnp.asarray(x))
    # scipy.ndimage.convolve centres the kernel at (ky // 2, kx // 2) like Blur.
    ref = ndimage.convolve(x, kernel, mode="wrap")
    np.testing.assert_allclose(got, ref, atol=1e-13)


def test_masked_fourier_equals_numpy_unitary_fft():
    rng = np.random.default_rng(3)
    mask = rng.random(SHAPE) < 0.5
    x = rng.normal(size=SHAPE)
    got = MaskedFourier.create(mask).forward(jnp.asarray(x))
    np.testing.assert_allclose(got, np.fft.fft2(x, norm="ortho")[mask], atol=1e-13)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_operators_keep_precision(dtype):
    x = jnp.ones(SHAPE, dtype)
    for phi in _operators().values():
        if isinstance(phi, MatrixOperator):
            continue
        assert phi.adjoint(phi.forward(x)).dtype == dtype


def test_operators_are_pytrees_under_jit():
    phi = _operators()["fourier"]
    x = jnp.ones(SHAPE)
    f = jax.jit(lambda op, v: op.adjoint(op.forward(v)))
    np.testing.assert_allclose(f(phi, x), phi.adjoint(phi.forward(x)))


def test_bad_operator_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"matrix has shape \(3, 5\) but in_shape"):
        MatrixOperator.create(np.ones((3, 5)), (2, 2))
    with pytest.raises(TypeError, match="mask must be a 2-D boolean array"):
        MaskedFourier.create(np.ones((4, 4)))
    with pytest.raises(ValueError, match="mask selects no frequency"):
        MaskedFourier.create(np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match="kernel has shape"):
        Blur.create(np.ones((9, 9)), (4, 4))
