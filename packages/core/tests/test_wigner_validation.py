"""Bad arguments to physml.core.wigner fail early with messages that name the argument."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from physml.core import wigner


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: wigner.wigner_d_rows(0, 0.1, 0), ValueError, "L must be a band-limit >= 1"),
        (lambda: wigner.wigner_d_rows(2.5, 0.1, 0), TypeError, "L must be an integer"),
        (lambda: wigner.wigner_d_rows(4, 0.1, 4), ValueError, r"n=4 needs \|n\| < L, but L=4"),
        (lambda: wigner.wigner_d_rows(4, 0.1, -7), ValueError, r"n=-7 needs \|n\| < L"),
        (lambda: wigner.wigner_d_rows(4, 0.1, 1.5), TypeError, "n must be an integer"),
        (lambda: wigner.wigner_d_rows(4, 0.1, True), TypeError, "n must be an integer"),
        (
            lambda: wigner.wigner_d_rows(4, jnp.ones((2, 2)), 0),
            ValueError,
            r"beta must be a scalar or a 1-D array of angles, got shape \(2, 2\)",
        ),
        (
            lambda: wigner.wigner_d_rows(4, jnp.array([0.1j]), 0),
            TypeError,
            "beta must be real",
        ),
        (
            lambda: wigner.wigner_d_rows(4, jnp.array([0.1, jnp.nan]), 0),
            ValueError,
            r"beta contains 1 NaN or inf",
        ),
        (
            lambda: wigner.wigner_d_matrix(4, jnp.array([0.1, 0.2])),
            ValueError,
            r"beta must be a scalar angle, got an array of shape \(2,\)",
        ),
        (
            lambda: wigner.wigner_d_rows(4, 0.1, 0, dtype=jnp.int32),
            TypeError,
            "dtype must be float32 or float64, got int32",
        ),
        (
            lambda: wigner.wigner_d_rows(4, 0.1, 0, dtype=jnp.float16),
            TypeError,
            "dtype must be float32 or float64, got float16",
        ),
        (
            lambda: wigner.delta_step(jnp.zeros((5, 5)), 1, 4),
            ValueError,
            r"delta_prev has shape \(5, 5\) but L=4 needs \(7, 7\)",
        ),
        (
            lambda: wigner.wigner_d_from_delta(jnp.zeros((3, 4)), 0.1),
            ValueError,
            r"delta_ell has shape \(3, 4\) but must be a square \(2L-1, 2L-1\) matrix",
        ),
        (
            lambda: wigner.delta_matrices(2000),
            ValueError,
            "L=2000 is too large for the Δ = d\\(π/2\\) recursion in float64",
        ),
        (
            lambda: wigner.delta_matrices(200, dtype=jnp.float32),
            ValueError,
            "L=200 is too large for the Δ = d\\(π/2\\) recursion in float32",
        ),
    ],
)
def test_bad_arguments_raise_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_traced_n_must_be_an_integer():
    with pytest.raises(TypeError, match="n must be an integer scalar, got a traced float"):
        jax.vmap(lambda n: wigner.wigner_d_rows(4, 0.1, n))(jnp.array([0.0, 1.0]))


def test_float64_without_x64_is_refused():
    with jax.enable_x64(False), pytest.raises(ValueError, match="dtype=float64 needs 64-bit JAX"):
        wigner.wigner_d_rows(4, 0.1, 0, dtype=np.float64)


def test_default_dtype_follows_the_x64_flag():
    def shape_of_rows():
        return jax.eval_shape(lambda: wigner.wigner_d_rows(3, 0.1, 0))

    assert shape_of_rows().dtype == jnp.float64
    with jax.enable_x64(False):
        assert shape_of_rows().dtype == jnp.float32
