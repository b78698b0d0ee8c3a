"""Chains sharded over (forced host) devices: the moves, and ``sample(..., mesh=...)``.

The run happens in a subprocess with ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` so
that this process keeps its single CPU device.
"""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import physml.proxnest as pn

_SHARDED_MOVES = """
import json, jax, jax.numpy as jnp, numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
jax.config.update("jax_enable_x64", True)
import physml.proxnest as pn
from physml.proxnest.kernels import MoveConfig, constrained_moves
from physml.proxnest.nested import Problem
shape = (4, 4)
prior = pn.LaplaceWaveletPrior.create(pn.DaubechiesWavelet2D.create(shape, 1, 1), mu=1.0)
problem = Problem(jnp.ones(shape), pn.Identity(shape), jnp.asarray(0.5), prior)
x = prior.sample(jax.random.key(0), 8)
g = jax.vmap(problem.neg_log_like)(x)
tau = jnp.max(g) + 1.0
run = jax.jit(lambda k, x, g: constrained_moves(k, x, g, tau, 0.05, 0.025, problem,
                                                 MoveConfig(5, "mh")))
plain = run(jax.random.key(1), x, g)
mesh = Mesh(np.array(jax.devices()), ("chains",))
put = lambda a: jax.device_put(a, NamedSharding(mesh, P("chains")))
sharded = run(jax.random.key(1), put(x), put(g))
print(json.dumps({"devices": len(jax.devices()),
                  "spread": len(sharded[0].sharding.device_set),
                  "diff": max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(plain, sharded))}))
"""


_SHARDED_SAMPLE = """
import json, jax, jax.numpy as jnp, numpy as np
from jax.sharding import Mesh
jax.config.update("jax_enable_x64", True)
import physml.proxnest as pn
shape = (4, 4)
prior = pn.LaplaceWaveletPrior.create(pn.DaubechiesWavelet2D.create(shape, 1, 1), mu=1.0)
y = jnp.asarray(np.random.default_rng(0).normal(size=shape))
mesh = Mesh(np.array(jax.devices()), ("chains",))
kw = dict(n_live=16, batch=4, n_steps=4, dlogz=0.1, progress=False)
plain = pn.sample(jax.random.key(1), y, pn.Identity(shape), 0.5, prior, **kw)
sharded = pn.sample(jax.random.key(1), y, pn.Identity(shape), 0.5, prior, mesh=mesh, **kw)
try:
    pn.sample(jax.random.key(1), y, pn.Identity(shape), 0.5, prior, mesh=mesh, n_live=16,
              batch=6, progress=False)
    message = ""
except ValueError as err:
    message = str(err)
print(json.dumps({
    "devices": len(jax.devices()),
    "ln_z": [plain.ln_z, sharded.ln_z],
    "n_iter": [plain.n_iter, sharded.n_iter],
    "samples": float(np.max(np.abs(plain.samples - sharded.samples))),
    "mean": float(np.max(np.abs(plain.posterior_mean - sharded.posterior_mean))),
    "message": message,
}))
"""


def _on_four_devices(script: str) -> dict:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    env["JAX_PLATFORMS"] = "cpu"
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_chain_updates_shard_over_devices_with_identical_results():
    got = _on_four_devices(_SHARDED_MOVES)
    assert got["devices"] == 4
    assert got["spread"] == 4
    assert got["diff"] == pytest.approx(0.0, abs=1e-12)


def test_sharded_sample_equals_the_single_device_run():
    got = _on_four_devices(_SHARDED_SAMPLE)
    assert got["devices"] == 4
    # Same bits, same per-chain arithmetic: the runs agree to rounding (here: exactly).
    assert got["n_iter"][0] == got["n_iter"][1]
    assert got["ln_z"][1] == pytest.approx(got["ln_z"][0], abs=1e-12)
    assert got["samples"] <= 1e-12
    assert got["mean"] <= 1e-12
    assert "batch must be a multiple of the mesh's 4 devices" in got["message"]


def test_mesh_must_be_a_jax_mesh():
    shape = (2, 2)
    y = np.zeros(shape)
    prior = pn.GaussianPrior.create(shape)
    with pytest.raises(TypeError, match="mesh must be a jax.sharding.Mesh"):
        pn.sample(jax.random.key(0), y, pn.Identity(shape), 1.0, prior, mesh=jax.devices())
