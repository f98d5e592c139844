from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._resources import CreationRule


class DbConnectionNotClosed(CreationRule):
    """
    ## What it does
    Finds a database connection or pool (`asyncpg.connect`, `asyncpg.create_pool`,
    `pool.acquire()`, `aiosqlite.connect`, `psycopg.AsyncConnection.connect`) created in an
    `async def` and not used as `async with`, not closed (or released to its pool) in a
    `finally:`, and not handed to anyone else. Returned, yielded, stored or passed on, it
    belongs to someone else and is not reported.
    A resource passed to a call by a function that also closes it is only lent: it is
    still this function's to close safely.
    In test files (the `test-files` setting) a connection that is closed, but not in a
    `finally:`, is not reported: it leaks only when the test fails anyway.

    ## Why is this bad?
    A connection that is not closed keeps a server-side session open; a pool connection
    that is not released is lost to the pool, which then runs dry and makes every later
    `acquire()` wait. A close or release at the end of the function is skipped when
    anything before it raises or the task is cancelled.

    ## Example
        import asyncpg

        async def count(pool: asyncpg.Pool):
            conn = await pool.acquire()
            total = await conn.fetchval("SELECT count(*) FROM users")
            await pool.release(conn)
            return total

    ## Use instead
        import asyncpg

        async def count(pool: asyncpg.Pool):
            async with pool.acquire() as conn:
                total = await conn.fetchval("SELECT count(*) FROM users")
            return total

    ## Fix safety
    Safe for the exact pattern "create; statements; close or `await pool.release(conn)` as
    the last use, in one block", which becomes `async with pool.acquire() as conn:` (or
    `async with asyncpg.create_pool(...) as pool:`, `async with aiosqlite.connect(...) as
    db:`, `async with await psycopg.AsyncConnection.connect(...) as conn:`) around the
    statements between. A connection from `asyncpg.connect()` is not an async context
    manager, so it is reported with advice to close it in a `finally:` and no fix.
    """

    code = "ASL302"
    name = "db-connection-not-closed"
    message = "{subject} {problem}; {advice}"
    fix_safety = FixSafety.SAFE
    triggers = ("async", ("connect", "create_pool", "acquire"))
