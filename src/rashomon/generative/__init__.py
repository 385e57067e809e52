"""Generative models whose latent edits explain a prediction (counterfactuals)."""

from rashomon.generative.autoencoder import ConvAutoencoder, make_generator
from rashomon.generative.store import Generator, load_generator, save_generator

__all__ = ["ConvAutoencoder", "Generator", "load_generator", "make_generator", "save_generator"]
