"""Flows and the classical mixture: bijectivity, exact log-Jacobians, normalisation, sampling."""

import flax.nnx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from physml.harmonic import GaussianMixture, RealNVPFlow, RQSplineFlow, _couplings, flows


def _bimodal(n, d, seed=0):
    rng = np.random.default_rng(seed)
    sign = np.where(rng.uniform(size=(n, 1)) < 0.4, -1.0, 1.0)
    return sign * 1.5 + 0.6 * rng.normal(size=(n, d))


@pytest.fixture(scope="module")
def fitted_1d():
    x = _bimodal(5000, 1)
    return {
        "rqspline": RQSplineFlow().fit(x, key=jax.random.key(0), epochs=15, progress=False),
        "realnvp": RealNVPFlow().fit(x, key=jax.random.key(0), epochs=15, progress=False),
        "gaussian_mixture": GaussianMixture(2).fit(x, key=jax.random.key(0)),
    }


@pytest.fixture(scope="module")
def fitted_2d():
    x = _bimodal(5000, 2, seed=1)
    return {
        "rqspline": RQSplineFlow().fit(x, key=jax.random.key(1), epochs=15, progress=False),
        "realnvp": RealNVPFlow().fit(x, key=jax.random.key(1), epochs=15, progress=False),
    }


def test_spline_inverse_and_log_jacobian_match_autodiff():
    # jitted: run eagerly, every primitive would compile on its own
    fwd = jax.jit(_couplings.spline_forward, static_argnums=2)
    inv = jax.jit(_couplings.spline_inverse, static_argnums=2)
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(-6, 6, size=(200,)))
    params = jnp.asarray(rng.normal(size=(200, 3 * 6 - 1)))
    y, ld = fwd(x, params, 5.0)
    x_back, ld_inv = inv(y, params, 5.0)
    np.testing.assert_allclose(x_back, x, atol=1e-9)
    np.testing.assert_allclose(ld_inv, -ld, atol=1e-8)
    # the map is elementwise, so a JVP with unit tangents is the derivative at every point
    dydx = jax.jit(lambda a: jax.jvp(lambda v: fwd(v, params, 5.0)[0], (a,), (jnp.ones_like(a),)))
    np.testing.assert_allclose(ld, np.log(dydx(x)[1]), atol=1e-9)
    grid = jnp.linspace(-6, 6, 200)
    assert (np.diff(np.asarray(fwd(grid, params[:1].repeat(200, 0), 5.0)[0])) > 0).all()


def test_affine_inverse_and_log_jacobian_match_autodiff():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(size=(50,)))
    params = jnp.asarray(rng.normal(size=(50, 2)))
    y, ld = _couplings.affine_forward(x, params)
    x_back, ld_inv = _couplings.affine_inverse(y, params)
    np.testing.assert_allclose(x_back, x, atol=1e-12)
    dydx = jax.vmap(jax.grad(lambda a, p: _couplings.affine_forward(a, p)[0]))(x, params)
    np.testing.assert_allclose(ld, np.log(dydx), atol=1e-12)
    np.testing.assert_allclose(ld_inv, -ld, atol=1e-12)


@pytest.mark.parametrize("name", ["rqspline", "realnvp", "gaussian_mixture"])
@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_density_integrates_to_one_in_1d(fitted_1d, name, temperature):
    xs = np.linspace(-30, 30, 12001)
    dens = np.exp(np.asarray(fitted_1d[name].log_prob(xs[:, None], temperature)))
    # float32 flow parameters: the density is accurate to ~1e-6 relative
    assert abs(integrate.simpson(dens, x=xs) - 1.0) < 1e-4


@pytest.mark.parametrize("name", ["rqspline", "realnvp"])
def test_density_integrates_to_one_in_2d(fitted_2d, name):
    xs = np.linspace(-12, 12, 481)
    grid = np.stack(np.meshgrid(xs, xs, indexing="ij"), -1)
    dens = np.exp(np.asarray(fitted_2d[name].log_prob(grid, 0.8)))
    total = integrate.simpson(integrate.simpson(dens, x=xs, axis=1), x=xs)
    assert abs(total - 1.0) < 1e-3


@pytest.mark.parametrize("name", ["rqspline", "realnvp", "gaussian_mixture"])
def test_samples_follow_the_density_kolmogorov_smirnov(fitted_1d, name):
    model = fitted_1d[name]
    xs = np.linspace(-30, 30, 12001)
    dens = np.exp(np.asarray(model.log_prob(xs[:, None], 0.7)))
    cdf = integrate.cumulative_simpson(dens, x=xs, initial=0.0)
    draws = np.asarray(model.sample(jax.random.key(7), 4000, 0.7))[:, 0]
    p_value = stats.kstest(draws, lambda v: np.interp(v, xs, cdf / cdf[-1])).pvalue
    assert p_value > 1e-3


def test_flow_learns_a_bimodal_density_better_than_a_gaussian(fitted_1d):
    x = _bimodal(4000, 1, seed=9)
    gauss = stats.norm(x.mean(), x.std()).logpdf(x[:, 0]).mean()
    assert float(fitted_1d["rqspline"].log_prob(x).mean()) > gauss + 0.1


def test_temperature_scales_the_covariance():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4000, 3)) @ np.diag([1.0, 2.0, 0.5])
    model = GaussianMixture(1).fit(x, key=jax.random.key(0))
    draws = np.asarray(model.sample(jax.random.key(1), 20000, 0.25))
    np.testing.assert_allclose(draws.std(0), 0.5 * x.std(0), rtol=0.03)
    # EM with one component is the maximum-likelihood Gaussian (plus a 1e-6 relative ridge)
    ridge = 1e-6 * np.mean(np.var(x, axis=0))
    cov = np.cov(x, rowvar=False, bias=True) + ridge * np.eye(3)
    ref = stats.multivariate_normal(x.mean(0), 0.25 * cov)
    np.testing.assert_allclose(model.log_prob(x[:10], 0.25), ref.logpdf(x[:10]), rtol=1e-9)


def test_gaussian_mixture_recovers_known_components():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(-3, 0.5, (3000, 2)), rng.normal(3, 1.0, (1000, 2))])
    model = GaussianMixture(2).fit(x, key=jax.random.key(2))
    order = np.argsort(np.asarray(model.means)[:, 0])
    np.testing.assert_allclose(np.exp(model.ln_weights)[order], [0.75, 0.25], atol=0.02)
    np.testing.assert_allclose(np.asarray(model.means)[order, 0], [-3, 3], atol=0.1)


def test_flow_rejects_bad_input(fitted_2d):
    with pytest.raises(ValueError, match=r"x must have shape \[..., 2\]"):
        fitted_2d["rqspline"].log_prob(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        fitted_2d["rqspline"].log_prob(np.zeros((3, 2)), temperature=0.0)
    with pytest.raises(ValueError, match="samples contains 1 non-finite"):
        RQSplineFlow().fit(np.array([[0.0, np.nan], [1, 2], [3, 4]]), key=jax.random.key(0))
    with pytest.raises(ValueError, match="need at least 3 training samples"):
        RQSplineFlow().fit(np.zeros((2, 2)), key=jax.random.key(0), progress=False)


def test_fits_on_similar_data_sizes_share_one_compiled_training_program():
    from physml.harmonic import _training

    rng = np.random.default_rng(11)
    flow = RealNVPFlow(n_layers=2, hidden=8, n_hidden=1)
    flow.fit(rng.normal(size=(280, 2)), key=jax.random.key(0), epochs=2, progress=False)
    before = _training._train._cache_size()
    # another amount of data, epochs, learning rate and patience: padded to the same bucket
    fitted = flow.fit(
        rng.normal(size=(320, 2)),
        key=jax.random.key(1),
        epochs=3,
        learning_rate=1e-3,
        patience=2,
        progress=False,
    )
    assert _training._train._cache_size() == before
    assert 1 <= len(fitted.history.val_loss) <= 3


@pytest.mark.parametrize("flow", [RQSplineFlow, RealNVPFlow])
@pytest.mark.parametrize("d", [1, 3])
def test_host_forward_equals_the_compiled_flow(flow, d):
    # the NumPy namespace of the couplings against the traced Flax module, in float64 so that
    # any difference in the formulas shows; points reach every bin and the tails beyond ±bound
    # (d = 3: the layers transform 1 and 2 coordinates, so the first has a padding row)
    x = _bimodal(2000, d, seed=4)
    fitted = flow(dtype="float64").fit(x, key=jax.random.key(4), epochs=3, progress=False)
    u = np.random.default_rng(5).normal(scale=3.0, size=(500, d))
    z, log_det = flows.forward_on_host(fitted.config, fitted.params, u)
    module = flax.nnx.merge(fitted.graphdef, fitted.params)
    z_ref, log_det_ref = jax.jit(module.forward)(u)
    assert z.dtype == np.float64
    assert log_det.shape == (500,)
    assert np.any(np.abs(u) > fitted.config.bound)
    assert np.max(np.abs(z - u)) > 0.01
    np.testing.assert_allclose(z, z_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(log_det, log_det_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("flow", [RQSplineFlow(n_layers=2), RealNVPFlow(n_layers=2)])
@pytest.mark.parametrize("where", ["host", "compiled"])
def test_points_evaluated_by_the_fit_match_log_prob(flow, where, monkeypatch):
    import dataclasses

    # the fit maps small point sets with NumPy and large ones with a compiled program
    monkeypatch.setattr(flows, "_HOST_EVALUATION_LIMIT", 1 << 30 if where == "host" else 0)
    rng = np.random.default_rng(12)
    x, points = _bimodal(600, 3, seed=2), _bimodal(300, 3, seed=3)
    fitted = flow.fit(x, key=jax.random.key(3), epochs=3, progress=False, evaluate=points)
    assert fitted.evaluated is not None
    assert fitted.evaluated.matches(points)
    plain = dataclasses.replace(fitted, evaluated=None)  # the separately compiled log_prob
    for temperature in (1.0, 0.7):
        np.testing.assert_allclose(
            fitted.log_prob(points, temperature), plain.log_prob(points, temperature), atol=2e-5
        )
    # other points (even a perturbed copy) go through the compiled log_prob
    other = points + 1e-3 * rng.normal(size=points.shape)
    np.testing.assert_array_equal(fitted.log_prob(other), plain.log_prob(other))
    with pytest.raises(ValueError, match=r"evaluate must have shape \[m, 3\]"):
        flow.fit(x, key=jax.random.key(3), epochs=1, progress=False, evaluate=points[:, :2])
