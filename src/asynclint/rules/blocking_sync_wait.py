from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingSyncWait(BlockingCallRule):
    """
    ## What it does
    Finds waits on thread and process primitives on the event loop inside an `async
    def`: `threading.Event.wait`, `Condition.wait[_for]`, `Barrier.wait`, `Thread.join`,
    `queue.Queue.get/join`, `multiprocessing` queues, processes, pools and connections,
    `concurrent.futures.Future.result/exception`, `concurrent.futures.wait/as_completed`
    and `Executor.shutdown()`. Calls that cannot wait (`get(block=False)`, `wait(0)`,
    `shutdown(wait=False)`) are not reported, nor are `put()` calls (a queue without a
    size limit never blocks on put).
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    The loop thread sleeps until another thread or process acts; if that one needs the
    loop (`run_coroutine_threadsafe(...).result()`), it never will: a deadlock.

    ## Example
        from concurrent.futures import ThreadPoolExecutor

        async def compute(executor: ThreadPoolExecutor, data):
            future = executor.submit(sum, data)
            return future.result()

    ## Use instead
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        async def compute(executor: ThreadPoolExecutor, data):
            future = executor.submit(sum, data)
            return await asyncio.wrap_future(future)

    ## Fix safety
    Unsafe, for `Future.result()` directly in the coroutine in asyncio code: it becomes
    `await asyncio.wrap_future(fut)` (`await asyncio.wait_for(asyncio.wrap_future(fut),
    timeout)` with a timeout). Exceptions and cancellation now pass through the asyncio
    future: cancelling the task cancels the concurrent future. The other waits are
    reported without a fix.
    """

    code = "ASL111"
    name = "blocking-sync-wait"
    message = "`{name}()` waits on a thread or process primitive on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    triggers = (
        "async",
        ("threading", "queue", "multiprocessing", "concurrent", "run_coroutine_threadsafe", "Future"),
    )
