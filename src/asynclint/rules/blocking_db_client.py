from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingDbClient(BlockingCallRule):
    """
    ## What it does
    Finds synchronous database and service clients used on the event loop inside an
    `async def`: `sqlite3`, `psycopg2`, `psycopg` (sync), `pymysql`, `MySQLdb`,
    `mysql.connector`, sync `redis.Redis`, `pymongo`, sync SQLAlchemy engines and
    sessions, `boto3`, `elasticsearch.Elasticsearch`, `pika.BlockingConnection`, `kafka-python` and `paramiko`. Methods count only when the receiver's type is known.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    Every query or command waits for a server round trip; the loop serves nothing else
    until the answer arrives, so one slow query stalls every request.

    ## Example
        import sqlite3

        async def count(path):
            conn = sqlite3.connect(path)
            return conn.execute("select count(*) from t").fetchone()

    ## Use instead
        import aiosqlite

        async def count(path):
            async with aiosqlite.connect(path) as conn:
                cursor = await conn.execute("select count(*) from t")
                return await cursor.fetchone()

    ## Fix safety
    No fix: the async drivers (aiosqlite, asyncpg, `redis.asyncio`, ...) have different
    APIs. The message names the one to use.
    """

    code = "ASL110"
    name = "blocking-db-client"
    message = "`{name}()` is a synchronous database or service client call on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.NONE
    triggers = (
        "async",
        (
            "sqlite3",
            "psycopg",
            "mysql",
            "MySQLdb",
            "redis",
            "pymongo",
            "sqlalchemy",
            "boto3",
            "elasticsearch",
            "pika",
            "kafka",
            "paramiko",
        ),
    )
