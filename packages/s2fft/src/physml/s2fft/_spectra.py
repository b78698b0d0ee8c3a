"""Angular power spectra and Gaussian random fields with a given spectrum."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from physml.core.indexing import valid_mask
from physml.core.validation import validate_L, validate_shape

from ._spherical import hermitian_fill


def power_spectrum(flm: jax.Array, L: int) -> jax.Array:
    """Angular power spectrum C_ℓ = Σ_m |f_ℓm|² / (2ℓ+1).

    Parameters
    ----------
    flm : (..., L, 2L−1) coefficients.
    L : band-limit.

    Returns
    -------
    (..., L) real array.
    """
    L = validate_L(L)
    validate_shape(flm, (L, 2 * L - 1), name="flm", context=f"L={L}", batch_ok=True)
    power = jnp.sum(jnp.abs(jnp.asarray(flm)) ** 2, axis=-1)
    return power / jnp.asarray(2 * np.arange(L) + 1, power.dtype)


def random_flm(key: jax.Array, L: int, cl: jax.Array, *, batch: tuple[int, ...] = ()):
    """Coefficients of a real, isotropic Gaussian random field with spectrum C_ℓ.

    f_ℓ0 ~ N(0, C_ℓ) real; for m > 0, Re f_ℓm, Im f_ℓm ~ N(0, C_ℓ/2) independently; the m < 0
    half follows from reality, f_{ℓ,−m} = (−1)^m conj f_ℓm, so E|f_ℓm|² = C_ℓ for every m.
    Transform with ``inverse(flm, L, reality=True, ...)`` to get the field on any sampling.

    Parameters
    ----------
    key : PRNG key.
    L : band-limit.
    cl : (L,) non-negative spectrum C_ℓ (traced).
    batch : leading shape for independent realisations.

    Returns
    -------
    (*batch, L, 2L−1) complex, Hermitian coefficients.
    """
    L = validate_L(L)
    validate_shape(cl, (L,), name="cl", context=f"L={L}")
    cl = jnp.asarray(cl)
    dtype = jnp.result_type(cl.dtype, jnp.float32)
    re_key, im_key = jax.random.split(key)
    shape = (*batch, L, L)
    re = jax.random.normal(re_key, shape, dtype)
    im = jax.random.normal(im_key, shape, dtype)
    m0 = jnp.arange(L) == 0
    scale = jnp.sqrt(cl.astype(dtype))[:, None] * jnp.where(m0, 1.0, np.sqrt(0.5))
    pos = jax.lax.complex(re, jnp.where(m0, 0.0, im)) * scale
    pos = jnp.where(jnp.asarray(valid_mask(L)[:, L - 1 :]), pos, 0)
    return hermitian_fill(pos, L)
