"""Where the per-source work runs: in this process, or in worker processes on this machine.

Reading and parsing a source is a pure function of the source and a plan
(`pipeline.sources.parse_source`), so an engine only has to map it over the sources and hand
the results back in order. Everything after that (zones, merge, analysis) runs in the caller.

The local engine reads a bundle of several large files in worker processes, one file per
process at a time (`--workers`, one per core by default): parsing holds the GIL, so threads
would not add up. A small bundle, or a single file, is read in this process, where starting
workers would cost more than it saves.

`--engine dask` maps the same function as Dask tasks, one per source, on a `LocalCluster`
started for the run or on an existing cluster (`--scheduler ADDRESS`). Dask is an optional
extra: it is imported only when that engine is asked for, so `import pipeline.engine` (and
every run with the default engine) never pays for it or needs it.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pipeline.errors import PostmortemError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

T = TypeVar("T")
R = TypeVar("R")

ENGINES = ("local", "dask")
PARALLEL_MIN_BYTES = 64 << 20  # less to read than this: worker processes cost more than they save
WORKERS_OPTION_ENV = "POSTMORTEM_WORKERS"  # --workers when the option is not given
MAX_DEFAULT_WORKERS = 8  # the default's ceiling: memory grows with every worker
CONNECT_TIMEOUT_S = 10  # a scheduler that does not answer in this long is not there
WORKERS_ENV = "POSTMORTEM_DASK_WORKERS"  # LocalCluster size; default: one worker per core
MISSING_DASK = "--engine dask needs Dask: pip install 'postmortem[dask]'"


class Engine(Protocol):
    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[function(item) for item in items]`, wherever and however it runs."""
        ...


class LocalEngine:
    """Items one after the other in this process (each source's lines are let go before the next
    is read, so memory holds one file's text at a time); or, with `workers` > 1 and at least
    `PARALLEL_MIN_BYTES` to read in two items or more, in that many worker processes, each
    holding one file's text at a time.

    Items are weighed by their `size` (a `Source`'s bytes on disk), and the heaviest are started
    first, so that a large file does not start last and keep the others waiting.
    """

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        sizes = [getattr(item, "size", 0) for item in items]
        if self.workers < 2 or len(items) < 2 or sum(sizes) < PARALLEL_MIN_BYTES:
            return [function(item) for item in items]
        return _in_processes(function, items, sizes, min(self.workers, len(items)))


def _in_processes(
    function: Callable[[T], R], items: Sequence[T], sizes: Sequence[int], workers: int
) -> list[R]:
    """`[function(item) for item in items]` in `workers` fresh processes, heaviest item first.

    Workers come from a fork server that has imported the parsers once: each starts in
    milliseconds, and none is forked from this process, whose threads (arrow's pool) a fork
    would copy mid-lock. A task's exception is raised here as itself.
    """
    context = multiprocessing.get_context(_START_METHOD)
    if _START_METHOD == "forkserver":
        context.set_forkserver_preload(["pipeline.sources"])
    order = sorted(range(len(items)), key=lambda i: -sizes[i])
    results: list[Any] = [None] * len(items)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        try:
            futures = {i: pool.submit(function, items[i]) for i in order}
            for i, future in futures.items():
                results[i] = future.result()
        except BrokenProcessPool:
            raise PostmortemError(
                "a worker process reading the logs died (out of memory?): rerun with"
                " --workers 1 to read one file at a time in this process"
            ) from None
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def make_engine(
    name: str, scheduler: str | None = None, workers: int = 1
) -> AbstractContextManager[Engine]:
    """The engine called `name`, as a context manager: the one place the API chooses one.

    A context manager because a Dask engine owns a cluster (or a connection to one) that must be
    let go once the sources are read, before the analysis: the workers' memory is not needed for
    it. `--scheduler` is only meaningful for Dask; with another engine it is a usage error
    rather than silently ignored or silently switching engines. `workers` is the local
    engine's number of processes (1: this process only).
    """
    if name not in ENGINES:
        raise PostmortemError(f"--engine must be one of {', '.join(ENGINES)}: {name!r}")
    if workers < 1:
        raise PostmortemError(f"--workers must be at least 1: {workers}")
    if name == "local":
        if scheduler is not None:
            raise PostmortemError("--scheduler ADDRESS needs --engine dask")
        return nullcontext(LocalEngine(workers))
    return DaskEngine(scheduler)


def default_workers() -> int:
    """`--workers` when it is not given: `POSTMORTEM_WORKERS`, else one per core this process
    may use, at most `MAX_DEFAULT_WORKERS`.

    A CI container often sees all of a large host's cores but may use two (a cgroup CPU quota)
    and has memory to match: each worker holds a file's text and events at a time, so the
    default follows the quota and stays small; more is a choice (`--workers`).
    """
    count = _count_from_env(WORKERS_OPTION_ENV)
    if count is not None:
        return count
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, _cpu_quota() or cores, MAX_DEFAULT_WORKERS))


def _cpu_quota(path: str = "/sys/fs/cgroup/cpu.max") -> int | None:
    """The cores a cgroup v2 CPU quota allows (`200000 100000` is 2), None without one."""
    try:
        with open(path, encoding="ascii") as handle:
            quota, period = handle.read().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(1, math.ceil(int(quota) / int(period)))
    except (ValueError, ZeroDivisionError):
        return None


class DaskEngine:
    """Each item a Dask task (`pure=False`: every source is read, none is deduplicated by key),
    results gathered in the order of the items.

    Without `scheduler` it starts a `LocalCluster` sized to the machine: one single-threaded
    worker process per core, because parsing holds the GIL and threads would not add up. With
    an address it connects to that cluster and, on exit, closes only its own client: the
    cluster belongs to whoever started it.
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None

    def __enter__(self) -> DaskEngine:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise PostmortemError(MISSING_DASK) from None
        if self.scheduler is None:
            self._cluster = LocalCluster(
                n_workers=self.workers or local_workers(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # No dashboard; the scheduler's small HTTP server on any free port, so that two runs
                # (or a cluster already on 8787) do not print a "port in use" warning.
                scheduler_kwargs={"dashboard_address": ":0"},
                # A failed task is raised here as itself; the workers' own "Compute Failed"
                # log lines would turn a one-line error into a screenful.
                silence_logs=logging.CRITICAL,
                # One task holds a file's events (and a 64 MiB block of its text, or all of a
                # file that is read whole): the default split of the machine's memory between
                # workers would have the nanny kill a worker on a file the local engine reads
                # fine. The machine is the limit, as for that engine.
                memory_limit=0,
            )
            try:
                self._client = Client(self._cluster, set_as_default=False)
            except BaseException:
                self._cluster.close()
                raise
            return self
        try:
            self._client = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, ValueError, TypeError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise PostmortemError(
                f"cannot reach the Dask scheduler at {self.scheduler}: {reason}"
            ) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._client is not None:
                self._client.close()
        finally:
            self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("DaskEngine is used outside its `with` block")
        return self._client

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """One task per item; a task's exception is raised here as itself (`gather` re-raises
        it), so a `PostmortemError` in a worker is the same one-line error as in this process."""
        if not items:
            return []
        futures: list[Any] = self.client.map(function, list(items), pure=False)
        try:
            return list(self.client.gather(futures))
        finally:
            for future in futures:
                future.release()


def local_workers() -> int:
    """Workers of a `LocalCluster`: `POSTMORTEM_DASK_WORKERS` if set (benchmarks compare 1 and
    2 on one machine), else one per core."""
    return _count_from_env(WORKERS_ENV) or os.cpu_count() or 1


def _count_from_env(name: str) -> int | None:
    """The positive integer in environment variable `name`, None when it is unset or empty."""
    value = os.environ.get(name)
    if not value:
        return None
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise PostmortemError(f"{name} must be a positive integer: {value!r}")
    return count
