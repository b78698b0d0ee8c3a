"""Every validation error, with the message it gives."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from physml.core import validation as v


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: v.validate_L(True), TypeError, "L must be an integer band-limit, got True"),
        (lambda: v.validate_L(-3), ValueError, "L must be a band-limit >= 1, got L=-3"),
        (lambda: v.validate_sampling(3), TypeError, "sampling must be a string"),
        (lambda: v.validate_sampling("MWx"), ValueError, "sampling='MWx' is not one of"),
        (lambda: v.validate_nside(None), ValueError, "needs nside"),
        (lambda: v.validate_nside(2.0), TypeError, "nside must be an integer power of two"),
        (lambda: v.validate_nside(6), ValueError, "nside must be a power of two >= 1, got nside=6"),
        (lambda: v.validate_nside(2, L=7), ValueError, "L=7 is too large for nside=2"),
        (lambda: v.validate_spin(1.5, 4), TypeError, "spin must be an integer, got 1.5"),
        (lambda: v.validate_spin(-4, 4), ValueError, "spin=-4 needs \\|spin\\| < L, but L=4"),
        (lambda: v.validate_N("3", 4), TypeError, "N \\(number of directions\\) must be an int"),
        (lambda: v.validate_N(0, 4), ValueError, "N=0 directions needs 1 <= N <= L"),
        (
            lambda: v.validate_dtype(np.zeros(3, bool), name="flm"),
            TypeError,
            "flm must have a floating or complex dtype, got bool",
        ),
        (
            lambda: v.validate_dtype(np.zeros(3, complex), name="f", complex_ok=False),
            TypeError,
            "f must have a real floating dtype, got complex128",
        ),
        (
            lambda: v.check_finite(np.array([1.0, np.nan, np.inf]), name="f"),
            ValueError,
            "f contains 2 NaN or inf value\\(s\\)",
        ),
        (
            lambda: v.validate_shape(
                np.zeros((32, 63)), (33, 65), name="f", context="sampling='mw' with L=33"
            ),
            ValueError,
            r"f has shape \(32, 63\) but sampling='mw' with L=33 needs \(33, 65\)",
        ),
        (
            lambda: v.validate_geometry(4, "gl", nside=2),
            ValueError,
            "nside=2 is only meaningful for sampling='healpix'",
        ),
    ],
)
def test_each_validation_error_names_argument_and_expectation(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_valid_arguments_pass_and_are_normalised():
    assert v.validate_geometry(np.int64(4), "GL") == (4, "gl", 0)
    assert v.validate_geometry(6, "healpix", 2) == (6, "healpix", 2)
    assert v.validate_spin(-3, 4) == -3
    v.validate_shape(np.zeros((2, 3, 4)), (3, 4), name="f", context="x", batch_ok=True)
    v.check_finite(np.ones(3), name="f")


def test_value_checks_are_skipped_under_tracing_but_shape_checks_are_not():
    @jax.jit
    def f(x):
        v.check_finite(x, name="x")
        v.check_hermitian(x, 2, name="x")
        return x

    f(jnp.array([[np.nan, 1.0, 2.0], [0.0, 1.0, 2.0]]))  # no error: values unknown at trace time

    @jax.jit
    def g(x):
        v.validate_shape(x, (3,), name="x", context="here")
        return x

    with pytest.raises(ValueError, match="x has shape"):
        g(jnp.zeros(4))


def test_hermitian_check_accepts_real_field_coefficients_and_rejects_others():
    L = 3
    flm = np.zeros((L, 2 * L - 1), complex)
    flm[1, L - 1 + 1] = 1 + 2j
    flm[1, L - 1 - 1] = -(1 - 2j)  # (-1)^1 conj
    flm[2, L - 1] = 0.5
    v.check_hermitian(flm, L)
    flm[2, L - 1] = 0.5j
    with pytest.raises(ValueError, match="flm is not Hermitian .* but reality=True"):
        v.check_hermitian(flm, L)
