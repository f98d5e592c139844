from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import has_checkpoint, walk
from asynclint.rule import Default, FixSafety, Rule

#: Calls that need a running event loop: a function making them must stay `async`.
_NEEDS_LOOP = frozenset(
    {
        "asyncio.get_running_loop",
        "asyncio.get_event_loop",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.current_task",
        "asyncio.all_tasks",
        "asyncio.Future",
        "asyncio.Event",
        "asyncio.Queue",
    }
)


def _names_used_otherwise(module: cst.Module) -> frozenset[str]:
    """The names used anywhere in the module other than as the callee of an awaited call
    (`await f()`, `await obj.f()`) or as the name of a definition."""
    quiet: set[int] = set()
    for node in walk(module):
        if isinstance(node, cst.Await) and isinstance(node.expression, cst.Call):
            func = node.expression.func
            if isinstance(func, cst.Name):
                quiet.add(id(func))
            elif isinstance(func, cst.Attribute):
                quiet.add(id(func.attr))
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            quiet.add(id(node.name))
    return frozenset(n.value for n in walk(module) if isinstance(n, cst.Name) and id(n) not in quiet)


def _is_stub(body: cst.BaseSuite) -> bool:
    """A body that is only a docstring, `pass`, `...`, `return` (of nothing) or `raise`."""
    if isinstance(body, cst.SimpleStatementSuite):  # `async def f(): ...`
        lines: tuple[cst.CSTNode, ...] = (body,)
    else:
        lines = tuple(body.body) if isinstance(body, cst.IndentedBlock) else (body,)
    for stmt in lines:
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in stmt.body:
            if isinstance(small, (cst.Pass, cst.Raise)):
                continue
            if isinstance(small, cst.Return) and (
                small.value is None or (isinstance(small.value, cst.Name) and small.value.value == "None")
            ):
                continue
            if isinstance(small, cst.Expr) and isinstance(
                small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
            ):
                continue
            return False
    return True


def _awaits_in_nested_headers(body: cst.BaseSuite) -> bool:
    """An `await` in the default values or decorators of a function, lambda or class
    defined in `body`: those run in the enclosing function."""
    for node in walk(body, into_scopes=False):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)) and has_checkpoint(node.params):
            return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and any(
            has_checkpoint(d) for d in node.decorators
        ):
            return True
    return False


class AsyncWithoutAwait(Rule):
    """
    ## What it does
    Finds a module-level or nested `async def` that never awaits: no `await`, no
    `async for` or `async with` (comprehensions included) in its own body. Left alone:
    methods (they may implement or override an async interface), decorated functions
    (framework handlers such as `@app.get(...)`, `@abstractmethod`, `@overload`, pytest
    fixtures), async generators, stubs (only `pass`, `...`, a docstring or `raise`),
    functions that need a running loop (`asyncio.get_running_loop()`,
    `asyncio.create_task()`...), and functions whose name is used anywhere other than
    in `await name(...)`: passed as a callback, registered, or called to make a
    coroutine for `asyncio.run`, `gather` or a task.

    ## Why is this bad?
    Calling it makes a coroutine object and awaiting it goes through the event loop for
    nothing: the function never suspends. A plain `def` is cheaper and says what it
    does; its callers drop their `await`.

    ## Example
        import asyncio

        async def add(a, b):
            return a + b

        async def main():
            await asyncio.sleep(1)
            return await add(1, 2)

    ## Use instead
        import asyncio

        def add(a, b):
            return a + b

        async def main():
            await asyncio.sleep(1)
            return add(1, 2)

    ## Fix safety
    No fix: every caller must drop its `await`, in this module and in others.
    """

    code = "ASL212"
    name = "async-without-await"
    message = "`async def {function}` never awaits (no `await`, `async for` or `async with`); make it a plain `def` and drop the `await` of its callers"
    fix_safety = FixSafety.NONE
    default = Default.OPT
    triggers = ("async",)
    peer = "FA ASYNC124, RF RUF029"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or node.decorators:
            return
        stack = self.ctx.stack
        if len(stack) >= 3 and isinstance(stack[-3], cst.ClassDef):
            return  # a method: it may implement or override an async interface
        body = node.body
        if _is_stub(body) or has_checkpoint(body, yields=True) or _awaits_in_nested_headers(body):
            return
        for sub in walk(body, into_scopes=False):
            if isinstance(sub, cst.Call) and self.ctx.qualified_name(sub.func) in _NEEDS_LOOP:
                return
        if self._used_otherwise(node):
            return
        self.report(node.name, function=node.name.value)

    def _used_otherwise(self, node: cst.FunctionDef) -> bool:
        module = self.ctx.module
        used = self.ctx.memo("names-used-otherwise", module, lambda: _names_used_otherwise(module))
        return node.name.value in used
