from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import dotted_name
from asynclint.catalogs import resources as table
from asynclint.rule import FixSafety, Rule
from asynclint.rules._resources import is_protected, walk_with_path


class ManualTransaction(Rule):
    """
    ## What it does
    Finds an asyncpg transaction started by hand, `tr = conn.transaction()` then
    `await tr.start()`, when the function has no `await tr.rollback()` in an `except` or
    `finally` handler. `conn` must be known to be an asyncpg connection (from
    `asyncpg.connect()`, `pool.acquire()` or an annotation).

    ## Why is this bad?
    If anything between `start()` and `commit()` raises, or the task is cancelled, the
    transaction is neither committed nor rolled back: the connection stays inside an open
    transaction, holding its locks, and goes back to the pool that way. `async with
    conn.transaction():` commits on success and rolls back on any exception.

    ## Example
        import asyncpg

        async def transfer(conn: asyncpg.Connection, amount):
            tr = conn.transaction()
            await tr.start()
            await conn.execute("UPDATE accounts SET balance = balance - $1", amount)
            await tr.commit()

    ## Use instead
        import asyncpg

        async def transfer(conn: asyncpg.Connection, amount):
            async with conn.transaction():
                await conn.execute("UPDATE accounts SET balance = balance - $1", amount)

    ## Fix safety
    There is no fix: where the commit and the rollback go depends on the code between.
    """

    code = "ASL307"
    name = "manual-transaction"
    message = "Transaction `{name}` is started by hand and not rolled back on errors; use `async with {conn}.transaction():`"
    fix_safety = FixSafety.NONE
    triggers = ("async", "transaction", "start")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            not isinstance(func, cst.Attribute)
            or func.attr.value != "start"
            or not isinstance(func.value, cst.Name)
        ):
            return
        function = self.ctx.async_function
        if function is None or not isinstance(self.ctx.parent, cst.Await):
            return
        name = func.value.value
        found = self.ctx.lookup(name)
        if found is None or found[0] is not self.ctx.frame or len(found[1]) != 1:
            return
        value = found[1][0].value
        if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Attribute):
            return
        if value.func.attr.value != "transaction":
            return
        if self.ctx.type_of(value.func.value) not in table.TRANSACTION_OWNERS:
            return
        for call, path in walk_with_path(function.body):
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "rollback"
                and dotted_name(call.func.value) == name
                and (is_protected(path) or any(isinstance(n, cst.ExceptHandler) for n in path))
            ):
                return
        self.report(node, name=name, conn=dotted_name(value.func.value) or "conn")
