from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import SCOPE_NODES, dotted_name
from asynclint.catalogs import resources as table
from asynclint.fixes import NodeFix, Replacement
from asynclint.rule import FixSafety, Rule
from asynclint.rules._resources import indented, is_protected, owner_function, walk_with_path

if TYPE_CHECKING:
    from asynclint.analysis.context import Context


class ManualAcquireRelease(Rule):
    """
    ## What it does
    Finds `await lock.acquire()` on an asyncio (or anyio/trio) `Lock`, `Semaphore` or
    `Condition` whose `lock.release()` in the same function is not in a `finally:`. A
    function that acquires and never releases (a wrapper whose caller releases, or
    `__aenter__`) hands the lock on and is not reported; neither is a release registered as
    a callback.

    ## Why is this bad?
    When anything between the acquire and the release raises, or the task is cancelled
    while awaiting, the release never runs and the lock stays held forever: every other
    task that needs it deadlocks.

    ## Example
        import asyncio

        lock = asyncio.Lock()

        async def update(store, key, value):
            await lock.acquire()
            await store.write(key, value)
            lock.release()

    ## Use instead
        import asyncio

        lock = asyncio.Lock()

        async def update(store, key, value):
            async with lock:
                await store.write(key, value)

    ## Fix safety
    Safe for the exact pair "`await lock.acquire()`; statements; `lock.release()`" in one
    block with no other release of the lock in the function: it becomes `async with lock:`
    around the statements between, which acquires and releases exactly as before and also
    releases on exceptions and cancellation. Anything else is reported without a fix.
    """

    code = "ASL303"
    name = "manual-acquire-release"
    message = "`{lock}.acquire()` is not paired with a `release()` in a `finally:`; use `async with {lock}:`"
    fix_safety = FixSafety.SAFE
    triggers = ("async", "acquire", "release")

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._pending: dict[int, list[tuple[cst.Call, str, cst.CSTNode, cst.CSTNode]]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "acquire":
            return
        function = self.ctx.async_function
        if function is None or node.args:
            return
        stack = self.ctx.stack
        if len(stack) < 5 or not isinstance(stack[-2], cst.Await) or not isinstance(stack[-3], cst.Expr):
            return
        lock = dotted_name(func.value)
        if lock is None or self.ctx.type_of(func.value) not in table.LOCK_TYPES:
            return
        self._pending.setdefault(id(function), []).append((node, lock, stack[-4], stack[-5]))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        pending = self._pending.pop(id(node), None)
        if not pending or owner_function(self.ctx, node):
            return
        for call, lock, line, block in pending:
            releases: list[cst.Call] = []
            handed_on = protected = after = False
            for found, path in walk_with_path(node.body):
                if found is call:
                    after = True
                # A release before the acquire pairs with an earlier acquire.
                if not after or not isinstance(found, cst.Attribute) or found.attr.value != "release":
                    continue
                if dotted_name(found.value) != lock:
                    continue
                parent = path[-1] if path else None
                nested = any(isinstance(n, SCOPE_NODES) for n in path)
                if nested or not (isinstance(parent, cst.Call) and parent.func is found):
                    handed_on = True  # a callback releases it
                elif is_protected(path):
                    protected = True
                else:
                    releases.append(parent)
            if handed_on or protected or not releases or _released_at_once(line, block, releases):
                continue
            self.report(call, lock=lock, fix=self._fix(lock, line, block, releases))

    def _fix(
        self, lock: str, line: cst.CSTNode, block: cst.CSTNode, releases: list[cst.Call]
    ) -> NodeFix | None:
        if len(releases) != 1 or not isinstance(block, cst.IndentedBlock):
            return None
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        statements = list(block.body)
        start = statements.index(line)
        end = -1
        for index in range(start + 1, len(statements)):
            stmt = statements[index]
            if (
                isinstance(stmt, cst.SimpleStatementLine)
                and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.Expr)
                and stmt.body[0].value is releases[0]
            ):
                end = index
                break
        if end <= start + 1:
            return None
        closing = statements[end]
        assert isinstance(closing, cst.SimpleStatementLine)
        if closing.trailing_whitespace.comment is not None or any(e.comment for e in closing.leading_lines):
            return None
        acquire = line.body[0]
        assert isinstance(acquire, cst.Expr) and isinstance(acquire.value, cst.Await)
        call = acquire.value.expression
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        with_node = cst.With(
            items=[cst.WithItem(item=call.func.value)],
            body=indented(statements[start + 1 : end], line),
            asynchronous=cst.Asynchronous(),
            leading_lines=line.leading_lines,
        )
        replacements: dict[cst.CSTNode, Replacement] = {line: with_node}
        for stmt in statements[start + 1 : end + 1]:
            replacements[stmt] = cst.RemoveFromParent()
        return NodeFix(replacements, f"Use `async with {lock}:`")


def _released_at_once(line: cst.CSTNode, block: cst.CSTNode, releases: list[cst.Call]) -> bool:
    """The statement right after the acquire releases: nothing can fail in between."""
    if not isinstance(block, cst.IndentedBlock):
        return False
    statements = list(block.body)
    index = next((i for i, s in enumerate(statements) if s is line), -1)
    if index < 0 or index + 1 >= len(statements):
        return False
    following = statements[index + 1]
    value = following.body[0] if isinstance(following, cst.SimpleStatementLine) and following.body else None
    return isinstance(value, cst.Expr) and value.value is releases[0]
