"""Regression heads on frozen embeddings: the feature cache they train on, in-pipeline
pretraining of the default's backbones, training, evaluation and prediction metrics."""
