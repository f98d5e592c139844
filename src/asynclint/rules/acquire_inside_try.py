from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import dotted_name
from asynclint.catalogs import resources as table
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule


class AcquireInsideTry(Rule):
    """
    ## What it does
    Finds `await lock.acquire()` as a statement of a `try:` body inside `async def`
    whose `finally:` releases the same lock (`lock.release()` as a statement of the
    `finally:` block, not under an `if`). The lock is an asyncio, anyio or trio `Lock`,
    `Semaphore` or `Condition`, or an object of unknown type with `acquire()` and
    `release()` taking no argument; a release guarded by a flag set after the acquire
    (`if acquired: lock.release()`) is left alone.

    ## Why is this bad?
    The acquire can be cancelled while it waits. The `finally:` then releases a lock
    this task does not hold: an `asyncio.Lock` raises `RuntimeError` (hiding the
    cancellation), or, when another task holds it, frees that task's lock; a semaphore
    gains a slot it never lent, so more tasks than its limit run at once from then on.

    ## Example
        import asyncio

        lock = asyncio.Lock()

        async def update(store, key, value):
            try:
                await lock.acquire()
                await store.write(key, value)
            finally:
                lock.release()

    ## Use instead
        import asyncio

        lock = asyncio.Lock()

        async def update(store, key, value):
            async with lock:
                await store.write(key, value)

    ## Fix safety
    Safe for the exact shape, on a lock of known type (`async with` needs the lock's
    own context manager): a `try:` with no `except` or `else`, whose body starts
    with `await lock.acquire()` and has more statements, and whose `finally:` holds
    only `lock.release()`, with no comment on the lines the fix removes. It becomes
    `async with lock:` around the rest of the body, which releases exactly when the
    lock was acquired. Anything else is reported without a fix (moving the acquire
    before the `try:` is the other cure).
    """

    code = "ASL506"
    name = "acquire-inside-try"
    message = "`{lock}.acquire()` inside the `try:` whose `finally:` releases it: a cancelled acquire releases a lock this task does not hold; use `async with {lock}:`"
    fix_safety = FixSafety.SAFE
    triggers = ("async", "acquire", "release")

    def visit_Try(self, node: cst.Try) -> None:
        if self.ctx.async_function is None or node.finalbody is None:
            return
        body = node.body
        final = node.finalbody.body
        if not isinstance(body, cst.IndentedBlock) or not isinstance(final, cst.IndentedBlock):
            return
        released = {name for stmt in final.body if (name := _lock_call(stmt, "release", awaited=False))}
        for stmt in body.body:
            lock = _lock_call(stmt, "acquire", awaited=True)
            if lock is None or lock not in released:
                continue
            assert isinstance(stmt, cst.SimpleStatementLine)
            receiver = _receiver(stmt)
            kind = self.ctx.type_of(receiver)
            if kind is not None and kind not in table.LOCK_TYPES:
                continue
            # Reported on the `try:` line, whose comment the fix keeps on `async with`.
            # `async with` needs the lock's own context manager: only for known types.
            fix = self._fix(node, stmt, lock) if kind is not None else None
            self.report(node, lock=lock, fix=fix)
            return

    def _fix(self, node: cst.Try, acquire: cst.SimpleStatementLine, lock: str) -> NodeFix | None:
        if node.handlers or node.orelse is not None or node.finalbody is None:
            return None
        body, final = node.body, node.finalbody.body
        assert isinstance(body, cst.IndentedBlock) and isinstance(final, cst.IndentedBlock)
        rest = list(body.body[1:])
        if body.body[0] is not acquire or not rest or len(final.body) != 1:
            return None
        release = final.body[0]
        assert isinstance(release, cst.SimpleStatementLine)
        if (
            _has_comment(acquire)
            or _has_comment(release)
            or any(line.comment for line in node.finalbody.leading_lines)
            or final.header.comment is not None
        ):
            return None
        with_node = cst.With(
            items=[cst.WithItem(item=_receiver(acquire))],
            body=body.with_changes(body=rest),
            asynchronous=cst.Asynchronous(),
            leading_lines=node.leading_lines,
            whitespace_after_with=cst.SimpleWhitespace(" "),
            whitespace_before_colon=node.whitespace_before_colon,
        )
        return NodeFix({node: with_node}, f"Use `async with {lock}:`")


def _has_comment(stmt: cst.SimpleStatementLine) -> bool:
    return stmt.trailing_whitespace.comment is not None or any(line.comment for line in stmt.leading_lines)


def _lock_call(stmt: cst.BaseStatement, method: str, *, awaited: bool) -> str | None:
    """`lock` for the statement `await lock.acquire()` / `lock.release()`, else None."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Expr):
        return None
    value = small.value
    if awaited:
        if not isinstance(value, cst.Await):
            return None
        value = value.expression
    if not isinstance(value, cst.Call) or value.args or not isinstance(value.func, cst.Attribute):
        return None
    if value.func.attr.value != method:
        return None
    return dotted_name(value.func.value)


def _call_of(stmt: cst.SimpleStatementLine) -> cst.Call:
    small = stmt.body[0]
    assert isinstance(small, cst.Expr) and isinstance(small.value, cst.Await)
    call = small.value.expression
    assert isinstance(call, cst.Call)
    return call


def _receiver(stmt: cst.SimpleStatementLine) -> cst.BaseExpression:
    func = _call_of(stmt).func
    assert isinstance(func, cst.Attribute)
    return func.value
