"""Imported first by every stage: pins the CPU kernels before numpy and torch load, when
the stage's params say `determinism: portable` (see rashomon.core.determinism), keeps
torch's compile cache in a temp path of the stage instead of $TMPDIR, and turns progress
bars off under CI=true before tqdm loads."""

import sys
from pathlib import Path

from rashomon.core.determinism import pin_environment, private_compile_cache, requested_mode
from rashomon.core.progress import quiet_in_ci

PINNED = pin_environment(requested_mode(sys.argv))
COMPILE_CACHE = private_compile_cache(Path.cwd())
quiet_in_ci()
