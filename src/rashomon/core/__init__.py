"""The foundations every stage uses: typed params, the CLI wrapper, errors, atomic I/O,
portable determinism, the compute device, the one Lightning fit, figures, registries."""
