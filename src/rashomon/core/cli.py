"""Shared plumbing for `stages/*.py`: typed params, pinned kernels, clean bad-input
errors, all-or-nothing outputs, and interruption that fails loudly (non-zero exit, temp
outputs removed)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from rashomon.core.config import load_params
from rashomon.core.determinism import apply_in_torch, check_torch_applied
from rashomon.core.errors import InputError, OutputError, StageInterrupted, os_error_line
from rashomon.core.io import is_publishing_rank, publish_together, remove_stale_temps, remove_stale_temps_below

log = logging.getLogger("rashomon")
P = TypeVar("P")   # a stage's params class
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"   # every stage process, worker processes too


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise StageInterrupted(signum)


def _path_arguments(args: argparse.Namespace) -> list[Path]:
    """The stage's input and output paths (its CLI flags that name a path)."""
    return [Path(v) for v in vars(args).values() if isinstance(v, str) and "/" in v]


def dvc_matrix_item(stage_name: str) -> str | None:
    """The item this process runs as, when DVC runs matrix stage `stage_name@<item>` (DVC sets
    DVC_STAGE, prefixed with `path/dvc.yaml:` outside the project root); None otherwise. A
    matrix item read here never passes through a shell, as one written into `cmd` would."""
    running = os.environ.get("DVC_STAGE", "").rsplit(":", 1)[-1]
    prefix = f"{stage_name}@"
    return running[len(prefix):] if running.startswith(prefix) else None


@contextlib.contextmanager
def stage_scratch(args: argparse.Namespace) -> Iterator[Path]:
    """A private temp folder in the project for this process (every tempfile goes there, the
    predict loop's too), removed at exit; killed runs' debris beside the stage's inputs and
    outputs and in the project is removed first."""
    folders = set()
    for path in _path_arguments(args):
        folders.update({path.parent, path} if path.is_dir() else {path.parent})
    stale = []
    if is_publishing_rank():   # another node's ranks would take this node's live writers for dead ones
        stale = remove_stale_temps_below(Path(os.environ.get("DVC_ROOT", Path.cwd())))
        for folder in sorted(folders):
            stale += remove_stale_temps(folder)
    for removed in stale:
        log.info("removed a killed run's temp path %s", removed)
    scratch = Path(tempfile.mkdtemp(prefix=f".stage.{os.getpid()}.", suffix=".tmp", dir=Path.cwd()))
    previous = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir, os.environ["TMPDIR"] = str(scratch), str(scratch)
    try:
        yield scratch
    finally:
        tempfile.tempdir = previous[0]
        if previous[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous[1]
        shutil.rmtree(scratch, ignore_errors=True)
        remove_compile_cache()


def remove_compile_cache() -> None:
    """Remove this process's torch compile cache (pin_kernels made it; Lightning's import fills
    it), whether the stage ran, stopped on bad params or was interrupted."""
    pinned = sys.modules.get("rashomon.core.pin_kernels")
    if pinned is not None and pinned.COMPILE_CACHE is not None:
        shutil.rmtree(pinned.COMPILE_CACHE, ignore_errors=True)


def stage(fn: Callable[[P, argparse.Namespace], None], *arguments: str | tuple[str, dict[str, Any]],
          params: type[P]) -> Callable[[], None]:
    """Wrap a stage's main(params, args): `params` is the stage's params class (the sections its
    `params:` in dvc.yaml names, checked as it loads); every path comes as a required CLI flag from
    dvc.yaml (a bare "--flag"; a (flag, options) pair for anything else), so no path is
    written twice; bad input exits 2 with one line and no traceback; outputs are published together,
    only if the stage succeeds; SIGTERM/SIGINT unwind (so every atomic write removes its
    temp path) and exit 128 + signal."""

    @functools.wraps(fn)
    def main() -> None:
        try:
            _main()
        finally:
            remove_compile_cache()

    def _main() -> None:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        parser = argparse.ArgumentParser(description=fn.__doc__)
        parser.add_argument("--params", default="params.yaml")
        for argument in arguments:
            flag, options = (argument, {"required": True}) if isinstance(argument, str) else argument
            parser.add_argument(flag, **options)
        args = parser.parse_args()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _raise_interrupted)
        try:
            loaded = load_params(params, args.params)
            apply_in_torch(loaded.determinism)
            torch_loaded = "torch" in sys.modules
            with stage_scratch(args), publish_together():
                fn(loaded, args)
                check_torch_applied(torch_loaded)
        except OutputError as exc:
            print(f"error: {exc}; no output was written", file=sys.stderr)
            sys.exit(2)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        except OSError as exc:   # a read or write the stage's own checks did not name (full disk, read-only, ...)
            print(f"error: {os_error_line(exc)}; no output was written", file=sys.stderr)
            sys.exit(2)
        except StageInterrupted as exc:
            print(f"error: stopped by signal {exc.signum}; no output was written", file=sys.stderr)
            sys.exit(128 + exc.signum)
        except KeyboardInterrupt:
            print("error: interrupted; no output was written", file=sys.stderr)
            sys.exit(130)

    main.params_type = params   # what the stage reads (tests compare it with dvc.yaml's params)
    return main
