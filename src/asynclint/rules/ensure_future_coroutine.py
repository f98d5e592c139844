from __future__ import annotations

import libcst as cst

from asynclint.analysis.methods import coroutine_call
from asynclint.analysis.nodes import last_name, positional_args
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule


class EnsureFutureCoroutine(Rule):
    """
    ## What it does
    Finds `asyncio.ensure_future(C)` where `C` is a call of a coroutine function: an
    `async def` of the module (also a method through `self`) or a library coroutine
    function such as `asyncio.sleep`.

    ## Why is this bad?
    `ensure_future` exists to accept any awaitable (future, task or coroutine) and to
    find a loop for it, including the deprecated implicit loop outside a coroutine. For a
    coroutine, `asyncio.create_task()` says what happens (a task starts on the running
    loop), fails loudly when no loop runs, and accepts a task `name`.

    ## Example
        import asyncio

        async def ping():
            await asyncio.sleep(1)

        async def main():
            task = asyncio.ensure_future(ping())
            await task

    ## Use instead
        import asyncio

        async def ping():
            await asyncio.sleep(1)

        async def main():
            task = asyncio.create_task(ping())
            await task

    ## Fix safety
    Safe inside a coroutine (a loop is running, and for a coroutine both calls create the
    same task). Outside one, or with a `loop=` argument, the finding has no fix:
    `create_task` needs a running loop.
    """

    code = "ASL603"
    name = "ensure-future-coroutine"
    message = "`asyncio.ensure_future({coroutine}(...))` wraps a coroutine; use `asyncio.create_task({coroutine}(...))`"
    fix_safety = FixSafety.SAFE
    triggers = ("ensure_future",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if last != "ensure_future" and not isinstance(func, cst.Name):
            return
        if self.ctx.qualified_name(func) != "asyncio.ensure_future":
            return
        args = positional_args(node)
        if not args or not isinstance(args[0].value, cst.Call):
            return
        coroutine = coroutine_call(self.ctx, args[0].value)
        if coroutine is None:
            return
        fix = None
        if self.ctx.async_function is not None and len(node.args) == 1:
            reference = self.ctx.reference("asyncio.create_task")
            if reference is not None:
                expr, module = reference
                fix = NodeFix({func: expr}, "Use `asyncio.create_task()`", imports_for(module))
        self.report(node, coroutine=coroutine.written, fix=fix)
