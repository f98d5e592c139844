from __future__ import annotations

import libcst as cst

from asynclint.analysis.methods import timeout_scope
from asynclint.analysis.nodes import has_checkpoint, last_name
from asynclint.rule import FixSafety, Rule


class TimeoutWithoutAwait(Rule):
    """
    ## What it does
    Finds a timeout scope (`asyncio.timeout`, `timeout_at`, `async_timeout.timeout`,
    anyio and trio `fail_after` / `move_on_after` / `fail_at` / `move_on_at`) inside
    `async def` whose body has no `await`, `async for`, `async with` or `yield`, and that
    is not followed in the same `async with` by another context manager.

    ## Why is this bad?
    A timeout can only interrupt a task where it suspends. A body that never awaits runs
    to the end however long it takes, so the timeout can never fire: the code looks
    bounded and is not. Usually the `await` meant to be inside was left outside, or the
    slow part is blocking code that belongs in a thread.

    ## Example
        import asyncio

        async def load(path):
            async with asyncio.timeout(5):
                data = parse(path)
            return data

    ## Use instead
        import asyncio

        async def load(path):
            async with asyncio.timeout(5):
                data = await asyncio.to_thread(parse, path)
            return data

    ## Fix safety
    No fix: what belongs inside the scope is for you to decide.
    """

    code = "ASL404"
    name = "timeout-without-await"
    message = "`{scope}` has no `await` in its body, so the timeout can never fire; move the awaited work inside or drop the scope"
    fix_safety = FixSafety.NONE
    peer = "FA/RF ASYNC100"
    triggers = ("async", ("timeout", "fail_", "move_on_"))

    def visit_With(self, node: cst.With) -> None:
        if self.ctx.async_function is None:
            return
        for index, item in enumerate(node.items):
            call = item.item
            if not isinstance(call, cst.Call):
                continue
            func = call.func
            last = last_name(func)
            if "timeout" not in last and not last.startswith(("fail_", "move_on_")):
                continue
            name = timeout_scope(self.ctx, call)
            if name is None:
                continue
            if node.asynchronous is not None and index < len(node.items) - 1:
                return  # entering the next context manager awaits
            if not has_checkpoint(node.body, yields=True):
                self.report(call, scope=f"{name}()")
            return
