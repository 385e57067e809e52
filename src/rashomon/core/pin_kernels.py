"""Imported first by every stage: pins the CPU kernels before numpy and torch load, when
the stage's params say `determinism: portable` (see rashomon.core.determinism), and keeps
torch's compile cache in a temp path of the stage instead of $TMPDIR."""

import sys
from pathlib import Path

from rashomon.core.determinism import pin_environment, private_compile_cache, requested_mode

PINNED = pin_environment(requested_mode(sys.argv))
COMPILE_CACHE = private_compile_cache(Path.cwd())
