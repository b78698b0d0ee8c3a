"""The precompute method reproduces the on-the-fly one; kernels are checked against the call."""

import jax
import numpy as np
import pytest
from _signals import random_signal

import physml.s2fft as s2
import physml.s2wav as s2w


@pytest.mark.parametrize(("N", "reality", "gamma_oversample"), [(3, True, 1), (2, False, 2)])
def test_precompute_matches_on_the_fly_and_reconstructs(N, reality, gamma_oversample):
    L = 8
    f = random_signal(L, seed=30, reality=reality)
    filt = s2w.filters(L, N=N)
    layout = {"reality": reality, "gamma_oversample": gamma_oversample}
    ana = s2w.precompute_kernels(filt, **layout)
    syn = s2w.precompute_kernels(filt, analysis=False, **layout)
    kw = {"N": N, "filters": filt, **layout}
    fast = s2w.analysis(f, L, method="precompute", precomps=ana, **kw)
    slow = s2w.analysis(f, L, **kw)
    for x, y in zip(jax.tree_util.tree_leaves(fast), jax.tree_util.tree_leaves(slow)):
        np.testing.assert_allclose(x, y, atol=1e-13)
    back = s2w.synthesis(*fast, L, method="precompute", precomps=syn, **kw)
    np.testing.assert_allclose(back, f, atol=1e-12)


def test_kernel_nbytes_counts_each_distinct_spin_transform_once():
    L, N = 8, 2
    filt = s2w.filters(L, N=N)
    kernels = s2w.precompute_kernels(filt)
    stored = sum(x.nbytes for x in jax.tree_util.tree_leaves(kernels))
    assert s2w.kernel_nbytes(filt) == stored
    # Orders n = ±1 at band-limits 4 and 8, plus the scaling kernel at L_s = 1.
    assert sorted(kernels.scales) == [(1, 0, False), (4, -1, False), (4, 1, False),
                                      (8, -1, False), (8, 1, False)]  # fmt: skip
    assert stored >= s2.kernel_nbytes(L, forward=True)


def test_precompute_needs_matching_kernels():
    L = 8
    filt = s2w.filters(L, N=2)
    f = np.zeros((L, 2 * L - 1))
    with pytest.raises(TypeError, match=r"method='precompute' needs precomps="):
        s2w.analysis(f, L, N=2, filters=filt, method="precompute")
    syn = s2w.precompute_kernels(filt, analysis=False)
    with pytest.raises(ValueError, match=r"precomps were not built for analysis"):
        s2w.analysis(f, L, N=2, filters=filt, method="precompute", precomps=syn)
    real = s2w.precompute_kernels(filt, reality=True)
    with pytest.raises(ValueError, match=r"precomps were built for another layout"):
        s2w.analysis(f, L, N=2, filters=filt, method="precompute", precomps=real)
