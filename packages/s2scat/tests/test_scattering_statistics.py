"""S1–S4: exact identities, invariances and the shape of the result."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scattering_fields import family_errors, gaussian_flm, lognormal_flm

import physml.s2fft as s2
import physml.s2scat as sc
import physml.s2wav as s2w

L = 16


@pytest.fixture(scope="module")
def op():
    return sc.make_scattering(L, N=1, J_min=1, method="precompute")


@pytest.mark.parametrize(("N", "multiresolution"), [(1, True), (1, False), (2, True)])
def test_s2_equals_the_wavelet_weighted_power_spectrum(N, multiresolution):
    # ⟨|f ⋆ ψ_j|²⟩ over SO(3) = Σ_ℓ C_ℓ Σ_n |Ψ^j_ℓn|² (Parseval, exact); S2 is computed from
    # the samples by quadrature, the right side from s2wav's kernels and s2fft's C_ℓ.
    Lt = 8
    op = sc.make_scattering(Lt, N=N, J_min=0, multiresolution=multiresolution)
    flm = lognormal_flm(jax.random.key(1), Lt)
    cl = s2.power_spectrum(flm, Lt)
    psi = s2w.filters(Lt, N=N, J_min=0).psi
    expected = jnp.einsum("l,jln->j", cl, jnp.abs(psi) ** 2)
    np.testing.assert_allclose(sc.raw_s2(flm, op), expected, rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"N": 1},
        {"N": 1, "method": "precompute", "multiresolution": False},
        {"N": 2, "harmonics": 2},
        {"N": 2, "nonlinearity": "modulus", "epsilon": 1e3},
    ],
)
def test_isotropic_statistics_are_rotation_invariant_with_the_default_envelope(kwargs):
    # The default envelope |w|²/sqrt(S2) has band-limit 2L_j (as has sqrt(|w|² + ε²S2) to
    # ~1/ε² for ε = 1000), which the grid projects exactly: the statistics are functions of
    # the harmonic coefficients that an exact rotation (physml.s2fft.rotate) leaves unchanged.
    Lt = 8
    op = sc.make_scattering(Lt, J_min=0, **kwargs)
    flm = lognormal_flm(jax.random.key(2), Lt)
    rotated = s2.rotate(flm, Lt, 0.4, 1.3, -2.1)
    errors = family_errors(
        sc.flm_to_scattering_covariance(flm, op), sc.flm_to_scattering_covariance(rotated, op)
    )
    assert max(errors.values()) < 1e-6, errors


def test_rotation_error_of_the_plain_modulus_is_aliasing_that_shrinks_with_oversampling():
    # |w| is not band-limited: its sampled quadrature aliases.  S2 stays exact, and the error
    # of the others must decrease on a finer grid (the only source of non-invariance).
    Lt = 8
    flm = lognormal_flm(jax.random.key(3), Lt)
    rotated = s2.rotate(flm, Lt, 2.0, 0.7, 0.3)
    errors = []
    for oversample in (2, 4):
        op = sc.make_scattering(
            Lt, J_min=0, oversample=oversample, nonlinearity="modulus", method="precompute"
        )
        a = sc.flm_to_scattering_covariance(flm, op)
        b = sc.flm_to_scattering_covariance(rotated, op)
        errors.append(family_errors(a, b))
    assert errors[0]["s2"] < 1e-12
    for name in ("s1", "s3", "s4"):
        assert errors[1][name] < errors[0][name] / 2, errors


def test_statistics_are_invariant_to_adding_a_constant(op):
    # Wavelets vanish at ℓ = 0, so S1–S4 and the variance ignore the mean; the mean moves by c.
    flm = lognormal_flm(jax.random.key(4), L)
    shifted = flm.at[0, L - 1].add(2.5 * np.sqrt(4 * np.pi))
    a = sc.flm_to_scattering_covariance(flm, op)
    b = sc.flm_to_scattering_covariance(shifted, op)
    assert max(family_errors(a, b).values()) < 1e-12
    np.testing.assert_allclose(b.var, a.var, rtol=1e-12)
    np.testing.assert_allclose(b.mean - a.mean, 2.5, rtol=1e-12)


def test_self_normalised_s2_is_one_and_s1_is_below_it(op):
    # ⟨|w|⟩² ≤ ⟨|w|²⟩ (Jensen/Cauchy–Schwarz) so the normalised S1 of the modulus lies in
    # (0, 1]; with the square envelope ⟨|w|²⟩/sqrt(S2) = sqrt(S2), so S1 is exactly 1.
    flm = lognormal_flm(jax.random.key(5), L)
    stats = sc.flm_to_scattering_covariance(flm, op)
    np.testing.assert_allclose(stats.s2, 1.0, rtol=1e-12)
    np.testing.assert_allclose(stats.s1, 1.0, rtol=1e-12)
    modulus = sc.make_scattering(L, J_min=1, nonlinearity="modulus", method="precompute")
    stats = sc.flm_to_scattering_covariance(flm, modulus)
    assert np.all(stats.s1 > 0)
    assert np.all(stats.s1 <= 1.0 + 1e-12)


def test_mean_and_variance_match_pixel_quadrature(op):
    from physml.core import quadrature

    # (f − mean)² has band-limit 2L − 1: integrate it exactly on the MW grid of 2L.
    flm = lognormal_flm(jax.random.key(6), L)
    fine = s2.inverse(jnp.pad(flm, [(0, L), (L, L)]), 2 * L, reality=True)
    w = quadrature.weights(2 * L, "mw")[:, None]
    mean = np.sum(w * fine) / (4 * np.pi)
    var = np.sum(w * (fine - mean) ** 2) / (4 * np.pi)
    stats = sc.scattering_covariance(s2.inverse(flm, L, reality=True), op)
    np.testing.assert_allclose(stats.mean.real, mean, rtol=1e-12)
    np.testing.assert_allclose(stats.var, var, rtol=1e-12)


def test_batched_fields_give_the_statistics_of_each_field(op):
    flm = gaussian_flm(jax.random.key(7), L, batch=(2,))
    both = sc.flm_to_scattering_covariance(flm, op)
    one = sc.flm_to_scattering_covariance(flm[1], op)
    for x, y in zip(both, one, strict=True):
        np.testing.assert_allclose(x[1], y, rtol=1e-12, atol=1e-15)


def test_vector_and_labels_describe_every_coefficient(op):
    stats = sc.flm_to_scattering_covariance(gaussian_flm(jax.random.key(8), L), op)
    names = sc.labels(op)
    vec = stats.vector()
    J = op.n_scales
    assert vec.shape == (len(names),) == (2 + 2 * J + J * (J + 1) // 2 + len(op.triples),)
    assert len(set(names)) == len(names)
    assert names[2 + 2 * J] == "S3[j1=1,j2=1,k=0]"
    np.testing.assert_array_equal(
        np.bincount(sc.families(op)), [1, 1, J, J, len(op.pairs), len(op.triples)]
    )


def test_statistics_of_a_lognormal_field_differ_from_a_gaussian_with_its_spectrum(op):
    # A Gaussian field has smaller relative S1 deviations; S3 (envelope–field correlation)
    # vanishes in expectation for Gaussian fields but not for skewed ones.
    key = jax.random.key(9)
    flm = lognormal_flm(key, L)
    gauss = s2.random_flm(key, L, s2.power_spectrum(flm, L), batch=(8,))
    s3_ln = jnp.abs(sc.flm_to_scattering_covariance(flm, op).s3).mean()
    s3_g = jnp.abs(sc.flm_to_scattering_covariance(gauss, op).s3.mean(axis=0)).mean()
    assert s3_ln > 3 * s3_g


@pytest.mark.parametrize("kwargs", [{}, {"nonlinearity": "modulus", "reality": False}])
def test_precomputed_transforms_give_the_same_statistics(kwargs):
    # Same grid, Legendre functions from a stored kernel or streamed by the recursion.
    Lt = 8
    flm = lognormal_flm(jax.random.key(10), Lt)
    a = sc.flm_to_scattering_covariance(flm, sc.make_scattering(Lt, J_min=0, **kwargs))
    op = sc.make_scattering(Lt, J_min=0, method="precompute", **kwargs)
    b = sc.flm_to_scattering_covariance(flm, op)
    np.testing.assert_allclose(b.vector(), a.vector(), rtol=1e-10, atol=1e-13)


def test_streamed_operator_batches_fields_and_synthesises_several_samples():
    """The on-the-fly N = 1 path (linear_call transposes, no vmap rule) maps over batches."""
    L = 8
    op = sc.make_scattering(L, N=1, J_min=1)
    assert op.streamed
    flm = jnp.stack([lognormal_flm(jax.random.key(s), L) for s in (3, 4)])
    norm = sc.raw_s2(flm[0], op)
    batched = sc.flm_to_scattering_covariance(flm, op, norm).vector()
    for i in range(2):
        single = sc.flm_to_scattering_covariance(flm[i], op, norm).vector()
        np.testing.assert_allclose(batched[i], single, rtol=0, atol=1e-12)
    target = sc.make_target(s2.inverse(flm[0], L, reality=True), op)
    result = sc.synthesise(target, jax.random.key(0), op, n_samples=2, steps=2, progress=False)
    assert result.flm.shape == (2, L, 2 * L - 1)
    assert np.all(np.isfinite(np.asarray(result.flm)))
