"""Uncertainty for every headline number: seeded percentile-bootstrap intervals over images,
paired differences with their interval, the Monte-Carlo SE of its lower bound and a paired p
(exact when small), exact-p rank correlations, and verdicts that are true, false or undefined
(too few images, no interval, a bound within the bootstrap's own noise), Holm-corrected over
their family (rashomon.inference.verdicts).

Built on scipy.stats (bootstrap, permutation_test): the resampling is scipy's; what is ours is
the convention (10,000 resamples, seeded, expanded percentile; exact permutations below 20 pairs) and the
dictionaries the metrics store."""

from rashomon.inference.intervals import (  # noqa: F401
    MIN_N, N_RESAMPLES, Estimate, Paired, bootstrap_interval, bootstrap_mean, paired_difference, spearman_exact,
    underpowered, verdict,
)
