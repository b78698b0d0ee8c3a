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

``--quick`` is CI-sized (target: under 3 min on 2 cores; the integration tests run it); the
default is the full-size run.  Figures, ``summary.json`` (with the list of figures written)
and ``summary.txt`` are written to the output folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import physml.proxnest as pn
from demo import denoiser, field, imaging, plots, scattering, spectrum_evidence, wavelets


@dataclass(frozen=True)
class Config:
    L: int = 64
    N: int = 3  # directions of the wavelets shown in step 1
    scattering_N: int = 1  # directions of the scattering statistics (N = 1: precomputed kernels)
    J_min: int = 2
    n_emulated: int = 2
    synthesis_steps: int = 60
    rotations_per_field: int = 16
    # training noise of the denoiser: white in harmonic coordinates, with this r.m.s. per
    # pixel in units of the field's r.m.s. (σ_d = denoiser.harmonic_noise_std)
    denoiser_noise: float = 0.5
    denoiser_steps: int = 600
    denoiser_width: int = 8
    L_img: int = 12  # band-limit of the imaging problem (and of the denoiser)
    img_sigma: float = 0.3  # noise std in units of the field's r.m.s.
    img_cut_degrees: float = 12.0
    img_missing: float = 0.2
    # the learned prior evaluates the DISCO denoiser at every Langevin step (≈ 20 ms for 8
    # chains at L_img = 12 on 2 cores): live points and steps sized to keep the full run short
    n_live: int = 32
    img_steps: int | None = 15  # Langevin steps per replacement (None: proxnest's default)
    seed: int = 0
    nuts_samples: int = 2000
    nuts_chains: int = 8
    progress: bool = True


QUICK = Config(
    L=16, N=3, J_min=1, n_emulated=2, synthesis_steps=15, rotations_per_field=8,
    denoiser_steps=100, nuts_samples=500, nuts_chains=8, L_img=8, n_live=32, img_steps=10,
    img_sigma=0.5,
)  # fmt: skip
FULL = Config()
STEPS = ("field", "scattering", "denoiser", "imaging", "evidence")  # the steps that draw keys


def step_keys(seed: int) -> dict[str, jax.Array]:
    """One independent PRNG key per random step, all from ``seed`` (the demo's only seed)."""
    return dict(zip(STEPS, jax.random.split(jax.random.key(seed), len(STEPS))))


def figure(out: Path, summary: dict, name: str) -> Path:
    """The path of figure ``name``, recorded in the summary's list of figures written."""
    summary.setdefault("figures", []).append(name)
    return out / name


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
    cmaps = ["magma"] + ["RdBu_r"] * (len(fields) - 1)
    path = figure(out, summary, "wavelets.png")
    plots.maps(path, fields, titles, [cfg.L, *res["bandlimits"]], shared=False, cmaps=cmaps)


def step_scattering(cfg: Config, key, state: dict, out: Path, summary: dict) -> None:
    res = scattering.emulate(
        key, state["flm"], state["twin"], cfg.L, N=cfg.scattering_N, J_min=cfg.J_min,
        n_samples=cfg.n_emulated, steps=cfg.synthesis_steps, progress=cfg.progress,
    )  # fmt: skip
    summary["scattering"] = res["summary"]
    state["emulated_flm"] = res["result"].flm
    shown = [res["target_map"], res["twin_map"], *res["maps"][:4]]
    titles = ["target (lognormal)", "Gaussian twin (same C_ℓ)"]
    titles += [f"emulated #{i}" for i in range(len(shown) - 2)]
    plots.maps(figure(out, summary, "emulated_fields.png"), shown, titles, cfg.L)
    ell = np.arange(cfg.L, dtype=float)
    curves = {"target": res["cl_target"], "emulated (mean)": res["cl_emulated"].mean(0)}
    plots.spectra(figure(out, summary, "emulated_spectra.png"), ell, curves, "power spectra")
    pdfs = {"target": res["target_map"], "emulated": res["maps"], "Gaussian twin": res["twin_map"]}
    plots.histograms(figure(out, summary, "emulated_pdf.png"), pdfs, "pixel PDF")
    stats = res["statistics"]
    plots.scattering_statistics(
        figure(out, summary, "scattering_statistics.png"), stats["target"], stats["emulated"],
        stats["Gaussian twin"], res["op"], "scattering statistics, normalised by the target's S2",
    )  # fmt: skip


def step_denoiser(cfg: Config, key, state: dict, out: Path, summary: dict) -> None:
    from physml import s2fft

    k_rot, k_train, k_test = jax.random.split(key, 3)
    flm = state["emulated_flm"]
    angles = jax.random.uniform(k_rot, (3, flm.shape[0], cfg.rotations_per_field), maxval=2 * np.pi)
    angles = angles.at[1].set(jnp.arccos(1 - angles[1] / np.pi))  # uniform on SO(3)

    def rotated(f, a, b, g):
        return jax.vmap(lambda a, b, g: s2fft.rotate(f, cfg.L, a, b, g))(a, b, g)

    train_flm = jax.vmap(rotated)(flm, *angles).reshape(-1, cfg.L, 2 * cfg.L - 1)
    train_flm = truncate(train_flm, cfg.L, cfg.L_img)
    maps = jax.vmap(lambda f: s2fft.inverse(f, cfg.L_img, reality=True))(train_flm)
    scale = float(jnp.std(maps))
    maps = maps / scale
    sigma_d = denoiser.harmonic_noise_std(cfg.denoiser_noise, cfg.L_img)
    model, history = denoiser.train(
        k_train, maps, sigma_d, steps=cfg.denoiser_steps, width=cfg.denoiser_width,
        progress=cfg.progress,
    )  # fmt: skip
    target_flm = truncate(state["flm"], cfg.L, cfg.L_img)
    target = s2fft.inverse(target_flm, cfg.L_img, reality=True)[None] / scale
    gain = denoiser.denoising_gain(model, target, sigma_d, k_test)
    state["denoiser"], state["scale"], state["train_flm"] = model, scale, train_flm / scale
    state["denoiser_sigma"] = sigma_d
    summary["denoiser"] = {
        "training_maps": int(maps.shape[0]),
        "noise_std_over_field_rms": cfg.denoiser_noise,
        "noise_std_harmonic": sigma_d,
        "loss_first_last": [history[0], float(np.mean(history[-20:]))],
        "mse_gain_on_target_field": gain,
    }


def truncate(flm, L: int, L_out: int):
    """Keep ℓ < L_out of (…, L, 2L−1) coefficients."""
    return flm[..., :L_out, L - L_out : L + L_out - 1]


def step_imaging(cfg: Config, key, state: dict, out: Path, summary: dict) -> None:
    k_field, k_mask, k_wav, k_learned = jax.random.split(key, 4)
    spec = field.FieldSpec(L=cfg.L)
    held_out = truncate(field.lognormal_flm(k_field, spec), cfg.L, cfg.L_img) / state["scale"]
    keep = imaging.galactic_mask(k_mask, cfg.L_img, cfg.img_cut_degrees, cfg.img_missing)
    wavelet_prior = imaging.wavelet_prior(
        cfg.L_img, N=min(cfg.N, 2), J_min=1, train_flm=state["train_flm"], eps_fraction=0.5
    )
    learned_prior = pn.DenoiserPrior.create(
        imaging.HarmonicDenoiser(state["denoiser"], cfg.L_img),
        state["denoiser_sigma"],  # Tweedie in the harmonic coordinates the noise is white in
        (cfg.L_img**2,),
    )
    runs = {}
    for name, prior, k, kw in (
        ("wavelet sparsity", wavelet_prior, k_wav, {}),
        ("learned (DISCO denoiser)", learned_prior, k_learned,
         {"lambda_prior": state["denoiser_sigma"] ** 2}),
    ):  # fmt: skip
        if cfg.img_steps is not None:
            kw = kw | {"n_steps": cfg.img_steps}
        runs[name] = imaging.reconstruct(
            k, held_out, keep, cfg.img_sigma, prior, n_live=cfg.n_live, progress=cfg.progress,
            **kw,
        )  # fmt: skip
    summary["imaging"] = {
        "L": cfg.L_img,
        "observed_fraction": float(keep.mean()),
        "noise_sigma": cfg.img_sigma,
        **{
            name: {k: r[k] for k in ("ln_z", "sigma_ln_z", "information", "n_iter", "snr_db")}
            for name, r in runs.items()
        },
    }
    first = next(iter(runs.values()))
    fields = [first["truth"], np.where(keep, first["dirty"], np.nan)]
    titles = ["truth (held out)", "data (masked, noisy)"]
    for name, r in runs.items():
        fields += [r["posterior_mean"], r["posterior_std"]]
        titles += [f"posterior mean: {name}", f"posterior std: {name}"]
    plots.maps(figure(out, summary, "imaging.png"), fields, titles, cfg.L_img, shared=False, cols=2)
    names = list(runs)
    plots.bars(
        figure(out, summary, "imaging_evidence.png"), names, [runs[n]["ln_z"] for n in names],
        [runs[n]["sigma_ln_z"] for n in names], "ln Z of the two priors (proxnest)",
    )  # fmt: skip


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
            # the first model against itself: exactly 0, with no error
            "sigma_ln_bayes_factor": (
                0.0 if r is base else float(np.hypot(base.sigma_ln_z, r.sigma_ln_z))
            ),
        }
        for name, r in results.items()
    }
    plots.bars(
        figure(out, summary, "evidence.png"),
        [n.replace(", ", "\n") for n in names],
        [r.ln_z for r in results.values()],
        [r.sigma_ln_z for r in results.values()],
        "ln Z of the spectrum models (learned harmonic mean)",
    )
    plots.spectra(
        figure(out, summary, "spectrum_models.png"),
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
    sc = summary.get("scattering")
    if sc:
        d, mo = sc["statistics_distance"], sc["moments"]
        emu = mo["emulated"]
        lines.append(
            f"scattering: {sc['n_statistics']} statistics; distance to target: emulated "
            f"{d['emulated']:.2e}, Gaussian twin {d['Gaussian twin']:.2e}"
        )
        md = sc["max_abs_difference_S1_to_S4"]
        lines.append(
            "  largest |S − S_target| over S1–S4: emulated "
            + ", ".join(f"{v:.3f}" for v in md["emulated"])
            + f" | Gaussian twin {md['Gaussian twin']:.3f}"
        )
        lines.append(
            f"  skewness target {mo['target']['skewness']:.2f} | emulated "
            + ", ".join(f"{m['skewness']:.2f}" for m in emu)
            + f" | Gaussian twin {mo['Gaussian twin']['skewness']:.2f}"
        )
        lines.append(
            f"  kurtosis target {mo['target']['kurtosis']:.2f} | emulated "
            + ", ".join(f"{m['kurtosis']:.2f}" for m in emu)
            + f" | Gaussian twin {mo['Gaussian twin']['kurtosis']:.2f}"
        )
        worst = max(abs(b["relative_error"]) for b in sc["max_power_error_per_band"])
        lines.append(f"  worst band-power error of the emulated mean spectrum: {worst:.1%}")
    dn = summary.get("denoiser")
    if dn:
        lines.append(
            f"DISCO denoiser: {dn['training_maps']} training maps, MSE gain on the target "
            f"field {dn['mse_gain_on_target_field']:.2f}×"
        )
    im = summary.get("imaging")
    if im:
        lines.append(
            f"imaging L={im['L']} ({im['observed_fraction']:.0%} observed, σ={im['noise_sigma']}):"
            " ln Z ± σ | SNR of posterior mean"
        )
        for name in ("wavelet sparsity", "learned (DISCO denoiser)"):
            r = im[name]
            lines.append(
                f"  {name:28s} {r['ln_z']:10.2f} ± {r['sigma_ln_z']:.2f} | {r['snr_db']:.1f} dB"
            )
    e = summary.get("evidence")
    if e:
        lines.append("spectrum models: ln Z harmonic ± σ | grid quadrature | ln B(first/this)")
        for name, r in e.items():
            harmonic = f"{r['ln_z_harmonic']:10.3f} ± {r['sigma_ln_z']:.3f}"
            # σ ≈ 0.005 in the full run: fixed-point ".2f" printed it as "± 0.00"
            bayes = f"{r['ln_bayes_factor_vs_first']:.3f} ± {r['sigma_ln_bayes_factor']:.1e}"
            lines.append(f"  {name:38s} {harmonic} | {r['ln_z_grid_quadrature']:10.3f} | {bayes}")
    timings = ", ".join(f"{k} {v:.1f}" for k, v in summary["timings"].items())
    lines.append(f"timings (s): {timings}")
    return "\n".join(lines)


def parse(argv=None) -> tuple[Config, Path]:
    """The configuration and output folder of a command line (``None``: ``sys.argv``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="CI-sized run (target: under 3 min on 2 cores)"
    )
    parser.add_argument("--out", type=Path, default=Path("demo_output"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    cfg = replace(QUICK if args.quick else FULL, seed=args.seed, progress=not args.no_progress)
    return cfg, args.out.resolve()


def main(argv=None) -> dict:
    """Run the chain as the command line ``argv`` asks; returns the summary it writes."""
    t_start = time.perf_counter()
    cfg, out = parse(argv)
    jax.config.update("jax_enable_x64", True)  # an application may set it; libraries never do
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"config": asdict(cfg), "timings": {}}
    keys = step_keys(cfg.seed)

    def timed(name, fn, *a):
        print(f"[{name}] ...", flush=True)
        t0 = time.perf_counter()
        result = fn(*a)
        summary["timings"][name] = time.perf_counter() - t0
        return result

    state = timed("0 field", step_field, cfg, keys["field"], out, summary)
    timed("1 wavelets", step_wavelets, cfg, state, out, summary)
    timed("2 scattering", step_scattering, cfg, keys["scattering"], state, out, summary)
    timed("3 denoiser", step_denoiser, cfg, keys["denoiser"], state, out, summary)
    timed("4 imaging", step_imaging, cfg, keys["imaging"], state, out, summary)
    timed("5 evidence", step_evidence, cfg, keys["evidence"], state, out, summary)
    summary["timings"]["total"] = time.perf_counter() - t_start

    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    text = format_summary(summary)
    (out / "summary.txt").write_text(text + "\n")
    print(text)
    print(f"\nfigures and summary written to {out}")
    return summary


if __name__ == "__main__":
    main()
