"""Checkpoints of a synthesis: the leaves of a pytree in ``state.npz`` plus ``meta.json``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jax
import numpy as np

FORMAT = "physml-s2scat-synthesis"


def save(path: str | os.PathLike, tree, meta: dict) -> None:
    """Write the leaves of ``tree`` and the JSON metadata ``meta`` (atomically per file)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    leaves = jax.tree.leaves(tree)
    arrays = {f"leaf_{i:04d}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    tmp = path / "state.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path / "state.npz")
    record = dict(meta, format=FORMAT, shapes=[list(a.shape) for a in arrays.values()])
    (path / "meta.tmp.json").write_text(json.dumps(record, indent=2))
    os.replace(path / "meta.tmp.json", path / "meta.json")


def load(path: str | os.PathLike, template, expected: dict):
    """Leaves from ``path`` in the structure of ``template``, or ``(None, None)`` if absent.

    Raises
    ------
    ValueError : the checkpoint was written for another configuration (any key of
        ``expected`` differs) or its arrays do not have the template's shapes.
    """
    path = Path(path)
    if not (path / "meta.json").exists():
        return None, None
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path} is not a {FORMAT} checkpoint")
    for key, value in expected.items():
        if meta.get(key) != value:
            raise ValueError(
                f"checkpoint {path} has {key}={meta.get(key)!r} but this run has {value!r}"
            )
    leaves, treedef = jax.tree.flatten(template)
    with np.load(path / "state.npz") as data:
        stored = [data[f"leaf_{i:04d}"] for i in range(len(data.files))]
    if len(stored) != len(leaves) or any(
        np.shape(a) != np.shape(b) for a, b in zip(stored, leaves, strict=True)
    ):
        raise ValueError(f"checkpoint {path} does not match the shapes of this run's state")
    restored = [
        np.asarray(a, dtype=np.asarray(b).dtype) for a, b in zip(stored, leaves, strict=True)
    ]
    return jax.tree.unflatten(treedef, restored), meta
