"""Exception types stages report without a traceback, and the one line an OSError becomes."""

from __future__ import annotations

import errno
import os
import signal

# What a user should read for the errors a write meets on a real disk (strerror follows in brackets).
OS_ERROR_CAUSES = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large for this file system",
    errno.ENAMETOOLONG: "file name too long for this file system",
    errno.EIO: "input/output error (a failing disk or a lost network mount)",
}


class InputError(ValueError):
    """Bad user input (file, row, parameter); the message names where and what."""


class OutputError(InputError):
    """An output cannot be written (full or read-only disk, no permission); names the output."""


def os_error_line(exc: OSError, path: str | os.PathLike | None = None) -> str:
    """One line for an OSError: the file it names (else `path`), what happened, the system's words."""
    where = exc.filename if exc.filename is not None else path
    if exc.errno in OS_ERROR_CAUSES:
        text = f"{OS_ERROR_CAUSES[exc.errno]} ({exc.strerror})" if exc.strerror else OS_ERROR_CAUSES[exc.errno]
    elif exc.strerror:
        text = exc.strerror[:1].lower() + exc.strerror[1:]   # "No such file or directory" -> "no such ..."
    else:
        text = str(exc) or type(exc).__name__
    return f"{where}: {text}" if where is not None else text


class StageInterrupted(BaseException):
    """A stage was stopped by a signal; BaseException so no `except Exception` swallows it."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum
