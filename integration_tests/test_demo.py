"""The demo itself: its ``--quick`` run end to end, and its seeding.

The ``test_quick_demo_*`` tests share one in-process run of ``demo/run.py --quick`` (the
CI-sized configuration, about 2 min on 2 cores) and check what its ``summary.json`` reports,
not only that it ran.  The seeding test runs the demo's own step functions at a tiny size,
so the full chain is never run twice.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from demo import run

FIGURES = {
    "wavelets.png",
    "emulated_fields.png",
    "emulated_spectra.png",
    "emulated_pdf.png",
    "scattering_statistics.png",
    "imaging.png",
    "imaging_evidence.png",
    "evidence.png",
    "spectrum_models.png",
}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """(output folder, summary.json as written) of one ``--quick`` run."""
    out = tmp_path_factory.mktemp("demo_quick")
    run.main(["--quick", "--no-progress", "--out", str(out)])
    return out, json.loads((out / "summary.json").read_text())


@pytest.mark.demo
def test_quick_demo_writes_every_figure_it_lists(quick):
    out, summary = quick
    assert set(summary["figures"]) == FIGURES
    assert len(summary["figures"]) == len(FIGURES)  # none written twice under one name
    for name in summary["figures"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert (out / "summary.txt").read_text().startswith("physml demo summary")
    assert set(summary["timings"]) == {
        "0 field", "1 wavelets", "2 scattering", "3 denoiser", "4 imaging", "5 evidence",
        "total",
    }  # fmt: skip


@pytest.mark.demo
def test_quick_demo_transforms_round_trip_to_rounding(quick):
    # float64 transforms of a band-limited field: measured 2e-17 (harmonic) and 8e-16
    # (wavelets, relative); 1e-10 leaves room for any platform while catching a real error.
    wavelets = quick[1]["wavelets"]
    assert wavelets["harmonic_round_trip"] < 1e-10
    assert wavelets["wavelet_round_trip_relative"] < 1e-10


@pytest.mark.demo
def test_quick_demo_emulated_statistics_are_closer_to_the_target_than_the_gaussian_twin(quick):
    sc = quick[1]["scattering"]
    distance = sc["statistics_distance"]
    # measured 8.9e-4 (emulated) against 2.4e-2 (twin) and 6.3e-2 (the Gaussian starting fields)
    assert distance["emulated"] < 0.2 * distance["Gaussian twin"], distance
    assert distance["emulated"] < 0.2 * distance["initial Gaussian"], distance
    largest = sc["max_abs_difference_S1_to_S4"]
    assert max(largest["emulated"]) < largest["Gaussian twin"], largest
    # what the statistics were not told directly: the emulated fields are skewed like the
    # target (mean skewness of the emulations closer to the target's than the twin's is)
    moments = sc["moments"]
    target = moments["target"]["skewness"]
    emulated = np.mean([m["skewness"] for m in moments["emulated"]])
    assert abs(emulated - target) < abs(moments["Gaussian twin"]["skewness"] - target), moments


@pytest.mark.demo
def test_quick_demo_denoiser_and_imaging_posteriors_are_informative(quick):
    summary = quick[1]
    assert summary["denoiser"]["mse_gain_on_target_field"] > 1.0
    imaging = summary["imaging"]
    priors = ("wavelet sparsity", "learned (DISCO denoiser)")
    for name in priors:
        r = imaging[name]
        assert np.isfinite(r["ln_z"]), r
        assert np.isfinite(r["sigma_ln_z"]), r
        assert r["sigma_ln_z"] > 0, r
        assert r["snr_db"] > 0, r  # the posterior mean is closer to the truth than zero is
    # the demo's headline: the data prefer the learned prior (measured by 56 nats, σ ≈ 1.6)
    wavelet, learned = (imaging[name] for name in priors)
    sigma = np.hypot(wavelet["sigma_ln_z"], learned["sigma_ln_z"])
    assert learned["ln_z"] - wavelet["ln_z"] > 5 * sigma, imaging


@pytest.mark.demo
def test_quick_demo_spectrum_evidence_prefers_the_true_simplest_template(quick):
    evidence = quick[1]["evidence"]
    names = list(evidence)
    # the first model is the true one (exact lognormal template, amplitude only): the tilt
    # model nests it and the leading-order template is wrong in shape
    assert names[0] == "lognormal template, amplitude"
    for name, r in evidence.items():
        assert np.isfinite(r["ln_z_harmonic"]), (name, r)
        assert np.isfinite(r["sigma_ln_z"]), (name, r)
        assert r["sigma_ln_z"] > 0, (name, r)
        # learned harmonic mean against grid quadrature of the same posterior (measured
        # within 0.01 nats, σ ≈ 0.005)
        assert abs(r["ln_z_harmonic"] - r["ln_z_grid_quadrature"]) < 4 * r["sigma_ln_z"] + 0.02
    for name in names[1:]:
        r = evidence[name]
        # measured ln B = 0.67 and 0.85, σ ≈ 0.01
        assert r["ln_bayes_factor_vs_first"] > 3 * r["sigma_ln_bayes_factor"] > 0, (name, r)


# A tiny configuration: field generation and a short synthesis take seconds.
TINY = replace(run.QUICK, L=8, J_min=1, n_emulated=1, synthesis_steps=3, progress=False)


def _field_and_emulation(seed: int, out):
    out.mkdir()
    keys = run.step_keys(seed)
    summary: dict = {}
    state = run.step_field(TINY, keys["field"], out, summary)
    run.step_scattering(TINY, keys["scattering"], state, out, summary)
    return state, summary


def test_demo_is_seeded_the_same_seed_repeats_a_run_and_another_seed_does_not(tmp_path):
    first, first_summary = _field_and_emulation(0, tmp_path / "first")
    again, again_summary = _field_and_emulation(0, tmp_path / "again")
    other, other_summary = _field_and_emulation(1, tmp_path / "other")
    for name in ("flm", "twin", "emulated_flm"):
        # same seed, same process, same compiled code: bit for bit
        np.testing.assert_array_equal(first[name], again[name], err_msg=name)
        assert not np.allclose(first[name], other[name]), name
    assert first_summary == again_summary
    assert first_summary["field"]["moments"] != other_summary["field"]["moments"]
    assert first_summary["scattering"] != other_summary["scattering"]


def test_seed_option_reaches_the_configuration():
    cfg, _ = run.parse(["--quick", "--seed", "7", "--no-progress"])
    assert cfg == replace(run.QUICK, seed=7, progress=False)
    assert run.parse([])[0] == replace(run.FULL, seed=0)
