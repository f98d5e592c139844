"""Library calls and classes that several rules look for: what hands work to a thread,
what gathers or waits for awaitables, what sleeps, what never returns, which exception
classes are cancellation. Data only; names are the public spellings (`catalogs.names`
maps the private ones onto them before any table is read).
"""

from __future__ import annotations

#: Calls whose function arguments run in a worker thread or process, not on the loop.
OFFLOAD_CALLS: frozenset[str] = frozenset(
    {
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "trio.to_thread.run_sync",
        "asyncer.asyncify",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
        "sync_to_async",
        "asgiref.sync.sync_to_async",
    }
)
#: Method names that offload their function arguments whatever the receiver.
OFFLOAD_METHODS: frozenset[str] = frozenset({"run_in_executor", "submit", "run_sync", "to_thread"})

#: Per async library: the call that runs a sync function in a worker thread.
TO_THREAD: dict[str, str] = {
    "asyncio": "asyncio.to_thread",
    "anyio": "anyio.to_thread.run_sync",
    "trio": "trio.to_thread.run_sync",
}

#: Per async library: the sleep that lets other tasks run.
SLEEP: dict[str, str] = {"asyncio": "asyncio.sleep", "anyio": "anyio.sleep", "trio": "trio.sleep"}

#: `asyncio.gather(*aws)`: runs awaitables concurrently and collects their results.
GATHER_CALLS: frozenset[str] = frozenset({"asyncio.gather"})
#: `asyncio.wait(aws)`: waits for tasks, returns the (done, pending) sets.
WAIT_CALLS: frozenset[str] = frozenset({"asyncio.wait"})

#: Exception classes that are cancellation itself.
CANCELLED: frozenset[str] = frozenset({"asyncio.CancelledError", "trio.Cancelled"})
#: Classes that catch cancellation together with everything else.
BROAD: frozenset[str] = frozenset({"builtins.BaseException"})

#: Calls that never return (they raise SystemExit or a test failure), as written.
NO_RETURN_CALLS: frozenset[str] = frozenset(
    {"sys.exit", "exit", "quit", "os._exit", "os.abort", "pytest.fail", "pytest.skip"}
)
#: Return annotations that say a function never returns.
NO_RETURN_TYPES: frozenset[str] = frozenset(
    {"typing.NoReturn", "typing_extensions.NoReturn", "typing.Never", "typing_extensions.Never"}
)
#: Methods that hand a caught exception on to be raised elsewhere (an error list, a
#: future, an outcome queue).
HAND_OVER_METHODS: frozenset[str] = frozenset(
    {"append", "add", "set_exception", "put", "put_nowait", "send", "send_nowait"}
)
