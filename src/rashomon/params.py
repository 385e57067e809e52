"""Read `params.yaml` for a stage: each stage gets its own section, plus shared ones."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


def load_params(path: str | os.PathLike = "params.yaml") -> dict[str, Any]:
    """Load the whole params file (DVC's default location)."""
    with open(path) as fh:
        return yaml.safe_load(fh) or {}
