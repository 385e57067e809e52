"""Ensembles of every architecture's variants: bagging, stacking and their attributions."""
