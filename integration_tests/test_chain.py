"""The cross-package chain at small size, asserting properties rather than "it ran".

Each test composes several installed physml packages and compares with something none of them
computed: the exact lognormal spectrum of the demo's field, grid quadrature of a posterior,
or the closed-form evidence of a linear-Gaussian problem on the sphere.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import physml.harmonic as ph
import physml.proxnest as pn
import physml.s2wav as s2w
from demo import field, spectrum_evidence
from physml import s2fft


def test_lognormal_field_has_the_exact_lognormal_spectrum():
    # ⟨Ĉ_ℓ⟩ over realisations of the demo's band-limited lognormal field equals the C_ℓ of
    # ξ_κ = λ²(e^{ξ_g} − 1) (computed by Legendre quadrature, independent of the sampler).
    spec = field.FieldSpec(L=16)
    flm = field.lognormal_flm(jax.random.key(3), spec, batch=(48,))
    cl = np.asarray(s2fft.power_spectrum(flm, spec.L))[:, 2:]
    z = (cl.mean(0) - field.lognormal_cl(spec)[2:]) / (cl.std(0, ddof=1) / np.sqrt(len(cl)))
    assert np.all(np.abs(z) < 4.5), z
    # …and the leading-order spectrum λ²C^g is measurably wrong at small scales.
    lead = field.leading_order_cl(spec)[2:]
    z_lead = (cl.mean(0) - lead) / (cl.std(0, ddof=1) / np.sqrt(len(cl)))
    assert np.max(z_lead) > 6


@pytest.mark.parametrize("sampling", ["mw", "gl"])
def test_round_trip_through_s2fft_and_s2wav_is_exact(sampling):
    L, N, J_min = 16, 3, 1
    spec = field.FieldSpec(L=L)
    flm = field.lognormal_flm(jax.random.key(0), spec)
    f = s2fft.inverse(flm, L, sampling=sampling, reality=True)
    coeffs = s2w.analysis(f, L, N=N, J_min=J_min, sampling=sampling, reality=True)
    f_back = s2w.synthesis(*coeffs, L, N=N, J_min=J_min, sampling=sampling, reality=True)
    flm_back = s2fft.forward(f_back, L, sampling=sampling, reality=True)
    np.testing.assert_allclose(flm_back, flm, rtol=0, atol=1e-12 * float(jnp.max(jnp.abs(flm))))


def test_true_spectrum_model_wins_and_harmonic_matches_grid_quadrature():
    L = 24
    spec = field.FieldSpec(L=L)
    flm = field.lognormal_flm(jax.random.key(7), spec)
    ell = np.arange(2, L)
    cl_hat = np.asarray(s2fft.power_spectrum(flm, L))[2:]
    kw = {"num_chains": 6, "num_samples": 800, "num_warmup": 300, "progress": False}
    keys = jax.random.split(jax.random.key(1), 2)
    true = spectrum_evidence.evidence_for(
        keys[0], cl_hat, field.lognormal_cl(spec)[2:], ell, tilt=False, **kw
    )
    wrong = spectrum_evidence.evidence_for(
        keys[1], cl_hat, field.leading_order_cl(spec)[2:], ell, tilt=False, **kw
    )
    for r in (true, wrong):
        # The learned harmonic mean (from samples only) against direct quadrature of the
        # unnormalised posterior on a grid.
        assert abs(r.ln_z - r.ln_z_grid) < 4 * r.sigma_ln_z + 0.02, r
    assert true.ln_z - wrong.ln_z > 5 * np.hypot(true.sigma_ln_z, wrong.sigma_ln_z)


def _linear_gaussian_on_sphere(L: int, sigma: float, seed: int):
    """y = M Y S^{1/2} a + n: a ~ N(0, I) real parameters of a band-limited real field.

    ``Y`` maps the L² real parameters (f_ℓ0, √2 Re f_ℓm, √2 Im f_ℓm for m > 0) to the MW map,
    ``S`` scales them by C_ℓ, ``M`` keeps the unmasked pixels.  Returns (A, y, ln Z exact).
    """
    rng = np.random.default_rng(seed)
    ell = np.arange(L)
    cl = 1.0 / (ell + 1.0) ** 2
    idx = [(l, m) for l in range(L) for m in range(l + 1)]
    columns = []
    for l, m in idx:
        for part in (1.0,) if m == 0 else (1.0, 1j):
            flm = np.zeros((L, 2 * L - 1), complex)
            value = part * (1.0 if m == 0 else np.sqrt(0.5))
            flm[l, L - 1 + m] = value
            if m:
                flm[l, L - 1 - m] = (-1) ** m * np.conj(value)
            columns.append(np.sqrt(cl[l]) * np.asarray(s2fft.inverse(flm, L)).real.ravel())
    design = np.stack(columns, axis=1)  # (npix, L²)
    mask = rng.random(design.shape[0]) < 0.7
    A = design[mask]
    a_true = rng.normal(size=A.shape[1])
    y = A @ a_true + sigma * rng.normal(size=A.shape[0])
    cov = A @ A.T + sigma**2 * np.eye(A.shape[0])
    _, logdet = np.linalg.slogdet(cov)
    ln_z = -0.5 * (y @ np.linalg.solve(cov, y) + logdet + y.size * np.log(2 * np.pi))
    return A, y, ln_z


def test_linear_gaussian_on_sphere_harmonic_and_proxnest_agree_with_closed_form():
    L, sigma = 4, 0.3
    A, y, ln_z = _linear_gaussian_on_sphere(L, sigma, seed=5)
    d, m = A.shape[1], A.shape[0]
    # Exact posterior N(μ, Σ) of the parameters, sampled directly.
    precision = np.eye(d) + A.T @ A / sigma**2
    cov = np.linalg.inv(precision)
    mean = cov @ A.T @ y / sigma**2
    rng = np.random.default_rng(0)
    x = rng.multivariate_normal(mean, cov, size=(20, 400))

    def ln_joint(a):
        resid = y - A @ a
        return (
            -0.5 * resid @ resid / sigma**2
            - 0.5 * m * np.log(2 * np.pi * sigma**2)
            - 0.5 * a @ a
            - 0.5 * d * np.log(2 * np.pi)
        )

    ln_post = np.apply_along_axis(ln_joint, -1, x)
    harm = ph.estimate_evidence(x, ln_post, key=jax.random.key(0), progress=False)
    assert abs(harm.ln_z - ln_z) < 4 * harm.sigma_ln_z + 0.05, (harm.ln_z, ln_z)

    # proxnest's likelihood omits the Gaussian normalisation (2πσ²)^{−m/2}.
    phi = pn.MatrixOperator.create(jnp.asarray(A), (d,))
    prior = pn.GaussianPrior.create((d,), std=1.0)
    res = pn.sample(
        jax.random.key(1), jnp.asarray(y), phi, sigma, prior, n_live=200, progress=False
    )
    ln_z_prox = res.ln_z - 0.5 * m * np.log(2 * np.pi * sigma**2)
    assert abs(ln_z_prox - ln_z) < 4 * res.sigma_ln_z + 0.1, (ln_z_prox, ln_z, res.sigma_ln_z)
    assert abs(ln_z_prox - harm.ln_z) < 4 * np.hypot(res.sigma_ln_z, harm.sigma_ln_z) + 0.1


def test_gradient_flows_from_scattering_statistics_to_the_input_map():
    # map → s2wav analysis → synthesis → s2scat statistics → scalar loss, differentiated
    # w.r.t. the map; the JVP along a random direction matches central finite differences.
    import physml.s2scat as scat

    L = 8
    op = scat.make_scattering(L, N=1, J_min=1)
    f0 = s2fft.inverse(
        field.lognormal_flm(jax.random.key(0), field.FieldSpec(L=L)), L, reality=True
    )
    target = scat.flm_to_scattering_covariance(s2fft.forward(f0, L, reality=True), op)

    def loss(f):
        g = s2w.synthesis(*s2w.analysis(f, L, N=2, J_min=1, reality=True), L, N=2, J_min=1,
                          reality=True)  # fmt: skip
        stats = scat.flm_to_scattering_covariance(s2fft.forward(g, L, reality=True), op)
        return jnp.sum(jnp.abs(stats.vector() - target.vector()) ** 2)

    f = f0 * 1.3 + 0.01
    direction = jax.random.normal(jax.random.key(1), f.shape)
    grad = jax.grad(loss)(f)
    assert jnp.all(jnp.isfinite(grad))
    assert float(jnp.max(jnp.abs(grad))) > 0
    h = 1e-5  # fourth-order central differences: truncation error O(h⁴)
    diff = [loss(f + k * h * direction) - loss(f - k * h * direction) for k in (1, 2)]
    fd = (8 * diff[0] - diff[1]) / (12 * h)
    np.testing.assert_allclose(jnp.vdot(grad, direction), fd, rtol=1e-6)


def test_emulated_field_statistics_are_closer_to_the_target_than_a_gaussian_twin():
    from demo import scattering

    L = 8
    flm = field.lognormal_flm(jax.random.key(5), field.FieldSpec(L=L, sigma_g=0.8))
    twin = field.gaussian_twin_flm(jax.random.key(6), flm, L)
    res = scattering.emulate(
        jax.random.key(7), flm, twin, L, N=1, J_min=1, n_samples=1, steps=30, progress=False
    )
    distance = res["summary"]["statistics_distance"]
    assert distance["emulated"] < 0.2 * distance["Gaussian twin"], distance
    assert distance["emulated"] < 0.2 * distance["initial Gaussian"], distance
    # …and absolutely: every S1–S4 coefficient (normalised by the target's S2, so of order one,
    # the target's S2 being 1) within 0.03 of the target's.  Measured 0.0065 (the Gaussian
    # twin: 0.22); 0.03 leaves a 4-5× margin for other platforms and still fails a twin.
    largest = res["summary"]["max_abs_difference_S1_to_S4"]
    assert max(largest["emulated"]) < 0.03, largest
    stats = res["statistics"]
    # the field variance (not normalised) to 1 %: measured 0.1 %
    np.testing.assert_allclose(stats["emulated"].var, stats["target"].var, rtol=1e-2)
    # The power spectrum is matched per band to a few per cent.
    worst = max(abs(b["relative_error"]) for b in res["summary"]["max_power_error_per_band"])
    assert worst < 0.05


def test_learned_prior_score_is_the_gaussian_score_for_a_wiener_denoiser():
    # The demo's learned prior: a map-space denoiser trained on harmonic-white noise of std
    # σ_d, used by proxnest through Tweedie in the real harmonic coordinates r. For a
    # Gaussian field (C_ℓ) the exact MMSE denoiser is the Wiener filter C_ℓ/(C_ℓ + σ_d²); the
    # drift must then be the closed-form score of N(0, C + σ_d² I): −r_ℓm / (C_ℓ + σ_d²).
    from flax import nnx

    from demo import denoiser, imaging

    L = 8
    sigma_d = denoiser.harmonic_noise_std(0.5, L)
    cl = 1.0 / (np.arange(L) + 2.0) ** 2
    model = denoiser.SphericalDenoiser(L, width=2, depth=1, rngs=nnx.Rngs(0))
    graphdef, state = nnx.split(model)
    state = jax.tree.map(jnp.zeros_like, state)  # U ≡ 0: the network adds nothing
    model = nnx.merge(graphdef, state)
    model.gain[...] = jnp.asarray(cl / (cl + sigma_d**2))
    prior = pn.DenoiserPrior.create(imaging.HarmonicDenoiser(model, L), sigma_d, (L**2,))
    r = jax.random.normal(jax.random.key(1), (L**2,))
    ell = np.repeat(np.arange(L), 2 * np.arange(L) + 1)
    np.testing.assert_allclose(prior.drift(r, 0.0), -r / (cl[ell] + sigma_d**2), rtol=1e-10)
    # the training noise has the stated r.m.s. at every pixel (isotropic: the same variance
    # L²σ_d²/4π everywhere, poles included)
    noise = np.asarray(denoiser.noise_maps(jax.random.key(2), sigma_d, (2000, L, 2 * L - 1)))
    rms = np.sqrt(np.mean(noise**2, axis=0))
    np.testing.assert_allclose(rms, 0.5, rtol=0.1)
