"""Psychometrics of rating data: correlations, split-half reliability, noise ceilings."""
