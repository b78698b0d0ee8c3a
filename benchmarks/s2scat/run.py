"""physml.s2scat benchmark: synthesis quality, speed, compile time, memory, and the reference.

    python benchmarks/s2scat/run.py [--L 64] [--steps 150] [--samples 2] [--quick]
        [--reference /tmp/venv-s2scat-ref/bin/python] [--out results.json]

The established s2scat only installs with jax 0.7 / numpy < 2, so its side runs in its own
environment (requirements-reference.txt) through ``reference_side.py``, exchanging npz files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np

import physml.s2fft as s2
import physml.s2scat as sc
from physml.core import quadrature

HERE = Path(__file__).parent


def lognormal_target(key, L, sigma2=0.5, amplitude=1.0):
    """κ = λ (exp(g − σ²/2) − 1) of a Gaussian g with C_ℓ ∝ (ℓ + 5)^-2.5, band-limited at L."""
    ell = np.arange(L)
    cl = (ell + 5.0) ** -2.5
    cl[0] = 0.0
    cl *= sigma2 / np.sum((2 * ell + 1) * cl / (4 * np.pi))
    g = s2.inverse(s2.random_flm(key, L, jnp.asarray(cl)), L, reality=True)
    kappa = amplitude * (jnp.exp(g - sigma2 / 2) - 1.0)
    flm = s2.forward(kappa, L, reality=True)
    return flm, s2.inverse(flm, L, reality=True)


def pixel_moments(f, L):
    """Area-weighted skewness and excess kurtosis of fields on the MW grid of L."""
    w = quadrature.weights(L, "mw")[:, None] / (4 * np.pi)
    f = np.asarray(f).real
    mean = np.sum(w * f, axis=(-2, -1), keepdims=True)
    d = f - mean
    var = np.sum(w * d**2, axis=(-2, -1))
    skew = np.sum(w * d**3, axis=(-2, -1)) / var**1.5
    kurt = np.sum(w * d**4, axis=(-2, -1)) / var**2 - 3
    return skew, kurt


def band_errors(cl, cl_target, width=8):
    """Max over ℓ-bands [1+width·i, 1+width·(i+1)) of |Σ C_ℓ(2ℓ+1) / Σ C^t_ℓ(2ℓ+1) − 1|."""
    L = cl_target.shape[0]
    ell = np.arange(L)
    errs = []
    for lo in range(1, L, width):
        sl = slice(lo, min(lo + width, L))
        w = 2 * ell[sl] + 1
        errs.append(abs(np.sum(w * cl[sl]) / np.sum(w * cl_target[sl]) - 1))
    return float(np.max(errs)), [float(e) for e in errs]


def timed(fn, *args, repeat=20):
    """(compile + first call, median, minimum) wall seconds; the minimum is the least
    disturbed by other jobs on a shared machine."""
    t = time.perf_counter()
    jax.block_until_ready(fn(*args))
    compile_and_first = time.perf_counter() - t
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t)
    return compile_and_first, float(np.median(times)), float(np.min(times))


def stats_and_grad(op, norm):
    def value(flm):
        stats = sc.flm_to_scattering_covariance(flm, op, norm)
        return jnp.sum(jnp.abs(stats.vector()) ** 2)

    return jax.jit(jax.value_and_grad(value))


def bench_speed(flm, op, norm):
    evaluate = jax.jit(lambda x: sc.flm_to_scattering_covariance(x, op, norm))
    c1, t_stats, min_stats = timed(evaluate, flm)
    c2, t_grad, min_grad = timed(stats_and_grad(op, norm), flm)
    return {
        "compile_stats": c1,
        "t_stats": t_stats,
        "min_stats": min_stats,
        "compile_grad": c2,
        "t_grad": t_grad,
        "min_grad": min_grad,
    }


def bench_memory(L, key, method):
    """XLA buffer sizes of one compiled statistics + gradient evaluation (+ kernel bytes)."""
    flm, _ = lognormal_target(key, L)
    op = sc.make_scattering(L, J_min=2, method=method)
    norm = sc.raw_s2(flm, op)
    compiled = stats_and_grad(op, norm).lower(flm).compile()
    mem = compiled.memory_analysis()
    total = mem.temp_size_in_bytes + mem.argument_size_in_bytes + mem.output_size_in_bytes
    return {
        "L": L,
        "method": method,
        "program_bytes": int(total),
        "temp_bytes": int(mem.temp_size_in_bytes),
        "constant_bytes": int(getattr(mem, "generated_code_size_in_bytes", 0)),
        "kernel_bytes": op.kernel_nbytes,
    }


def bench_compile(key, sizes, J_min):
    """Compile time of the statistics and of statistics + gradient vs the number of scales."""
    rows = []
    for L in sizes:
        flm, _ = lognormal_target(key, L)
        for method, multires in (("precompute", True), ("jax", True), ("jax", False)):
            op = sc.make_scattering(L, J_min=J_min, method=method, multiresolution=multires)
            norm = sc.raw_s2(flm, op)
            stats = jax.jit(
                lambda x, op=op, norm=norm: sc.flm_to_scattering_covariance(x, op, norm)
            )
            row = {"L": L, "scales": op.n_scales, "method": method, "multiresolution": multires}
            for name, fn in (
                ("compile_stats_s", stats),
                ("compile_grad_s", stats_and_grad(op, norm)),
            ):
                t = time.perf_counter()
                fn.lower(flm).compile()
                row[name] = time.perf_counter() - t
            rows.append(row)
            print("compile", row, flush=True)
    return rows


def environment():
    import platform

    import physml.core

    return {
        "jax": jax.__version__,
        "numpy": np.__version__,
        "physml.s2scat": sc.__version__,
        "physml.core": physml.core.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
        "loadavg_start": os.getloadavg(),
    }


def compare_reference(python, flm, rot, L, J_min, niter):
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(
            fin, flm=np.asarray(flm), flm_rot=np.asarray(rot), L=L, N=1, J_min=J_min, niter=niter
        )
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        subprocess.run([python, str(HERE / "reference_side.py"), fin, fout], check=True, env=env)
        ref = dict(np.load(fout))
    return ref


def convert_ours_to_reference(stats, op, norm):
    """Our normalised statistics in s2scat's isotropic N = 1 layout (C01, C11 flattened)."""
    n = np.asarray(norm)
    J = op.n_scales
    s3 = {
        (int(a), int(b)): complex(v)
        for (a, b), v in zip(op.pairs, np.asarray(stats.s3[:, 0]), strict=True)
    }
    s4 = {
        tuple(int(i) for i in t): complex(v)
        for t, v in zip(op.triples, np.asarray(stats.s4[:, 0, 0]), strict=True)
    }
    c01, c11 = [], []
    for j1 in range(J - 1):
        for j2 in range(j1 + 1, J):
            c01.append(4 * np.pi * s3[(j2, j1)].real * np.sqrt(n[j2] / n[j1]))
        for a in range(j1 + 1, J):
            for b in range(j1 + 1, J):
                value = s4[(a, b, j1)] if a <= b else np.conj(s4[(b, a, j1)])
                c11.append(4 * np.pi * value.real * np.sqrt(n[a] * n[b]) / n[j1])
    return {
        "S1": np.asarray(stats.s1),
        "P00": np.asarray(stats.s2),
        "C01": np.array(c01),
        "C11": np.array(c11),
    }


def rel(a, b):
    return float(np.linalg.norm(np.ravel(a) - np.ravel(b)) / np.linalg.norm(np.ravel(a)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--L", type=int, default=64)
    parser.add_argument("--J-min", type=int, default=2)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--warm", action="store_true", help="time a second synthesis too")
    parser.add_argument("--nonlinearity", default="square", help="envelope used in synthesis")
    parser.add_argument("--reference-iters", type=int, default=10)
    parser.add_argument("--reference", default="/tmp/venv-s2scat-ref/bin/python")
    parser.add_argument("--memory-L", type=int, default=128)
    parser.add_argument("--compile-L", default="32,64,128", help="band-limits of the compile run")
    parser.add_argument(
        "--skip", default="", help="comma list of: synthesis,reference,memory,compile,rotation"
    )
    parser.add_argument("--speed", default="pt,jt", help="pt,jt,jf: precompute/jax, multires")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    args = parser.parse_args()
    skip = set(args.skip.split(",")) - {""}
    L, J_min = args.L, args.J_min
    key = jax.random.key(2024)
    flm, target = lognormal_target(key, L)
    results = {"L": L, "J_min": J_min, "device": str(jax.devices()[0]), "env": environment()}
    # s2scat's statistics use the modulus: compare like with like (speed is the same for both).
    op = sc.make_scattering(L, J_min=J_min, method="precompute", nonlinearity="modulus")
    norm = sc.raw_s2(flm, op)
    results["speed"] = {}
    configs = {"pt": ("precompute", True), "jt": ("jax", True), "jf": ("jax", False)}
    for method, multires in (configs[c] for c in args.speed.split(",") if c):
        o = sc.make_scattering(L, J_min=J_min, multiresolution=multires, method=method)
        name = f"method={method},multiresolution={multires}"
        results["speed"][name] = dict(bench_speed(flm, o, norm), kernel_bytes=o.kernel_nbytes)
        print("speed", name, results["speed"][name], flush=True)
    rot = s2.rotate(flm, L, 0.7, 1.1, -2.3)  # exact rotation of the band-limited target
    if "rotation" not in skip:
        results["rotation_error"] = {}
        for name, kwargs in (
            ("square", {}),
            ("modulus", {"nonlinearity": "modulus"}),
            ("modulus, oversample=4", {"nonlinearity": "modulus", "oversample": 4}),
            ("modulus, epsilon=1", {"nonlinearity": "modulus", "epsilon": 1.0}),
        ):
            o = sc.make_scattering(L, J_min=J_min, method="precompute", **kwargs)
            a = sc.flm_to_scattering_covariance(flm, o, norm)
            b = sc.flm_to_scattering_covariance(rot, o, norm)
            results["rotation_error"][name] = {
                f: rel(getattr(a, f), getattr(b, f)) for f in ("s1", "s2", "s3", "s4")
            }
            print("rotation", name, results["rotation_error"][name], flush=True)
    if "reference" not in skip and Path(args.reference).exists():
        ref = compare_reference(args.reference, flm, rot, L, J_min, args.reference_iters)
        mine = convert_ours_to_reference(sc.flm_to_scattering_covariance(flm, op, norm), op, norm)
        results["reference"] = {
            "t_stats": float(ref["t_stats"]),
            "t_grad": float(ref["t_grad"]),
            "min_stats": float(ref["min_stats"]),
            "min_grad": float(ref["min_grad"]),
            "t_compile": float(ref["t_compile"]),
            "t_synth_per_iter": float(ref["t_synth"]) / int(ref["niter"]),
            "jax": str(ref["jax_version"]),
            "s2scat": str(ref["s2scat_version"]),
            "agreement": {k: rel(ref[f"target_{k}"], mine[k]) for k in ("S1", "P00", "C01", "C11")},
            "rotation_error": {
                k: rel(ref[f"target_{k}"], ref[f"rotated_{k}"]) for k in ("S1", "P00", "C01", "C11")
            },
        }
        for name, timing in results["speed"].items():
            ref_t = results["reference"]
            ref_t[f"speedup {name}"] = {
                "stats (median)": ref_t["t_stats"] / timing["t_stats"],
                "grad (median)": ref_t["t_grad"] / timing["t_grad"],
                "stats (min)": ref_t["min_stats"] / timing["min_stats"],
                "grad (min)": ref_t["min_grad"] / timing["min_grad"],
            }
        print("reference", results["reference"], flush=True)
    if "compile" not in skip:
        sizes = [int(x) for x in args.compile_L.split(",")]
        results["compile"] = bench_compile(key, sizes, J_min)
    if "synthesis" not in skip:
        o = sc.make_scattering(L, J_min=J_min, method="precompute", nonlinearity=args.nonlinearity)
        results["synthesis"] = bench_synthesis(flm, target, o, args)
        print("synthesis", results["synthesis"], flush=True)
    if "memory" not in skip:
        results["memory"] = [bench_memory(args.memory_L, key, m) for m in ("jax", "precompute")]
        print("memory", results["memory"], flush=True)
    results["env"]["loadavg_end"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(results, indent=2))


def bench_synthesis(flm, target, op, args):
    L = op.L
    t = time.perf_counter()
    out = sc.synthesise(
        target, jax.random.key(7), op, n_samples=args.samples, steps=args.steps, progress=False
    )
    jax.block_until_ready(out.flm)
    wall = time.perf_counter() - t
    warm = None
    if args.warm:  # the same synthesis again from another start: compiled programs reused
        t = time.perf_counter()
        again = sc.synthesise(
            target, jax.random.key(9), op, n_samples=args.samples, steps=args.steps, progress=False
        )
        jax.block_until_ready(again.flm)
        warm = time.perf_counter() - t
    cl_t = np.asarray(s2.power_spectrum(flm, L))
    cl_e = np.asarray(s2.power_spectrum(out.flm, L))
    gauss = s2.inverse(
        s2.random_flm(jax.random.key(8), L, jnp.asarray(cl_t), batch=(8,)), L, reality=True
    )
    sk_t, ku_t = pixel_moments(target, L)
    sk_e, ku_e = pixel_moments(out.f, L)
    sk_g, ku_g = pixel_moments(gauss, L)
    initial = np.asarray(s2.power_spectrum(out.initial_flm, L))
    return {
        "nonlinearity": op.nonlinearity,
        "steps": args.steps,
        "samples": args.samples,
        "wall_s": wall,
        "wall_warm_s": warm,
        "wall_per_iteration_per_sample_s": wall / (args.steps * args.samples),
        "loss_first": np.asarray(out.losses[:, 0]).tolist(),
        "loss_last": np.asarray(out.losses[:, -1]).tolist(),
        "cl_band_error_max": [band_errors(c, cl_t)[0] for c in cl_e],
        "cl_band_error_initial": [band_errors(c, cl_t)[0] for c in initial],
        "skew": {"target": float(sk_t), "emulated": sk_e.tolist(), "gaussian": sk_g.tolist()},
        "kurtosis": {"target": float(ku_t), "emulated": ku_e.tolist(), "gaussian": ku_g.tolist()},
    }


if __name__ == "__main__":
    sys.exit(main())
