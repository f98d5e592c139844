from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import keyword_arg, walk
from asynclint.catalogs.calls import GATHER_CALLS
from asynclint.rule import FixSafety, Rule

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
    outcome is the intent.
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
        if _waits_for_existing_work(node):
            return
        self.report(node)

    def _cancels_tasks(self, function: cst.CSTNode) -> bool:
        return self.ctx.memo("cancels-tasks", function, lambda: _calls_cancel(function))


def _calls_cancel(function: cst.CSTNode) -> bool:
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "cancel"
        for n in walk(function)
    )
