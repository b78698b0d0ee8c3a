"""Argument checks at the public boundary of physml.harmonic.

Every check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, wrong
value) with a message that names the argument and says what was expected. Nothing is dropped
silently: a single NaN or inf among the samples or log posterior values is an error.
"""

from __future__ import annotations

import numbers

import numpy as np


def is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_float_array(name: str, x: object, ndim: int, what: str) -> np.ndarray:
    """Convert to a float64 NumPy array and check the number of dimensions."""
    try:
        arr = np.asarray(x)
    except Exception as err:  # pragma: no cover - numpy raises many kinds
        raise TypeError(f"{name} must be an array of shape {what}, got {type(x).__name__}") from err
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"{name} must be a real array of shape {what}, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have shape {what} ({ndim} axes), got shape {arr.shape}")
    return arr.astype(np.float64)


def check_finite(name: str, arr: np.ndarray, mask: np.ndarray | None = None) -> None:
    """Raise if any (unmasked) entry is NaN or infinite, saying how many and where."""
    bad = ~np.isfinite(arr)
    if mask is not None:
        bad &= mask.reshape(mask.shape + (1,) * (arr.ndim - mask.ndim))
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kinds = []
        if np.isnan(arr[bad]).any():
            kinds.append("NaN")
        if np.isinf(arr[bad]).any():
            kinds.append("inf")
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) ({'/'.join(kinds)}), "
            f"first at index {first}; remove or fix those samples explicitly "
            "(nothing is dropped silently)"
        )


def check_positive_int(name: str, value: object, minimum: int = 1) -> int:
    if not is_int(value):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name}={value}")
    return int(value)


def check_fraction(name: str, value: object, *, open_interval: bool = True) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not (0.0 < value < 1.0 if open_interval else 0.0 < value <= 1.0):
        bounds = "0 < {0} < 1" if open_interval else "0 < {0} <= 1"
        raise ValueError(f"{name} must satisfy {bounds.format(name)}, got {name}={value}")
    return value


def check_temperature(temperature: object) -> float:
    if not isinstance(temperature, numbers.Real) or isinstance(temperature, bool):
        raise TypeError(f"temperature must be a real number, got {temperature!r}")
    t = float(temperature)
    if not t > 0.0:
        raise ValueError(f"temperature must be > 0 (it scales the base covariance), got {t}")
    return t
