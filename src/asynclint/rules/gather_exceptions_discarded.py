from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import children, keyword_arg, walk
from asynclint.catalogs.calls import BROAD, GATHER_CALLS
from asynclint.rule import FixSafety, Rule
from asynclint.rules._cancellation import definition

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

#: Calls whose failure a best-effort cleanup ignores on purpose.
_CLEANUP = (
    "close",
    "aclose",
    "disconnect",
    "shutdown",
    "cancel",
    "stop",
    "terminate",
    "wait_closed",
    "release",
)


def _waits_for_existing_work(call: cst.Call) -> bool:
    """Whether the gather only waits for tasks that already exist (`*tasks`, `task`) or
    runs best-effort cleanup (`close()`, `disconnect()`...): there, ignoring failures is
    what the author asked for."""
    for arg in call.args:
        if arg.keyword is not None:
            continue
        value = arg.value
        if isinstance(value, (cst.GeneratorExp, cst.ListComp)):
            value = value.elt
        if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
            continue
        if isinstance(value, cst.Call):
            func = value.func
            last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
            if isinstance(last, str) and last.lstrip("_").startswith(_CLEANUP):
                continue
        return False
    return True


class GatherExceptionsDiscarded(Rule):
    """
    ## What it does
    Finds `await asyncio.gather(..., return_exceptions=True)` whose result is thrown away
    (a statement of its own, or assigned to `_`).

    ## Why is this bad?
    With `return_exceptions=True`, `gather` does not raise: it returns each failure as an
    item of its result list. Dropping the list drops every exception with it, so errors of
    the gathered calls disappear without a trace.

    ## Example
        import asyncio

        async def refresh_all(feeds):
            await asyncio.gather(*(f.refresh() for f in feeds), return_exceptions=True)

    ## Use instead
        import asyncio
        import logging

        async def refresh_all(feeds):
            results = await asyncio.gather(*(f.refresh() for f in feeds), return_exceptions=True)
            for result in results:
                if isinstance(result, Exception):
                    logging.error("refresh failed", exc_info=result)

    ## Fix safety
    No fix: what to do with the failures (log, re-raise, retry) is the author's choice.
    Waiting for tasks that already exist (`gather(*tasks, return_exceptions=True)`, for
    instance after cancelling them), best-effort cleanup (`close()`, `disconnect()`...)
    and gathers in `finally` or `except` blocks are not reported: there, ignoring the
    outcome is the intent. Nor are gathers of calls of the module's own coroutine
    functions that catch their own failures (every await, also in the module's functions
    they await, inside a `try` whose `except Exception:` handler does not raise, as in
    `try: r["head"] = await fetch(r) except Exception: r["status"] = "failed"`): there is
    nothing to collect.
    """

    code = "ASL206"
    name = "gather-exceptions-discarded"
    message = "`asyncio.gather(..., return_exceptions=True)` result is discarded, so the exceptions it collected are silently lost"
    fix_safety = FixSafety.NONE
    triggers = ("return_exceptions",)

    def visit_Call(self, node: cst.Call) -> None:
        flag = keyword_arg(node, "return_exceptions")
        if flag is None or not (isinstance(flag.value, cst.Name) and flag.value.value == "True"):
            return
        if self.ctx.qualified_name(node.func) not in GATHER_CALLS:
            return
        stack = self.ctx.stack
        parent = self.ctx.parent
        holder = stack[-3] if isinstance(parent, cst.Await) and len(stack) >= 3 else parent
        if isinstance(holder, cst.Expr):
            pass
        elif isinstance(holder, cst.Assign) and len(holder.targets) == 1:
            target = holder.targets[0].target
            if not (isinstance(target, cst.Name) and target.value == "_"):
                return
        else:
            return
        if self.ctx.ancestor(cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler) is not None:
            return
        function = self.ctx.frame.function_frame()
        if function is not None and self._cancels_tasks(function.node):
            return
        if _waits_for_existing_work(node) or self._gathers_guarded_work(node):
            return
        self.report(node)

    def _gathers_guarded_work(self, call: cst.Call) -> bool:
        """Every gathered call runs a function of the module that catches its own failures:
        each of its awaits (and those of the module's functions it awaits) sits in a `try`
        with an `except Exception`/`BaseException`/bare handler that does not raise. Such a
        gather has no exception to collect; it waits for best-effort work on purpose."""
        for arg in call.args:
            if arg.keyword is not None:
                continue
            value = arg.value
            if isinstance(value, (cst.GeneratorExp, cst.ListComp)) and arg.star == "*":
                value = value.elt
            if not isinstance(value, cst.Call):
                return False
            function = definition(self.ctx, value)
            if function is None or not self._guarded(function):
                return False
        return True

    def _guarded(self, function: cst.FunctionDef) -> bool:
        return self.ctx.memo("guarded-work", function, lambda: _Guard(self.ctx).function(function, 0))

    def _cancels_tasks(self, function: cst.CSTNode) -> bool:
        return self.ctx.memo("cancels-tasks", function, lambda: _calls_cancel(function))


def _calls_cancel(function: cst.CSTNode) -> bool:
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "cancel"
        for n in walk(function)
    )


class _Guard:
    """Whether a coroutine function catches its own failures (see
    `GatherExceptionsDiscarded._gathers_guarded_work`): it awaits something, and nothing
    it awaits, enters with `async with` (but a lock or semaphore held in a variable),
    iterates with `async for` or raises escapes a catch-all handler."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.awaits = False

    def function(self, function: cst.FunctionDef, depth: int) -> bool:
        if function.asynchronous is None or depth > 2:
            return False
        return self.node(function.body, False, depth) and self.awaits

    def node(self, node: cst.CSTNode, guarded: bool, depth: int) -> bool:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return True  # not run here
        if isinstance(node, cst.Try):
            inner = guarded or self._catches_all(node)
            return (
                self.node(node.body, inner, depth)
                and all(self.node(h.body, guarded, depth) for h in node.handlers)
                and all(self.node(b, guarded, depth) for b in (node.orelse, node.finalbody) if b is not None)
            )
        if not guarded:
            if isinstance(node, (cst.Raise, cst.TryStar)):
                return False
            if isinstance(node, cst.For) and node.asynchronous is not None:
                return False
            if isinstance(node, cst.With) and node.asynchronous is not None:
                self.awaits = True
                if not all(isinstance(item.item, (cst.Name, cst.Attribute)) for item in node.items):
                    return False
            if isinstance(node, cst.Await):
                self.awaits = True
                callee = (
                    definition(self.ctx, node.expression) if isinstance(node.expression, cst.Call) else None
                )
                if callee is None or not self.function(callee, depth + 1):
                    return False
        elif isinstance(node, cst.Await):
            self.awaits = True
        return all(self.node(child, guarded, depth) for child in children(node))

    def _catches_all(self, node: cst.Try) -> bool:
        """A handler of `Exception`, `BaseException` or a bare `except:` that raises
        nothing."""
        for handler in node.handlers:
            caught = (
                self.ctx.qualified_name(handler.type)
                if handler.type is not None
                else "builtins.BaseException"
            )
            if (caught in BROAD or caught == "builtins.Exception") and not any(
                isinstance(sub, cst.Raise) for sub in walk(handler.body, into_scopes=False)
            ):
                return True
        return False
