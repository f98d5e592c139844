from __future__ import annotations

import libcst as cst

from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule

SLEEPS = {"asyncio": "asyncio.sleep", "anyio": "anyio.sleep", "trio": "trio.sleep"}


class BlockingSleep(Rule):
    """
    ## What it does
    Finds `time.sleep()` called on the event loop inside an `async def`, under any
    spelling (`import time as t`, `from time import sleep`).

    ## Why is this bad?
    `time.sleep` stops the whole thread, and with it the event loop: every other task
    waits for the full duration, timeouts fire late and connections time out.

    ## Example
        import time

        async def poll():
            time.sleep(1)

    ## Use instead
        import asyncio

        async def poll():
            await asyncio.sleep(1)

    ## Fix safety
    Safe when the call is a whole statement directly in the `async def`: it becomes
    `await asyncio.sleep(...)` (`anyio.sleep` or `trio.sleep` when the module uses that
    library) and `import asyncio` is added. Other tasks now run during the sleep, which is
    the point of the fix. A sleep used inside an expression is reported without a fix.
    """

    code = "ASL101"
    name = "blocking-sleep"
    message = "`time.sleep()` blocks the event loop in `async def {function}`; use `await {replacement}(...)`"
    fix_safety = FixSafety.SAFE
    peer = "FA/RF ASYNC251"
    triggers = ("async", "sleep")

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.async_function
        if function is None or self.ctx.qualified_name(node.func) != "time.sleep":
            return
        replacement = SLEEPS[self.ctx.library]
        self.report(
            node, function=function.name.value, replacement=replacement, fix=self._fix(node, replacement)
        )

    def _fix(self, node: cst.Call, replacement: str) -> NodeFix | None:
        # Only a whole statement directly in the coroutine's body (not in a comprehension).
        if not isinstance(self.ctx.parent, cst.Expr) or self.ctx.frame.kind != "function":
            return None
        reference = self.ctx.reference(replacement)
        if reference is None:
            return None
        func, module = reference
        awaited = cst.Await(expression=node.with_changes(func=func))
        return NodeFix({node: awaited}, f"Replace with `await {replacement}(...)`", imports_for(module))
