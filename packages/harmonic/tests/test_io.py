import json

import jax
import numpy as np
import pytest

import physml.harmonic as ph
from physml.harmonic import io


@pytest.fixture(scope="module")
def data():
    # 5000 samples in d = 2 with the default flows: the same compiled code as test_flows
    rng = np.random.default_rng(0)
    return rng.normal(size=(5000, 2)) @ np.array([[1.0, 0.3], [0.0, 0.2]])


@pytest.mark.parametrize("model", [ph.RQSplineFlow(), ph.RealNVPFlow()])
def test_flow_round_trip_reproduces_log_prob_and_samples(tmp_path, data, model):
    fitted = model.fit(data, key=jax.random.key(0), epochs=3, progress=False)
    path = tmp_path / "flow.npz"
    io.save(path, fitted)
    loaded = io.load(path)
    assert loaded.config == fitted.config
    np.testing.assert_array_equal(loaded.log_prob(data, 0.7), fitted.log_prob(data, 0.7))
    key = jax.random.key(1)
    np.testing.assert_array_equal(loaded.sample(key, 5), fitted.sample(key, 5))


def test_mixture_round_trip(tmp_path, data):
    fitted = ph.GaussianMixture(2).fit(data, key=jax.random.key(0))
    io.save(tmp_path / "gmm.npz", fitted)
    loaded = io.load(tmp_path / "gmm.npz")
    np.testing.assert_array_equal(loaded.log_prob(data), fitted.log_prob(data))


def _rewrite(path, out, meta_update=None, drop=None, replace=None):
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays.pop("metadata")))
    meta.update(meta_update or {})
    for k in drop or []:
        arrays.pop(k)
    arrays.update(replace or {})
    np.savez(out, metadata=np.array(json.dumps(meta)), **arrays)


def test_load_checks_version_format_and_shapes(tmp_path, data):
    fitted = ph.GaussianMixture(1).fit(data, key=jax.random.key(0))
    path = tmp_path / "m.npz"
    io.save(path, fitted)
    _rewrite(path, tmp_path / "v.npz", {"version": "9.0.0"})
    with pytest.raises(ValueError, match="written by physml.harmonic 9.0.0"):
        io.load(tmp_path / "v.npz")
    _rewrite(path, tmp_path / "f.npz", {"format": "other"})
    with pytest.raises(ValueError, match="has format 'other'"):
        io.load(tmp_path / "f.npz")
    _rewrite(path, tmp_path / "s.npz", replace={"means": np.zeros((1, 4))})
    with pytest.raises(ValueError, match=r"'means' has shape \(1, 4\) but .* needs \(1, 2\)"):
        io.load(tmp_path / "s.npz")
    np.savez(tmp_path / "x.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a physml.harmonic model file"):
        io.load(tmp_path / "x.npz")
    with pytest.raises(TypeError, match="model must be a FittedFlow"):
        io.save(tmp_path / "y.npz", object())


def test_flow_load_checks_parameter_shapes(tmp_path, data):
    fitted = ph.RealNVPFlow().fit(data, key=jax.random.key(0), epochs=2, progress=False)
    path = tmp_path / "f.npz"
    io.save(path, fitted)
    _rewrite(
        path,
        tmp_path / "h.npz",
        {"config": {**json.loads(str(np.load(path)["metadata"]))["config"], "hidden": 16}},
    )
    with pytest.raises(ValueError, match="has shape .* but the model described"):
        io.load(tmp_path / "h.npz")


def test_files_hold_no_pickled_objects(tmp_path, data):
    fitted = ph.GaussianMixture(1).fit(data, key=jax.random.key(0))
    io.save(tmp_path / "m.npz", fitted)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        assert all(f[k].dtype != object for k in f.files)


def test_training_resumes_from_a_loaded_model(tmp_path, data):
    first = ph.RQSplineFlow().fit(data, key=jax.random.key(0), epochs=3, progress=False)
    io.save(tmp_path / "ckpt.npz", first)
    resumed = ph.RQSplineFlow().fit(
        data, key=jax.random.key(0), epochs=1, progress=False, init=io.load(tmp_path / "ckpt.npz")
    )
    np.testing.assert_array_equal(resumed.shift, first.shift)
    # same key, same validation set: resuming starts from the trained state, so its first
    # validation loss is no worse than the first epoch of the original run
    assert resumed.history.val_loss[0] <= first.history.val_loss[0] + 1e-3
    with pytest.raises(ValueError, match="init was fitted with"):
        ph.RealNVPFlow().fit(data, key=jax.random.key(1), init=first, progress=False)
