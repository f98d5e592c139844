from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import is_none, keyword_arg, last_name, positional_args, walk
from asynclint.catalogs.calls import WAIT_CALLS
from asynclint.rule import FixSafety, Rule

_ALL_COMPLETED = frozenset({"asyncio.ALL_COMPLETED", "concurrent.futures.ALL_COMPLETED"})


class WaitPendingNotCancelled(Rule):
    """
    ## What it does
    Finds `done, pending = await asyncio.wait(tasks, timeout=...)` (or with
    `return_when=FIRST_COMPLETED` / `FIRST_EXCEPTION`) inside `async def` where the pending
    tasks are dropped: `pending` is `_` or never read again, or the whole result is
    discarded, and nothing in the function cancels a task. Tasks passed in by the caller
    (a parameter) or kept on an object (`self._tasks`) are the owner's business, and a
    bare future (`loop.create_future()`) left pending runs nothing: neither is reported.

    ## Why is this bad?
    `asyncio.wait` returns when the timeout expires or the first task finishes, but it
    does not cancel the tasks still running. Dropped, they keep running in the background:
    they hold connections, fail with "Task exception was never retrieved", and may be
    garbage-collected half-way.

    ## Example
        import asyncio

        async def first(fetchers):
            tasks = [asyncio.create_task(f()) for f in fetchers]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            return done.pop().result()

    ## Use instead
        import asyncio

        async def first(fetchers):
            tasks = [asyncio.create_task(f()) for f in fetchers]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            return done.pop().result()

    ## Fix safety
    No fix: whether to cancel the pending tasks, await them, or hand them on is a decision
    about the program.
    """

    code = "ASL403"
    name = "wait-pending-not-cancelled"
    message = "Tasks still pending after `asyncio.wait()` {how} keep running; cancel them (`for t in {pending}: t.cancel()`) or await them"
    fix_safety = FixSafety.NONE
    triggers = ("async", "wait")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if last != "wait":
            return
        function = self.ctx.async_function
        if function is None or self.ctx.qualified_name(func) not in WAIT_CALLS:
            return
        if not self._returns_early(node):
            return
        stack = self.ctx.stack
        if len(stack) < 3 or not isinstance(stack[-2], cst.Await):
            return
        holder = stack[-3]
        pending_name = "pending"
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
            target = holder.targets[0].target
            if not isinstance(target, (cst.Tuple, cst.List)) or len(target.elements) != 2:
                return
            pending = target.elements[1].value
            if not isinstance(pending, cst.Name):
                return
            if pending.value != "_" and _is_read(function, pending.value):
                return
            if pending.value != "_":
                pending_name = pending.value
        elif not isinstance(holder, cst.Expr):
            return
        if not self._tasks_are_local(node) or _cancels_something(function):
            return
        how = "with a timeout" if keyword_arg(node, "timeout") is not None else "with `return_when`"
        self.report(node, how=how, pending=pending_name)

    def _returns_early(self, node: cst.Call) -> bool:
        timeout = keyword_arg(node, "timeout")
        if timeout is not None and not is_none(timeout.value):
            return True
        when = keyword_arg(node, "return_when")
        if when is None:
            return False
        value = when.value
        if isinstance(value, cst.SimpleString):
            return value.evaluated_value != "ALL_COMPLETED"
        return self.ctx.qualified_name(value) not in _ALL_COMPLETED

    def _tasks_are_local(self, node: cst.Call) -> bool:
        """The awaitables were made here: a literal, a comprehension, or a local name that
        is not a parameter (tasks the caller passed in or kept on an object are theirs)."""
        args = positional_args(node)
        if not args:
            return False
        tasks = args[0].value
        if isinstance(tasks, (cst.List, cst.Set, cst.Tuple)):
            return all(self._local_task(e.value) for e in tasks.elements)
        if isinstance(tasks, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self._local_task(tasks.elt)
        return self._local_name(tasks)

    def _local_task(self, element: cst.BaseExpression) -> bool:
        """A task started here: a call (not a bare future from `create_future()`), or a
        local name bound to one. Futures and tasks kept on objects belong to them."""
        if isinstance(element, cst.Call):
            func = element.func
            last = last_name(func)
            return last not in ("create_future", "Future")
        if isinstance(element, cst.Name) and self._local_name(element):
            found = self.ctx.lookup(element.value)
            assert found is not None
            return all(isinstance(b.value, cst.Call) and self._local_task(b.value) for b in found[1])
        return False

    def _local_name(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Name):
            return False
        found = self.ctx.lookup(expr.value)
        if found is None or found[0] is not self.ctx.frame.function_frame():
            return False
        return all(b.kind != "param" for b in found[1])


def _is_read(function: cst.FunctionDef, name: str) -> bool:
    """Whether `name` is read anywhere in the function (not only assigned)."""
    stores: set[int] = set()
    for sub in walk(function.body):
        targets: list[cst.BaseExpression] = []
        if isinstance(sub, cst.Assign):
            targets = [t.target for t in sub.targets]
        elif isinstance(sub, (cst.AnnAssign, cst.For, cst.CompFor)):
            targets = [sub.target]
        for target in targets:
            for part in walk(target):
                if isinstance(part, cst.Name):
                    stores.add(id(part))
        if isinstance(sub, cst.Name) and sub.value == name and id(sub) not in stores:
            return True
    return False


def _cancels_something(function: cst.FunctionDef) -> bool:
    for sub in walk(function.body):
        if (
            isinstance(sub, cst.Call)
            and isinstance(sub.func, cst.Attribute)
            and sub.func.attr.value == "cancel"
        ):
            return True
    return False
