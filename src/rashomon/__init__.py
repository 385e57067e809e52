"""rashomon: identifiability of explanations from models of human image judgments."""

__version__ = "0.1.0"
