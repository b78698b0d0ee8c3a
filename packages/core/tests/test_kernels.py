"""Pallas kernels agree with their pure-JAX fallbacks and with dense references.

The Pallas kernel runs through the Pallas interpreter (``interpret=True``) on CPU; the
dispatcher would pick it on a GPU.  References are dense matrices assembled with NumPy's
unbuffered ``np.add.at`` from the coordinate form, independent of the row-padded layout.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from physml.core import disco_kernels, kernels

BACKENDS = [("xla", False), ("pallas", True)]


def _coo(seed=0, K=3, n_out=37, n_in=29, nnz=200):
    """Random operator with repeated (row, col) pairs and empty rows."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n_out - 5, nnz)  # the last 5 rows stay empty
    cols = rng.integers(0, n_in, nnz)
    rows[:10], cols[:10] = 3, 7  # one pair repeated ten times
    return rng.normal(size=(K, nnz)), rows, cols, n_out, n_in


def _dense(values, rows, cols, n_out, n_in):
    dense = np.zeros((values.shape[0], n_out, n_in))
    np.add.at(dense, (slice(None), rows, cols), values)
    return dense


@pytest.mark.parametrize(("backend", "interpret"), BACKENDS)
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
@pytest.mark.parametrize("is_complex", [False, True])
def test_ell_contract_equals_the_dense_operator(backend, interpret, batch, is_complex):
    values, rows, cols, n_out, n_in = _coo()
    kernel = kernels.to_ell(values, rows, cols, n_out, n_in, block_rows=8)
    rng = np.random.default_rng(1)
    u = rng.normal(size=(*batch, n_in))
    if is_complex:
        u = u + 1j * rng.normal(size=u.shape)
    out = kernels.ell_contract(u, kernel, backend=backend, interpret=interpret)
    expected = np.einsum("kri,...i->...kr", _dense(values, rows, cols, n_out, n_in), u)
    assert out.shape == (*batch, 3, n_out)
    # Sums of ≤ 20 O(1) products: float64 rounding ~1e-15.
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize(("dtype", "atol"), [(np.float32, 1e-5), (np.float64, 1e-13)])
def test_pallas_kernel_agrees_with_fallback_on_a_disco_operator(dtype, atol):
    sparse = disco_kernels.build(6, "mw", 6, "healpix", nside_out=2, method="sparse")
    kernel = kernels.from_sparse_kernel(sparse)
    assert kernel.n_out == 48
    assert kernel.n_in == 6 * 11
    u = jnp.asarray(np.random.default_rng(2).normal(size=(5, kernel.n_in)), dtype)
    fallback = kernels.ell_contract(u, kernel, backend="xla")
    pallas = kernels.ell_contract(u, kernel, backend="pallas", interpret=True)
    assert pallas.dtype == fallback.dtype
    np.testing.assert_allclose(pallas, fallback, rtol=0, atol=atol)
    dense = _dense(
        np.asarray(sparse.values),
        np.asarray(sparse.rows),
        np.asarray(sparse.cols),
        kernel.n_out,
        kernel.n_in,
    )
    expected = np.einsum("kri,bi->bkr", dense, np.asarray(u, np.float64))
    np.testing.assert_allclose(fallback, expected, rtol=0, atol=50 * atol)


def test_gradients_of_kernel_and_fallback_agree_and_are_correct():
    values, rows, cols, n_out, n_in = _coo(seed=3, nnz=60)
    kernel = kernels.to_ell(values, rows, cols, n_out, n_in, block_rows=8)
    u = np.random.default_rng(4).normal(size=(2, n_in))

    def loss(backend, interpret):
        return lambda x: jnp.sum(
            jnp.sin(kernels.ell_contract(x, kernel, backend=backend, interpret=interpret))
        )

    g_pallas = jax.grad(loss("pallas", True))(u)
    g_xla = jax.grad(loss("xla", False))(u)
    np.testing.assert_allclose(g_pallas, g_xla, rtol=0, atol=1e-13)
    check_grads(loss("pallas", True), (u,), order=2, modes=["rev"])
    check_grads(loss("xla", False), (u,), order=2, modes=["fwd", "rev"])


def test_dispatcher_uses_pallas_only_on_a_gpu():
    assert kernels.use_pallas("auto") == (jax.default_backend() == "gpu")
    assert kernels.use_pallas("pallas")
    assert not kernels.use_pallas("xla")


def test_bad_input_raises_clear_errors():
    values, rows, cols, n_out, n_in = _coo()
    with pytest.raises(ValueError, match=r"values must have shape \(K, nnz\)"):
        kernels.to_ell(values[0], rows, cols, n_out, n_in)
    with pytest.raises(TypeError, match="values must be real"):
        kernels.to_ell(values.astype(complex), rows, cols, n_out, n_in)
    with pytest.raises(ValueError, match=r"rows must lie in \[0, 10\)"):
        kernels.to_ell(values, rows, cols, 10, n_in)
    with pytest.raises(TypeError, match="cols must be integer"):
        kernels.to_ell(values, rows, cols.astype(float), n_out, n_in)
    with pytest.raises(ValueError, match=r"cols must have shape \(200,\)"):
        kernels.to_ell(values, rows, cols[:5], n_out, n_in)
    with pytest.raises(ValueError, match="n_in must be a positive integer"):
        kernels.to_ell(values, rows, cols, n_out, 0)
    kernel = kernels.to_ell(values, rows, cols, n_out, n_in)
    with pytest.raises(ValueError, match=r"u must have shape \(\.\.\., 29\)"):
        kernels.ell_contract(np.ones(5), kernel)
    with pytest.raises(TypeError, match="kernel must be an EllKernel"):
        kernels.ell_contract(np.ones(29), values)
    with pytest.raises(ValueError, match="backend='cuda' is not one of"):
        kernels.ell_contract(np.ones(29), kernel, backend="cuda")
