"""Meshes, padding rules and batch mapping over devices.

Multi-device behaviour runs in a subprocess started with
``XLA_FLAGS=--xla_force_host_platform_device_count=D`` (D = 4 and 3); this process keeps its
single device.  Running this file as a script (``python test_sharding.py out.npz``) is the
subprocess.
"""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec

from physml.core import sharding

BATCHES = (1, 2, 5, 8)  # fewer items than devices, and counts 3 and 4 do not divide


def _item_fn(x, w):
    """A per-item nonlinear map (each row independent)."""
    return jnp.tanh(x @ w) + x[..., :1] ** 2


def _data(batch):
    rng = np.random.default_rng(batch)
    return rng.normal(size=(batch, 6)), rng.normal(size=(batch, 6, 3))


def _per_item(x, w):
    return _item_fn(x[:, None, :], w)[:, 0]


def _gpus_per_host(devices):
    return 2 if devices % 2 == 0 else 1


def _run_sharded(path):
    mesh = sharding.mesh(("batch",))
    out = {"device_count": np.asarray(jax.device_count())}
    for batch in BATCHES:
        x, w = _data(batch)
        y = jax.jit(sharding.batch_map(_per_item, mesh))(x, w)
        out[f"y{batch}"] = np.asarray(y)
        placed, n = sharding.shard(x, mesh, "batch")
        out[f"placed_shape{batch}"] = np.asarray(placed.shape)
        out[f"placed_devices{batch}"] = np.asarray(len(placed.sharding.device_set))
        out[f"placed{batch}"] = np.asarray(sharding.unpad_axis(placed, n))
    gpus = _gpus_per_host(jax.device_count())
    grid = sharding.mesh(("hosts", "gpus"), shape=(jax.device_count() // gpus, gpus))
    out["grid_shape"] = np.asarray([grid.shape["hosts"], grid.shape["gpus"]])
    np.savez(path, **out)


@pytest.fixture(scope="module", params=[4, 3], ids=["4devices", "3devices"])
def sharded(request, tmp_path_factory):
    devices = request.param
    path = tmp_path_factory.mktemp(f"core{devices}") / "out.npz"
    flags = os.environ.get("XLA_FLAGS", "")
    env = dict(
        os.environ,
        JAX_ENABLE_X64="1",
        JAX_PLATFORMS="cpu",
        XLA_FLAGS=f"{flags} --xla_force_host_platform_device_count={devices}".strip(),
    )
    run = subprocess.run(
        [sys.executable, __file__, str(path)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return devices, dict(np.load(path))


def test_subprocess_has_the_devices_and_this_process_keeps_one(sharded):
    devices, out = sharded
    assert int(out["device_count"]) == devices
    assert jax.device_count() == 1


@pytest.mark.parametrize("batch", BATCHES)
def test_batch_map_equals_applying_the_function_on_one_device(sharded, batch):
    _, out = sharded
    x, w = _data(batch)
    np.testing.assert_allclose(out[f"y{batch}"], _per_item(x, w), rtol=0, atol=1e-14)


@pytest.mark.parametrize("batch", BATCHES)
def test_shard_pads_to_a_multiple_of_the_devices_and_keeps_the_data(sharded, batch):
    devices, out = sharded
    padded = -(-batch // devices) * devices
    assert tuple(out[f"placed_shape{batch}"]) == (padded, 6)
    assert int(out[f"placed_devices{batch}"]) == devices
    np.testing.assert_array_equal(out[f"placed{batch}"], _data(batch)[0])


def test_two_axis_mesh_has_the_requested_shape(sharded):
    devices, out = sharded
    gpus = _gpus_per_host(devices)
    assert tuple(out["grid_shape"]) == (devices // gpus, gpus)


def test_default_mesh_puts_every_device_on_the_first_axis():
    m = sharding.mesh(("a", "b"))
    assert m.axis_names == ("a", "b")
    assert m.shape["a"] == jax.device_count()
    assert m.shape["b"] == 1
    assert sharding.axis_size(m) == jax.device_count()
    assert sharding.axis_size(m, "b") == 1


@pytest.mark.parametrize(("n", "parts", "expected"), [(0, 3, 0), (1, 3, 3), (7, 3, 9), (8, 4, 8)])
def test_padded_size_is_the_next_multiple(n, parts, expected):
    assert sharding.padded_size(n, parts) == expected


def test_pad_unpad_and_mask_round_trip_on_any_axis():
    x = jnp.arange(2 * 7 * 3.0).reshape(2, 7, 3)
    padded = sharding.pad_axis(x, 4, axis=1, value=-1.0)
    assert padded.shape == (2, 8, 3)
    assert np.all(np.asarray(padded[:, 7]) == -1.0)
    np.testing.assert_array_equal(sharding.unpad_axis(padded, 7, axis=-2), x)
    np.testing.assert_array_equal(sharding.valid_mask(7, 8), [True] * 7 + [False])
    assert sharding.pad_axis(x, 7, axis=1).shape == x.shape


@pytest.mark.parametrize(
    ("kind", "ndim", "spec"),
    [
        ("batch", 3, PartitionSpec("d", None, None)),
        ("m", 2, PartitionSpec(None, "d")),
        ("m", 3, PartitionSpec(None, None, "d")),
        ("rings", 2, PartitionSpec("d", None)),
        ("rings", 3, PartitionSpec(None, "d", None)),
    ],
)
def test_transform_spec_splits_the_named_axis(kind, ndim, spec):
    assert sharding.transform_spec(kind, ndim, "d") == spec


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="distinct"):
        sharding.mesh(("a", "a"))
    with pytest.raises(TypeError, match="non-empty strings"):
        sharding.mesh((1,))
    with pytest.raises(ValueError, match="holds 2 devices"):
        sharding.mesh(("a",), shape=(2,))
    with pytest.raises(ValueError, match="positive device count"):
        sharding.mesh(("a", "b"), shape=(1,))
    with pytest.raises(ValueError, match="at least one device"):
        sharding.mesh(devices=[])
    with pytest.raises(ValueError, match="is not an axis of the mesh"):
        sharding.axis_size(sharding.mesh(), "rings")
    with pytest.raises(TypeError, match="must be a jax.sharding.Mesh"):
        sharding.resolve_axis("devices", None)
    with pytest.raises(ValueError, match="is not one of"):
        sharding.transform_spec("theta", 2)
    with pytest.raises(ValueError, match="at least 2 axes"):
        sharding.transform_spec("rings", 1)
    with pytest.raises(ValueError, match="scalar"):
        sharding.shard(jnp.float64(1.0), sharding.mesh())
    with pytest.raises(ValueError, match="different batch lengths"):
        sharding.batch_map(lambda a, b: a, sharding.mesh())(jnp.ones(2), jnp.ones(3))
    with pytest.raises(ValueError, match="need n >= 0"):
        sharding.padded_size(-1, 2)


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)
    _run_sharded(sys.argv[1])
