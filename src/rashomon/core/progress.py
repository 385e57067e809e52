"""Progress bars on stderr while a stage works, none under CI=true (a CI log gets the stages'
log lines, not redrawn bars): `quiet_in_ci` runs before tqdm loads (core.pin_kernels)."""

from __future__ import annotations

import os
from typing import Any


def quiet_in_ci() -> None:
    """Turn every tqdm bar off under CI=true (tqdm reads TQDM_DISABLE as it loads)."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        os.environ.setdefault("TQDM_DISABLE", "1")


def bar_options(wanted: bool) -> dict[str, Any]:
    """tqdm options for a bar the caller may turn off: none when wanted, so TQDM_DISABLE still decides."""
    return {} if wanted else {"disable": True}


def lightning_bar(wanted: bool) -> bool:
    """Whether a Lightning Trainer shows its bar (it passes its own `disable`, past TQDM_DISABLE)."""
    return wanted and os.environ.get("TQDM_DISABLE", "").lower() not in ("1", "true")
