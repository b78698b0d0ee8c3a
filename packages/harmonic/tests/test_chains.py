import jax
import numpy as np
import pytest

from physml.harmonic import Chains, remove_burn_in, split_by_chains, split_into_blocks


def _random_chains(rng, lengths, d=3):
    xs = [rng.normal(size=(n, d)) for n in lengths]
    lps = [rng.normal(size=n) for n in lengths]
    return xs, lps


def test_unequal_lengths_keep_every_valid_sample_and_nothing_else():
    rng = np.random.default_rng(0)
    xs, lps = _random_chains(rng, [5, 9, 2])
    chains = Chains.from_list(xs, lps)
    assert chains.samples.shape == (3, 9, 3)
    np.testing.assert_array_equal(chains.lengths, [5, 9, 2])
    np.testing.assert_array_equal(chains.flat_samples(), np.concatenate(xs))
    np.testing.assert_array_equal(chains.flat_ln_posterior(), np.concatenate(lps))
    assert chains.mask.sum() == 16


def test_padding_is_ignored_even_when_it_holds_nan():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4, 2))
    lp = rng.normal(size=(2, 4))
    x[0, 3] = np.nan
    lp[0, 3] = np.inf
    chains = Chains.from_arrays(x, lp, lengths=[3, 4])
    assert np.isfinite(chains.samples).all()
    np.testing.assert_array_equal(chains.flat_samples()[:3], x[0, :3])


def test_chains_is_a_pytree():
    chains = Chains.from_arrays(np.zeros((2, 3, 1)), np.zeros((2, 3)))
    leaves = jax.tree_util.tree_leaves(chains)
    assert len(leaves) == 3


def test_burn_in_removes_the_first_samples_of_each_chain():
    rng = np.random.default_rng(2)
    xs, lps = _random_chains(rng, [6, 4])
    chains = remove_burn_in(Chains.from_list(xs, lps), 2)
    np.testing.assert_array_equal(chains.lengths, [4, 2])
    np.testing.assert_array_equal(chains.flat_samples(), np.concatenate([xs[0][2:], xs[1][2:]]))


def test_blocks_partition_each_chain_in_order():
    rng = np.random.default_rng(3)
    xs, lps = _random_chains(rng, [10, 7])
    chains = split_into_blocks(Chains.from_list(xs, lps), 3)
    assert chains.nchains == 6
    np.testing.assert_array_equal(chains.lengths, [4, 3, 3, 3, 2, 2])
    np.testing.assert_array_equal(chains.flat_samples(), np.concatenate(xs))


def test_split_by_chains_is_a_random_partition_of_whole_chains():
    rng = np.random.default_rng(4)
    xs, lps = _random_chains(rng, [3, 4, 5, 6, 7, 8])
    chains = Chains.from_list(xs, lps)
    train, infer = split_by_chains(chains, key=jax.random.key(0), train_fraction=0.5)
    assert train.nchains == 3
    assert infer.nchains == 3
    assert sorted(train.lengths.tolist() + infer.lengths.tolist()) == [3, 4, 5, 6, 7, 8]
    keys = {tuple(split_by_chains(chains, key=jax.random.key(s))[0].lengths) for s in range(8)}
    assert len(keys) > 1


@pytest.mark.parametrize(
    ("samples", "ln_posterior", "lengths", "message"),
    [
        (np.zeros((2, 3)), np.zeros((2, 3)), None, r"samples must have shape \[nchains"),
        (np.zeros((2, 3, 1)), np.zeros((2, 4)), None, "ln_posterior has shape"),
        (np.zeros((2, 3, 1)), np.zeros((2, 3)), [1, 4], "lengths must lie in 1..3"),
        (np.zeros((2, 3, 1)), np.zeros((2, 3)), [1], "lengths must be 2 integers"),
        (np.full((2, 3, 1), np.nan), np.zeros((2, 3)), None, r"samples contains 6 non-finite"),
        (np.zeros((2, 3, 1)), np.array([[0, np.inf, 0], [0, 0, 0]]), None, r"index \(0, 1\)"),
        (np.array([["a"]]), np.zeros((1, 1)), None, "must be a real array"),
    ],
)
def test_bad_chains_raise_clear_errors(samples, ln_posterior, lengths, message):
    with pytest.raises((ValueError, TypeError), match=message):
        Chains.from_arrays(samples, ln_posterior, lengths)


def test_nan_is_named_as_nan_and_never_dropped():
    lp = np.zeros((3, 4))
    lp[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"ln_posterior contains 1 non-finite value\(s\) \(NaN\)"):
        Chains.from_arrays(np.zeros((3, 4, 2)), lp)


def test_split_errors():
    chains = Chains.from_arrays(np.zeros((2, 5, 1)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="need at least 3 chains"):
        split_by_chains(chains, key=jax.random.key(0))
    with pytest.raises(ValueError, match="train_fraction must satisfy"):
        split_by_chains(chains, key=jax.random.key(0), train_fraction=1.5)
    with pytest.raises(ValueError, match="nblocks=6 exceeds the shortest chain length 5"):
        split_into_blocks(chains, 6)
    with pytest.raises(ValueError, match="n_burn=5 would empty a chain"):
        remove_burn_in(chains, 5)
    with pytest.raises(ValueError, match=r"ln_posterior\[1\] has 2 values but samples\[1\] has 3"):
        Chains.from_list([np.zeros((2, 1)), np.zeros((3, 1))], [np.zeros(2), np.zeros(2)])
