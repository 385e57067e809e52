"""One exception type for bad input, so stages can report it without a traceback."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (file, row, parameter); the message names where and what."""
