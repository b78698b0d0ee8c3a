"""Device meshes and sharding rules for the axes of spherical transforms.

Scaling beyond one device uses JAX's own SPMD machinery: a :class:`jax.sharding.Mesh` of
devices with named axes, :class:`jax.sharding.NamedSharding` / ``PartitionSpec`` placements
and :func:`jax.shard_map` for per-device programs with explicit collectives (Xu et al. 2021,
"GSPMD").  Nothing here schedules work itself.

Transform axes and how they are split
-------------------------------------
``"batch"``  the leading axis of a stack of maps or coefficients (independent transforms).
``"m"``      the order axis of coefficients ``flm[..., ℓ, L−1+m]`` (the last axis).
``"rings"``  the colatitude axis of an equiangular map ``f[..., θ_t, φ_p]`` (second to last).

No divisibility is assumed: an axis of length n split over D devices is padded to
``D·ceil(n/D)`` (:func:`pad_axis`), the padded entries are masked or dropped
(:func:`valid_mask`, :func:`unpad_axis`), so 3 devices split 16 rings as 6 + 6 + 4 (+2 pad).

Examples
--------
>>> from physml.core import sharding
>>> m = sharding.mesh()                                   # every device on one axis
>>> x, n = sharding.shard(jnp.ones((10, 4)), m)           # padded to a multiple of D
>>> y = sharding.batch_map(lambda a: 2 * a, m)(jnp.ones((10, 4)))   # (10, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

TRANSFORM_AXES: tuple[str, ...] = ("batch", "m", "rings")
DEFAULT_AXIS = "devices"


def shard_map(
    f: Callable, *, mesh: Mesh, in_specs: Any, out_specs: Any, check: bool = True
) -> Callable:
    """:func:`jax.shard_map` (``jax.experimental.shard_map`` on JAX releases before 0.7).

    ``check=False`` turns off JAX's check that values are consistently replicated or varying
    across devices (needed around code whose ``lax.cond`` branches mix the two).
    """
    if hasattr(jax, "shard_map"):
        return jax.shard_map(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_vma=check)
    from jax.experimental.shard_map import shard_map as legacy  # pragma: no cover

    return legacy(  # pragma: no cover
        f, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_rep=check
    )


def mesh(
    axis_names: Sequence[str] = (DEFAULT_AXIS,),
    shape: Sequence[int] | None = None,
    devices: Sequence[jax.Device] | None = None,
) -> Mesh:
    """A device mesh with named axes over the available (or the given) devices.

    Parameters
    ----------
    axis_names : names of the mesh axes, e.g. ``("batch",)`` or ``("hosts", "gpus")``.
    shape : devices along each axis; default puts every device on the first axis.  Its
        product must equal the number of devices.
    devices : devices to use; default :func:`jax.devices` (every device of every host after
        :func:`jax.distributed.initialize`).

    Returns
    -------
    jax.sharding.Mesh
    """
    axis_names = (axis_names,) if isinstance(axis_names, str) else tuple(axis_names)
    if not axis_names or not all(isinstance(a, str) and a for a in axis_names):
        raise TypeError(f"axis_names must be non-empty strings, got {axis_names!r}")
    if len(set(axis_names)) != len(axis_names):
        raise ValueError(f"axis_names must be distinct, got {axis_names!r}")
    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("devices must hold at least one device")
    if shape is None:
        shape = (len(devices),) + (1,) * (len(axis_names) - 1)
    shape = tuple(shape)
    if len(shape) != len(axis_names) or not all(
        isinstance(s, int | np.integer) and s >= 1 for s in shape
    ):
        raise ValueError(
            f"shape must give a positive device count for each of the {len(axis_names)} axes"
            f" {axis_names}, got {shape!r}"
        )
    if math.prod(shape) != len(devices):
        raise ValueError(
            f"shape={shape} holds {math.prod(shape)} devices but {len(devices)} are given"
        )
    return Mesh(np.asarray(devices, dtype=object).reshape(shape), axis_names)


def axis_size(mesh: Mesh, axis_name: str | None = None) -> int:
    """Number of devices along ``axis_name`` (default: the mesh's first axis)."""
    return mesh.shape[resolve_axis(mesh, axis_name)]


def resolve_axis(mesh: Mesh, axis_name: str | None) -> str:
    """``axis_name`` checked against the mesh; ``None`` means its first axis."""
    if not isinstance(mesh, Mesh):
        raise TypeError(f"mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    if axis_name is None:
        return mesh.axis_names[0]
    if axis_name not in mesh.axis_names:
        raise ValueError(f"axis_name={axis_name!r} is not an axis of the mesh {mesh.axis_names}")
    return axis_name


def padded_size(n: int, parts: int) -> int:
    """Smallest multiple of ``parts`` that is ≥ n (n = 0 stays 0)."""
    if n < 0 or parts < 1:
        raise ValueError(f"need n >= 0 and parts >= 1, got n={n}, parts={parts}")
    return parts * math.ceil(n / parts)


def pad_axis(x: jax.Array, parts: int, axis: int = 0, value: float = 0) -> jax.Array:
    """Pad ``axis`` of x with ``value`` up to a multiple of ``parts``; (…, n, …) → (…, n′, …)."""
    x = jnp.asarray(x)
    axis = axis % x.ndim
    extra = padded_size(x.shape[axis], parts) - x.shape[axis]
    if extra == 0:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, extra)
    return jnp.pad(x, widths, constant_values=value)


def unpad_axis(x: jax.Array, n: int, axis: int = 0) -> jax.Array:
    """The first ``n`` entries along ``axis`` (drops what :func:`pad_axis` added)."""
    return jax.lax.slice_in_dim(x, 0, n, axis=axis % x.ndim)


def valid_mask(n: int, size: int) -> jax.Array:
    """Boolean (size,) mask, True on the first ``n`` (real) entries of a padded axis."""
    return jnp.arange(size) < n


def transform_spec(kind: str, ndim: int, axis_name: str = DEFAULT_AXIS) -> PartitionSpec:
    """PartitionSpec splitting the transform axis ``kind`` of an ``ndim``-dimensional array.

    ``"batch"`` splits axis 0; ``"m"`` the last axis of (…, L, 2L−1) coefficients;
    ``"rings"`` the θ axis of an equiangular (…, nθ, nφ) map.  Other axes are replicated.
    """
    if kind not in TRANSFORM_AXES:
        raise ValueError(f"kind={kind!r} is not one of {TRANSFORM_AXES}")
    need = 1 if kind in ("batch", "m") else 2
    if ndim < need:
        raise ValueError(f"kind={kind!r} needs an array with at least {need} axes, got {ndim}")
    position = {"batch": 0, "m": ndim - 1, "rings": ndim - 2}[kind]
    spec = [None] * ndim
    spec[position] = axis_name
    return PartitionSpec(*spec)


def shard(
    x: jax.Array, mesh: Mesh, axis_name: str | None = None, axis: int = 0, value: float = 0
) -> tuple[jax.Array, int]:
    """Pad ``axis`` of x to a multiple of the mesh axis size and place it split over devices.

    Returns
    -------
    (sharded array with the padded axis split over ``axis_name``, n) where n is the original
    length (use :func:`unpad_axis` / :func:`valid_mask` with it).
    """
    name = resolve_axis(mesh, axis_name)
    x = jnp.asarray(x)
    if x.ndim == 0:
        raise ValueError("x must have at least one axis to shard, got a scalar")
    axis = axis % x.ndim
    n = x.shape[axis]
    spec = [None] * x.ndim
    spec[axis] = name
    padded = pad_axis(x, mesh.shape[name], axis, value)
    return jax.device_put(padded, NamedSharding(mesh, PartitionSpec(*spec))), n


def batch_map(
    fn: Callable[..., Any], mesh: Mesh, axis_name: str | None = None, value: float = 0
) -> Callable[..., Any]:
    """Apply ``fn`` to the leading batch axis of its array arguments, split over devices.

    Every positional argument must share the leading length B.  Each device runs ``fn`` on
    its block of ⌈B/D⌉ items (``fn`` must treat items independently, e.g. a transform with
    batch axes); the batch is padded with ``value`` up to a multiple of D and the padding is
    dropped from every output, so any B ≥ 1 works on any D.  ``replicated=(...)`` passes
    further arguments (pytrees, e.g. precomputed kernels) whole to every device, after the
    batched ones.  Implemented with :func:`jax.shard_map`; wrap the caller in :func:`jax.jit`
    to compile once.

    Returns
    -------
    callable ``(*xs, replicated=()) -> fn(*xs, *replicated)`` with outputs (a pytree) of
    leading length B.
    """
    name = resolve_axis(mesh, axis_name)
    parts = mesh.shape[name]

    def apply(*xs, replicated=()):
        if not xs:
            raise ValueError("batch_map needs at least one array argument")
        xs = [jnp.asarray(x) for x in xs]
        if any(x.ndim == 0 for x in xs):
            raise ValueError("every argument of batch_map needs a leading batch axis")
        sizes = {x.shape[0] for x in xs}
        if len(sizes) != 1:
            raise ValueError(f"arguments have different batch lengths {sorted(sizes)}")
        (n,) = sizes
        padded = [pad_axis(x, parts, 0, value) for x in xs]
        replicated = tuple(replicated)
        specs = (PartitionSpec(name),) * len(xs) + (PartitionSpec(),) * len(replicated)
        # Items are independent (no collectives), so JAX's replication check has nothing to
        # verify; it is off so that library code with device-invariant scan carries runs.
        mapped = shard_map(
            fn, mesh=mesh, in_specs=specs, out_specs=PartitionSpec(name), check=False
        )
        return jax.tree.map(lambda y: unpad_axis(y, n, 0), mapped(*padded, *replicated))

    return apply
