"""Shared plumbing for `stages/*.py`: typed params, clean bad-input errors, and
interruption that fails loudly (non-zero exit, temp outputs removed)."""

from __future__ import annotations

import argparse
import functools
import logging
import signal
import sys
from typing import Any, Callable

from rashomon.config import Params, load_params
from rashomon.errors import InputError, StageInterrupted

log = logging.getLogger("rashomon")


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise StageInterrupted(signum)


def stage(fn: Callable[[Params, argparse.Namespace], None],
          *arguments: tuple[str, dict[str, Any]]) -> Callable[[], None]:
    """Wrap a stage's main(params, args): output paths come as CLI flags from dvc.yaml;
    bad input exits 2 with one line and no traceback; SIGTERM/SIGINT unwind (so every
    atomic write removes its temp path) and exit 128 + signal."""

    @functools.wraps(fn)
    def main() -> None:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        parser = argparse.ArgumentParser(description=fn.__doc__)
        parser.add_argument("--params", default="params.yaml")
        for flag, options in arguments:
            parser.add_argument(flag, **options)
        args = parser.parse_args()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _raise_interrupted)
        try:
            fn(load_params(args.params), args)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        except StageInterrupted as exc:
            print(f"error: stopped by signal {exc.signum}; no output was written", file=sys.stderr)
            sys.exit(128 + exc.signum)
        except KeyboardInterrupt:
            print("error: interrupted; no output was written", file=sys.stderr)
            sys.exit(130)

    return main
