"""Save and load fitted target densities in open formats: one ``.npz`` with JSON metadata.

The file holds the arrays (parameters, whitening, mixture components) and a ``metadata``
entry, a JSON string with the format name, the package version, the model class and its
hyper-parameters and the dimension. Nothing is pickled (``np.load(..., allow_pickle=False)``)
and loading rebuilds the model from its hyper-parameters, then checks that every stored array
has the shape the model expects.
"""

from __future__ import annotations

import dataclasses
import json
import os

import jax
import jax.numpy as jnp
import numpy as np

from physml.harmonic.classical import FittedGaussianMixture
from physml.harmonic.flows import FittedFlow, RealNVPFlow, RQSplineFlow, _init

__all__ = ["FORMAT", "load", "save"]

FORMAT = "physml.harmonic.model"
VERSION = "0.1.0"
_FLOWS = {"RQSplineFlow": RQSplineFlow, "RealNVPFlow": RealNVPFlow}


def _param_arrays(params) -> dict[str, np.ndarray]:
    leaves = jax.tree_util.tree_flatten_with_path(params)[0]
    return {"params" + jax.tree_util.keystr(path): np.asarray(v) for path, v in leaves}


def save(path: str | os.PathLike, model: FittedFlow | FittedGaussianMixture) -> None:
    """Write a fitted model to ``path`` (a ``.npz`` file; the suffix is added if missing)."""
    if isinstance(model, FittedFlow):
        meta = {
            "class": type(model.config).__name__,
            "config": dataclasses.asdict(model.config),
            "d": model.ndim,
        }
        arrays = {"shift": np.asarray(model.shift), "chol": np.asarray(model.chol)}
        arrays.update(_param_arrays(model.params))
    elif isinstance(model, FittedGaussianMixture):
        meta = {"class": "GaussianMixture", "d": model.ndim}
        arrays = {
            "ln_weights": np.asarray(model.ln_weights),
            "means": np.asarray(model.means),
            "chols": np.asarray(model.chols),
        }
    else:
        raise TypeError(
            f"model must be a FittedFlow or FittedGaussianMixture, got {type(model).__name__}"
        )
    meta.update(format=FORMAT, version=VERSION)
    np.savez(path, metadata=np.array(json.dumps(meta)), **arrays)


def _check_shape(name, arr, expected, path):
    if tuple(arr.shape) != tuple(expected):
        raise ValueError(
            f"{path}: array {name!r} has shape {tuple(arr.shape)} but the model described by "
            f"the metadata needs {tuple(expected)}"
        )


def load(path: str | os.PathLike) -> FittedFlow | FittedGaussianMixture:
    """Read a model written by :func:`save`, checking format, version and shapes."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    if "metadata" not in arrays:
        raise ValueError(f"{path} is not a physml.harmonic model file (no metadata entry)")
    meta = json.loads(str(arrays.pop("metadata")))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    major = str(meta.get("version", "")).split(".")[:2]
    if major != VERSION.split(".")[:2]:
        raise ValueError(
            f"{path} was written by physml.harmonic {meta.get('version')}, which this version "
            f"({VERSION}) cannot read"
        )
    d = int(meta["d"])
    if meta["class"] == "GaussianMixture":
        k = arrays["ln_weights"].shape[0]
        for name, shape in (("means", (k, d)), ("chols", (k, d, d))):
            _check_shape(name, arrays[name], shape, path)
        return FittedGaussianMixture(
            jnp.asarray(arrays["ln_weights"]),
            jnp.asarray(arrays["means"]),
            jnp.asarray(arrays["chols"]),
        )
    if meta["class"] not in _FLOWS:
        raise ValueError(f"{path}: unknown model class {meta['class']!r}")
    config = _FLOWS[meta["class"]](**meta["config"])
    graphdef, template = _init(config, d, jax.random.key(0))
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    values = []
    for key_path, leaf in leaves:
        name = "params" + jax.tree_util.keystr(key_path)
        if name not in arrays:
            raise ValueError(f"{path}: missing parameter array {name!r}")
        _check_shape(name, arrays[name], leaf.shape, path)
        values.append(jnp.asarray(arrays[name], dtype=leaf.dtype))
    for name, shape in (("shift", (d,)), ("chol", (d, d))):
        _check_shape(name, arrays[name], shape, path)
    params = jax.tree_util.tree_unflatten(treedef, values)
    return FittedFlow(
        config, graphdef, params, jnp.asarray(arrays["shift"]), jnp.asarray(arrays["chol"])
    )
