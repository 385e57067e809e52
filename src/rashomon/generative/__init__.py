"""Generative models whose latent edits explain a prediction (counterfactuals): autoencoder (the
families), store (saving and loading one), training, quality, figures."""
