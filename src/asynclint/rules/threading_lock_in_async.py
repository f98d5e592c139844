from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import has_await, walk
from asynclint.rule import FixSafety, Rule
from asynclint.rules._blocking import classify, classify_lock, runs_alone


class ThreadingLockInAsync(Rule):
    """
    ## What it does
    Finds a `threading` (or `multiprocessing`) lock, semaphore or condition taken on the
    event loop inside an `async def`: `with lock:` or a blocking `lock.acquire()`, where
    the lock is a local binding, an annotated name or parameter, or a `self.x =
    threading.Lock()` of the class, when the `with` block waits: it holds the lock
    across an `await` or around a blocking call (one that ASL100 to ASL114 report). A
    `with lock:` whose block only updates memory is not reported: held for microseconds,
    such a lock is mostly shared with real threads (timer callbacks, sync waiters) and
    must stay a thread lock. The message says when the lock is held across an `await`.
    `lock.acquire()` right after `lock = threading.Lock()` (the statement before) is not
    reported: no one else has the new lock yet, so taking it cannot wait.
    {{runs-alone}}

    ## Why is this bad?
    Acquiring a thread lock blocks the whole loop while another thread holds it. Held
    across an `await`, it is worse: another task on the same loop that reaches the same
    `with` blocks the loop thread forever, a deadlock (with an `RLock` the same thread
    simply re-enters, so the lock excludes nothing at all).

    ## Example
        import threading

        lock = threading.Lock()

        async def update(cache, fetch):
            with lock:
                cache.update(await fetch())

    ## Use instead
        import asyncio

        lock = asyncio.Lock()

        async def update(cache, fetch):
            async with lock:
                cache.update(await fetch())

    ## Fix safety
    No fix: the lock may also be shared with real threads, where an `asyncio.Lock` does
    not work. Use `asyncio.Lock` when only tasks share it; keep the thread lock, held
    briefly and never across an `await`, when threads do.
    """

    code = "ASL115"
    name = "threading-lock-in-async"
    message = "thread lock `{name}` ({kind}) is {how} on the event loop in `async def {function}`{detail}; use `asyncio.Lock` with `async with` if only tasks share it"
    fix_safety = FixSafety.NONE
    triggers = ("async", ("threading", "multiprocessing"))

    def visit_With(self, node: cst.With) -> None:
        function = self.ctx.async_function
        if function is None or node.asynchronous is not None or runs_alone(self.ctx, function):
            return
        for item in node.items:
            kind = classify_lock(self.ctx, item.item)
            if kind is None:
                continue
            if has_await(node.body):
                detail = " and held across `await`: another task taking it deadlocks the loop"
            else:
                blocking = self._blocking_inside(node.body)
                if blocking is None:
                    continue  # in-memory updates: a thread lock shared with threads, held briefly
                detail = f" around blocking `{blocking}()`"
            self.report(
                item.item,
                name=self.ctx.code_for(item.item),
                kind=kind,
                how="held by `with`",
                function=function.name.value,
                detail=detail,
            )

    def _blocking_inside(self, body: cst.BaseSuite) -> str | None:
        """The first blocking call (by the catalog) in `body`, outside nested scopes."""
        for found in walk(body, into_scopes=False):
            if isinstance(found, cst.Call):
                hit = classify(self.ctx, found)
                if hit is not None:
                    return hit.shown(found)
        return None

    def _made_just_before(self, receiver: cst.BaseExpression) -> bool:
        """`lock = threading.Lock()` on the statement before `lock.acquire()`: a lock no one
        else has seen yet is free, and taking it cannot wait."""
        previous = _previous_statement(self.ctx.stack)
        if not isinstance(previous, cst.SimpleStatementLine) or len(previous.body) != 1:
            return False
        assign = previous.body[0]
        if not isinstance(assign, cst.Assign) or not isinstance(assign.value, cst.Call):
            return False
        return (
            any(self.ctx.code_for(t.target) == self.ctx.code_for(receiver) for t in assign.targets)
            and classify_lock(self.ctx, receiver) is not None
        )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "acquire":
            return
        function = self.ctx.async_function
        if function is None:
            return
        kind = classify_lock(self.ctx, func.value)
        if kind is None or _non_blocking(node) or self._made_just_before(func.value):
            return
        if runs_alone(self.ctx, function):
            return
        self.report(
            node,
            name=self.ctx.code_for(func.value),
            kind=kind,
            how="acquired",
            function=function.name.value,
            detail="",
        )


def _previous_statement(stack: list[cst.CSTNode]) -> cst.BaseStatement | None:
    """The statement before the one holding the node on top of `stack`, in its block."""
    for index in range(len(stack) - 2, 0, -1):
        statement, block = stack[index], stack[index - 1]
        if isinstance(statement, cst.BaseStatement) and isinstance(block, (cst.IndentedBlock, cst.Module)):
            body = list(block.body)
            position = next((i for i, s in enumerate(body) if s is statement), 0)
            return body[position - 1] if position > 0 else None
    return None


def _non_blocking(call: cst.Call) -> bool:
    for arg in call.args:
        value = arg.value
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword in (None, "blocking") and isinstance(value, cst.Name) and value.value == "False":
            return True
        if keyword == "timeout" and isinstance(value, (cst.Integer, cst.Float)) and float(value.value) == 0:
            return True
    return False
