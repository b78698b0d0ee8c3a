import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from physml.proxnest.evidence import evidence, weighted_quantiles


def test_constant_likelihood_gives_unit_evidence_and_zero_information():
    est = evidence(jnp.zeros(300), jnp.zeros(50), jax.random.key(0))
    assert float(est.ln_z) == pytest.approx(0.0, abs=1e-12)
    assert float(est.information) == pytest.approx(0.0, abs=1e-12)
    assert float(est.sigma_ln_z) < 1e-12
    assert float(jnp.sum(jnp.exp(est.log_weights))) == pytest.approx(1.0, abs=1e-12)


def _exact_run(rng, n_live, batch, a, x_stop=1e-3):
    """Nested sampling with exact constrained draws, in the prior-volume coordinate X."""
    live = rng.random(n_live)
    dead = []
    while True:
        live = np.sort(live)[::-1]  # largest X = lowest likelihood first
        removed, live = live[:batch], live[batch:]
        dead.extend(removed)
        live = np.concatenate([live, removed[-1] * rng.random(batch)])
        if removed[-1] < x_stop:
            break
    ln_l = lambda x: np.log1p(a) + a * np.log1p(-np.asarray(x))  # noqa: E731
    return ln_l(dead), ln_l(live)


@pytest.mark.parametrize("batch", [1, 8])
def test_evidence_is_unbiased_and_its_spread_matches_independent_runs(batch):
    # L(X) = (1 + a)(1 − X)^a increases as X shrinks and has Z = ∫₀¹ L dX = 1 exactly.
    a, n_live = 30.0, 50
    rng = np.random.default_rng(batch)
    out = []
    for _ in range(40):
        dead, live = _exact_run(rng, n_live, batch, a)
        est = evidence(
            jnp.asarray(dead), jnp.asarray(live), jax.random.key(1), n_sim=200, batch=batch
        )
        out.append((float(est.ln_z), float(est.sigma_ln_z)))
    out = np.array(out)
    # Mean within 3 standard errors of ln Z = 0 (plus the O(1/N) bias of E ln Z), and the
    # simulated σ equal to the spread over independent runs within sampling error (~10 %).
    assert abs(out[:, 0].mean()) < 3 * out[:, 0].std() / np.sqrt(len(out)) + 1.0 / n_live
    assert out[:, 1].mean() == pytest.approx(out[:, 0].std(), rel=0.3)


def test_weighted_quantiles_match_normal_quantiles():
    grid = np.linspace(-8, 8, 20001)
    w = np.exp(-0.5 * grid**2)
    q = np.array([0.025, 0.5, 0.975])
    got = weighted_quantiles(grid[:, None], w, q)[:, 0]
    np.testing.assert_allclose(got, special.ndtri(q), atol=2e-3)


def test_separable_gaussian_evidence_equals_the_marginal_density_of_the_data():
    # Z = ∫ exp(-‖y − x‖²/2σ²) N(x; m, s²) dx = (2πσ²)^{d/2} N(y; m, (s² + σ²) I).
    from scipy.stats import multivariate_normal

    from physml.proxnest import Identity, gaussian_ln_evidence

    y = np.random.default_rng(0).normal(size=(3, 4))
    sigma, s, m = 0.7, 1.3, 0.2
    ref = multivariate_normal(np.full(12, m), (s**2 + sigma**2) * np.eye(12)).logpdf(y.ravel())
    ref += 6 * np.log(2 * np.pi * sigma**2)
    assert gaussian_ln_evidence(y, Identity((3, 4)), sigma, s, m) == pytest.approx(ref, abs=1e-10)
