"""Ring FFTs against explicit Fourier sums at the sample longitudes.

The reference evaluates F_t(m) = Σ_p f_p e^{−imφ_p} directly, with the pixel longitudes taken
from the published formulas (equiangular) or from healpy.pix2ang (HEALPix).
"""

import healpy as hp
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from physml.core import ring_fft, sampling

SCHEMES = [("mw", None), ("mwss", None), ("dh", None), ("gl", None)]
HEALPIX = [("healpix", 1), ("healpix", 2), ("healpix", 4), ("healpix", 16)]


def _positions(L, scheme, nside):
    if scheme == "healpix":
        theta, phi = hp.pix2ang(nside, np.arange(hp.nside2npix(nside)))
        ring = np.unique(np.round(theta, 12), return_inverse=True)[1]
        return ring, phi
    n = sampling.nphi(L, scheme)
    t = sampling.ntheta(L, scheme)
    ring = np.repeat(np.arange(t), n)
    phi = np.tile(2 * np.pi * np.arange(n) / n, t)
    return ring, phi


def _reference_forward(f, L, scheme, nside):
    ring, phi = _positions(L, scheme, nside)
    m = np.arange(-(L - 1), L)
    out = np.zeros((ring.max() + 1, 2 * L - 1), dtype=complex)
    np.add.at(out, ring, f.reshape(-1)[:, None] * np.exp(-1j * phi[:, None] * m[None, :]))
    return out


def _random_signal(rng, L, scheme, nside, complex_=True):
    shape = sampling.f_shape(L, scheme, nside)
    f = rng.standard_normal(shape)
    return f + 1j * rng.standard_normal(shape) if complex_ else f


@pytest.mark.parametrize(("scheme", "nside"), SCHEMES + HEALPIX)
def test_forward_equals_explicit_fourier_sum(scheme, nside):
    rng = np.random.default_rng(0)
    L = 2 * nside if scheme == "healpix" else 7
    f = _random_signal(rng, L, scheme, nside)
    got = ring_fft.forward(f, L, scheme, nside)
    want = _reference_forward(f, L, scheme, nside)
    np.testing.assert_allclose(got, want, atol=1e-12 * np.sqrt(f.size))


@pytest.mark.parametrize("nside", [2, 4])
def test_healpix_forward_aliases_on_short_rings_at_max_band_limit(nside):
    """L = 3 nside exceeds the length of every polar ring: orders alias as the sums say."""
    rng = np.random.default_rng(1)
    L = 3 * nside
    f = _random_signal(rng, L, "healpix", nside)
    np.testing.assert_allclose(
        ring_fft.forward(f, L, "healpix", nside),
        _reference_forward(f, L, "healpix", nside),
        atol=1e-12 * np.sqrt(f.size),
    )


@pytest.mark.parametrize(("scheme", "nside"), SCHEMES + HEALPIX)
def test_inverse_is_the_adjoint_of_forward(scheme, nside):
    rng = np.random.default_rng(2)
    L = 2 * nside if scheme == "healpix" else 6
    f = _random_signal(rng, L, scheme, nside)
    F = rng.standard_normal((sampling.ntheta(L, scheme, nside), 2 * L - 1)) * (1 + 1j)
    lhs = np.vdot(ring_fft.forward(f, L, scheme, nside), F)
    rhs = np.vdot(f, ring_fft.inverse(F, L, scheme, nside))
    assert lhs == pytest.approx(rhs, rel=1e-13)


@pytest.mark.parametrize(("scheme", "nside"), SCHEMES + HEALPIX)
def test_inverse_synthesises_the_fourier_series_at_every_pixel(scheme, nside):
    rng = np.random.default_rng(3)
    L = 2 * nside if scheme == "healpix" else 5
    ring, phi = _positions(L, scheme, nside)
    F = rng.standard_normal((ring.max() + 1, 2 * L - 1)) + 1j * rng.standard_normal(
        (ring.max() + 1, 2 * L - 1)
    )
    m = np.arange(-(L - 1), L)
    want = np.sum(F[ring] * np.exp(1j * phi[:, None] * m[None, :]), axis=1)
    got = ring_fft.inverse(F, L, scheme, nside).reshape(-1)
    np.testing.assert_allclose(got, want, atol=1e-12 * np.sqrt(F.size))


@pytest.mark.parametrize(("scheme", "nside"), [("mw", None), ("healpix", 4)])
def test_float32_stays_within_single_precision(scheme, nside):
    rng = np.random.default_rng(4)
    L = 8
    f = _random_signal(rng, L, scheme, nside, complex_=False)
    got = ring_fft.forward(jnp.asarray(f, dtype=jnp.float32), L, scheme, nside)
    assert got.dtype == jnp.complex64
    want = _reference_forward(f, L, scheme, nside)
    np.testing.assert_allclose(got, want, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize(("scheme", "nside"), [("mwss", None), ("healpix", 2)])
def test_batches_jit_vmap_and_grad(scheme, nside):
    rng = np.random.default_rng(5)
    L = 4
    f = np.stack([_random_signal(rng, L, scheme, nside) for _ in range(3)])
    batched = ring_fft.forward(f, L, scheme, nside)
    mapped = jax.vmap(lambda x: ring_fft.forward(x, L, scheme, nside))(f)
    jitted = jax.jit(ring_fft.forward, static_argnums=(1, 2, 3))(f, L, scheme, nside)
    np.testing.assert_allclose(batched, mapped, atol=1e-12)
    np.testing.assert_allclose(batched, jitted, atol=1e-12)
    # d/df Σ|F|² = 2 inverse(F) (the adjoint) for the real part of a real signal.
    real = f[0].real

    def energy(x):
        return jnp.sum(jnp.abs(ring_fft.forward(x, L, scheme, nside)) ** 2)

    grad = jax.grad(energy)(real)
    adjoint = 2 * ring_fft.inverse(ring_fft.forward(real, L, scheme, nside), L, scheme, nside)
    np.testing.assert_allclose(grad, adjoint.real, atol=1e-10)


def test_shape_errors_name_the_expected_shape():
    with pytest.raises(
        ValueError, match=r"f has shape \(7, 4\) but sampling='mw' with L=4 needs \(\.\.\., 4, 7\)"
    ):
        ring_fft.forward(np.zeros((4, 7)).T, 4, "mw")
    with pytest.raises(ValueError, match="sampling='healpix' with nside=2, L=4 needs"):
        ring_fft.forward(np.zeros(47), 4, "healpix", 2)
    with pytest.raises(ValueError, match=r"F has shape \(3, 7\) but sampling='dh' with L=4"):
        ring_fft.inverse(np.zeros((3, 7), complex), 4, "dh")
    with pytest.raises(TypeError, match="f must have a floating or complex dtype, got int64"):
        ring_fft.forward(np.zeros((4, 7), dtype=np.int64), 4, "mw")


@pytest.mark.parametrize(("scheme", "nside"), SCHEMES + HEALPIX[1:3])
def test_real_forward_is_the_nonnegative_half_of_the_explicit_sum(scheme, nside):
    rng = np.random.default_rng(6)
    for L in (2 * nside, 3 * nside) if scheme == "healpix" else (6, 7):
        f = _random_signal(rng, L, scheme, nside, complex_=False)
        got = ring_fft.forward_real(f, L, scheme, nside)
        assert got.shape == (sampling.ntheta(L, scheme, nside), L)
        want = _reference_forward(f, L, scheme, nside)[:, L - 1 :]
        np.testing.assert_allclose(got, want, atol=1e-12 * np.sqrt(f.size))


@pytest.mark.parametrize(("scheme", "nside"), SCHEMES + HEALPIX[1:3])
def test_real_inverse_synthesises_the_hermitian_series(scheme, nside):
    rng = np.random.default_rng(7)
    L = 2 * nside if scheme == "healpix" else 5
    ring, phi = _positions(L, scheme, nside)
    F = rng.standard_normal((ring.max() + 1, L)) + 1j * rng.standard_normal((ring.max() + 1, L))
    m = np.arange(1, L)
    # Σ_{|m|<L} F(m) e^{imφ} with F(−m) = conj F(m), Im F(0) left out.
    want = F[ring, 0].real + 2 * np.sum(
        (F[ring, 1:] * np.exp(1j * phi[:, None] * m[None, :])).real, axis=1
    )
    got = ring_fft.inverse_real(F, L, scheme, nside)
    assert not jnp.iscomplexobj(got)
    np.testing.assert_allclose(got.reshape(-1), want, atol=1e-12 * np.sqrt(F.size))
    assert ring_fft.inverse_real(F.astype(np.complex64), L, scheme, nside).dtype == np.float32


def test_real_transforms_differentiate_and_reject_complex_signals():
    rng = np.random.default_rng(8)
    L = 6
    f = _random_signal(rng, L, "mwss", None, complex_=False)

    def energy(x):  # Σ_t Σ_{m≥0} |F_t(m)|²
        return jnp.sum(jnp.abs(ring_fft.forward_real(x, L, "mwss")) ** 2)

    full = ring_fft.forward(f, L, "mwss")
    half = np.where(np.arange(-(L - 1), L) >= 0, 1.0, 0.0)
    want = 2 * ring_fft.inverse(full * half, L, "mwss").real  # the adjoint of the restriction
    np.testing.assert_allclose(jax.grad(energy)(f), want, atol=1e-10)
    with pytest.raises(TypeError, match="f must have a real floating dtype, got complex128"):
        ring_fft.forward_real(f + 0j, L, "mwss")
    with pytest.raises(ValueError, match=r"F has shape \(7, 11\) but sampling='mwss' with L=6"):
        ring_fft.inverse_real(np.zeros((7, 11), complex), L, "mwss")
