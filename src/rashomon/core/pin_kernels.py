"""Imported first by every stage: pins the CPU kernels before numpy and torch load, when
the stage's params say `determinism: portable` (see rashomon.core.determinism)."""

import sys

from rashomon.core.determinism import pin_environment, requested_mode

PINNED = pin_environment(requested_mode(sys.argv))
