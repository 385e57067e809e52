"""Exception types stages report without a traceback."""

from __future__ import annotations

import signal


class InputError(ValueError):
    """Bad user input (file, row, parameter); the message names where and what."""


class StageInterrupted(BaseException):
    """A stage was stopped by a signal; BaseException so no `except Exception` swallows it."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum
