from __future__ import annotations

import libcst as cst

from asynclint.analysis.methods import coroutine_call
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import local_bound_once, variable_is_read


class CoroutineNotAwaited(Rule):
    """
    ## What it does
    Finds a call to a coroutine function whose coroutine is thrown away: the call is a
    statement of its own, or its result goes to a local variable that is never read. The
    coroutine functions it knows are the `async def` functions of the module (not async
    generators, and not behind a decorator that may change them), `self.method()` /
    `cls.method()` for an `async def` method of the same class, and library coroutines
    such as `asyncio.sleep`, `asyncio.wait_for`, `StreamWriter.drain`,
    `aiohttp.ClientSession.close`, `asyncio.Queue.put` or `asyncio.Event.wait` on
    objects of known type, and `jupyter_core.utils.ensure_async` (a coroutine function,
    though its name reads like a conversion). Through the project model it also knows the
    `async def` functions of the project's other modules and the methods of receivers whose
    type the model knows, except a method that some class of the project overrides with a
    plain `def`: a call through the base class may run the override, which makes no
    coroutine.

    ## Why is this bad?
    Calling a coroutine function only creates a coroutine object; nothing runs until it
    is awaited. The call silently does nothing (Python warns "coroutine ... was never
    awaited" only when the object is collected), so the sleep does not sleep, the
    connection is never closed and the message is never sent.

    ## Example
        import asyncio

        async def shutdown(session):
            asyncio.sleep(1)
            await session.close()

    ## Use instead
        import asyncio

        async def shutdown(session):
            await asyncio.sleep(1)
            await session.close()

    ## Fix safety
    Safe for a statement in an `async def`: `await` is added in front of the call. The
    coroutine was discarded, so the code never ran; awaiting it makes it run as written.
    In sync code, and for unread variables, there is no fix: whether to await, schedule
    or drop the call is a decision for the author.
    """

    code = "ASL205"
    name = "coroutine-not-awaited"
    message = "Coroutine `{name}()` is created but never awaited, so it never runs{hint}"
    fix_safety = FixSafety.SAFE
    peer = "FA ASYNC105 (trio only)"
    triggers = (("async", "aiohttp", "anyio", "trio"),)

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        name = self._coroutine(call)
        if name is None:
            return
        fix = None
        if self.ctx.async_function is not None and self.ctx.frame.kind == "function":
            awaited = cst.Await(expression=call)
            fix = NodeFix({call: awaited}, "Await the coroutine")
        hint = "" if fix is not None else "; await it in async code or schedule it as a task"
        self.report(call, fix=fix, name=name, hint=hint)

    def visit_Assign(self, node: cst.Assign) -> None:
        call = node.value
        if not isinstance(call, cst.Call) or len(node.targets) != 1:
            return
        # The cheap test first (most targets are attributes, or names bound again), then
        # the callee, then a walk of the function for a read of the variable.
        variable = local_bound_once(self.ctx, node.targets[0].target)
        frame = self.ctx.frame.function_frame()
        if variable is None or frame is None:
            return
        name = self._coroutine(call)
        if name is None or variable_is_read(frame.node, variable):
            return
        self.report(call, name=name, hint="; the variable holding it is never used")

    def _coroutine(self, call: cst.Call) -> str | None:
        """The display name of the coroutine function `call` calls, else None."""
        coroutine = coroutine_call(self.ctx, call)
        if coroutine is None:
            return None
        return coroutine.library or coroutine.written
