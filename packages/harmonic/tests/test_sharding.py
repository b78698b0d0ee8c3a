"""Data-parallel training and chain-sharded evidence on 4 and 3 (forced host) devices."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import functools
    import jax, numpy as np
    from jax.sharding import Mesh
    import physml.harmonic as ph
    from physml.harmonic import _training, testing

    assert jax.device_count() == 4, jax.devices()
    # spy on the compiled training program: it must all-reduce the gradients
    programs, train = [], _training._train
    def spy(*args, **kwargs):
        programs.append(train.lower(*args, **kwargs).compile().as_text())
        return train(*args, **kwargs)
    _training._train = spy

    # 10 chains: 5 inference chains over 4 or 3 devices needs padding (no divisibility)
    p = testing.gaussian_gaussian_prior(jax.random.key(0), 3, nchains=10, nsamples=300)
    train_chains, infer = ph.split_by_chains(
        ph.Chains.from_arrays(p.samples, p.ln_posterior), key=jax.random.key(1))
    config = ph.RQSplineFlow(dtype="float64", n_layers=2, hidden=8)
    # batch 96 splits evenly over 4 and 3 devices, so both fits see the same batches
    kw = dict(key=jax.random.key(2), epochs=3, batch_size=96, patience=10, progress=False)
    one = config.fit(train_chains, **kw)
    target = functools.partial(one.log_prob, temperature=0.8)
    ref = ph.ln_evidence(infer, target)
    assert "all-reduce" not in programs[0]
    # 4 devices, and 3 to catch any assumption that sizes divide evenly
    for ndev in (4, 3):
        mesh = Mesh(np.array(jax.devices()[:ndev]), ("data",))
        many = config.fit(train_chains, mesh=mesh, **kw)
        assert "all-reduce" in programs[-1]
        leaves = jax.tree_util.tree_leaves(many.params)
        assert all(len(v.sharding.device_set) == ndev for v in leaves)
        for a, b in zip(jax.tree_util.tree_leaves(one.params), leaves):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=0, atol=1e-12)
        np.testing.assert_allclose(many.history.val_loss, one.history.val_loss, rtol=1e-13)

        out = ph.ln_evidence(infer, target, mesh=mesh)
        assert abs(out.ln_z - ref.ln_z) <= 1e-12, (out.ln_z, ref.ln_z)
        assert abs(out.sigma_ln_z - ref.sigma_ln_z) <= 1e-12
        np.testing.assert_allclose(out.ln_inv_z_chains, ref.ln_inv_z_chains, rtol=0, atol=1e-12)
    print("ok")
    """
)


def test_sharded_training_and_evidence_equal_one_device():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
           "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
