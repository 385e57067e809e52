"""Imported first by every stage: pins the CPU kernels before numpy and torch load, when
the stage's params say `determinism: portable` (see rashomon.core.determinism), keeps
torch's compile cache in a temp path of the stage instead of $TMPDIR, and turns the progress
bars (stderr) off under CI=true before tqdm loads."""

import os
import sys
from pathlib import Path

from rashomon.core.determinism import pin_environment, private_compile_cache, requested_mode

PINNED = pin_environment(requested_mode(sys.argv))
COMPILE_CACHE = private_compile_cache(Path.cwd())
if os.environ.get("CI", "").lower() in ("true", "1"):
    os.environ.setdefault("TQDM_DISABLE", "1")   # a CI log gets the stages' log lines, not redrawn bars
