from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import dotted_name, walk
from asynclint.rule import Default, FixSafety, Rule
from asynclint.rules._cancellation import awaited_names

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

_TASK_TYPES = frozenset({"asyncio.Task", "asyncio.Future"})


class CancelNotAwaited(Rule):
    """
    ## What it does
    Finds `t.cancel()` inside `async def`, on a task known from its binding
    (`t = asyncio.create_task(...)`, `self._task = asyncio.ensure_future(...)`, an
    `asyncio.Task` annotation), when nothing in the function awaits `t` after the call.
    Opt-in.

    ## Why is this bad?
    `cancel()` only requests cancellation: the task runs its `except` / `finally`
    cleanup later, at its next await. Code that goes on right away (closing the
    connection the task uses, returning from `stop()`, ending the program) races that
    cleanup, and errors raised during it are logged as "Task exception was never
    retrieved".

    ## Example
        import asyncio

        async def request(conn):
            listener = asyncio.create_task(conn.listen())
            await conn.send(b"ping")
            listener.cancel()
            await conn.close()

    ## Use instead
        import asyncio
        import contextlib

        async def request(conn):
            listener = asyncio.create_task(conn.listen())
            await conn.send(b"ping")
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await conn.close()

    ## Fix safety
    No fix: awaiting the task may need a timeout or error handling of its own.
    """

    code = "ASL502"
    name = "cancel-not-awaited"
    message = "`{task}.cancel()` is not followed by awaiting `{task}`; its cleanup may not have run yet"
    fix_safety = FixSafety.NONE
    default = Default.OPT
    triggers = ("async", "cancel")

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._pending: list[tuple[cst.FunctionDef, cst.Call, str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "cancel" or node.args:
            return
        function = self.ctx.async_function
        if function is None:
            return
        task = dotted_name(func.value)
        if task is None or self.ctx.type_of(func.value) not in _TASK_TYPES:
            return
        self._pending.append((function, node, task))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._pending or self._pending[-1][0] is not node:
            return
        mine = [p for p in self._pending if p[0] is node]
        self._pending = [p for p in self._pending if p[0] is not node]
        order = {id(sub): index for index, sub in enumerate(walk(node.body, into_scopes=False))}
        awaits = [
            (order[id(sub)], awaited_names(sub))
            for sub in walk(node.body, into_scopes=False)
            if isinstance(sub, cst.Await)
        ]
        for _, call, task in mine:
            after = order.get(id(call), -1)
            if not any(position > after and task in names for position, names in awaits):
                self.report(call, task=task)
