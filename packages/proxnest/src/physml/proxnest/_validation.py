"""Checks run once at the public boundary of physml.proxnest."""

from __future__ import annotations

import numbers

import jax
import numpy as np


def is_concrete(x: object) -> bool:
    """True when ``x`` holds values (not a tracer inside ``jit``/``grad``/``vmap``)."""
    return not isinstance(x, jax.core.Tracer)


def check_positive(value: object, name: str) -> float:
    """A finite real number > 0 (e.g. a noise level or a smoothing parameter)."""
    if not isinstance(value, numbers.Real) and not (
        hasattr(value, "shape") and np.shape(value) == ()
    ):
        raise TypeError(f"{name} must be a positive real number, got {value!r}")
    if not is_concrete(value):
        return value  # type: ignore[return-value]
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {name}={v}")
    return v


def check_int(value: object, name: str, minimum: int = 1) -> int:
    """An integer >= ``minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name}={value}")
    return int(value)


def check_shape(x: object, shape: tuple[int, ...], name: str, what: str) -> None:
    """``x`` has exactly ``shape`` (``what`` says where the expectation comes from)."""
    if tuple(np.shape(x)) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(np.shape(x))} but {what} needs {tuple(shape)}")


def check_finite(x: object, name: str) -> None:
    """No NaN or infinity in a concrete array (skipped under tracing)."""
    if is_concrete(x) and not bool(np.all(np.isfinite(np.asarray(x)))):
        raise ValueError(f"{name} contains NaN or infinite values")
