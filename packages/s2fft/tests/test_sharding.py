"""Sharded transforms equal the single-device transforms (≤ 1e-12, float64).

The sharded results are computed in a subprocess started with
``XLA_FLAGS=--xla_force_host_platform_device_count=D`` for D = 4 and D = 3 (3 divides none of
the ring, order or batch counts used, so any divisibility assumption would show); this
process keeps its own devices and computes the single-device references.  Running this file
as a script (``python test_sharding.py D out.npz``) is the subprocess.
"""

import fcntl
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _signals import random_flm

from physml import s2fft
from physml.core import sharding as core_sharding
from physml.core.compilation import CPU_COMPILER_OPTIONS
from physml.s2fft import sharding

L = 7  # rings: mw 7, mwss 8, dh 14, gl 7; orders 13
DISTRIBUTED = [("mw", 2), ("mwss", 1), ("dh", -1), ("gl", 0)]
SPLITS = ["m", "rings"]
BATCH = 5
LB, NSIDE, N = 6, 4, 2


def _batch_flm(seed, reality=False):
    return np.stack([random_flm(LB, reality=reality, seed=seed + k) for k in range(BATCH)])


def _flmn(batch):
    return np.stack(
        [
            np.stack([random_flm(LB, seed=100 + 10 * b + n) for n in range(2 * N - 1)])
            for b in range(batch)
        ]
    )


def _loss(inverse):
    """Real loss of a real parameter vector through a complex transform (for gradients)."""

    def loss(a):
        f = inverse(a * (1.0 + 0.5j))
        return jnp.sum(jnp.abs(f) ** 2)

    return loss


def _inputs():
    """Signals for every case, built in this process (band-limited maps from our inverse)."""
    data = {}
    for sampling, spin in DISTRIBUTED:
        flm = random_flm(L, spin, seed=abs(spin))
        data[f"flm_{sampling}"] = flm
        data[f"f_{sampling}"] = np.asarray(s2fft.inverse(flm, L, spin, sampling))
    data["grad_flm"] = random_flm(L, 0, seed=7).real
    data["hp_flm"] = _batch_flm(0)
    data["real_flm"] = _batch_flm(20, reality=True)
    data["real_f"] = np.asarray(s2fft.inverse(data["real_flm"], LB, reality=True))
    data["flmn"] = _flmn(2)
    return data


def _run_sharded(inputs, path):
    """Subprocess body: every sharded result, with the number of devices it lives on."""
    data = dict(np.load(inputs))
    mesh = core_sharding.mesh()
    out = {"device_count": np.asarray(jax.device_count())}

    def keep(key, value):
        out[key] = np.asarray(value)
        out[f"ndev_{key}"] = np.asarray(len(value.sharding.device_set))

    for sampling, spin in DISTRIBUTED:
        flm, f = data[f"flm_{sampling}"], data[f"f_{sampling}"]
        for split in SPLITS:
            kw = {"mesh": mesh, "split": split}
            keep(
                f"inv_{sampling}_{split}",
                sharding.inverse_distributed(flm, L, spin, sampling, **kw),
            )
            keep(
                f"fwd_{sampling}_{split}", sharding.forward_distributed(f, L, spin, sampling, **kw)
            )
    for split in SPLITS:
        inverse = _loss(lambda x, s=split: sharding.inverse_distributed(x, L, mesh=mesh, split=s))
        out[f"grad_inv_{split}"] = np.asarray(jax.grad(inverse)(data["grad_flm"]))
        forward = _loss(
            lambda x, s=split: sharding.forward_distributed(x, L, 2, "mw", mesh=mesh, split=s)
        )
        out[f"grad_fwd_{split}"] = np.asarray(jax.grad(forward)(data["f_mw"].real))
    keep(
        "batch_inv_healpix",
        sharding.inverse_batch(data["hp_flm"], LB, sampling="healpix", nside=NSIDE, mesh=mesh),
    )
    two_axes = data["real_f"].reshape(1, BATCH, *data["real_f"].shape[1:])
    keep("batch_fwd_real", sharding.forward_batch(two_axes, LB, reality=True, mesh=mesh))
    keep("wigner_inv", sharding.wigner_inverse_batch(data["flmn"], LB, N, mesh=mesh))
    np.savez(path, **out)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    data = _inputs()
    path = tmp_path_factory.mktemp("inputs") / "inputs.npz"
    np.savez(path, **data)
    return path, data


@pytest.fixture(scope="module", params=[4, 3], ids=["4devices", "3devices"])
def sharded(request, inputs, tmp_path_factory):
    """The subprocess results for ``devices``, computed once per test run.

    pytest re-creates a module-scoped parametrized fixture whenever the test order alternates
    its parameters, and every xdist worker has its own; the results (deterministic inputs)
    are kept in the run's shared temporary directory, behind a lock, so the subprocess of
    each device count runs once in all.
    """
    devices = request.param
    base = tmp_path_factory.getbasetemp()  # under xdist: one per worker, in this run's folder
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / f"sharded{devices}.npz"
    with open(shared / f"sharded{devices}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits for the first one's result
        if not path.exists():
            _run_subprocess(devices, inputs[0], path)
    return devices, dict(np.load(path)), inputs[1]


def _run_subprocess(devices, inputs_path, path):
    # the subprocess compiles ~25 small programs: physml's faster CPU compile options
    # (physml.core.compilation) take it from 56 to 34 s; results are unchanged
    fast = " ".join(f"--{k}={str(v).lower()}" for k, v in CPU_COMPILER_OPTIONS.items())
    flags = os.environ.get("XLA_FLAGS", "")
    env = dict(
        os.environ,
        JAX_ENABLE_X64="1",
        JAX_PLATFORMS="cpu",
        XLA_FLAGS=f"{flags} {fast} --xla_force_host_platform_device_count={devices}".strip(),
    )
    run = subprocess.run(
        [sys.executable, __file__, str(inputs_path), str(path)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-4000:]


def _close(sharded_value, reference):
    # Same arithmetic, summed in another order: differences are a few ulps of O(1) values.
    np.testing.assert_allclose(sharded_value, reference, rtol=0, atol=1e-12)


def test_subprocess_sees_the_requested_devices_and_this_process_does_not(sharded):
    devices, out, _ = sharded
    assert int(out["device_count"]) == devices
    assert jax.device_count() == 1


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(("sampling", "spin"), DISTRIBUTED)
def test_inverse_of_one_split_map_equals_one_device(sharded, sampling, spin, split):
    devices, out, data = sharded
    assert int(out[f"ndev_inv_{sampling}_{split}"]) == devices
    _close(out[f"inv_{sampling}_{split}"], data[f"f_{sampling}"])


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(("sampling", "spin"), DISTRIBUTED)
def test_forward_of_one_split_map_equals_one_device_and_recovers_flm(
    sharded, sampling, spin, split
):
    _, out, data = sharded
    result = out[f"fwd_{sampling}_{split}"]
    _close(result, s2fft.forward(data[f"f_{sampling}"], L, spin, sampling))
    _close(result, data[f"flm_{sampling}"])  # exact quadrature


@pytest.mark.parametrize("split", SPLITS)
def test_gradients_through_split_transforms_equal_one_device(sharded, split):
    _, out, data = sharded
    inverse = _loss(lambda x: s2fft.inverse(x, L))
    _close(out[f"grad_inv_{split}"], jax.grad(inverse)(data["grad_flm"]))
    forward = _loss(lambda x: s2fft.forward(x, L, 2, "mw"))
    _close(out[f"grad_fwd_{split}"], jax.grad(forward)(data["f_mw"].real))


def test_batch_transforms_equal_one_device(sharded):
    devices, out, data = sharded
    reference = s2fft.inverse(data["hp_flm"], LB, sampling="healpix", nside=NSIDE)
    _close(out["batch_inv_healpix"], reference)
    assert int(out["ndev_batch_inv_healpix"]) == devices
    assert out["batch_fwd_real"].shape == (1, BATCH, LB, 2 * LB - 1)
    _close(out["batch_fwd_real"][0], s2fft.forward(data["real_f"], LB, reality=True))
    _close(out["batch_fwd_real"][0], data["real_flm"])


def test_wigner_batch_equals_one_device_with_fewer_items_than_devices(sharded):
    _, out, data = sharded
    _close(out["wigner_inv"], s2fft.wigner.inverse(data["flmn"], LB, N))


def test_one_device_mesh_gives_the_same_split_transforms():
    mesh = core_sharding.mesh()
    flm = random_flm(L, 1, seed=3)
    for split in SPLITS:
        f = sharding.inverse_distributed(flm, L, 1, "mwss", mesh=mesh, split=split)
        _close(f, s2fft.inverse(flm, L, 1, "mwss"))
        _close(sharding.forward_distributed(f, L, 1, "mwss", mesh=mesh, split=split), flm)


def test_bad_input_raises_clear_errors():
    mesh = core_sharding.mesh()
    flm = random_flm(L, seed=0)
    with pytest.raises(ValueError, match="cannot be split over rings"):
        sharding.inverse_distributed(flm, L, sampling="healpix", mesh=mesh)
    with pytest.raises(ValueError, match="needs a leading batch axis"):
        sharding.inverse_batch(flm, L, mesh=mesh)
    with pytest.raises(ValueError, match="split='theta' is not one of"):
        sharding.inverse_distributed(flm, L, mesh=mesh, split="theta")
    with pytest.raises(ValueError, match="is not an axis of the mesh"):
        sharding.inverse_distributed(flm, L, mesh=mesh, axis_name="rings")
    with pytest.raises(ValueError, match=r"flm has shape \(6, 13\)"):
        sharding.inverse_distributed(flm[:6], L, mesh=mesh)
    with pytest.raises(ValueError, match="NaN"):
        sharding.forward_batch(np.full((2, L, 2 * L - 1), np.nan), L, mesh=mesh)
    with pytest.raises(ValueError, match="spin"):
        sharding.forward_distributed(np.zeros((L, 2 * L - 1)), L, spin=L, mesh=mesh)


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)
    _run_sharded(sys.argv[1], sys.argv[2])
