"""Where the synthetic default stores each image's twins (the same scene without the artifact,
or without the degradation): the on-disk convention that the simulator writes and the stages
that compare an image with its twins read, kept apart from the simulator so that they do not
depend on how the images are drawn."""

from __future__ import annotations

import os
from pathlib import Path

from rashomon.data.manifest import safe_filename

TWIN_DIR = "twins"
TWINS: tuple[str, ...] = ("no_artifact", "no_degradation")


def twin_path(root: str | os.PathLike, twin: str, image_id: str) -> Path:
    """Where the synthesizer stored one image's twin."""
    return Path(root) / TWIN_DIR / twin / f"{safe_filename(image_id)}.png"
