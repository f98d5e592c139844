from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import describe_call
from asynclint.catalogs.calls import GATHER_CALLS
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule


class AwaitInGatherArgs(Rule):
    """
    ## What it does
    Finds `asyncio.gather(...)` called with an argument that is itself awaited:
    `asyncio.gather(await a(), b())`.

    ## Why is this bad?
    Arguments are evaluated before `gather` runs, so `a()` runs to completion first and
    only then does `b()` start: the `await` turns the concurrent call back into a
    sequential one. `gather` then receives `a()`'s result, not a coroutine, and raises
    `TypeError` unless that result happens to be awaitable.

    ## Example
        import asyncio

        async def both():
            return await asyncio.gather(await load_a(), load_b())

    ## Use instead
        import asyncio

        async def both():
            return await asyncio.gather(load_a(), load_b())

    ## Fix safety
    Safe: the `await` before a call argument is removed, so `gather` receives the
    coroutine and runs it with the others. The original only worked when the awaited
    call returned another awaitable, which `gather` then awaited; that double indirection
    is what the fix cannot see, and such code is very rare.
    """

    code = "ASL203"
    name = "await-in-gather-args"
    message = "`await {call}(...)` inside `asyncio.gather(...)` runs it before the others start; pass the coroutine without `await`"
    fix_safety = FixSafety.SAFE
    triggers = ("await", "gather")

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or self.ctx.async_function is None:
            return
        if not any(isinstance(arg.value, cst.Await) for arg in node.args):
            return
        if self.ctx.qualified_name(node.func) not in GATHER_CALLS:
            return
        for arg in node.args:
            value = arg.value
            if arg.keyword is not None or arg.star or not isinstance(value, cst.Await):
                continue
            if not isinstance(value.expression, cst.Call):
                continue
            inner = value.expression
            if value.lpar:
                inner = inner.with_changes(lpar=value.lpar, rpar=value.rpar)
            fix = NodeFix({value: inner}, "Remove the `await`")
            self.report(value, fix=fix, call=describe_call(value.expression))
