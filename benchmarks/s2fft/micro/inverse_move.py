"""The precompute inverse's ring move: dense matrices against FFTs along θ, interleaved.

    python benchmarks/s2fft/micro/inverse_move.py [--L 256 512] [--rounds 9] [--sampling mw]

The kernel sums of ``method="precompute"`` run on MWSS rings (their mirror symmetry halves the
kernel); MW and DH signals then need the exact torus move of each order's ring profile.  Up to
``_torus.DENSE_MAX_L`` that move can be one dense (nθ, L+1) matrix per parity of m, O(L³)
flops, or two FFTs per pair of orders along θ, O(L² log L), in the (order, ring) layout the kernel
product returns.  ``_precompute.FFT_MOVE_MIN_L`` picks between them for MW rings.  Every round
times the inverse both ways and raw ducc0 (MW, 2 threads) back to back on the same signal.
"""

import argparse
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import run

import physml.s2fft as s2
from physml.s2fft import _precompute

parser = argparse.ArgumentParser()
parser.add_argument("--L", type=int, nargs="+", default=[256, 512])
parser.add_argument("--spins", type=int, nargs="+", default=[0, 2])
parser.add_argument("--sampling", default="mw", choices=["mw", "dh"])
parser.add_argument("--rounds", type=int, default=9)
args = parser.parse_args()


def seconds(fn):
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def inverse_with(min_L):
    """The precompute inverse traced with ``FFT_MOVE_MIN_L = min_L`` (a fresh jit each)."""
    _precompute.FFT_MOVE_MIN_L = min_L
    fn = jax.jit(lambda x, k: _precompute.inverse_precompute.__wrapped__(x, k))
    return fn


default = _precompute.FFT_MOVE_MIN_L
for L in args.L:
    for spin in args.spins:
        reality = spin == 0
        flm = jnp.asarray(run.random_flm(L, spin, reality))
        kernels = s2.precompute_kernels(L, spin, args.sampling, reality=reality)
        routes = {}
        for name, min_L in (("dense", L + 1), ("fft", 1)):
            routes[name] = inverse_with(min_L)
            jax.block_until_ready(routes[name](flm, kernels))  # traced with this route
        _precompute.FFT_MOVE_MIN_L = default
        dense, fft = (routes[name](flm, kernels) for name in ("dense", "fft"))
        difference = float(jnp.max(jnp.abs(dense - fft)))
        raw = run.ducc_callables(run.ducc_alm(np.asarray(flm), L, spin), L, spin)["inverse"]
        raw()
        times = {"dense": [], "fft": [], "ducc0 (MW)": []}
        for _ in range(args.rounds):
            times["ducc0 (MW)"].append(seconds(raw))
            for name, fn in routes.items():
                times[name].append(seconds(lambda fn=fn, x=flm, k=kernels: fn(x, k)))
        medians = {name: np.median(t) for name, t in times.items()}
        print(
            f"L={L} spin={spin} {args.sampling}: |dense − fft| = {difference:.1e}; medians "
            + ", ".join(f"{n} {1e3 * t:.2f} ms" for n, t in medians.items())
            + f"; dense/ducc0 {medians['dense'] / medians['ducc0 (MW)']:.2f}x,"
            f" fft/ducc0 {medians['fft'] / medians['ducc0 (MW)']:.2f}x",
            flush=True,
        )
