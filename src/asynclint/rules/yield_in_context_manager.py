from __future__ import annotations

import libcst as cst

from asynclint.analysis.methods import timeout_scope
from asynclint.analysis.nodes import last_name, walk
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import task_group_item

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
#: Decorators that drive the generator to its end themselves (a context manager, a
#: pytest fixture): a `yield` inside a block is what they are made for.
_DRIVEN_BY = frozenset({"asynccontextmanager", "fixture"})
#: Context managers whose exit does nothing that waits (releasing a buffer's view).
_NOTHING_TO_CLEAN = frozenset({"builtins.memoryview"})


class YieldInContextManager(Rule):
    """
    ## What it does
    Finds `yield` inside a `with` or `async with` block in an async generator: inside an
    `asyncio.TaskGroup()` or an `asyncio.timeout()` scope, or any other context manager.
    Generators decorated with `@asynccontextmanager` or as a pytest fixture are left
    alone: their caller runs them to the end.

    A `yield` inside an ordinary context manager (a file, a session, a pooled connection)
    is reported only with `yield-cleanup = true`: it is how such generators stream, and
    judged samples of application code found none a maintainer would change. Even then,
    blocks whose exit waits for nothing (`with memoryview(data)`) and generators that catch
    `GeneratorExit` themselves (they decide what an early stop does) are left alone.

    ## Why is this bad?
    At a `yield` the generator is suspended and its consumer runs, for as long as it
    likes, while the block is still open. A timeout or a TaskGroup then measures or
    cancels the consumer's code: the cancellation meant for the scope is delivered to
    the wrong task, or lost. And a consumer that stops early (a `break`, an exception)
    leaves the block open: its cleanup runs only when the generator is closed or
    garbage-collected, possibly never, and by then `await` may no longer be allowed.

    ## Example
        import asyncio

        async def ticks(queue):
            async with asyncio.timeout(10):
                while True:
                    yield await queue.get()

    ## Use instead
        import asyncio

        async def ticks(queue):
            while True:
                async with asyncio.timeout(10):
                    item = await queue.get()
                yield item

    ## Fix safety
    No fix: the block must be restructured (collect inside it and yield after it, or turn
    the generator into an `@asynccontextmanager`).
    """

    code = "ASL504"
    name = "yield-in-context-manager"
    message = "`yield` inside `{keyword} {manager}` in async generator `{function}` hands control to the consumer with the block still open: {consequence}"
    fix_safety = FixSafety.NONE
    triggers = ("async", "yield", "with")
    peer = "FA ASYNC119"

    def visit_Yield(self, node: cst.Yield) -> None:
        function = self.ctx.async_function
        if function is None:
            return
        for decorator in function.decorators:
            expr = decorator.decorator
            if last_name(expr.func if isinstance(expr, cst.Call) else expr) in _DRIVEN_BY:
                return
        stack = self.ctx.stack
        for index in range(len(stack) - 2, -1, -1):
            outer = stack[index]
            if isinstance(outer, _SCOPES):
                return
            if isinstance(outer, cst.With) and stack[index + 1] is outer.body:
                if self._ordinary(outer) and (
                    not self.ctx.settings.yield_cleanup or self._inert(outer) or self._handles_close(function)
                ):
                    return
                self._report(node, outer, function.name.value)
                return

    def _ordinary(self, block: cst.With) -> bool:
        """Neither a task group nor a timeout scope (whose cancellation would reach the
        consumer's code whatever the generator does)."""
        return task_group_item(self.ctx, block) is None and not any(
            timeout_scope(self.ctx, i.item) is not None for i in block.items
        )

    def _inert(self, block: cst.With) -> bool:
        """Every item's exit waits for nothing (`with memoryview(data) as view:`)."""
        return all(
            isinstance(i.item, cst.Call) and self.ctx.qualified_name(i.item.func) in _NOTHING_TO_CLEAN
            for i in block.items
        )

    def _handles_close(self, function: cst.FunctionDef) -> bool:
        """The generator catches `GeneratorExit` itself: it decides what an early stop of
        its consumer does."""
        return self.ctx.memo("handles-close", function, lambda: _catches_generator_exit(function))

    def _report(self, node: cst.Yield, block: cst.With, function: str) -> None:
        group = task_group_item(self.ctx, block)
        if group is not None:
            item = group
            consequence = "the group's cancellation reaches the consumer's code, or is lost"
        else:
            item = next(
                (i for i in block.items if timeout_scope(self.ctx, i.item) is not None),
                block.items[0],
            )
            if timeout_scope(self.ctx, item.item) is not None:
                consequence = "the timeout's cancellation reaches the consumer's code, or is lost"
            else:
                consequence = "if the consumer stops early, the cleanup waits until the generator is closed or garbage-collected"
        keyword = "async with" if block.asynchronous is not None else "with"
        self.report(
            node,
            keyword=keyword,
            manager=self.ctx.code_for(item.item),
            function=function,
            consequence=consequence,
        )


def _catches_generator_exit(function: cst.FunctionDef) -> bool:
    for node in walk(function.body, into_scopes=False):
        if isinstance(node, cst.ExceptHandler) and node.type is not None:
            if isinstance(node.type, cst.Tuple):
                types = [e.value for e in node.type.elements]
            else:
                types = [node.type]
            if any(last_name(expr) == "GeneratorExit" for expr in types):
                return True
    return False
