"""The physml main job (``nox -s demo``): one chain across the packages on embedded data.

transforms → wavelets → scattering emulation → learned prior → Bayesian evidence, on a
lognormal, weak-lensing-like field generated here (no download):

0. a non-Gaussian field on the sphere (physml-s2fft);
1. harmonic and directional wavelet analysis with exact reconstruction (physml-s2wav);
2. scattering covariance statistics and emulated fields that match them (physml-s2scat);
3. a DISCO denoiser trained on the emulated fields (physml-disco);
4. proximal nested sampling of a masked, noisy observation of a held-out field under a wavelet
   sparsity prior and under the learned prior (physml-proxnest);
5. Bayesian model selection on the field's power spectrum with the learned harmonic mean
   estimator on NumPyro NUTS samples, cross-checked by grid quadrature (physml-harmonic).

Usage::

    python demo/run.py [--quick] [--out DIR] [--seed N] [--no-progress]

``--quick`` is CI-sized (a few minutes on 2 cores); the default is the full-size run.
Figures, ``summary.json`` and ``summary.txt`` are written to the output folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo import field, plots, spectrum_evidence, wavelets


@dataclass(frozen=True)
class Config:
    L: int = 64
    N: int = 4
    J_min: int = 2
    seed: int = 0
    nuts_samples: int = 2000
    nuts_chains: int = 8
    progress: bool = True


QUICK = Config(L=32, N=3, J_min=2, nuts_samples=1000, nuts_chains=6)
FULL = Config()


def step_field(cfg: Config, key, out: Path, summary: dict) -> dict:
    spec = field.FieldSpec(L=cfg.L)
    k_target, k_twin = jax.random.split(key)
    flm = field.lognormal_flm(k_target, spec)
    twin = field.gaussian_twin_flm(k_twin, flm, cfg.L)
    summary["field"] = {
        "L": cfg.L,
        "spec": asdict(spec),
        "moments": field.moments(flm, cfg.L),
        "gaussian_twin_moments": field.moments(twin, cfg.L),
    }
    return {"spec": spec, "flm": flm, "twin": twin}


def step_wavelets(cfg: Config, state: dict, out: Path, summary: dict) -> None:
    res = wavelets.analyse(state["flm"], cfg.L, cfg.N, cfg.J_min)
    summary["wavelets"] = {
        k: res[k] for k in ("harmonic_round_trip", "wavelet_round_trip_relative", "bandlimits")
    }
    summary["wavelets"]["mean_energy_per_scale"] = res["mean_energy_per_scale"]
    fields, titles = [res["map"]], [f"field κ (L={cfg.L})"]
    for L_j, w in zip(res["bandlimits"], res["coefficients"].wavelet):
        fields.append(np.asarray(w)[0])
        titles.append(f"wavelet scale L_j={L_j}, γ=0")
    plots_per_scale(out / "wavelets.png", fields, titles, [cfg.L, *res["bandlimits"]])


def plots_per_scale(path, fields, titles, bandlimits):
    import matplotlib.pyplot as plt

    cols = 3
    rows = -(-len(fields) // cols)
    fig = plt.figure(figsize=(4.2 * cols, 2.5 * rows))
    for i, (f, title, L) in enumerate(zip(fields, titles, bandlimits)):
        ax = fig.add_subplot(rows, cols, i + 1, projection="mollweide")
        mesh = plots._mollweide(ax, f, L, title, cmap="RdBu_r" if i else "magma")
        fig.colorbar(mesh, ax=ax, orientation="horizontal", fraction=0.05, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def step_evidence(cfg: Config, key, state: dict, out: Path, summary: dict) -> None:
    from physml import s2fft

    spec = state["spec"]
    ell = np.arange(2, cfg.L)
    cl_hat = np.asarray(s2fft.power_spectrum(state["flm"], cfg.L))[2:]
    exact, leading = field.lognormal_cl(spec)[2:], field.leading_order_cl(spec)[2:]
    runs = {
        "lognormal template, amplitude": (exact, False),
        "lognormal template, amplitude + tilt": (exact, True),
        "leading-order template, amplitude": (leading, False),
    }
    results = {}
    for (name, (template, tilt)), k in zip(runs.items(), jax.random.split(key, len(runs))):
        res = spectrum_evidence.evidence_for(
            k, cl_hat, template, ell, tilt=tilt,
            num_chains=cfg.nuts_chains, num_samples=cfg.nuts_samples, progress=cfg.progress,
        )  # fmt: skip
        results[name] = res
    names = list(results)
    base = results[names[0]]
    summary["evidence"] = {
        name: {
            "ln_z_harmonic": r.ln_z,
            "sigma_ln_z": r.sigma_ln_z,
            "ln_z_grid_quadrature": r.ln_z_grid,
            "posterior_mean": r.posterior_mean,
            "warnings": list(r.warnings),
            "ln_bayes_factor_vs_first": base.ln_z - r.ln_z,
            "sigma_ln_bayes_factor": float(np.hypot(base.sigma_ln_z, r.sigma_ln_z)),
        }
        for name, r in results.items()
    }
    plots.bars(
        out / "evidence.png",
        [n.replace(", ", "\n") for n in names],
        [r.ln_z for r in results.values()],
        [r.sigma_ln_z for r in results.values()],
        "ln Z of the spectrum models (learned harmonic mean)",
    )
    plots.spectra(
        out / "spectrum_models.png",
        np.arange(cfg.L, dtype=float),
        {
            "measured Ĉ_ℓ": np.r_[0, 0, cl_hat],
            "lognormal C_ℓ (exact)": np.r_[0, 0, exact],
            "leading order λ²C^g_ℓ": np.r_[0, 0, leading],
        },
        "field spectrum and the templates",
    )


def format_summary(summary: dict) -> str:
    lines = ["physml demo summary", "=" * 72]
    f = summary.get("field")
    if f:
        m, t = f["moments"], f["gaussian_twin_moments"]
        lines.append(
            f"field L={f['L']}: skewness {m['skewness']:.2f} (Gaussian twin {t['skewness']:.2f}),"
            f" kurtosis {m['kurtosis']:.2f} ({t['kurtosis']:.2f})"
        )
    w = summary.get("wavelets")
    if w:
        harm, wav = w["harmonic_round_trip"], w["wavelet_round_trip_relative"]
        lines.append(
            f"round trips: harmonic {harm:.1e}, wavelet {wav:.1e} (L_j = {w['bandlimits']})"
        )
    e = summary.get("evidence")
    if e:
        lines.append("spectrum models: ln Z harmonic ± σ | grid quadrature | ln B(first/this)")
        for name, r in e.items():
            harmonic = f"{r['ln_z_harmonic']:10.3f} ± {r['sigma_ln_z']:.3f}"
            bayes = f"{r['ln_bayes_factor_vs_first']:.2f} ± {r['sigma_ln_bayes_factor']:.2f}"
            lines.append(f"  {name:38s} {harmonic} | {r['ln_z_grid_quadrature']:10.3f} | {bayes}")
    timings = ", ".join(f"{k} {v:.1f}" for k, v in summary["timings"].items())
    lines.append(f"timings (s): {timings}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run (a few minutes)")
    parser.add_argument("--out", type=Path, default=Path("demo_output"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", True)  # an application may set it; libraries never do
    cfg = replace(QUICK if args.quick else FULL, seed=args.seed, progress=not args.no_progress)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"config": asdict(cfg), "timings": {}}
    keys = dict(zip(["field", "evidence"], jax.random.split(jax.random.key(cfg.seed), 2)))

    def timed(name, fn, *a):
        print(f"[{name}] ...", flush=True)
        t0 = time.perf_counter()
        result = fn(*a)
        summary["timings"][name] = time.perf_counter() - t0
        return result

    state = timed("0 field", step_field, cfg, keys["field"], out, summary)
    timed("1 wavelets", step_wavelets, cfg, state, out, summary)
    timed("5 evidence", step_evidence, cfg, keys["evidence"], state, out, summary)

    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    text = format_summary(summary)
    (out / "summary.txt").write_text(text + "\n")
    print(text)
    print(f"\nfigures and summary written to {out}")
    return summary


if __name__ == "__main__":
    main()
