"""Tests of the sparse DISCO operator against brute-force geometry with rotation matrices."""

import math

import numpy as np
import pytest

from physml.core import disco_kernels as dk
from physml.core import quadrature, sampling


def _vectors(theta, phi):
    st = np.sin(theta)
    return np.stack([st * np.cos(phi), st * np.sin(phi), np.cos(theta)], axis=-1)


def _pixels(L, name, nside=None):
    g = sampling.grid(L, name, nside)
    ring = np.repeat(np.arange(g.ntheta), g.ring_lengths)
    j = np.arange(int(g.ring_lengths.sum())) - np.repeat(g.ring_offsets, g.ring_lengths)
    phi = g.phi0[ring] + 2 * np.pi * j / g.ring_lengths[ring]
    return g.thetas[ring], phi, quadrature.weights(L, name, nside)[ring]


def _brute_force(theta_out, phi_out, L, name, basis, cutoff, nside=None):
    """Dense A[k, i, j] = w_j ψ_k(R_y(−θ_i) R_z(−φ_i) y_j) with explicit rotation matrices."""
    theta, phi, w = _pixels(L, name, nside)
    y = _vectors(theta, phi)
    out = np.zeros((basis.size, len(theta_out), theta.size))
    for i, (t, p) in enumerate(zip(theta_out, phi_out, strict=True)):
        rz = np.array([[np.cos(p), np.sin(p), 0], [-np.sin(p), np.cos(p), 0], [0, 0, 1]])
        ry = np.array([[np.cos(t), 0, -np.sin(t)], [0, 1, 0], [np.sin(t), 0, np.cos(t)]])
        v = y @ (ry @ rz).T
        r = np.arctan2(np.hypot(v[:, 0], v[:, 1]), v[:, 2])
        out[:, i] = basis(r / cutoff, np.arctan2(v[:, 1], v[:, 0])) * w
    return out


def _ring_dense(op):
    """The φ = 0 output rows of a RingKernel as a dense (K, n_rings_out, npix_in) array."""
    n_in = op.geometry_in.shape[1]
    kernels = np.fft.irfft(np.conj(np.asarray(op.spectrum)), n=n_in, axis=-1)
    dense = np.zeros((kernels.shape[0], kernels.shape[1], *op.geometry_in.shape))
    index = np.asarray(op.ring_index)
    for o in range(index.shape[0]):
        for b in range(index.shape[1]):
            dense[:, o, index[o, b]] += kernels[:, o, b]
    return dense.reshape(kernels.shape[0], kernels.shape[1], -1)


def _sparse_dense(op):
    values = np.asarray(op.values)
    n_out = int(np.prod(op.geometry_out.shape))
    dense = np.zeros((values.shape[0], n_out, int(np.prod(op.geometry_in.shape))))
    for k in range(values.shape[0]):
        np.add.at(dense[k], (np.asarray(op.rows), np.asarray(op.cols)), values[k])
    return dense


BASES = [
    dk.FilterBasis("piecewise_linear", (3,)),
    dk.FilterBasis("piecewise_linear", (3, 4)),
    dk.FilterBasis("zernike", (2, 2)),
]


def test_relative_position_matches_rotation_matrices_and_keeps_precision_near_centre():
    rng = np.random.default_rng(0)
    tx, ty = rng.uniform(0, np.pi, 200), rng.uniform(0, np.pi, 200)
    dphi = rng.uniform(-np.pi, np.pi, 200)
    r, alpha = dk.relative_position(tx, ty, dphi)
    for i in range(200):
        ry = np.array(
            [[np.cos(tx[i]), 0, -np.sin(tx[i])], [0, 1, 0], [np.sin(tx[i]), 0, np.cos(tx[i])]]
        )
        v = ry @ _vectors(ty[i], dphi[i])
        assert abs(r[i] - np.arctan2(np.hypot(v[0], v[1]), v[2])) < 1e-14
        if r[i] > 1e-6:
            assert abs(np.angle(np.exp(1j * (alpha[i] - np.arctan2(v[1], v[0]))))) < 1e-12
    # Closed forms for tiny separations, where arccos(x·y) keeps only ~8 digits:
    delta = np.logspace(-10, -2, 9)
    theta_y = 1.0 + delta
    r_meridian, a_meridian = dk.relative_position(1.0, theta_y, 0.0)
    np.testing.assert_allclose(r_meridian, theta_y - 1.0, rtol=1e-12)  # difference is exact
    np.testing.assert_allclose(a_meridian, 0.0, atol=1e-15)
    r_ring, _ = dk.relative_position(0.7, 0.7, delta)
    np.testing.assert_allclose(r_ring, 2 * np.arcsin(np.sin(0.7) * np.sin(delta / 2)), rtol=1e-12)


def test_piecewise_linear_hats_are_a_partition_of_unity_and_vanish_at_the_cutoff():
    rho = np.linspace(0, 1.2, 241)
    alpha = np.linspace(-np.pi, np.pi, 241)
    iso = dk.FilterBasis("piecewise_linear", (4,))(rho, alpha)
    assert iso.shape == (4, 241)
    inner = rho <= 0.75
    np.testing.assert_allclose(iso.sum(0)[inner], 1.0, atol=1e-15)
    np.testing.assert_allclose(iso[:, rho >= 1.0], 0.0, atol=0)
    aniso = dk.FilterBasis("piecewise_linear", (4, 6))
    values = aniso(np.full_like(alpha, 0.5), alpha)
    assert values.shape == (aniso.size, 241) == (1 + 3 * 6, 241)
    # Summing over directions recovers the isotropic radial hats.
    radial = values[1:].reshape(3, 6, -1).sum(1)
    expected = np.broadcast_to(iso[1:, [100]], radial.shape)  # rho[100] = 0.5
    np.testing.assert_allclose(radial, expected, atol=1e-15)


def test_zernike_basis_is_tapered_zernike_polynomials():
    rho = np.linspace(0, 0.99, 50)
    alpha = np.linspace(0, 2 * np.pi, 50)
    basis = dk.FilterBasis("zernike", (2, 2))
    values = basis(rho, alpha) / (1 - rho**2) ** 2
    # order: m=0: R_0^0, R_2^0; m=1 cos: R_1^1, R_3^1; m=1 sin: R_1^1, R_3^1
    np.testing.assert_allclose(values[0], 1.0, atol=1e-14)
    np.testing.assert_allclose(values[1], 2 * rho**2 - 1, atol=1e-14)
    np.testing.assert_allclose(values[2], rho * np.cos(alpha), atol=1e-14)
    np.testing.assert_allclose(values[3], (3 * rho**3 - 2 * rho) * np.cos(alpha), atol=1e-14)
    np.testing.assert_allclose(values[5], (3 * rho**3 - 2 * rho) * np.sin(alpha), atol=1e-14)
    assert basis.size == 6
    np.testing.assert_allclose(basis(np.array([1.0, 1.5]), np.zeros(2)), 0.0, atol=0)


@pytest.mark.parametrize("basis", BASES, ids=lambda b: f"{b.kind}{b.kernel_shape}")
@pytest.mark.parametrize(
    ("L_in", "s_in", "L_out", "s_out"),
    [(8, "mwss", 8, "mwss"), (8, "mwss", 4, "mwss"), (6, "dh", 6, "gl"), (5, "mw", 5, "mw")],
)
def test_ring_kernel_equals_brute_force_quadrature(basis, L_in, s_in, L_out, s_out):
    op = dk.build(L_in, s_in, L_out, s_out, basis=basis, theta_cutoff=0.7, normalization="none")
    assert isinstance(op, dk.RingKernel)
    theta_out = sampling.thetas(L_out, s_out)
    ref = _brute_force(theta_out, np.zeros_like(theta_out), L_in, s_in, basis, 0.7)
    np.testing.assert_allclose(_ring_dense(op), ref, rtol=0, atol=1e-14)


@pytest.mark.parametrize(
    ("L_in", "s_in", "n_in", "L_out", "s_out", "n_out"),
    [
        (8, "healpix", 4, 6, "mw", None),
        (6, "gl", None, 6, "healpix", 2),
        (8, "mw", None, 6, "dh", None),
    ],
)
def test_sparse_kernel_equals_brute_force_and_has_no_duplicate_pairs(
    L_in, s_in, n_in, L_out, s_out, n_out
):
    basis = dk.FilterBasis("piecewise_linear", (2, 3))
    op = dk.build(
        L_in, s_in, L_out, s_out, nside_in=n_in, nside_out=n_out, basis=basis,
        theta_cutoff=0.6, normalization="none", method="sparse",
    )  # fmt: skip
    theta, phi, _ = _pixels(L_out, s_out, n_out)
    ref = _brute_force(theta, phi, L_in, s_in, basis, 0.6, nside=n_in)
    np.testing.assert_allclose(_sparse_dense(op), ref, rtol=0, atol=1e-14)
    pairs = np.asarray(op.rows).astype(np.int64) * 10**6 + np.asarray(op.cols)
    assert np.unique(pairs).size == pairs.size
    assert pairs.size == np.count_nonzero(np.any(ref != 0, axis=0))


def test_mean_normalisation_gives_unit_discrete_l1_norm_per_output_point():
    basis = dk.FilterBasis("piecewise_linear", (3,))
    ring = dk.build(8, "mwss", basis=basis, theta_cutoff=0.8)
    np.testing.assert_allclose(np.abs(_ring_dense(ring)).sum(-1), 1.0, rtol=1e-13)
    sparse = dk.build(8, "healpix", 6, "mw", nside_in=4, basis=basis, theta_cutoff=0.8)
    np.testing.assert_allclose(np.abs(_sparse_dense(sparse)).sum(-1), 1.0, rtol=1e-13)


def test_float32_operator_is_the_float64_operator_cast_after_normalisation():
    op64 = dk.build(8, "mwss", 4, "mwss", dtype=np.float64)
    op32 = dk.build(8, "mwss", 4, "mwss", dtype=np.float32)
    assert op32.spectrum.dtype == np.complex64
    np.testing.assert_array_equal(
        np.asarray(op32.spectrum), np.asarray(op64.spectrum, np.complex64)
    )


def test_band_storage_is_o_of_l_squared_times_support():
    basis = dk.FilterBasis("piecewise_linear", (3,))
    for L in (8, 16, 32):
        op = dk.build(L, "mwss", basis=basis, theta_cutoff=0.5)
        n_rings, width = op.ring_index.shape
        assert n_rings == L + 1
        # band of rings within the cutoff: 2 · cutoff / Δθ + 1, Δθ = π / L
        assert width <= 2 * 0.5 / (np.pi / L) + 2
        assert op.spectrum.shape == (3, L + 1, width, L + 1)


def test_default_cutoff_is_several_spacings_of_the_coarser_grid():
    basis = dk.FilterBasis("piecewise_linear", (3,))
    cutoff = dk.default_theta_cutoff(32, "mwss", 16, "mwss", basis)
    assert cutoff == pytest.approx(4 * math.pi / 17)
    big = dk.FilterBasis("piecewise_linear", (6,))
    assert dk.default_theta_cutoff(32, "gl", 32, "gl", big) == pytest.approx(7 * math.pi / 32)
    assert dk.build(16, "mwss", basis=basis).theta_cutoff == pytest.approx(4 * math.pi / 17)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"theta_cutoff": 0.0}, ValueError, r"theta_cutoff must lie in \(0, π\]"),
        ({"theta_cutoff": -0.1}, ValueError, "theta_cutoff must lie in"),
        ({"theta_cutoff": 3.5}, ValueError, "theta_cutoff must lie in"),
        ({"theta_cutoff": "wide"}, TypeError, "theta_cutoff must be a real number"),
        ({"normalization": "sum"}, ValueError, "normalization='sum' is not one of"),
        ({"method": "dense"}, ValueError, "method='dense' is not one of"),
        ({"dtype": np.int32}, TypeError, "dtype must be float32 or float64"),
        ({"basis": "hat"}, TypeError, "basis must be a FilterBasis"),
        ({"L_out": 6, "sampling_out": "mw", "method": "ring"}, ValueError, "n_phi_in a multiple"),
        ({"L_out": 4, "sampling_out": "healpix", "nside_out": 2, "method": "ring"}, ValueError,
         "Use method='sparse'"),
    ],
)  # fmt: skip
def test_build_rejects_bad_arguments_with_clear_messages(kwargs, error, match):
    with pytest.raises(error, match=match):
        dk.build(8, "mwss", **kwargs)


@pytest.mark.parametrize(
    ("kind", "shape", "match"),
    [
        ("gabor", (3,), "basis kind='gabor' is not one of"),
        ("zernike", (0,), "kernel_shape must be"),
        ("piecewise_linear", (3, 2, 1), "kernel_shape must be"),
    ],
)
def test_filter_basis_rejects_bad_arguments(kind, shape, match):
    with pytest.raises(ValueError, match=match):
        dk.FilterBasis(kind, shape)
