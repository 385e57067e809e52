"""Evaluation and figures of generative counterfactual explanations."""
