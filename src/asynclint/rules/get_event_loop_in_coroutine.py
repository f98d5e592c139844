from __future__ import annotations

import libcst as cst

from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule


class GetEventLoopInCoroutine(Rule):
    """
    ## What it does
    Finds `asyncio.get_event_loop()` called on the event loop inside an `async def`.

    ## Why is this bad?
    Inside a coroutine the loop is running, and `asyncio.get_running_loop()` says exactly
    that: it returns the running loop or raises. `get_event_loop()` goes through the event
    loop policy, has changed behaviour across Python versions (deprecation warnings in
    3.10-3.12) and hides mistakes when called from the wrong thread.

    ## Example
        import asyncio

        async def fetch(host):
            loop = asyncio.get_event_loop()
            return await loop.getaddrinfo(host, 443)

    ## Use instead
        async def fetch(host):
            loop = asyncio.get_running_loop()
            return await loop.getaddrinfo(host, 443)

    ## Fix safety
    Safe: in a coroutine both calls return the same running loop.
    """

    code = "ASL601"
    name = "get-event-loop-in-coroutine"
    message = (
        "Use `asyncio.get_running_loop()` instead of `asyncio.get_event_loop()` inside `async def {function}`"
    )
    fix_safety = FixSafety.SAFE
    triggers = ("async", "get_event_loop")

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.async_function
        if function is None or self.ctx.qualified_name(node.func) != "asyncio.get_event_loop":
            return
        fix = None
        reference = self.ctx.reference("asyncio.get_running_loop")
        if reference is not None and not node.args:
            func, module = reference
            fix = NodeFix({node.func: func}, "Replace with `asyncio.get_running_loop()`", imports_for(module))
        self.report(node, function=function.name.value, fix=fix)
