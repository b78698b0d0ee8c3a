"""Bad input fails early with a message naming the argument and the expectation."""

import numpy as np
import pytest

import physml.s2wav as s2w

L = 8


def _f():
    return np.zeros((L, 2 * L - 1))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"J_min": 3},
            ValueError,
            r"J_min=3 is out of range for L=8 and lam=2.0: needs 0 <= J_min < J",
        ),
        ({"J_min": -1}, ValueError, r"J_min=-1 is out of range"),
        ({"J_min": 1.0}, TypeError, r"J_min must be an integer"),
        ({"lam": 1.0}, ValueError, r"lam must be a real number > 1"),
        ({"lam": 0.5}, ValueError, r"lam must be a real number > 1"),
        ({"lam": "2"}, TypeError, r"lam must be a real number > 1"),
        ({"N": 0}, ValueError, r"N=0 directions needs 1 <= N <= L"),
        ({"N": 9}, ValueError, r"N=9 directions needs 1 <= N <= L, but L=8"),
        ({"spin": 8}, ValueError, r"spin=8 needs \|spin\| < L"),
        ({"family": "morlet"}, ValueError, r"family='morlet' is not one of"),
        ({"quad_iters": 0}, ValueError, r"quad_iters must be None or an integer >= 1"),
        ({"dtype": np.int32}, TypeError, r"dtype must be a real floating dtype"),
    ],
)
def test_filter_arguments_are_checked(kwargs, error, match):
    with pytest.raises(error, match=match):
        s2w.filters(L, **kwargs)


def test_band_limit_one_has_no_wavelet_scale():
    with pytest.raises(ValueError, match=r"J_min=0 is out of range for L=1"):
        s2w.filters(1)


def test_signal_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"f has shape \(8, 14\) but sampling='mw' with L=8"):
        s2w.analysis(np.zeros((8, 14)), L)
    with pytest.raises(ValueError, match=r"flm has shape \(8, 14\) but L=8 needs"):
        s2w.flm_to_analysis(np.zeros((8, 14), complex), L)


def test_nan_and_non_float_input_are_rejected():
    f = _f()
    f[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"f contains 1 NaN or inf"):
        s2w.analysis(f, L)
    with pytest.raises(TypeError, match=r"f must have a floating or complex dtype"):
        s2w.analysis(np.zeros((L, 2 * L - 1), int), L)


def test_reality_needs_a_real_spin_zero_signal():
    with pytest.raises(TypeError, match=r"reality=True needs a real signal f"):
        s2w.analysis(_f().astype(complex), L, reality=True)
    with pytest.raises(ValueError, match=r"reality=True needs spin=0"):
        s2w.analysis(_f(), L, spin=1, reality=True)
    with pytest.raises(TypeError, match=r"reality must be True or False"):
        s2w.analysis(_f(), L, reality=1)


def test_filters_must_match_the_call():
    filt = s2w.filters(L, N=2)
    with pytest.raises(ValueError, match=r"filters were built for \(L, N, J_min, lam, spin"):
        s2w.analysis(_f(), L, N=3, filters=filt)
    with pytest.raises(TypeError, match=r"filters must be physml.s2wav.filters\(...\) output"):
        s2w.analysis(_f(), L, filters=(filt.psi, filt.phi))


def test_coefficients_of_the_wrong_structure_are_named():
    filt = s2w.filters(L, N=2)
    shapes, scal_shape = s2w.coefficient_shapes(filt)
    wav = [np.zeros(s, complex) for s in shapes]
    scal = np.zeros(scal_shape, complex)
    with pytest.raises(ValueError, match=r"f_wav must be a sequence of 4 arrays \(scales j = 0"):
        s2w.synthesis(wav[:-1], scal, L, N=2)
    bad = [*wav[:2], np.zeros((3, 4, 7), complex), wav[3]]
    with pytest.raises(ValueError, match=r"f_wav\[2\] has shape \(3, 4, 7\) but scale j=2"):
        s2w.synthesis(bad, scal, L, N=2)
    with pytest.raises(ValueError, match=r"f_scal has shape \(2, 2\) but sampling='mw'"):
        s2w.synthesis(wav, np.zeros((2, 2)), L, N=2)
    with pytest.raises(ValueError, match=r"f_wav must be a sequence of 4 arrays .*, got ndarray"):
        s2w.analysis_adjoint(np.zeros((4, 3, 8, 15)), scal, L, N=2)


def test_layout_options_are_checked():
    with pytest.raises(ValueError, match=r"oversample must be an integer >= 1, got oversample=0"):
        s2w.analysis(_f(), L, oversample=0)
    with pytest.raises(ValueError, match=r"oversample=2 needs band-limits up to 16 but nside=4"):
        s2w.analysis(np.zeros(192), L, sampling="healpix", nside=4, oversample=2)
    with pytest.raises(ValueError, match=r"gamma_oversample must be an integer >= 1, got gamma"):
        s2w.analysis(_f(), L, gamma_oversample=0)
    with pytest.raises(TypeError, match=r"gamma_oversample must be an integer >= 1, got 1.5"):
        s2w.synthesis_adjoint(_f(), L, gamma_oversample=1.5)
    with pytest.raises(TypeError, match=r"multiresolution must be True or False"):
        s2w.analysis(_f(), L, multiresolution="yes")
    with pytest.raises(ValueError, match=r"method='ducc' is not one of"):
        s2w.analysis(_f(), L, method="ducc")
    with pytest.raises(ValueError, match=r"sampling='cube' is not one of"):
        s2w.analysis(_f(), L, sampling="cube")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"J_min": 4}, r"J_min=4 is out of range for L=8 and lam=2.0"),
        ({"lam": 1.0}, r"lam must be a real number > 1"),
        ({"N": 0}, r"N=0 directions needs 1 <= N <= L"),
    ],
)
def test_transforms_report_bad_wavelet_parameters_before_any_work(kwargs, match):
    with pytest.raises(ValueError, match=match):
        s2w.analysis(_f(), L, **kwargs)
    with pytest.raises(ValueError, match=match):
        s2w.synthesis_adjoint(_f(), L, **kwargs)
