from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import needs_parentheses, parenthesize, positional_args, walk
from asynclint.catalogs.loop_api import RUNNERS
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule

#: asyncio's own runners: they refuse to start inside a running event loop.
ASYNCIO_RUNNERS = frozenset(name for name in RUNNERS if name.startswith("asyncio."))


class AsyncioRunInCoroutine(Rule):
    """
    ## What it does
    Finds `asyncio.run(...)`, `loop.run_until_complete(...)` and `asyncio.Runner().run(...)`
    called on the event loop inside an `async def`. A loop the function makes itself with
    `new_event_loop()` (in a forked child, say) is not the running loop, and its
    `run_until_complete` is not reported.

    ## Why is this bad?
    A coroutine already runs on an event loop. These calls start (or drive) a loop, so they
    always raise `RuntimeError` there: "asyncio.run() cannot be called from a running event
    loop" or "This event loop is already running".

    ## Example
        import asyncio

        async def main():
            asyncio.run(load())

    ## Use instead
        async def main():
            await load()

    ## Fix safety
    Safe: `asyncio.run(C)` and `loop.run_until_complete(C)` with a single coroutine call `C`
    become `await C`; the original could only raise. When the module imports
    `nest_asyncio` (which makes nested loops work), the fix is unsafe. Calls with other
    arguments, or inside a generator expression (where `await` would turn it into an async
    generator), are reported without a fix.
    """

    code = "ASL600"
    name = "asyncio-run-in-coroutine"
    message = "`{name}` inside `async def {function}` raises RuntimeError (the loop is already running); `await` the coroutine instead"
    fix_safety = FixSafety.SAFE
    triggers = ("async", "run")

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.async_function
        if function is None:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "run_until_complete":
            if self._own_new_loop(func.value, function):
                return
            name = "loop.run_until_complete"
        else:
            qualified = self.ctx.call_name(node)
            if qualified not in ASYNCIO_RUNNERS:
                return
            name = "asyncio.run" if qualified != "asyncio.Runner.run" else "Runner.run"
        fix = None if name == "Runner.run" else self._fix(node)
        self.report(node, name=name, function=function.name.value, fix=fix)

    def _own_new_loop(self, receiver: cst.BaseExpression, function: cst.FunctionDef) -> bool:
        """Whether the loop is one the function makes itself with `new_event_loop()` (a
        loop of its own, in a forked child or another thread: not the running loop, and
        `await` would not run the coroutine there)."""
        if isinstance(receiver, cst.Call):
            return self._is_new_loop(receiver)
        code = self.ctx.code_for(receiver)
        for node in walk(function.body, into_scopes=False):
            if (
                isinstance(node, cst.Assign)
                and self._is_new_loop(node.value)
                and any(self.ctx.code_for(t.target) == code for t in node.targets)
            ):
                return True
        return False

    def _is_new_loop(self, value: cst.BaseExpression) -> bool:
        if not isinstance(value, cst.Call):
            return False
        name = self.ctx.qualified_name(value.func) or ""
        return name.split(".")[-1] == "new_event_loop"

    def _fix(self, node: cst.Call) -> NodeFix | None:
        args = positional_args(node)
        if len(args) != 1 or len(node.args) != 1 or not isinstance(args[0].value, cst.Call):
            return None
        frame = self.ctx.frame
        while frame.kind == "comprehension":
            if isinstance(frame.node, cst.GeneratorExp):
                return None
            frame = frame.parent  # type: ignore[assignment]
        awaited: cst.BaseExpression = cst.Await(expression=args[0].value)
        if needs_parentheses(awaited, self.ctx.parent):
            awaited = parenthesize(awaited)
        if node.lpar:
            awaited = awaited.with_changes(lpar=node.lpar, rpar=node.rpar)
        unsafe = "nest_asyncio" in {b.qualified for bs in self.ctx.module_frame.bindings.values() for b in bs}
        return NodeFix(
            {node: awaited},
            "Replace with `await` of the coroutine",
            applicability="unsafe" if unsafe else None,
        )
