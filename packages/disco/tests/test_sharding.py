"""The DISCO contraction with the batch sharded over 4 (forced host) devices."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    import physml.disco as pd

    assert jax.device_count() == 4, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    batch = NamedSharding(mesh, P("batch"))
    rng = np.random.default_rng(0)
    for op in (pd.build(8, "mwss", 4, "mwss", theta_cutoff=0.6),
               pd.build(8, "healpix", 6, "mw", nside_in=4, theta_cutoff=0.6)):
        x = rng.standard_normal((8, 2, *op.geometry_in.shape))
        w = rng.standard_normal((3, 2, op.basis.size))
        def loss(x, w):
            return jnp.sum(jnp.sin(pd.conv(op, x, w)))
        ref = jax.jit(pd.conv)(op, x, w)
        ref_grad = jax.jit(jax.grad(loss, argnums=(0, 1)))(x, w)
        xs = jax.device_put(x, batch)
        out = jax.jit(pd.conv)(op, xs, w)
        grads = jax.jit(jax.grad(loss, argnums=(0, 1)))(xs, w)
        assert len(out.sharding.device_set) == 4, out.sharding
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-13)
        for g, r in zip(grads, ref_grad):
            np.testing.assert_allclose(g, r, rtol=0, atol=1e-12)
    print("ok")
    """
)


def test_batch_sharded_over_four_devices_gives_the_unsharded_result():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
           "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
