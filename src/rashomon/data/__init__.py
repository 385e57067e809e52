"""Datasets: the AIGCIQA2023 release, generic manifests, and the synthetic default."""
