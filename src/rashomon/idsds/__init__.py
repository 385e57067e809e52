"""IDSDS (Hesse, Schaub-Meyer & Roth 2024): in-domain single-deletion scores for
attribution methods, reproduced on CIFAR-100-format data."""
