"""Where the units of work of `fetch` and `render` run: in this process (`--engine local`, the
default) or on a Ray cluster (`--engine ray`).

The logic knows nothing of engines. A unit of work is a plain function applied to one item (one
input file read into Parquet parts, one task's selection) or to one Arrow batch of rows that do not
depend on each other (the MinHash signatures of texts), and an engine hands the results back in the
order of the items and rows. Whatever ran where, the caller combines them as running them one after
the other would, so both engines write the same bytes. Ray does all the scheduling (a Ray task per
unit, Ray Data `map_batches` for batches); this module only submits and collects.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pyarrow as pa

from .errors import EcbuildError, UsageError

ENGINES = ("local", "ray")
RAY_EXTRA = 'pip install "ecinstruct-builder[ray]"'  # the distribution name in pyproject.toml
# A batch map over fewer rows runs in the calling process: a Ray Data job cost about 10 s on the
# shared 2-core machine of docs/benchmarks.md, where signing 200,000 texts in place takes 2.6 s.
RAY_DATA_MIN_ROWS = 1_000_000
RAY_DATA_BATCH_ROWS = 10_000

Item = TypeVar("Item")
Result = TypeVar("Result")
BatchFn = Callable[[pa.Table], pa.Table]


@dataclass(frozen=True)
class Placement:
    """Where a unit ran: its Ray node id (`local` outside Ray), host and process id."""

    node: str
    host: str
    pid: int

    def __str__(self) -> str:
        return f"{self.host} node {self.node[:12]} pid {self.pid}"


def here() -> Placement:
    """The placement of the calling process."""
    ray = sys.modules.get("ray")
    node = ray.get_runtime_context().get_node_id() if ray is not None and ray.is_initialized() else "local"
    return Placement(node, socket.gethostname(), os.getpid())


def _placed(fn: Callable[[Item], Result], item: Item) -> tuple[Result, Placement]:
    return fn(item), here()


class LocalEngine:
    """Units in this process, `workers` threads at a time (1: one after the other)."""

    name = "local"

    def map(
        self, fn: Callable[[Item], Result], items: Sequence[Item], workers: int = 1
    ) -> Iterator[tuple[Result, Placement]]:
        """Each item's result and where it ran, in the order of `items`."""
        if workers <= 1 or len(items) <= 1:
            for item in items:
                yield _placed(fn, item)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_placed, fn, item) for item in items]
            try:
                for future in futures:
                    yield future.result()
            except BaseException:  # an error, or the caller stopped reading: drop what has not started
                pool.shutdown(cancel_futures=True)
                raise

    def map_batches(self, fn: BatchFn, table: pa.Table) -> pa.Table:
        """`fn` over the rows of `table` (rows independent of each other), the output rows in order."""
        return fn(table)


@dataclass(frozen=True)
class RayEngine:
    """Units as Ray tasks on the cluster this process is connected to; batches through Ray Data.

    The engine travels with each unit, so code running inside a unit (a task's selection, which
    signs its texts) maps its batches on the cluster too.
    """

    cwd: str  # the caller's folder: relative paths mean the same in every worker
    min_rows: int = RAY_DATA_MIN_ROWS

    name = "ray"

    def map(
        self, fn: Callable[[Item], Result], items: Sequence[Item], workers: int = 1
    ) -> Iterator[tuple[Result, Placement]]:
        """Each item's result and where it ran, in the order of `items`; Ray decides where and how
        many run at once (`workers` is the local engine's)."""
        import ray

        remote = ray.remote(_run_unit)
        refs = [remote.remote(self, fn, item) for item in items]
        try:
            for ref in refs:
                yield _unwrapped(ref)
        except BaseException:
            # the units submitted finish before the error goes on: cancelling one while it completes
            # can abort this process (a failed check in Ray 2.60's task manager), and a unit still
            # running would write into a staging folder that is being removed
            ray.wait(refs, num_returns=len(refs))
            raise

    def map_batches(self, fn: BatchFn, table: pa.Table) -> pa.Table:
        """`fn` over the rows of `table` with Ray Data `map_batches` (order preserved); a table under
        `min_rows` rows in this process."""
        if table.num_rows < self.min_rows:
            return fn(table)
        import ray
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        blocks = [table.slice(i, RAY_DATA_BATCH_ROWS) for i in range(0, table.num_rows, RAY_DATA_BATCH_ROWS)]
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        # num_cpus=0: the unit waiting for these batches holds a CPU already; asking for more could
        # leave every CPU held by waiting units and none for the batches
        mapped = ray.data.from_arrow(blocks).map_batches(
            fn, batch_format="pyarrow", batch_size=None, num_cpus=0, concurrency=cpus
        )
        return pa.concat_tables(_unwrapped(mapped.to_arrow_refs()))


Engine = LocalEngine | RayEngine
_active: list[Engine] = [LocalEngine()]  # the engine of code running in this process


def map_batches(fn: BatchFn, table: pa.Table) -> pa.Table:
    """`fn` over the rows of `table` on the engine this process runs under (see the module doc)."""
    return _active[-1].map_batches(fn, table)


@contextmanager
def running_on(engine: Engine) -> Iterator[Engine]:
    """Make `engine` the one `map_batches` uses while the block runs."""
    _active.append(engine)
    try:
        yield engine
    finally:
        _active.pop()


def _run_unit(engine: RayEngine, fn: Callable[[Item], Result], item: Item) -> tuple[Result, Placement]:
    """One unit inside a Ray worker: in the caller's folder, under the caller's engine."""
    os.chdir(engine.cwd)
    with running_on(engine):
        return _placed(fn, item)


def _unwrapped(ref: Any) -> Any:
    """`ray.get`, raising a unit's own error (a damaged input file, say) rather than Ray's wrapper,
    so the command line still prints one line for it."""
    import ray

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, Exception):
            raise exc.cause from None
        raise


def _answers(address: str) -> bool:
    """Whether something listens at a HOST:PORT address (other forms, such as `auto`, are Ray's to
    resolve)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return True
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError:
        return False
    return True


@contextmanager
def open_engine(name: str, address: str | None = None, cpus: int | None = None) -> Iterator[Engine]:
    """The engine a command runs on, for the duration of the command.

    `ray`: joins the cluster at `address`, or starts a local one of `cpus` CPUs (default: every
    core) that stops when the block ends; a Ray session this process already has is used as it is.
    """
    if name == "local":
        if address is not None or cpus is not None:
            raise UsageError("--ray-address and --ray-cpus need --engine ray")
        yield LocalEngine()
        return
    if address is not None and cpus is not None:
        raise UsageError("--ray-cpus sizes a local Ray cluster, not one joined with --ray-address")
    try:
        import ray
    except ImportError:
        raise UsageError(f"--engine ray needs Ray, which is not installed: {RAY_EXTRA}") from None
    if address is not None and not _answers(address):  # else Ray retries for minutes
        raise EcbuildError(
            f"no Ray cluster answers at {address}; start one (`ray start --head`) or fix --ray-address"
        )
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(
                address=address,
                num_cpus=cpus,
                include_dashboard=False,
                log_to_driver=False,  # workers' own logs stay in the Ray session folder
                logging_level=logging.WARNING,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EcbuildError(f"could not start or join {where}: {first}") from None
    try:
        with running_on(RayEngine(cwd=os.getcwd())) as engine:
            yield engine
    finally:
        if started:
            ray.shutdown()
