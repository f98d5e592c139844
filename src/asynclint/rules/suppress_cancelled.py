from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import has_checkpoint, last_name
from asynclint.rule import FixSafety, Rule
from asynclint.rules._cancellation import awaits_completed_or_cancelled, cancellation_kind, explains

_SUPPRESS = frozenset({"contextlib.suppress"})


class SuppressCancelled(Rule):
    """
    ## What it does
    Finds `with contextlib.suppress(asyncio.CancelledError):` (or `BaseException`, or a
    tuple of classes that includes one of them) inside `async def` around code that
    awaits, unless what it awaits was cancelled just before: `t.cancel()` and then
    `with suppress(CancelledError): await t` is the idiom for waiting until a task has
    finished cancelling. Awaiting a future completed just before (`fut.set_result(v)`)
    does not suspend, so it is not reported either, and neither is a block whose body
    carries a comment explaining the choice (not a `# noqa` or other tool pragma).

    ## Why is this bad?
    `suppress` swallows the exception silently: if the task running this code is
    cancelled (by `task.cancel()`, `asyncio.timeout()`, a TaskGroup or shutdown) while it
    awaits inside the block, the cancellation is lost and the task goes on after the
    `with` as if nothing happened.

    ## Example
        import asyncio
        import contextlib

        async def drain(queue):
            with contextlib.suppress(asyncio.CancelledError):
                while True:
                    await queue.get()

    ## Use instead
        import asyncio

        async def drain(queue):
            while not queue.empty():
                await queue.get()

    ## Fix safety
    No fix: the right shape (let the cancellation through, or cancel and await a task)
    depends on the code.
    """

    code = "ASL501"
    name = "suppress-cancelled"
    message = "`{call}` swallows cancellation of `async def {function}`; let `{cancelled}` propagate (suppress it only around awaiting a task you cancelled)"
    fix_safety = FixSafety.NONE
    triggers = ("async", "suppress")
    skip_test_files = True

    def visit_With(self, node: cst.With) -> None:
        function = self.ctx.async_function
        if function is None:
            return
        for item in node.items:
            call = item.item
            if not isinstance(call, cst.Call) or not call.args:
                continue
            func = call.func
            last = last_name(func)
            if last != "suppress" and self.ctx.qualified_name(func) not in _SUPPRESS:
                continue
            if self.ctx.qualified_name(func) not in _SUPPRESS:
                continue
            if not any(cancellation_kind(self.ctx, arg.value) for arg in call.args if arg.keyword is None):
                continue
            if (
                not has_checkpoint(node.body)
                or awaits_completed_or_cancelled(self.ctx, node.body)
                or explains(node.body)  # a comment says why
            ):
                return
            self.report(
                call,
                call=" ".join(self.ctx.code_for(call).split()),
                function=function.name.value,
                cancelled={"anyio": "anyio.get_cancelled_exc_class()", "trio": "trio.Cancelled"}.get(
                    self.ctx.library, "CancelledError"
                ),
            )
            return
