"""DISCO convolution: brute-force quadrature, adjointness, gradients, symmetry, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _fields import GaussianMixture, angles, on_grid, random_rotation, unit_vectors
from jax.test_util import check_grads

import physml.disco as pd
from physml.disco import reference

GRIDS = [
    # (L_in, sampling_in, nside_in, L_out, sampling_out, nside_out)
    (8, "mwss", None, 8, "mwss", None),
    (8, "mwss", None, 4, "mwss", None),
    (6, "dh", None, 6, "gl", None),
    (8, "healpix", 4, 6, "mw", None),
    (6, "gl", None, 6, "healpix", 2),
]
GRID_IDS = ["mwss", "mwss-down", "dh-gl", "healpix-mw", "gl-healpix"]
BASES = [
    pd.FilterBasis("piecewise_linear", (3,)),
    pd.FilterBasis("piecewise_linear", (2, 3)),
    pd.FilterBasis("zernike", (2, 2)),
]
conv = jax.jit(pd.conv, static_argnames="groups")
conv_t = jax.jit(pd.conv_transpose, static_argnames="groups")


def _op(grid, basis, normalization="mean", method="auto", cutoff=0.6):
    L_in, s_in, n_in, L_out, s_out, n_out = grid
    return pd.build(L_in, s_in, L_out, s_out, nside_in=n_in, nside_out=n_out, basis=basis,
                    theta_cutoff=cutoff, normalization=normalization, method=method)  # fmt: skip


def _dense(grid, basis, normalization="mean", cutoff=0.6):
    L_in, s_in, n_in, L_out, s_out, n_out = grid
    theta, phi, _ = reference.pixel_positions(L_out, s_out, n_out)
    return reference.quadrature_matrix(
        theta, phi, L_in, s_in, nside_in=n_in, basis=basis, theta_cutoff=cutoff,
        normalization=normalization,
    )  # fmt: skip


def _apply_dense(A, x, weight, groups, op):
    """Σ_{c,k} W[o,c,k] A_k x_c block by block, in NumPy."""
    x = np.asarray(x)
    xf = x.reshape(*x.shape[: x.ndim - len(op.geometry_in.shape)], -1)
    c_out, c_in_g, _ = weight.shape
    per = c_out // groups
    out = []
    for o in range(c_out):
        g = o // per
        a_o = np.tensordot(weight[o], A, axes=([1], [0]))  # (c_in_g, n_out, n_in)
        out.append(np.einsum("cij,...cj->...i", a_o, xf[..., g * c_in_g : (g + 1) * c_in_g, :]))
    return np.stack(out, -2).reshape(*xf.shape[:-2], c_out, *op.geometry_out.shape)


def _inputs(op, basis, c_in=4, c_out=6, groups=2, batch=(2,), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((*batch, c_in, *op.geometry_in.shape))
    weight = rng.standard_normal((c_out, c_in // groups, basis.size))
    return x, weight


@pytest.mark.parametrize("basis", BASES, ids=lambda b: f"{b.kind}{b.kernel_shape}")
@pytest.mark.parametrize("grid", GRIDS, ids=GRID_IDS)
def test_sparse_operator_equals_dense_brute_force_quadrature(grid, basis):
    op = _op(grid, basis)
    x, weight = _inputs(op, basis)
    out = conv(op, x, weight, groups=2)
    ref = _apply_dense(_dense(grid, basis), x, weight, 2, op)
    assert np.max(np.abs(out - ref)) <= 1e-12 * np.max(np.abs(ref))


@pytest.mark.parametrize("grid", GRIDS[:3], ids=GRID_IDS[:3])
def test_ring_and_coordinate_layouts_agree(grid):
    basis = BASES[1]
    ring, sparse = _op(grid, basis, method="ring"), _op(grid, basis, method="sparse")
    assert isinstance(ring, pd.RingKernel)
    assert isinstance(sparse, pd.SparseKernel)
    x, weight = _inputs(ring, basis)
    np.testing.assert_allclose(conv(ring, x, weight, groups=2), conv(sparse, x, weight, groups=2),
                               rtol=0, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("grid", GRIDS, ids=GRID_IDS)
def test_transpose_is_the_exact_adjoint(grid):
    basis = BASES[0]
    op = _op(grid, basis)
    x, weight = _inputs(op, basis)
    y = np.random.default_rng(1).standard_normal((2, 6, *op.geometry_out.shape))
    lhs = jnp.vdot(conv(op, x, weight, groups=2), y)
    rhs = jnp.vdot(x, conv_t(op, y, weight, groups=2))
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs)
    assert conv_t(op, y, weight, groups=2).shape == x.shape


@pytest.mark.parametrize("grid", [GRIDS[1], GRIDS[3]], ids=["ring", "sparse"])
def test_gradients_match_the_dense_operator_and_pass_check_grads(grid):
    basis = BASES[0]
    op = _op(grid, basis)
    x, weight = _inputs(op, basis, c_in=2, c_out=2, groups=1, batch=())
    A = jnp.asarray(_dense(grid, basis))

    def dense_loss(x, w):
        xf = x.reshape(x.shape[0], -1)
        return jnp.sum(jnp.sin(jnp.einsum("ock,kij,cj->oi", w, A, xf)))

    def loss(x, w):
        return jnp.sum(jnp.sin(pd.conv(op, x, w)))

    grads = jax.jit(jax.grad(loss, argnums=(0, 1)))(x, weight)
    ref = jax.grad(dense_loss, argnums=(0, 1))(jnp.asarray(x), jnp.asarray(weight))
    for g, r in zip(grads, ref, strict=True):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-12 * float(jnp.max(jnp.abs(r))))
    check_grads(jax.jit(loss), (x, weight), order=2, modes=["rev"])
    y = np.random.default_rng(2).standard_normal((2, *op.geometry_out.shape))
    check_grads(jax.jit(lambda y, w: jnp.sum(jnp.sin(pd.conv_transpose(op, y, w)))),
                (y, weight), order=2, modes=["rev"])  # fmt: skip


def test_vmap_over_a_batch_matches_leading_batch_axes():
    basis = BASES[0]
    op = _op(GRIDS[1], basis)
    x, weight = _inputs(op, basis, batch=(3,))
    batched = jax.vmap(lambda xi: pd.conv(op, xi, weight, groups=2))(x)
    np.testing.assert_allclose(batched, conv(op, x, weight, groups=2), atol=1e-13)


def test_float32_agrees_with_float64():
    basis = BASES[0]
    op64 = _op(GRIDS[1], basis)
    op32 = pd.build(8, "mwss", 4, "mwss", basis=basis, theta_cutoff=0.6, dtype=np.float32)
    x, weight = _inputs(op64, basis)
    out32 = conv(op32, x.astype(np.float32), weight.astype(np.float32), groups=2)
    out64 = conv(op64, x, weight, groups=2)
    assert out32.dtype == jnp.float32
    assert np.max(np.abs(out32 - out64)) <= 1e-5 * np.max(np.abs(out64))


@pytest.mark.parametrize("basis", BASES, ids=lambda b: f"{b.kind}{b.kernel_shape}")
def test_azimuthal_rotation_by_a_grid_step_commutes_exactly(basis):
    op = _op(GRIDS[1], basis)  # mwss L=8 (16 longitudes) -> L=4 (8 longitudes): stride 2
    x, weight = _inputs(op, basis)
    rotated = conv(op, np.roll(x, 2, axis=-1), weight, groups=2)
    np.testing.assert_allclose(rotated, np.roll(conv(op, x, weight, groups=2), 1, axis=-1),
                               rtol=0, atol=1e-12)  # fmt: skip


def test_healpix_input_commutes_with_quarter_turns():
    basis = BASES[1]
    op = _op((4, "healpix", 4, 4, "mwss", None), basis)  # output rings of 8 longitudes
    x, weight = _inputs(op, basis, c_in=2, groups=1)
    # φ → φ + π/2 maps every HEALPix ring to itself: roll each ring by a quarter of its length.
    from physml.core import sampling

    g = sampling.grid(4, "healpix", 4)
    perm = np.concatenate([o + np.roll(np.arange(n), n // 4) for o, n in
                           zip(g.ring_offsets, g.ring_lengths, strict=True)])  # fmt: skip
    out = conv(op, x[..., perm], weight)
    np.testing.assert_allclose(out, np.roll(conv(op, x, weight), 2, axis=-1), atol=1e-12)


def _equivariance_error(L, basis, cutoff, seed=3, sampling="mwss", n_points=150):
    """max |conv(R f)(x) − conv(f)(R⁻¹ x)| / max |conv(f)| at on-grid x, with conv(f) at the
    off-grid points R⁻¹ x evaluated by the same quadrature (no interpolation)."""
    op = pd.build(L, sampling, basis=basis, theta_cutoff=cutoff, normalization="none")
    fn, rot = GaussianMixture(seed), random_rotation(seed)
    f_rot = on_grid(fn, L, sampling, rotation=rot)
    weight = np.eye(basis.size)[:, None, :]
    out = np.asarray(conv(op, f_rot.reshape(1, *op.geometry_in.shape), weight))
    out = out.reshape(basis.size, -1)
    theta, phi, _ = reference.pixel_positions(L, sampling)
    idx = np.random.default_rng(seed).choice(theta.size, min(n_points, theta.size), False)
    t_back, p_back = angles(unit_vectors(theta[idx], phi[idx]) @ rot)
    A = reference.quadrature_matrix(t_back, p_back, L, sampling, basis=basis,
                                    theta_cutoff=cutoff, normalization="none")  # fmt: skip
    ref = np.einsum("kij,j->ki", A, on_grid(fn, L, sampling))
    return np.max(np.abs(out[:, idx] - ref)) / np.max(np.abs(ref))


@pytest.mark.parametrize(
    ("basis", "min_order"),
    [(pd.FilterBasis("piecewise_linear", (3,)), 1.5), (pd.FilterBasis("zernike", (3,)), 2.5)],
)
def test_isotropic_equivariance_error_falls_with_resolution_at_fixed_cutoff(basis, min_order):
    errors = [_equivariance_error(L, basis, cutoff=0.4) for L in (8, 16, 32)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders >= min_order), (errors, orders)


def test_directional_filters_are_not_equivariant_under_generic_rotations():
    iso = _equivariance_error(32, pd.FilterBasis("piecewise_linear", (3,)), cutoff=0.4)
    directional = _equivariance_error(32, pd.FilterBasis("piecewise_linear", (3, 4)), cutoff=0.4)
    assert directional > 0.1, directional
    assert directional > 5 * iso, (directional, iso)


@pytest.mark.slow
def test_smooth_isotropic_layer_reaches_1e4_equivariance_at_nlat_128():
    basis = pd.FilterBasis("zernike", (3,))
    assert _equivariance_error(128, basis, cutoff=0.4, n_points=300) <= 1e-4


def test_bad_inputs_raise_clear_errors():
    op = _op(GRIDS[1], BASES[0])
    x, weight = _inputs(op, BASES[0])
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 9, 16\) but needs \(\.\.\., "
                       r"channels=4"):  # fmt: skip
        pd.conv(op, x[:, :3], weight, groups=2)
    with pytest.raises(ValueError, match=r"x has shape .* but needs"):
        pd.conv(op, np.ones((4, 8, 15)), weight, groups=2)
    with pytest.raises(ValueError, match=r"weight has shape \(6, 2, 2\) but needs"):
        pd.conv(op, x, weight[..., :2], groups=2)
    with pytest.raises(ValueError, match="out_channels=6 is not divisible by groups=4"):
        pd.conv(op, np.ones((8, 9, 16)), np.ones((6, 2, 3)), groups=4)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        pd.conv(op, x, weight, groups=0)
    with pytest.raises(ValueError, match=r"y has shape .* channels=6"):
        pd.conv_transpose(op, np.ones((2, 5, 5, 8)), weight, groups=2)
    with pytest.raises(TypeError, match="x must have a real floating dtype"):
        pd.conv(op, x.astype(np.int32), weight, groups=2)
    with pytest.raises(TypeError, match="kernel must be a RingKernel or SparseKernel"):
        pd.conv("op", x, weight, groups=2)
