"""Benchmark physml.s2fft against the established s2fft, ducc0 and healpy.

For each band-limit L and spin, on the same random band-limited signal (MW sampling, float64):
time of one inverse and one forward transform (best of ``--repeats``), jit compile time,
memory (XLA's compiled temporary + argument + output bytes for JAX code; precompute kernel
bytes reported before they are built) and the round-trip error max |forward(inverse(flm)) − flm|.
HEALPix rows compare with healpy (``alm2map`` / ``map2alm(iter=3)``) at nside = L/2.

    python benchmarks/s2fft/run.py --L 64 128 256 --spins 0 2
    nox -s "bench(name='s2fft')" -- --L 64 128 256 512 1024

Writes ``results.json`` beside this file and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import physml.s2fft as s2

HERE = Path(__file__).parent


def random_flm(L, spin, reality, seed=0):
    rng = np.random.default_rng(seed)
    flm = rng.normal(size=(L, 2 * L - 1)) + 1j * rng.normal(size=(L, 2 * L - 1))
    ell, m = np.arange(L)[:, None], np.arange(-(L - 1), L)[None, :]
    flm[(np.abs(m) > ell) | (ell < abs(spin))] = 0
    if reality:
        flm[:, L - 1] = flm[:, L - 1].real
        sign = (-1.0) ** np.arange(1, L)
        flm[:, : L - 1] = (sign * np.conj(flm[:, L:]))[:, ::-1]
    return flm


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return min(times)


def jax_case(name, inverse, forward, flm, repeats, memory=None, inv_args=(), fwd_args=()):
    """Compile (timed), run, and measure a pair of jittable transforms.

    ``inv_args`` / ``fwd_args`` (precompute kernels) are passed as arguments of the jitted
    functions, not closed over: a closed-over array becomes an XLA constant, which XLA then
    tries to constant-fold (seconds of compile time for a 256 MiB kernel).
    """
    inv, fwd = jax.jit(inverse), jax.jit(forward)
    start = time.perf_counter()
    inv_c = inv.lower(flm, *inv_args).compile()
    f_shape = jax.eval_shape(inverse, flm, *inv_args)
    fwd_c = fwd.lower(f_shape, *fwd_args).compile()
    compile_s = time.perf_counter() - start
    f = inv_c(flm, *inv_args)
    back = fwd_c(f, *fwd_args)
    mem = memory
    if mem is None:
        stats = [c.memory_analysis() for c in (inv_c, fwd_c)]
        mem = max(
            s.temp_size_in_bytes + s.argument_size_in_bytes + s.output_size_in_bytes
            for s in stats
            if s is not None
        )
    return {
        "method": name,
        "inverse_s": best_time(lambda: inv_c(flm, *inv_args), repeats),
        "forward_s": best_time(lambda: fwd_c(f, *fwd_args), repeats),
        "compile_s": compile_s,
        "memory_bytes": int(mem),
        "error": float(np.max(np.abs(np.asarray(back) - np.asarray(flm)))),
    }


def ducc_alm(flm, L, spin):
    """ducc0's (ncomp, nalm) coefficients of physml's ``flm`` (spin 2: gradient and curl)."""
    if spin == 0:
        return np.asarray(s2.flm_to_healpy(flm, L))[None]
    # the same field as physml's spin-2 inverse of flm = −(G + iC)
    grad = -(flm + (-1.0) ** np.arange(-(L - 1), L) * np.conj(flm[:, ::-1])) / 2
    curl = -(flm - (-1.0) ** np.arange(-(L - 1), L) * np.conj(flm[:, ::-1])) / 2j
    return np.stack([np.asarray(s2.flm_to_healpy(a, L)) for a in (grad, curl)])


def ducc_callables(alm, L, spin):
    """{"inverse", "forward"}: raw ducc0 MW transforms (2 threads) of the field of ducc0's
    coefficients ``alm`` (:func:`ducc_alm`)."""
    import ducc0

    sht = ducc0.sht.experimental
    geometry = {"lmax": L - 1, "geometry": "MW", "nthreads": 2}

    def inverse():
        return sht.synthesis_2d(alm=alm, spin=spin, ntheta=L, nphi=2 * L - 1, **geometry)

    maps = inverse()

    def forward():
        return sht.analysis_2d(map=maps, spin=spin, **geometry)

    return {"inverse": inverse, "forward": forward}


def ducc_case(flm, L, spin, repeats):
    alm = ducc_alm(flm, L, spin)
    calls = ducc_callables(alm, L, spin)
    inverse, forward = calls["inverse"], calls["forward"]
    maps = inverse()
    back = forward()
    error = float(np.max(np.abs(back - alm)))
    return {
        "method": "ducc0 (2 threads)",
        "inverse_s": best_time(inverse, repeats),
        "forward_s": best_time(forward, repeats),
        "compile_s": 0.0,
        "memory_bytes": int(maps.nbytes + alm.nbytes),
        "error": error,
    }


def run_mw(L, spin, args, rows):
    reality = spin == 0
    flm = jnp.asarray(random_flm(L, spin, reality))
    common = {"L": L, "spin": spin, "sampling": "mw"}

    def add(result):
        result.update(common)
        rows.append(result)
        print(json.dumps(result), flush=True)

    add(
        jax_case(
            "physml jax",
            lambda x: s2.inverse(x, L, spin, reality=reality),
            lambda f: s2.forward(f, L, spin, reality=reality),
            flm,
            args.repeats,
        )
    )
    nbytes = s2.kernel_nbytes(L, spin, reality=reality) + s2.kernel_nbytes(
        L, spin, reality=reality, forward=True
    )
    print(f"precompute kernels for L={L}: {nbytes / 2**20:.1f} MiB", flush=True)
    if nbytes <= args.max_kernel_gib * 2**30:
        kin = s2.precompute_kernels(L, spin, reality=reality)
        kfw = s2.precompute_kernels(L, spin, reality=reality, forward=True)
        add(
            jax_case(
                "physml precompute",
                lambda x, k: s2.inverse(
                    x, L, spin, reality=reality, method="precompute", precomps=k
                ),
                lambda f, k: s2.forward(
                    f, L, spin, reality=reality, method="precompute", precomps=k
                ),
                flm,
                args.repeats,
                inv_args=(kin,),
                fwd_args=(kfw,),
            )
            | {"kernel_bytes": int(nbytes)}
        )
    if args.s2fft_max_L >= L:
        import s2fft

        add(
            jax_case(
                "s2fft jax",
                lambda x: s2fft.inverse(x, L, spin=spin, method="jax", reality=reality),
                lambda f: s2fft.forward(f, L, spin=spin, method="jax", reality=reality),
                flm,
                args.repeats,
            )
        )
    add(
        jax_case(
            "physml ducc",
            lambda x: s2.inverse(x, L, spin, reality=reality, method="ducc"),
            lambda f: s2.forward(f, L, spin, reality=reality, method="ducc"),
            flm,
            args.repeats,
        )
    )
    add(ducc_case(np.asarray(flm), L, spin, args.repeats) | common)


def run_healpix(L, args, rows):
    import healpy

    nside = L // 2
    flm = random_flm(L, 0, True)
    common = {"L": L, "spin": 0, "sampling": f"healpix nside={nside}"}
    result = jax_case(
        "physml jax iter=3",
        lambda x: s2.inverse(x, L, sampling="healpix", nside=nside, reality=True),
        lambda f: s2.forward(f, L, sampling="healpix", nside=nside, reality=True, iter=3),
        jnp.asarray(flm),
        args.repeats,
    )
    rows.append(result | common)
    print(json.dumps(rows[-1]), flush=True)
    result = jax_case(
        "physml ducc iter=3",
        lambda x: s2.inverse(x, L, sampling="healpix", nside=nside, reality=True, method="ducc"),
        lambda f: s2.forward(
            f, L, sampling="healpix", nside=nside, reality=True, iter=3, method="ducc"
        ),
        jnp.asarray(flm),
        args.repeats,
    )
    rows.append(result | common)
    print(json.dumps(rows[-1]), flush=True)
    alm = np.asarray(s2.flm_to_healpy(flm, L))
    hmap = healpy.alm2map(alm, nside, lmax=L - 1)
    back = healpy.map2alm(hmap, lmax=L - 1, iter=3)
    rows.append(
        {
            "method": "healpy iter=3",
            "inverse_s": best_time(lambda: healpy.alm2map(alm, nside, lmax=L - 1), args.repeats),
            "forward_s": best_time(lambda: healpy.map2alm(hmap, lmax=L - 1, iter=3), args.repeats),
            "compile_s": 0.0,
            "memory_bytes": int(hmap.nbytes + alm.nbytes),
            "error": float(np.max(np.abs(back - alm))),
        }
        | common
    )
    print(json.dumps(rows[-1]), flush=True)


def table(rows):
    lines = [
        "| sampling | L | spin | method | inverse (s) | forward (s) | compile (s) | memory (MiB)"
        " | round-trip error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['sampling']} | {r['L']} | {r['spin']} | {r['method']} | {r['inverse_s']:.4g}"
            f" | {r['forward_s']:.4g} | {r['compile_s']:.3g} | {r['memory_bytes'] / 2**20:.1f}"
            f" | {r['error']:.2e} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--L", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--spins", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--s2fft-max-L", type=int, default=512)
    parser.add_argument("--max-kernel-gib", type=float, default=4.0)
    parser.add_argument("--healpix-max-L", type=int, default=256)
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    rows = []
    for L in args.L:
        for spin in args.spins:
            run_mw(L, spin, args, rows)
        if args.healpix_max_L >= L:
            run_healpix(L, args, rows)
    meta = {
        "device": str(jax.devices()[0]),
        "platform": platform.platform(),
        "jax": jax.__version__,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    args.output.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
