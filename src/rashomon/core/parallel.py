"""Independent units of a stage's work (one architecture, one seed) over worker processes of
joblib's loky pool. Every unit runs with the same fixed thread count (`UNIT_THREADS`), in a
worker or in the stage's own process, so its bytes do not depend on how many workers there
are: `compute.workers` changes the time a stage takes, never what it writes."""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable, Sequence, TypeVar

from tqdm import tqdm

U = TypeVar("U")
R = TypeVar("R")

UNIT_THREADS = 1   # intra-op threads of every unit: one per core, the cores shared out as workers

log = logging.getLogger("rashomon.core.parallel")


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # macOS, Windows
        return os.cpu_count() or 1


def worker_count(requested: int | None, n_units: int) -> int:
    """Workers for `n_units` units: `requested` (compute.workers), or null: one per
    `UNIT_THREADS` cores; never more than there are units."""
    workers = requested if requested is not None else max(1, available_cores() // UNIT_THREADS)
    return max(1, min(workers, n_units))


def run_unit(fn: Callable[[U], R], unit: U) -> R:
    """`fn(unit)` with the unit's fixed thread count and, in portable mode, deterministic torch
    algorithms (a fresh worker has neither); the caller's thread settings are restored after."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")   # loaded with `fn`'s module when it uses torch
    if not logging.getLogger().handlers:   # a fresh worker: log like the stage does
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(UNIT_THREADS):
        if torch is not None:
            from rashomon.core.determinism import is_pinned
            torch.set_num_threads(UNIT_THREADS)
            if is_pinned():
                torch._C._set_deterministic_algorithms(True, warn_only=True)
        try:
            return fn(unit)
        finally:
            if previous is not None:
                torch.set_num_threads(previous)


def map_units(fn: Callable[[U], R], units: Sequence[U], workers: int | None, desc: str) -> list[R]:
    """[fn(u) for u in units], in order, over `worker_count(workers)` processes; `fn` must be a
    module-level function (workers import it) and every unit picklable. Progress (units done of
    all) goes to stderr."""
    n = worker_count(workers, len(units))
    log.info("%s: %d units on %d worker%s x %d thread%s", desc, len(units), n, "s" * (n > 1), UNIT_THREADS,
             "s" * (UNIT_THREADS > 1))
    bar = tqdm(total=len(units), desc=desc, unit="unit", mininterval=5)
    try:
        if n == 1:
            results = []
            for unit in units:
                results.append(run_unit(fn, unit))
                bar.update()
            return results
        from joblib import Parallel, delayed

        done = Parallel(n_jobs=n, backend="loky", return_as="generator")(delayed(run_unit)(fn, u) for u in units)
        results = []
        for result in done:
            results.append(result)
            bar.update()
        return results
    finally:
        bar.close()
