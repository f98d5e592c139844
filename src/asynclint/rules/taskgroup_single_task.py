from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import names_read
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import task_group_item


class TaskgroupSingleTask(Rule):
    """
    ## What it does
    Finds an `async with asyncio.TaskGroup() as tg:` block whose whole body is one
    `tg.create_task(...)` call, when the group is not handed to the task.

    ## Why is this bad?
    A group that runs one task and does nothing else while it runs is a slower, longer
    way to await the coroutine: the task is created, scheduled and awaited by the group,
    and its error comes back wrapped in an `ExceptionGroup`. A plain `await` says the
    same and raises the error itself.

    ## Example
        import asyncio

        async def main(url):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(fetch(url))

    ## Use instead
        import asyncio

        async def main(url):
            await fetch(url)

    ## Fix safety
    No fix: callers that catch the `ExceptionGroup` (`except*`) would see the plain
    exception instead, and the task's own context (its name, `current_task()`) goes.
    """

    code = "ASL211"
    name = "taskgroup-single-task"
    message = "TaskGroup `{group}` only runs `{call}`; use `{replacement}` instead"
    fix_safety = FixSafety.NONE
    triggers = ("async", "TaskGroup", "create_task")
    peer = "FA ASYNC112"

    def visit_With(self, node: cst.With) -> None:
        if self.ctx.async_function is None:
            return
        item = task_group_item(self.ctx, node)
        if item is None or item.asname is None or not isinstance(item.asname.name, cst.Name):
            return
        group = item.asname.name.value
        body = node.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
            return
        stmt = body.body[0]
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return
        expr = stmt.body[0]
        if not isinstance(expr, cst.Expr) or not isinstance(expr.value, cst.Call):
            return
        call = expr.value
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "create_task"
            and isinstance(func.value, cst.Name)
            and func.value.value == group
        ):
            return
        if any(group in names_read(arg.value) for arg in call.args):
            return
        coroutine = next((arg.value for arg in call.args if arg.keyword is None and not arg.star), None)
        replacement = f"await {self.ctx.code_for(coroutine)}" if coroutine is not None else "await ..."
        self.report(call, group=group, call=self.ctx.code_for(call), replacement=replacement)
