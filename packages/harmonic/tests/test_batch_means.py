"""The batch-means error bar: autocorrelation time, coverage on MCMC-like chains, warnings."""

import numpy as np
import pytest
from scipy import signal, stats

import physml.harmonic as ph

COV = np.array([[1.0, 0.3], [0.3, 0.5]])
LN_Z = -3.7  # the unnormalised posterior is exp(LN_Z) N(θ; 0, COV): its integral is known


def _ar1(rng, shape, a):
    """Stationary AR(1) draws of N(0, 1) along axis 1: autocorrelation a^t, τ = (1+a)/(1-a)."""
    e = rng.standard_normal(shape)
    e[:, 0] /= np.sqrt(1.0 - a * a)
    return signal.lfilter([np.sqrt(1.0 - a * a)], [1.0, -a], e, axis=1)


def _correlated_chains(seed, a, nchains=10, nsamples=2000):
    """Exact N(0, COV) marginals along AR(1) chains, with ln P̃ = LN_Z + ln N(θ; 0, COV)."""
    x = _ar1(np.random.default_rng(seed), (nchains, nsamples, 2), a) @ np.linalg.cholesky(COV).T
    ln_post = LN_Z + stats.multivariate_normal(np.zeros(2), COV).logpdf(x)
    return ph.Chains.from_arrays(x, ln_post)


TARGET = stats.multivariate_normal(np.zeros(2), 0.6 * COV).logpdf


@pytest.mark.parametrize("a", [0.0, 0.5, 0.8])
def test_integrated_autocorr_time_matches_ar1_closed_form(a):
    x = _ar1(np.random.default_rng(1), (20, 5000), a)
    tau = ph.diagnostics.integrated_autocorr_time(x)
    # Sokal's estimate has relative sd ≈ sqrt(2 (2M + 1) / N) ≈ 4% here (M ≈ 5τ, N = 10⁵)
    assert tau == pytest.approx((1 + a) / (1 - a), rel=0.15)


def test_integrated_autocorr_time_reads_only_the_valid_part_of_unequal_chains():
    x = _ar1(np.random.default_rng(2), (8, 3000), 0.6)
    lengths = np.array([3000, 2000, 2500, 3000, 1500, 3000, 2800, 2200])
    padded = np.where(np.arange(3000)[None] < lengths[:, None], x, 1e6)
    tau = ph.diagnostics.integrated_autocorr_time(padded, lengths)
    assert tau == pytest.approx(4.0, rel=0.15)


def test_batch_means_error_bar_is_calibrated_for_autocorrelated_chains():
    # weights of AR(1) chains with a = 0.9 have τ ≈ (1 + a²)/(1 - a²) ≈ 9.5: an i.i.d. error
    # bar is ~3x too small, the batch-means one must match the scatter of 40 repeats
    z, z_iid, flagged = [], [], 0
    for seed in range(40):
        chains = _correlated_chains(seed, 0.9)
        r = ph.ln_evidence(chains, TARGET)
        naive = ph.ln_evidence(chains, TARGET, block_size=1)
        z.append((r.ln_z - LN_Z) / r.sigma_ln_z)
        z_iid.append((naive.ln_z - LN_Z) / naive.sigma_ln_z)
        flagged += not r.reliable
        assert r.block_size >= 10 * 5  # τ̂ of the weights is well above 5
    lo, hi = np.sqrt(stats.chi2.ppf([0.0005, 0.9995], 39) / 39)
    assert lo < np.std(z, ddof=1) < hi, np.std(z, ddof=1)
    assert abs(np.mean(z)) < 3.3 / np.sqrt(40) * hi
    assert np.std(z_iid, ddof=1) > 2 * hi  # the test can tell a wrong error bar
    assert flagged <= 2  # a diagnostic with p = 0.001 tests, not a false alarm


def test_batch_means_follow_their_definition():
    chains = _correlated_chains(3, 0.0, nchains=8, nsamples=50)
    r = ph.ln_evidence(chains, TARGET, block_size=10)
    ln_w = TARGET(chains.samples) - chains.ln_posterior
    rho_k = np.exp(ln_w).reshape(8 * 5, 10).mean(1)  # 5 blocks of 10 per chain
    rho = rho_k.mean()
    var = np.sum((rho_k - rho) ** 2) / 40 / 39
    assert r.nblocks == 40
    assert r.sigma_ln_z == pytest.approx(np.sqrt(var) / rho, rel=1e-10)
    assert r.ln_z == pytest.approx(-np.log(rho) - 0.5 * var / rho**2, abs=1e-12)
    assert r.kurtosis == pytest.approx(stats.kurtosis(rho_k, fisher=False), rel=1e-10)
    rho_i = np.exp(ln_w).mean(1)
    var_i = np.sum((rho_i - rho) ** 2) / 8 / 7
    assert r.sigma_ln_z_chains == pytest.approx(np.sqrt(var_i) / rho, rel=1e-10)


def test_chains_that_disagree_beyond_their_blocks_are_flagged():
    chains = _correlated_chains(4, 0.0)
    ln_post = np.array(chains.ln_posterior)
    ln_post[0] += 0.3  # one chain's weights off by e^-0.3: a chain that did not converge
    r = ph.ln_evidence(ph.Chains.from_arrays(chains.samples, ln_post), TARGET)
    assert r.chain_agreement_z > 3.09
    assert any("chains scatter more than the blocks" in w for w in r.warnings), r.warnings
    good = ph.ln_evidence(chains, TARGET)
    assert good.reliable, good.summary()


def test_too_few_chains_or_blocks_are_explained():
    chains = _correlated_chains(5, 0.0, nchains=3)
    r = ph.ln_evidence(chains, TARGET)
    assert any("only 3 inference chains" in w for w in r.warnings), r.warnings
    # one block per chain is the plain between-chain variance: 9 degrees of freedom
    r = ph.ln_evidence(_correlated_chains(5, 0.0), TARGET, block_size=2000)
    assert r.sigma_ln_z == pytest.approx(r.sigma_ln_z_chains, rel=1e-12)
    assert any("only 10 independent blocks" in w for w in r.warnings), r.warnings
    with pytest.raises(ValueError, match="block_size must be"):
        ph.ln_evidence(chains, TARGET, block_size=0)
    one = ph.Chains.from_arrays(chains.samples[:1], chains.ln_posterior[:1])
    with pytest.raises(ValueError, match="need at least 2 inference chains.*split_into_blocks"):
        ph.ln_evidence(one, TARGET)
