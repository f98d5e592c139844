"""Supervised worker processes: many items through one function, where an item that kills
its worker (a segmentation fault, `os._exit`, SIGKILL, the kernel's out-of-memory killer)
or runs longer than a time budget costs that item only.

Each worker is a process of its own with a pipe to the parent. It gets a chunk of items at
a time and answers each one as it finishes, so the parent always knows which item a worker
is on: when the worker dies, or that item's time is up (the parent then kills it), that
item is reported as a `Failure`, the rest of its chunk goes back to the queue and a fresh
worker takes its place. Nothing waits on a dead process, so a run never hangs.

The clock of a worker's first item starts once the worker has started up (its imports and
initializer are not charged to an item; a worker that dies while starting up costs its
first item, as any crash does).

A task that must not be cut short once begun (writing a file) calls `begin_commit()`
first: in a worker this asks the parent for permission and stops the item's clock (the
parent answers only while the time is not up; otherwise it kills the worker before the
task starts), outside a worker it does nothing.

This module knows nothing of linting; `asynclint.runner` is its user.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

T = TypeVar("T")
R = TypeVar("R")

#: crashed: the worker process died; timeout: the item ran out of time and its worker was
#: killed; error: the function raised (a bug), and the worker goes on.
FailureKind = Literal["crashed", "timeout", "error"]
#: Seconds a worker may take to start (spawn imports asynclint again) before it counts as
#: crashed: a worker that never starts must not hang the run.
STARTUP_LIMIT = 120.0


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    detail: str  # "signal 11, SIGSEGV", "exit code 3", "20 s", "ValueError: ..."


def start_method() -> str:
    """fork where it is available and safe (not macOS), else spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
        return "fork"
    return "spawn"


def describe_exit(exitcode: int | None) -> str:
    """A worker's exit status in words: `signal 11, SIGSEGV`, `exit code 3`."""
    if exitcode is None:
        return "an unknown cause"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
        return f"signal {-exitcode}, {name}"
    return f"exit code {exitcode}"


# Worker side ------------------------------------------------------------------------------

_CONN: list[Connection] = []  # this worker's pipe to the parent, in a worker process only
_CURRENT: list[int] = []  # the index of the item this worker is on


def begin_commit() -> None:
    """Ask the parent for permission to start something that must not be interrupted by
    the time budget (an atomic write); returns once it is given. Does nothing outside a
    supervised worker."""
    if not _CONN:
        return
    conn = _CONN[0]
    conn.send(("commit", _CURRENT[0], None))
    conn.recv()  # ("ok",): the parent has stopped this item's clock


def _worker_main(
    conn: Connection,
    func: Callable[[Any], Any],
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> None:
    # Ctrl-C goes to the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _CONN[:] = [conn]
    if initializer is not None:
        initializer(*initargs)
    conn.send(("ready", -1, None))  # the items' clock starts now, not while starting up
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if message is None:
            return
        for index, item in message:
            _CURRENT[:] = [index]
            try:
                reply: tuple[str, int, Any] = ("done", index, func(item))
                conn.send(reply)
            except Exception as exc:  # a bug in `func`, or a result that does not pickle
                frames = traceback.extract_tb(exc.__traceback__)
                where = (
                    f" at {frames[-1].filename.rsplit(os.sep, 1)[-1]}:{frames[-1].lineno}" if frames else ""
                )
                conn.send(("error", index, f"{type(exc).__name__}: {exc}{where}"))


# Parent side ------------------------------------------------------------------------------


@dataclass
class _Worker(Generic[T]):
    process: BaseProcess
    conn: Connection
    outstanding: deque[tuple[int, T]] = field(default_factory=deque)
    started: float = 0.0  # when the item at the front of `outstanding` began
    committing: bool = False  # the front item is writing: its clock is stopped
    ready: bool = False  # started up (imports, initializer): the clock runs from then on
    born: float = field(default_factory=time.monotonic)
    dead: bool = False


class Pool(Generic[T, R]):
    """Worker processes that run `func` on items, one item at a time each.

    `timeout`: seconds an item may take (None: no limit). `initializer(*initargs)` runs
    once in each worker (also in each replacement). `func`, `initializer` and the items
    must pickle where the start method is spawn.
    """

    def __init__(
        self,
        func: Callable[[T], R],
        *,
        jobs: int,
        timeout: float | None = None,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        chunksize: int = 1,
        context: Any = None,
        startup_limit: float = STARTUP_LIMIT,  # a multiprocessing context (default: `start_method()`'s)
    ) -> None:
        assert jobs >= 1 and chunksize >= 1
        self.func = func
        self.jobs = jobs
        self.timeout = timeout
        self.initializer = initializer
        self.initargs = initargs
        self.chunksize = chunksize
        self.context: Any = context or multiprocessing.get_context(start_method())
        self.startup_limit = startup_limit
        self.replaced = 0  # workers started to replace dead or killed ones

    def map(self, items: Sequence[T]) -> Iterator[tuple[int, R | Failure]]:
        """(index in `items`, result or Failure) for every item, in the order they finish.
        Every worker is gone when the iterator is exhausted or closed."""
        queue: deque[tuple[int, T]] = deque(enumerate(items))
        workers: list[_Worker[T]] = []
        try:
            for _ in range(min(self.jobs, len(queue))):
                workers.append(self._start())
            for worker in workers:
                self._feed(worker, queue)
            left = len(queue) + sum(len(w.outstanding) for w in workers)
            while left:
                self._wait(workers)
                for worker in list(workers):
                    for done in self._receive(worker):
                        left -= 1
                        yield done
                    failure = self._failure(worker)
                    if failure is None:
                        if not worker.outstanding:
                            if queue and not worker.dead and worker.process.is_alive():
                                self._feed(worker, queue)
                            else:
                                # Nothing left to give it (its memory is freed now), or
                                # it died between two chunks.
                                self._close(worker)
                                workers.remove(worker)
                                self._replace(workers, queue)
                        continue
                    culprit = worker.outstanding[0][0]
                    self._stop(worker)
                    # What it sent before it died (or was killed) stands.
                    for done in self._receive(worker):
                        left -= 1
                        yield done
                    worker.conn.close()
                    workers.remove(worker)
                    if worker.outstanding and worker.outstanding[0][0] == culprit:
                        worker.outstanding.popleft()
                        left -= 1
                        yield culprit, failure
                    queue.extendleft(reversed(worker.outstanding))
                    worker.outstanding.clear()
                    self._replace(workers, queue)
        finally:
            for worker in workers:
                self._close(worker)

    def _replace(self, workers: list[_Worker[T]], queue: deque[tuple[int, T]]) -> None:
        """A new worker for the queue, if it has items and a place is free."""
        if queue and len(workers) < self.jobs:
            replacement = self._start()
            self.replaced += 1
            workers.append(replacement)
            self._feed(replacement, queue)

    def _start(self) -> _Worker[T]:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main,
            args=(child, self.func, self.initializer, self.initargs),
            daemon=True,
            name="asynclint-worker",
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _feed(self, worker: _Worker[T], queue: deque[tuple[int, T]]) -> None:
        if not queue:
            return
        chunk = [queue.popleft() for _ in range(min(self.chunksize, len(queue)))]
        worker.outstanding.extend(chunk)
        worker.started = time.monotonic()
        worker.committing = False
        try:
            worker.conn.send(chunk)
        except (OSError, EOFError):
            worker.dead = True  # found out and reported by `_failure`

    def _wait(self, workers: list[_Worker[T]]) -> None:
        """Until a worker has something to say, dies, or an item's time is up."""
        waitables: list[Any] = []
        for worker in workers:
            if worker.dead:
                return
            waitables += [worker.conn, worker.process.sentinel]
        wait(waitables, timeout=self._next_deadline(workers))

    def _next_deadline(self, workers: list[_Worker[T]]) -> float | None:
        ends = [w.born + self.startup_limit for w in workers if not w.ready]
        if self.timeout is not None:
            ends += [
                w.started + self.timeout for w in workers if w.ready and w.outstanding and not w.committing
            ]
        return max(0.0, min(ends) - time.monotonic()) if ends else None

    def _receive(self, worker: _Worker[T]) -> Iterator[tuple[int, R | Failure]]:
        """The results the worker has sent so far, in order."""
        while not worker.dead:
            try:
                if not worker.conn.poll():
                    return
                kind, index, value = worker.conn.recv()
            except (EOFError, OSError):
                worker.dead = True
                return
            if kind == "ready":
                worker.ready = True
                worker.started = time.monotonic()
                continue
            if kind == "commit":
                worker.committing = True
                try:
                    worker.conn.send(("ok",))
                except (OSError, EOFError):
                    worker.dead = True
                continue
            front, _ = worker.outstanding.popleft()
            assert front == index, (front, index)
            worker.started = time.monotonic()
            worker.committing = False
            yield index, value if kind == "done" else Failure("error", value)

    def _failure(self, worker: _Worker[T]) -> Failure | None:
        """Why the worker must go (the item it is on is the culprit), or None."""
        if not worker.outstanding:
            return None
        if worker.dead or not worker.process.is_alive():
            worker.process.join()
            return Failure("crashed", describe_exit(worker.process.exitcode))
        if not worker.ready and time.monotonic() - worker.born >= self.startup_limit:
            return Failure("crashed", f"it did not start within {self.startup_limit:g} s")
        if (
            self.timeout is not None
            and worker.ready
            and not worker.committing
            and time.monotonic() - worker.started >= self.timeout
        ):
            return Failure("timeout", f"{self.timeout:g} s")
        return None

    def _stop(self, worker: _Worker[T]) -> None:
        """Kill the worker and wait for it; its pipe stays open to read what it sent."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.dead = False  # so that `_receive` reads what is left in the pipe

    def _close(self, worker: _Worker[T]) -> None:
        try:
            if worker.process.is_alive() and not worker.outstanding:
                worker.conn.send(None)
                worker.process.join(5)
        except (OSError, EOFError):
            pass
        self._stop(worker)
        worker.conn.close()


__all__ = ["Failure", "Pool", "begin_commit", "describe_exit", "start_method"]
