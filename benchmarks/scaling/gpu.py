"""GPU benchmark: SHTs at large L (on-the-fly and precompute) beside the established s2fft,
and the Pallas kernels against their pure-JAX fallbacks.  Run it where a GPU is visible::

    python benchmarks/scaling/gpu.py                      # L = 512 1024 2048, writes gpu.json
    python benchmarks/scaling/gpu.py --allow-cpu --L 16   # smoke test of the script on a CPU

Everything is timed in one process on the same random signals (MW, spin 0, reality=True,
float64): best-of-``repeats`` wall time after one warm-up call (compile excluded).
Precompute kernels larger than ``--max-kernel-gib`` are skipped (their size is reported).
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from physml import s2fft
from physml.core import disco_kernels, kernels

HERE = Path(__file__).resolve().parent


def _best(fn, repeats):
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return min(times)


def _sht_rows(L, repeats, max_bytes):
    # Timing does not depend on the values: a random real map on the MW grid.
    f = jax.device_put(np.random.default_rng(L).normal(size=(L, 2 * L - 1)))
    rows = []

    def add(library, method, seconds, extra=None):
        row = {"L": L, "library": library, "method": method, "forward_s": seconds}
        rows.append({**row, **(extra or {})})

    fwd = jax.jit(lambda x: s2fft.forward(x, L, reality=True))
    add("physml", "jax", _best(lambda: fwd(f), repeats))
    nbytes = s2fft.kernel_nbytes(L, reality=True, forward=True)
    if nbytes <= max_bytes:
        k = s2fft.precompute_kernels(L, reality=True, forward=True)
        pre = jax.jit(
            lambda x, k: s2fft.forward(x, L, reality=True, method="precompute", precomps=k)
        )
        add("physml", "precompute", _best(lambda: pre(f, k), repeats), {"kernel_bytes": nbytes})
        del k
    else:
        add("physml", "precompute", None, {"kernel_bytes": nbytes, "skipped": "kernel too large"})
    try:
        import s2fft as established
        from s2fft.precompute_transforms import construct
        from s2fft.precompute_transforms import spherical as established_pre
    except ImportError:
        return rows
    otf = jax.jit(lambda x: established.forward(x, L, method="jax", reality=True))
    add("s2fft", "jax", _best(lambda: otf(f), repeats))
    if nbytes <= max_bytes:
        kernel = construct.spin_spherical_kernel_jax(L, reality=True, forward=True)
        add(
            "s2fft",
            "precompute",
            _best(lambda: established_pre.forward(f, L, 0, kernel, reality=True), repeats),
        )
    return rows


def _kernel_rows(repeats):
    rows = []
    for L in (32, 64):
        sparse = disco_kernels.build(L, "mw", L, "healpix", nside_out=L // 2, method="sparse")
        ell = kernels.from_sparse_kernel(sparse)
        u = jax.device_put(np.random.default_rng(0).normal(size=(16, ell.n_in)))
        for backend in ("xla", "pallas"):
            interpret = backend == "pallas" and jax.default_backend() != "gpu"
            fn = jax.jit(partial(kernels.ell_contract, backend=backend, interpret=interpret))
            seconds = _best(partial(fn, u, ell), repeats)
            rows.append({"kernel": "disco_ell", "L": L, "backend": backend, "seconds": seconds})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-kernel-gib", type=float, default=40.0)
    parser.add_argument("--allow-cpu", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "gpu.json")
    args = parser.parse_args()
    backend = jax.default_backend()
    if backend != "gpu" and not args.allow_cpu:
        raise SystemExit(
            f"no GPU visible (JAX backend {backend!r}); pass --allow-cpu to smoke test"
        )
    sht = [row for L in args.L for row in _sht_rows(L, args.repeats, args.max_kernel_gib * 2**30)]
    kern = _kernel_rows(args.repeats)
    for row in sht + kern:
        print(row)
    device = str(jax.devices()[0])
    args.out.write_text(json.dumps({"device": device, "sht": sht, "kernels": kern}, indent=2))


if __name__ == "__main__":
    main()
