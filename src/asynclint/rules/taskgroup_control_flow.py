from __future__ import annotations

import libcst as cst

from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import task_group_item

_LOOPS = (cst.For, cst.While)
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


class TaskgroupControlFlow(Rule):
    """
    ## What it does
    Finds `return` inside the body of an `async with asyncio.TaskGroup()` block, and
    `break` or `continue` there that leave the block (their loop is around the block, not
    inside it).

    ## Why is this bad?
    Leaving the block does not cancel the group's tasks: the group waits for every one of
    them to finish first, however long that takes, and only then does the `return`,
    `break` or `continue` take effect. If a task fails meanwhile, the others are cancelled
    and an `ExceptionGroup` is raised instead: the returned value is lost. Readers expect
    the statement to leave at once.

    ## Example
        import asyncio

        async def first_result(jobs):
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(job()) for job in jobs]
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                return done.pop().result()

    ## Use instead
        import asyncio

        async def first_result(jobs):
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(job()) for job in jobs]
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in tasks:
                    task.cancel()
            return done.pop().result()

    ## Fix safety
    No fix: whether the remaining tasks should be cancelled or awaited is the author's
    decision.
    """

    code = "ASL210"
    name = "taskgroup-control-flow"
    message = "`{statement}` inside `async with {group}` takes effect only after every task of the group has finished (it cancels none of them), and a failing task replaces it with an ExceptionGroup; cancel the tasks first, or move `{statement}` after the block"
    fix_safety = FixSafety.NONE
    triggers = ("async", "TaskGroup", ("return", "break", "continue"))
    peer = "FA ASYNC121"

    def visit_Return(self, node: cst.Return) -> None:
        self._check(node, "return", loops_stop=False)

    def visit_Break(self, node: cst.Break) -> None:
        self._check(node, "break", loops_stop=True)

    def visit_Continue(self, node: cst.Continue) -> None:
        self._check(node, "continue", loops_stop=True)

    def _check(self, node: cst.CSTNode, statement: str, loops_stop: bool) -> None:
        if self.ctx.async_function is None:
            return
        stack = self.ctx.stack
        for index in range(len(stack) - 2, -1, -1):
            outer = stack[index]
            if isinstance(outer, _SCOPES):
                return
            inner = stack[index + 1]
            if loops_stop and isinstance(outer, _LOOPS) and inner is outer.body:
                return
            if isinstance(outer, cst.With) and inner is outer.body:
                item = task_group_item(self.ctx, outer)
                if item is not None:
                    self.report(node, statement=statement, group=self.ctx.code_for(item.item))
                    return
