"""physml-core benchmark: ring FFTs (compile time and run time) against a NumPy ring loop.

The HEALPix ring FFT must compile in < 10 s at nside = 256 (issue 2) with a compile time that
does not grow with nside.  The peer is the obvious host implementation: one ``numpy.fft`` call
per ring (pocketfft), which is what ring-by-ring codes do.  Both run in this one process on the
same random maps; run time is the median of repeated calls after warm-up.

Usage:  python benchmarks/core/run.py [--nsides 64 128 256 512] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from physml.core import ring_fft, sampling


def _median_time(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_ring_forward(f, L, nside):
    """Reference: one FFT per ring, then the φ₀ phase and the alias map m -> m mod n."""
    lengths = sampling.healpix_ring_lengths(nside)
    offsets = sampling.healpix_ring_offsets(nside)
    phi0 = sampling.healpix_phi0(nside)
    m = np.arange(-(L - 1), L)
    out = np.empty((lengths.size, 2 * L - 1), dtype=complex)
    for r, (n, o) in enumerate(zip(lengths, offsets)):
        spectrum = np.fft.fft(f[o : o + n])
        out[r] = spectrum[m % n] * np.exp(-1j * m * phi0[r])
    return out


def bench_healpix(nside):
    L = 2 * nside
    rng = np.random.default_rng(0)
    f = rng.standard_normal(12 * nside**2)
    fj = jnp.asarray(f)
    fn = jax.jit(lambda x: ring_fft.forward(x, L, "healpix", nside))
    start = time.perf_counter()
    compiled = fn.lower(fj).compile()
    compile_s = time.perf_counter() - start
    run_s = _median_time(lambda: compiled(fj))
    ref_s = _median_time(lambda: numpy_ring_forward(f, L, nside), repeats=3)
    err = float(np.max(np.abs(np.asarray(compiled(fj)) - numpy_ring_forward(f, L, nside))))
    return {
        "sampling": "healpix",
        "nside": nside,
        "L": L,
        "compile_s": compile_s,
        "physml_s": run_s,
        "numpy_loop_s": ref_s,
        "ratio_physml_over_numpy": run_s / ref_s,
        "max_abs_error": err,
    }


def bench_equiangular(L, scheme="mw"):
    rng = np.random.default_rng(0)
    f = rng.standard_normal(sampling.f_shape(L, scheme))
    fj = jnp.asarray(f)
    fn = jax.jit(lambda x: ring_fft.forward(x, L, scheme))
    start = time.perf_counter()
    compiled = fn.lower(fj).compile()
    compile_s = time.perf_counter() - start
    run_s = _median_time(lambda: compiled(fj))
    ref = lambda: np.fft.fftshift(np.fft.fft(f, axis=-1), axes=-1)  # noqa: E731
    ref_s = _median_time(ref)
    err = float(np.max(np.abs(np.asarray(compiled(fj)) - ref())))
    return {
        "sampling": scheme,
        "L": L,
        "compile_s": compile_s,
        "physml_s": run_s,
        "numpy_loop_s": ref_s,
        "ratio_physml_over_numpy": run_s / ref_s,
        "max_abs_error": err,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nsides", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--Ls", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.json")))
    args = parser.parse_args()
    rows = [bench_healpix(n) for n in args.nsides] + [bench_equiangular(L) for L in args.Ls]
    header = (
        f"{'sampling':8} {'nside/L':>8} {'compile s':>10} {'physml s':>10} {'numpy s':>10}"
        f" {'ratio':>7} {'max err':>9}"
    )
    print(header)
    for r in rows:
        size = r.get("nside", r["L"])
        print(
            f"{r['sampling']:8} {size:8d} {r['compile_s']:10.3f} {r['physml_s']:10.4f}"
            f" {r['numpy_loop_s']:10.4f} {r['ratio_physml_over_numpy']:7.2f}"
            f" {r['max_abs_error']:9.2e}"
        )
    meta = {
        "jax": jax.__version__,
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "x64": bool(jax.config.jax_enable_x64),
    }
    Path(args.out).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
