from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.methods import coroutine_call
from asynclint.analysis.nodes import last_name, positional_args
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Frame


class GetEventLoopDeprecated(Rule):
    """
    ## What it does
    Finds `asyncio.get_event_loop()` called outside a coroutine: at module level, in
    `if __name__ == "__main__":` and in sync functions (not in callbacks nested inside an
    `async def`, which run while the loop is running). A fallback for a loop another
    object provides (`self.loop = owner.loop or asyncio.get_event_loop()`) is left alone,
    and so is a module that sets the current loop itself (`asyncio.set_event_loop(...)`)
    or applies `nest_asyncio`: there `get_event_loop()` returns that loop. In a function of
    a module that is no test file, the same holds when another module of its top-level
    package (the project model) installs the loop for good: applies `nest_asyncio`, or
    calls `set_event_loop(loop)` outside an `except` handler in a function that never sets
    it back to `None` (not a temporary loop for one `run_until_complete`, not a
    workaround), in a module that is no test file. Module-level code (it may run at
    import, before that) and test files are reported all the same.

    ## Why is this bad?
    With no running loop, `get_event_loop()` used to create one silently. That has been
    deprecated since Python 3.10-3.12 (a `DeprecationWarning` when no loop is set) and
    since 3.14 it raises `RuntimeError`. Code that starts its loop this way breaks on
    current Python.

    A sync function may run on the loop (a protocol factory, a callback) or before it
    starts; the message names both cures: `asyncio.get_running_loop()` for the first,
    `asyncio.run()` / `asyncio.Runner` for the second.

    ## Example
        import asyncio

        async def main():
            await asyncio.sleep(1)

        asyncio.get_event_loop().run_until_complete(main())

    ## Use instead
        import asyncio

        async def main():
            await asyncio.sleep(1)

        asyncio.run(main())

    ## Fix safety
    Unsafe, and only for the statement `asyncio.get_event_loop().run_until_complete(C)`
    (alone or assigned) with `C` a call of an `async def` of the module or of a library
    coroutine function: it becomes `asyncio.run(C)`. `asyncio.run` also closes the
    loop at the end and shuts down async generators and the default executor, and it always
    uses a new loop, so code that keeps using the old loop afterwards changes behaviour.
    Other uses need a decision (`asyncio.Runner`, or `new_event_loop()` with
    `set_event_loop()`) and are reported without a fix.
    """

    code = "ASL602"
    name = "get-event-loop-deprecated"
    message = "`asyncio.get_event_loop()` {where} is deprecated and raises RuntimeError without a current event loop on Python 3.14+; {advice}"
    fix_safety = FixSafety.UNSAFE
    triggers = ("get_event_loop",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if last != "get_event_loop" and not isinstance(func, cst.Name):
            return
        if node.args or self.ctx.qualified_name(func) != "asyncio.get_event_loop":
            return
        if _inside_coroutine(self.ctx) or _fallback_for_attribute(self.ctx, node) or _sets_loop(self.ctx):
            return
        frame = self.ctx.frame.function_frame()
        if frame is not None and not self.ctx.is_test_file and self.ctx.project.sets_loop(self._module()):
            # The application installs its loop at start-up; a function runs after that.
            return
        if frame is None:
            where = "outside any function"
            advice = "use `asyncio.run()` or `asyncio.Runner` (or `new_event_loop()` with `set_event_loop()`)"
        else:
            if isinstance(frame.node, cst.FunctionDef):
                function = f"`{frame.node.name.value}`"
                where = f"in sync function {function}"
            else:
                function, where = "this lambda", "in a lambda"
            advice = f"if {function} runs on the event loop, use `asyncio.get_running_loop()`; to start a loop, `asyncio.run()` or `asyncio.Runner`"
        self.report(node, fix=self._fix(node), where=where, advice=advice)

    def _module(self) -> str:
        """The module's dotted name, as the project model's summary names it."""
        return self.ctx.module_info.name or "__main__"

    def _fix(self, node: cst.Call) -> NodeFix | None:
        stack = self.ctx.stack
        if len(stack) < 4:
            return None
        attribute, outer, statement = stack[-2], stack[-3], stack[-4]
        if not (
            isinstance(attribute, cst.Attribute)
            and attribute.attr.value == "run_until_complete"
            and isinstance(outer, cst.Call)
            and outer.func is attribute
            and isinstance(statement, (cst.Expr, cst.Assign))
            and statement.value is outer
        ):
            return None
        args = positional_args(outer)
        if len(outer.args) != 1 or len(args) != 1 or not isinstance(args[0].value, cst.Call):
            return None
        if coroutine_call(self.ctx, args[0].value) is None:
            return None  # asyncio.run() takes only a coroutine
        reference = self.ctx.reference("asyncio.run")
        if reference is None:
            return None
        expr, module = reference
        return NodeFix(
            {outer: outer.with_changes(func=expr)},
            "Run the coroutine with `asyncio.run()`",
            imports_for(module),
        )


#: A module that sets the current loop itself (or patches asyncio to nest loops), so that
#: `get_event_loop()` finds one.
_SETS_LOOP = re.compile(r"\bset_event_loop\s*\(|\bnest_asyncio\s*\.\s*apply\s*\(")


def _sets_loop(ctx: Context) -> bool:
    source = ctx.source
    # The substrings first: an expression that starts with `\b` is tried at every position.
    return ("set_event_loop" in source or "nest_asyncio" in source) and _SETS_LOOP.search(source) is not None


def _fallback_for_attribute(ctx: Context, node: cst.Call) -> bool:
    """`owner.loop or asyncio.get_event_loop()`: a fallback for a loop some other object
    normally provides."""
    parent = ctx.stack[-2] if len(ctx.stack) >= 2 else None
    return (
        isinstance(parent, cst.BooleanOperation)
        and isinstance(parent.operator, cst.Or)
        and parent.right is node
        and isinstance(parent.left, cst.Attribute)
    )


def _inside_coroutine(ctx: Context) -> bool:
    """The visited node is in an `async def`, or in a function, lambda or class nested in
    one (a callback that runs while the loop is running)."""
    frame: Frame | None = ctx.frame
    while frame is not None:
        if frame.is_async_function:
            return True
        frame = frame.parent
    return False
