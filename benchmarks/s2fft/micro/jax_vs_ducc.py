"""physml's ``"jax"`` and ``"precompute"`` forward transforms against raw ducc0, interleaved.

    python benchmarks/s2fft/micro/jax_vs_ducc.py [--L 512] [--rounds 7]

On a shared machine ducc0's own time moves by 1.5× between runs, so one best-of-N per library
can tilt a ratio either way.  Here every round times each transform once, back to back on the
same signal (MW, spin 0 real and spin 2, 2 ducc0 threads), and the per-round ratios are
summarised by their median and range.
"""

import argparse
import sys
import time
from pathlib import Path

import ducc0
import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import run

import physml.s2fft as s2

parser = argparse.ArgumentParser()
parser.add_argument("--L", type=int, nargs="+", default=[512])
parser.add_argument("--rounds", type=int, default=7)
args = parser.parse_args()


def seconds(fn):
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


for L in args.L:
    for spin in (0, 2):
        reality = spin == 0
        flm = jnp.asarray(run.random_flm(L, spin, reality))
        f = s2.inverse(flm, L, spin, reality=reality)
        kernels = s2.precompute_kernels(L, spin, reality=reality)
        ours = {
            "jax": jax.jit(lambda f, L=L, spin=spin, r=reality: s2.forward(f, L, spin, reality=r)),
            "precompute": jax.jit(
                lambda f, k, L=L, spin=spin, r=reality: s2.forward(
                    f, L, spin, reality=r, method="precompute", precomps=k
                )
            ),
        }
        args_of = {"jax": (f,), "precompute": (f, kernels)}
        for name, fn in ours.items():
            fn(*args_of[name])  # compile
        field = np.asarray(f)  # the same samples; for spin 2 as the (Q, U) pair ducc0 reads
        maps = field[None] if reality else np.stack([field.real, field.imag])

        def raw(maps=maps, spin=spin, L=L):
            return ducc0.sht.experimental.analysis_2d(
                map=maps, spin=spin, lmax=L - 1, geometry="MW", nthreads=2
            )

        raw()
        ratios = {name: [] for name in ours}
        ducc_times = []
        for _ in range(args.rounds):
            t_ducc = seconds(raw)
            ducc_times.append(t_ducc)
            for name, fn in ours.items():
                ratios[name].append(seconds(lambda fn=fn, a=args_of[name]: fn(*a)) / t_ducc)
        print(f"L={L} spin={spin}: ducc0 forward median {1e3 * np.median(ducc_times):.1f} ms")
        for name, r in ratios.items():
            print(
                f"  physml {name} / ducc0: median {np.median(r):.2f}x"
                f" (range {min(r):.2f}-{max(r):.2f}x over {args.rounds} rounds)"
            )
