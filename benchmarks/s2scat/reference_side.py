"""Reference side of the s2scat benchmark: runs in the established s2scat's own environment.

Usage (called by run.py): ``python reference_side.py IN.npz OUT.npz``.  IN holds the target
and rotated target coefficients in physml's dense (L, 2L−1) layout, L, N, J_min and the
number of synthesis iterations; OUT gets s2scat's isotropic statistics and timings.
"""

import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np
import s2scat
from s2scat.operators.spherical import make_flm_real


def _timed(fn, *args, repeat=20):
    jax.block_until_ready(fn(*args))  # compile
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t)
    return float(np.median(times)), float(np.min(times))


def main(path_in, path_out):
    data = np.load(path_in)
    L, N, J_min, niter = (int(data[k]) for k in ("L", "N", "J_min", "niter"))
    flm = jnp.asarray(data["flm"])
    rot = jnp.asarray(data["flm_rot"])
    xlm, xlm_rot = make_flm_real(flm, L), make_flm_real(rot, L)
    t = time.perf_counter()
    config = s2scat.configure(L, N, J_min, True, False, False)
    t_config = time.perf_counter() - t
    norm = s2scat.compute_norm(xlm, L, N, J_min, True, config, False)

    def stats(x):
        return s2scat.scatter(x, L, N, J_min, True, config, norm, False, True, None)

    jstats = jax.jit(stats)
    t = time.perf_counter()
    target = jax.block_until_ready(jstats(xlm))
    t_compile = time.perf_counter() - t
    t_stats, min_stats = _timed(jstats, xlm)
    rotated = jstats(xlm_rot)

    def loss(x):
        return s2scat.optimisation.l2_covariance_loss(stats(x), target)

    t_grad, min_grad = _timed(jax.jit(jax.value_and_grad(loss)), xlm)
    generator = s2scat.build_generator(xlm, L, N, J_min, True, False, True, None)
    t = time.perf_counter()
    jax.block_until_ready(generator(jax.random.PRNGKey(0), 1, niter, 1e-2))
    t_synth = time.perf_counter() - t
    names = ("mean", "var", "S1", "P00", "C01", "C11")
    out = {f"target_{n}": np.asarray(v) for n, v in zip(names, target, strict=True)}
    out.update({f"rotated_{n}": np.asarray(v) for n, v in zip(names, rotated, strict=True)})
    out.update(
        t_config=t_config,
        t_compile=t_compile,
        t_stats=t_stats,
        t_grad=t_grad,
        min_stats=min_stats,
        min_grad=min_grad,
        t_synth=t_synth,
        niter=niter,
        jax_version=jax.__version__,
        s2scat_version=getattr(s2scat, "__version__", "0.0.3"),
    )
    np.savez(path_out, **out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
