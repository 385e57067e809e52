"""Independent units of a stage's work (an architecture's heads, a family's detector) over
worker processes of joblib's loky pool. Every unit runs with the same fixed thread count
(`UNIT_THREADS`), in a worker or in the stage's own process, so its bytes do not depend on
how many workers there are: `compute.workers` changes the time a stage takes, never what
it writes."""

from __future__ import annotations

import logging
import os
from typing import Callable, Iterator, Sequence, TypeVar

import torch
from tqdm import tqdm

from rashomon.core.cli import LOG_FORMAT
from rashomon.core.determinism import deterministic_algorithms, is_pinned

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


def worker_count(requested: int | None, n_units: int, device: torch.device = torch.device("cpu")) -> int:
    """Workers for `n_units` units: `requested` (compute.workers), or for null one per
    `UNIT_THREADS` cores on the CPU and one on an accelerator (each worker would hold its own
    context on the one device); never more than there are units."""
    if requested is None:
        requested = max(1, available_cores() // UNIT_THREADS) if device.type == "cpu" else 1
    return max(1, min(requested, n_units))


def run_unit(fn: Callable[[U], R], unit: U) -> R:
    """`fn(unit)` with the unit's fixed thread count and, in portable mode, deterministic torch
    algorithms (a fresh worker has neither); the caller's thread settings are restored after."""
    from threadpoolctl import threadpool_limits

    if not logging.getLogger().handlers:   # a fresh worker: log like the stage does
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    previous = torch.get_num_threads()
    with threadpool_limits(UNIT_THREADS):
        torch.set_num_threads(UNIT_THREADS)
        if is_pinned():
            deterministic_algorithms(torch)
        try:
            return fn(unit)
        finally:
            torch.set_num_threads(previous)


def map_units(fn: Callable[[U], R], units: Sequence[U], workers: int | None, desc: str,
              device: torch.device = torch.device("cpu")) -> list[R]:
    """[fn(u) for u in units], in order, over `worker_count(workers, len(units), device)`
    processes; `fn` must be a module-level function (workers import it) and every unit
    picklable. Progress (units done of all) goes to stderr."""
    n = worker_count(workers, len(units), device)
    log.info("%s: %d units on %d worker%s x %d thread%s", desc, len(units), n, "s" * (n > 1), UNIT_THREADS,
             "s" * (UNIT_THREADS > 1))
    results: Iterator[R]
    if n == 1:
        results = (run_unit(fn, unit) for unit in units)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n, backend="loky", return_as="generator")(delayed(run_unit)(fn, u) for u in units)
    return list(tqdm(results, total=len(units), desc=desc, unit="unit", mininterval=5))
