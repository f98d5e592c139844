from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import walk
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule

_TASK_GROUPS = frozenset({"asyncio.TaskGroup"})
#: Classes that do match what a TaskGroup raises: the groups themselves, their bases, and
#: the exceptions it lets through ungrouped.
_MATCHING = frozenset(
    {
        "builtins.BaseException",
        "builtins.Exception",
        "builtins.BaseExceptionGroup",
        "builtins.ExceptionGroup",
        "builtins.KeyboardInterrupt",
        "builtins.SystemExit",
        "builtins.GeneratorExit",
        "asyncio.CancelledError",
        "exceptiongroup.BaseExceptionGroup",
        "exceptiongroup.ExceptionGroup",
    }
)


class TaskgroupExceptNotStar(Rule):
    """
    ## What it does
    Finds `except SomeError:` on a `try` whose body is only an
    `async with asyncio.TaskGroup()` block, when `SomeError` is neither an exception group,
    `Exception` / `BaseException`, nor one of the exceptions a TaskGroup lets through
    ungrouped (`CancelledError`, `KeyboardInterrupt`, `SystemExit`).

    ## Why is this bad?
    A TaskGroup collects the failures of its tasks, and of its own body, into an
    `ExceptionGroup`. `except ValueError` never matches an `ExceptionGroup`, even one that
    holds only a `ValueError`, so the handler is dead code and the error escapes.

    ## Example
        import asyncio

        async def main(jobs):
            try:
                async with asyncio.TaskGroup() as tg:
                    for job in jobs:
                        tg.create_task(job())
            except ValueError:
                print("a job failed")

    ## Use instead
        import asyncio

        async def main(jobs):
            try:
                async with asyncio.TaskGroup() as tg:
                    for job in jobs:
                        tg.create_task(job())
            except* ValueError:
                print("a job failed")

    ## Fix safety
    Unsafe: `except X` becomes `except* X` for every handler of the `try`. The handler then
    runs for a group of matching errors (a name bound with `as` is the group) and the
    other errors of the group propagate. No fix when a handler is bare, catches one of the
    classes above, or uses `return`, `break` or `continue` (not allowed in `except*`).
    """

    code = "ASL503"
    name = "taskgroup-except-not-star"
    message = "`except {exception}` around a TaskGroup never matches (it raises an ExceptionGroup); use `except* {exception}`"
    fix_safety = FixSafety.UNSAFE
    triggers = ("async", "TaskGroup")

    def visit_Try(self, node: cst.Try) -> None:
        if self.ctx.async_function is None or not isinstance(node.body, cst.IndentedBlock):
            return
        if len(node.body.body) != 1 or not self._is_task_group(node.body.body[0]):
            return
        dead = [h for h in node.handlers if h.type is not None and not self._can_match(h.type)]
        if not dead:
            return
        fix = self._fix(node) if len(dead) == len(node.handlers) else None
        for handler in dead:
            assert handler.type is not None
            self.report(handler, exception=self.ctx.code_for(handler.type), fix=fix)

    def _is_task_group(self, stmt: cst.BaseStatement) -> bool:
        if not isinstance(stmt, cst.With) or stmt.asynchronous is None or len(stmt.items) != 1:
            return False
        item = stmt.items[0].item
        if isinstance(item, cst.Call):
            return self.ctx.qualified_name(item.func) in _TASK_GROUPS
        return self.ctx.type_of(item) in _TASK_GROUPS

    def _can_match(self, expr: cst.BaseExpression) -> bool:
        """Whether an `except` class can match what the TaskGroup raises; True whenever
        the class is not known (a variable, a call)."""
        if isinstance(expr, cst.Tuple):
            return any(self._can_match(e.value) for e in expr.elements)
        name = self.ctx.qualified_name(expr)
        if name is None or name in _MATCHING:
            return True
        return name.endswith("Group")

    def _fix(self, node: cst.Try) -> NodeFix | None:
        handlers = []
        for handler in node.handlers:
            for sub in walk(handler.body, into_scopes=False):
                if isinstance(sub, (cst.Return, cst.Break, cst.Continue)):
                    return None
            handlers.append(
                cst.ExceptStarHandler(
                    body=handler.body,
                    type=handler.type,  # type: ignore[arg-type]
                    name=handler.name,
                    leading_lines=handler.leading_lines,
                    whitespace_after_except=cst.SimpleWhitespace(""),
                    whitespace_after_star=cst.SimpleWhitespace(" "),
                    whitespace_before_colon=handler.whitespace_before_colon,
                )
            )
        star = cst.TryStar(
            body=node.body,
            handlers=handlers,
            orelse=node.orelse,
            finalbody=node.finalbody,
            leading_lines=node.leading_lines,
            whitespace_before_colon=node.whitespace_before_colon,
        )
        return NodeFix({node: star}, "Use `except*`")
