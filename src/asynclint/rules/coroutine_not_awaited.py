from __future__ import annotations

import libcst as cst

from asynclint.analysis.concurrency import unread_local
from asynclint.analysis.context import Context
from asynclint.analysis.nodes import dotted_name, walk
from asynclint.analysis.scopes import Binding
from asynclint.catalogs.concurrency import LIBRARY_COROUTINES, TRANSPARENT_DECORATORS
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule

_LIBRARY_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in LIBRARY_COROUTINES)


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
    objects of known type.

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

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._defs: dict[int, bool] = {}

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
        if self.ctx.frame.function_frame() is None:
            return
        name = self._coroutine(call)
        if name is None or unread_local(self.ctx, node.targets[0].target) is None:
            return
        self.report(call, name=name, hint="; the variable holding it is never used")

    def _coroutine(self, call: cst.Call) -> str | None:
        """The display name of the coroutine function `call` calls, else None."""
        func = call.func
        if isinstance(func, cst.Name):
            found = self.ctx.lookup(func.value)
            if found is not None and _all_coroutine_defs(found[1], self._defs):
                return func.value
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method = self._own_method(func)
            if method is not None:
                return method
        if isinstance(func, cst.Attribute) and func.attr.value not in _LIBRARY_NAMES:
            return None
        qualified = self.ctx.call_name(call)
        if qualified is not None and qualified in LIBRARY_COROUTINES:
            return qualified
        return None

    def _own_method(self, func: cst.Attribute) -> str | None:
        """`self.m` / `cls.m` where `m` is an `async def` of the enclosing class."""
        assert isinstance(func.value, cst.Name)
        receiver = func.value.value
        frame = self.ctx.frame.function_frame()
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return None
        cls_frame = frame.class_frame()
        params = frame.node.params.params
        if cls_frame is None or not params or params[0].name.value != receiver:
            return None
        if any((dotted_name(d.decorator) or "") == "staticmethod" for d in frame.node.decorators):
            return None
        bindings = cls_frame.bindings.get(func.attr.value)
        if bindings and _all_coroutine_defs(bindings, self._defs):
            return f"{receiver}.{func.attr.value}"
        return None


def _all_coroutine_defs(bindings: list[Binding], cache: dict[int, bool]) -> bool:
    for binding in bindings:
        verdict = cache.get(id(binding.node))
        if verdict is None:
            verdict = cache[id(binding.node)] = _is_coroutine_def(binding)
        if not verdict:
            return False
    return True


def _is_coroutine_def(binding: Binding) -> bool:
    node = binding.node
    if binding.kind != "def" or not isinstance(node, cst.FunctionDef) or node.asynchronous is None:
        return False
    if any((dotted_name(d.decorator) or "") not in TRANSPARENT_DECORATORS for d in node.decorators):
        return False
    # An async generator returns an async iterator, not a coroutine.
    return not any(isinstance(inner, cst.Yield) for inner in walk(node.body, into_scopes=False))
