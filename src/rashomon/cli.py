"""Shared plumbing for `stages/*.py`: params loading and clean bad-input errors."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from typing import Any, Callable

from rashomon.errors import InputError
from rashomon.params import load_params

log = logging.getLogger("rashomon")


def stage(fn: Callable[[dict[str, Any], argparse.Namespace], None],
          *arguments: tuple[str, dict[str, Any]]) -> Callable[[], None]:
    """Wrap a stage's main(params, args): output paths come as CLI flags from dvc.yaml,
    bad input exits 2 with one clear line and no traceback."""

    @functools.wraps(fn)
    def main() -> None:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        parser = argparse.ArgumentParser(description=fn.__doc__)
        parser.add_argument("--params", default="params.yaml")
        for flag, options in arguments:
            parser.add_argument(flag, **options)
        args = parser.parse_args()
        try:
            fn(load_params(args.params), args)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)

    return main
