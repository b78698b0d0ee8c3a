import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import pywt

from physml.proxnest.wavelets import DaubechiesWavelet2D, daubechies_filter


@pytest.mark.parametrize("order", range(1, 11))
def test_filter_equals_pywavelets_rec_lo(order):
    np.testing.assert_allclose(
        daubechies_filter(order), pywt.Wavelet(f"db{order}").rec_lo, atol=1e-13
    )


@pytest.mark.parametrize("order", range(1, 11))
def test_filter_is_orthonormal_with_p_vanishing_moments(order):
    h = daubechies_filter(order)
    for m in range(order):
        shifted = np.sum(h[2 * m :] * h[: len(h) - 2 * m])
        assert shifted == pytest.approx(1.0 if m == 0 else 0.0, abs=1e-13)
    g = (-1.0) ** np.arange(len(h)) * h[::-1]
    k = np.arange(len(h), dtype=float)
    for moment in range(order):
        # High-pass kills polynomials of degree < p; relative to the scale of k**moment.
        assert abs(np.sum(g * k**moment)) <= 1e-10 * len(h) ** moment


@pytest.mark.parametrize("order", range(1, 9))
@pytest.mark.parametrize(("shape", "levels"), [((32, 32), 3), ((16, 32), 2), ((8, 8), 1)])
def test_analysis_equals_pywavelets_periodization(order, shape, levels):
    rng = np.random.default_rng(order)
    x = rng.normal(size=shape)
    W = DaubechiesWavelet2D.create(shape, order=order, levels=levels)
    coeffs = pywt.wavedec2(x, f"db{order}", mode="periodization", level=levels)
    ref, _ = pywt.coeffs_to_array(coeffs)
    np.testing.assert_allclose(W.forward(jnp.asarray(x)), ref, atol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 5, 8])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_perfect_reconstruction_and_energy_preservation(order, dtype):
    tol = 1e-12 if dtype == jnp.float64 else 2e-5
    x = jax.random.normal(jax.random.key(order), (32, 16), dtype)
    W = DaubechiesWavelet2D.create((32, 16), order=order, levels=3)
    c = W.forward(x)
    assert c.dtype == dtype
    np.testing.assert_allclose(W.adjoint(c), x, atol=tol * 10)
    assert float(jnp.sum(c**2)) == pytest.approx(float(jnp.sum(x**2)), rel=tol)


def test_wavelet_transform_is_linear_under_jit_and_vmap():
    W = DaubechiesWavelet2D.create((16, 16), order=3, levels=2)
    xs = jax.random.normal(jax.random.key(0), (3, 16, 16))
    batched = jax.jit(jax.vmap(W.forward))(xs)
    np.testing.assert_allclose(batched[1], W.forward(xs[1]), atol=1e-13)


def test_bad_wavelet_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="divisible by 2\\*\\*levels = 8"):
        DaubechiesWavelet2D.create((12, 16), order=2, levels=3)
    with pytest.raises(ValueError, match="order must be <= 20"):
        daubechies_filter(25)
    with pytest.raises(TypeError, match="order must be an integer"):
        daubechies_filter(2.5)


def test_float32_images_stay_float32_without_dtype_warnings():
    # The float64 filters must not upcast (a float64 → float32 scatter warns in JAX ≥ 0.4.3x).
    W = DaubechiesWavelet2D.create((8, 8), order=4, levels=2)
    x = jax.random.normal(jax.random.key(0), (8, 8), jnp.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        c = W.forward(x)
        back = W.adjoint(c)
    assert c.dtype == jnp.float32
    assert back.dtype == jnp.float32
    # Orthonormal: perfect reconstruction to float32 round-off (~1e-6 relative).
    np.testing.assert_allclose(back, x, atol=1e-5)
