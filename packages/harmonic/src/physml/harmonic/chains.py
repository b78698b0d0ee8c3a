"""Posterior chains: samples ``[nchains, nsamples, d]`` with log posterior values and lengths.

Chains of unequal length are stored padded to the longest one, with a per-chain ``lengths``
vector; the padding is never read (every reduction uses :attr:`Chains.mask`). The
independent chains are what the evidence error bar is built from (McEwen et al. 2021,
arXiv:2111.12720, §4): the estimator's variance is estimated from the spread between chains,
so at least two chains must reach the evidence step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import numpy as np

from physml.harmonic._random import numpy_rng
from physml.harmonic._validation import (
    as_float_array,
    check_finite,
    check_fraction,
    check_positive_int,
)

__all__ = ["Chains", "remove_burn_in", "split_by_chains", "split_into_blocks"]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Chains:
    """A set of posterior chains, a pytree.

    Attributes
    ----------
    samples : array, shape ``(nchains, nmax, d)``
        Posterior samples θ, padded with zeros beyond each chain's length.
    ln_posterior : array, shape ``(nchains, nmax)``
        Unnormalised log posterior ``ln L(θ) + ln π(θ)`` at each sample (zero in the padding).
    lengths : array of int, shape ``(nchains,)``
        Number of valid samples in each chain.

    Build with :meth:`Chains.from_arrays` or :meth:`Chains.from_list`, which validate.
    """

    samples: jax.Array | np.ndarray
    ln_posterior: jax.Array | np.ndarray
    lengths: jax.Array | np.ndarray

    @classmethod
    def from_arrays(
        cls,
        samples: object,
        ln_posterior: object,
        lengths: object | None = None,
    ) -> Chains:
        """Validate and wrap arrays ``samples [nchains, nsamples, d]``, ``ln_posterior
        [nchains, nsamples]`` and optional ``lengths [nchains]`` (default: all full).

        Raises ``ValueError`` for mismatched shapes, lengths out of range, or any NaN/inf in
        the valid part of ``samples`` or ``ln_posterior``.
        """
        x = as_float_array("samples", samples, 3, "[nchains, nsamples, d]")
        lp = as_float_array("ln_posterior", ln_posterior, 2, "[nchains, nsamples]")
        nchains, nmax, d = x.shape
        if lp.shape != (nchains, nmax):
            raise ValueError(
                f"ln_posterior has shape {lp.shape} but samples of shape {x.shape} need "
                f"ln_posterior of shape ({nchains}, {nmax})"
            )
        if nchains < 1 or nmax < 1 or d < 1:
            raise ValueError(f"samples must be non-empty [nchains, nsamples, d], got {x.shape}")
        if lengths is None:
            n = np.full(nchains, nmax, dtype=np.int64)
        else:
            n = np.asarray(lengths)
            if not np.issubdtype(n.dtype, np.integer) or n.shape != (nchains,):
                raise ValueError(
                    f"lengths must be {nchains} integers (one per chain), got {n.dtype} "
                    f"array of shape {n.shape}"
                )
            if (n < 1).any() or (n > nmax).any():
                raise ValueError(f"lengths must lie in 1..{nmax} (nsamples), got {n.tolist()}")
            n = n.astype(np.int64)
        mask = np.arange(nmax)[None, :] < n[:, None]
        check_finite("samples", x, mask)
        check_finite("ln_posterior", lp, mask)
        x = np.where(mask[..., None], x, 0.0)
        lp = np.where(mask, lp, 0.0)
        return cls(samples=x, ln_posterior=lp, lengths=n)

    @classmethod
    def from_list(cls, samples: Sequence[object], ln_posterior: Sequence[object]) -> Chains:
        """Build from lists of per-chain arrays ``[n_i, d]`` and ``[n_i]`` of unequal lengths."""
        if len(samples) != len(ln_posterior) or len(samples) == 0:
            raise ValueError(
                f"samples and ln_posterior must be non-empty lists of equal length (one entry "
                f"per chain), got {len(samples)} and {len(ln_posterior)}"
            )
        xs = [as_float_array(f"samples[{i}]", s, 2, "[n_i, d]") for i, s in enumerate(samples)]
        lps = [
            as_float_array(f"ln_posterior[{i}]", s, 1, "[n_i]") for i, s in enumerate(ln_posterior)
        ]
        d = xs[0].shape[1]
        for i, (s, lp) in enumerate(zip(xs, lps)):
            if s.shape[1] != d:
                raise ValueError(f"samples[{i}] has d={s.shape[1]} but samples[0] has d={d}")
            if lp.shape[0] != s.shape[0]:
                raise ValueError(
                    f"ln_posterior[{i}] has {lp.shape[0]} values but samples[{i}] has "
                    f"{s.shape[0]} samples"
                )
        lengths = np.array([s.shape[0] for s in xs])
        nmax = int(lengths.max())
        x = np.zeros((len(xs), nmax, d))
        lp = np.zeros((len(xs), nmax))
        for i, (s, v) in enumerate(zip(xs, lps)):
            x[i, : len(s)] = s
            lp[i, : len(v)] = v
        return cls.from_arrays(x, lp, lengths)

    @property
    def nchains(self) -> int:
        return int(self.samples.shape[0])

    @property
    def ndim(self) -> int:
        """Dimension ``d`` of the parameter space."""
        return int(self.samples.shape[2])

    @property
    def mask(self) -> jax.Array | np.ndarray:
        """Boolean ``(nchains, nmax)``: True where a sample is valid (not padding)."""
        nmax = self.samples.shape[1]
        return np.arange(nmax)[None, :] < np.asarray(self.lengths)[:, None]

    @property
    def nsamples_total(self) -> int:
        return int(np.sum(self.lengths))

    def flat_samples(self) -> np.ndarray:
        """All valid samples concatenated, shape ``(sum(lengths), d)``."""
        return np.asarray(self.samples)[self.mask]

    def flat_ln_posterior(self) -> np.ndarray:
        """All valid log posterior values concatenated, shape ``(sum(lengths),)``."""
        return np.asarray(self.ln_posterior)[self.mask]

    def select(self, indices: Sequence[int] | np.ndarray) -> Chains:
        """The chains at ``indices`` (in that order), trimmed to their longest length."""
        idx = np.asarray(indices, dtype=np.int64)
        lengths = np.asarray(self.lengths)[idx]
        nmax = int(lengths.max())
        return Chains(
            samples=np.asarray(self.samples)[idx, :nmax],
            ln_posterior=np.asarray(self.ln_posterior)[idx, :nmax],
            lengths=lengths,
        )


def remove_burn_in(chains: Chains, n_burn: int) -> Chains:
    """Drop the first ``n_burn`` samples of every chain.

    Raises ``ValueError`` if a chain would be left empty.
    """
    n_burn = check_positive_int("n_burn", n_burn, minimum=0)
    lengths = np.asarray(chains.lengths)
    if n_burn >= lengths.min():
        raise ValueError(
            f"n_burn={n_burn} would empty a chain: the shortest chain has {int(lengths.min())} "
            "samples"
        )
    return Chains(
        samples=np.asarray(chains.samples)[:, n_burn:],
        ln_posterior=np.asarray(chains.ln_posterior)[:, n_burn:],
        lengths=lengths - n_burn,
    )


def split_into_blocks(chains: Chains, nblocks: int) -> Chains:
    """Split each chain into ``nblocks`` contiguous blocks, giving ``nchains * nblocks`` chains.

    Used to obtain a between-chain variance from one (or few) long, well-mixed chains, e.g.
    from NUTS. Blocks of chain ``i`` have lengths differing by at most one; every block must
    hold at least one sample.
    """
    nblocks = check_positive_int("nblocks", nblocks)
    lengths = np.asarray(chains.lengths)
    if nblocks > lengths.min():
        raise ValueError(
            f"nblocks={nblocks} exceeds the shortest chain length {int(lengths.min())}"
        )
    xs, lps = [], []
    x_all, lp_all = np.asarray(chains.samples), np.asarray(chains.ln_posterior)
    for i, n in enumerate(lengths):
        xs.extend(np.array_split(x_all[i, :n], nblocks))
        lps.extend(np.array_split(lp_all[i, :n], nblocks))
    return Chains.from_list(xs, lps)


def split_by_chains(chains: Chains, *, key: jax.Array, train_fraction: float = 0.5):
    """Randomly split whole chains into a training set and an inference set.

    The target density is fitted on the training chains and the evidence computed on the
    inference chains only, so the two are independent (McEwen et al. 2021, §5).

    Returns
    -------
    train, inference : Chains
    """
    train_fraction = check_fraction("train_fraction", train_fraction)
    n = chains.nchains
    ntrain = round(train_fraction * n)
    ntrain = min(max(ntrain, 1), n - 2)
    if n < 3:
        raise ValueError(
            f"need at least 3 chains to split into training and inference sets (>= 2 inference "
            f"chains for a variance estimate), got nchains={n}; split long chains into blocks "
            "first (nblocks= in estimate_evidence, or split_into_blocks)"
        )
    perm = numpy_rng(key).permutation(n)
    return chains.select(np.sort(perm[:ntrain])), chains.select(np.sort(perm[ntrain:]))
