"""Data for the concurrency family (ASL2xx): which awaits must keep their order, which
objects may serve concurrent calls, what creates a task, which library calls return a
coroutine. Logic lives in `asynclint.rules._concurrency` and the rules.
"""

from __future__ import annotations

from asynclint.catalogs.resources import LOCK_TYPES as ASYNC_LOCK_TYPES

#: Method or function names (the last part of the callee) whose order matters: I/O on one
#: stream or connection, transaction control, lifecycle and synchronisation.
ORDERED_NAMES: frozenset[str] = frozenset(
    {
        "write",
        "writelines",
        "drain",
        "flush",
        "commit",
        "rollback",
        "savepoint",
        "close",
        "aclose",
        "wait_closed",
        "acquire",
        "release",
        "wait",
        "wait_for",
        "next",
        "anext",
        "put",
        "put_nowait",
        "join",
        "connect",
        "disconnect",
        "reconnect",
        "login",
        "logout",
        "authenticate",
        "start",
        "stop",
        "shutdown",
        "cancel",
        "sleep",
        "gather",
        "shield",
        "open",
        "setup",
        "teardown",
        "initialize",
        "init",
        "prepare",
        "finalize",
        "cleanup",
        "reset",
        "clear",
        "lock",
        "unlock",
        "subscribe",
        "unsubscribe",
        "publish",
        "emit",
        "dispatch",
        "notify",
        "ack",
        "nack",
        "handshake",
        "serve",
        "run",
        "migrate",
        "create_all",
        "drop_all",
        "begin",
        "transaction",
        "call",
        "invoke",
        "trigger",
        "fire",
        "assert",
        "expect",
        "verify",
    }
)

#: Loop items whose methods are callbacks run in registration order (handlers, hooks,
#: middlewares, listeners): awaiting them one by one is the contract, not a slowdown.
CALLBACK_ITEM_RE = (
    r"(?i)(^|_)(handler|callback|hook|listener|middleware|observer|subscriber|cb|func|fn|"
    r"coro|plugin|step|job|signal|waiter|receiver|filter|validator|processor|interceptor)s?$"
)

#: Names in the iterable of a loop (`self._handlers`, `pm.hook.startup(...)`,
#: `self.subscriptions`) or of its item that say the items are callbacks, hooks or
#: plugins run in registration order: the order is the contract.
CALLBACK_COLLECTION_RE = (
    r"(?i)(^|_)(handlers?|callbacks?|hooks?|listeners?|middlewares?|observers?|subscribers?|"
    r"subscriptions?|plugins?|interceptors?|receivers?|signals?)$"
)

#: A comment on or just above a run of awaits or a loop that says the code is serial on
#: purpose ("in the order they occurred", "one at a time", "no gather: rate limit").
SERIAL_COMMENT_RE = (
    r"(?i)\b(serial(ly|i[sz]ed?|i[sz]es?|i[sz]ing)?|sequential(ly)?|in\s+(the\s+)?(same\s+|right\s+|correct\s+)?"
    r"order(?!\s+to\b)|orders?\s+(matters?|is\s+important)|(keep|keeps|preserve|preserves|maintain|maintains)\s+"
    r"(the\s+)?order|one\s+(at\s+a\s+time|by\s+one|after\s+(the\s+)?(other|another))|in\s+turn|"
    r"(no|not|don'?t|do\s+not|never|avoid|without)\s+(use\s+|using\s+)?(asyncio\.)?gather|"
    r"not\s+(run\s+)?(in\s+parallel|concurrently)|rate[-\s]?limit(s|ed|ing)?|throttl(e|ed|es|ing))\b"
)

#: Name prefixes (of the callee's last part) of calls that only start background work and
#: return at once (`start_worker`, `schedule_refresh`, `spawn_job`, `submit`): nothing to
#: overlap, and never a fetch.
BACKGROUND_PREFIXES: tuple[str, ...] = (
    "start",
    "schedule",
    "spawn",
    "launch",
    "submit",
    "enqueue",
    "defer",
    "kick_off",
    "fire_and_forget",
    "create_task",
    "ensure_future",
    "run_in_background",
)

#: Words of a callee's name that say the same (`refresh_in_background`, `put_nowait`).
BACKGROUND_WORDS: frozenset[str] = frozenset({"background", "nowait", "detached"})

#: Keyword arguments that, set to `False`, make a call return before the work is done
#: (`await client.run_deployment(..., wait=False)`).
NO_WAIT_KEYWORDS: frozenset[str] = frozenset({"wait", "wait_for_completion", "block", "blocking"})

#: Modules and names whose calls ask a person at a terminal (ASL2xx leave a module that
#: prompts alone: interactive set-up code runs a handful of calls while a person waits).
PROMPT_MODULES: tuple[str, ...] = (
    "rich.prompt",
    "questionary",
    "InquirerPy",
    "inquirer",
    "prompt_toolkit",
    "beaupy",
)
#: Names imported from `click`, `typer` or a project's own `cli` package that prompt.
PROMPT_NAMES_RE = r"(?i)^_?(prompt|confirm|ask)(_\w*)?$"
#: Libraries whose prompt functions are called as attributes (`click.prompt(...)`).
PROMPT_LIBRARIES: frozenset[str] = frozenset({"click", "typer"})

#: Name prefixes with the same meaning: `send_json`, `recv_bytes`, `read_until`,
#: `execute_many`, `write_eof`...
ORDERED_PREFIXES: tuple[str, ...] = (
    "send",
    "recv",
    "receive",
    "read",
    "write",
    "execute",
    "exec",
    "flush",
    "close",
    "drain",
    "commit",
    "rollback",
    "start",
    "stop",
    "restart",
    "shutdown",
    "connect",
    "disconnect",
    "wait",
    "sleep",
    "acquire",
    "release",
    "subscribe",
    "unsubscribe",
    "publish",
    "emit",
    "dispatch",
    "reply",
    "respond",
    "answer",
    "push",
    "pop",
    "enqueue",
    "dequeue",
    "init",
    "setup",
    "set_up",
    "tear",
    "migrate",
    "apply",
    "run",
    "spawn",
    "launch",
    "kill",
    "terminate",
    "register",
    "unregister",
    "attach",
    "detach",
    "bind",
    "unbind",
    "listen",
    "accept",
    "handle",
    "process",
    "consume",
    "produce",
    "lock",
    "unlock",
    "step",
    "tick",
    "advance",
    "seek",
    "move",
    "rename",
)

#: Method-name prefixes of calls that only read (HTTP GET, cache and database lookups):
#: two reads of one key through a pooled client do not depend on each other.
READ_PREFIXES: tuple[str, ...] = (
    "get",
    "read_",
    "hget",
    "mget",
    "hmget",
    "fetch",
    "find",
    "count",
    "list",
    "load",
    "lookup",
    "search",
    "query",
    "exists",
    "head",
    "options",
    "describe",
    "retrieve",
    "download",
    "smembers",
    "sismember",
    "scard",
    "lrange",
    "llen",
    "zrange",
    "zscore",
    "zcard",
    "zrank",
    "ttl",
    "pttl",
    "hkeys",
    "hvals",
    "hlen",
    "strlen",
    "bitcount",
)

#: Prefixes that `ORDERED_PREFIXES` holds but that, on a pooled client (an API wrapper
#: configured in `pool-backed-types`), name a read of the service: `client.read_flow(id)`.
POOLED_READ_PREFIXES: tuple[str, ...] = ("read_",)

#: Words in a callee's name that describe work done in this process (translating,
#: converting, rendering a payload): such coroutines rarely wait on I/O, so running them
#: concurrently gains nothing.
LOCAL_WORK_WORDS: frozenset[str] = frozenset(
    {
        "translate",
        "translated",
        "translation",
        "localize",
        "localized",
        "convert",
        "converter",
        "parse",
        "serialize",
        "deserialize",
        "render",
        "format",
        "payload",
        "encode",
        "decode",
        "validate",
        "transform",
        "compute",
        "calculate",
        "dict",
    }
)

#: Qualified callees that are ordered whatever their name says.
ORDERED_CALLS: frozenset[str] = frozenset(
    {
        "asyncio.sleep",
        "anyio.sleep",
        "trio.sleep",
        "asyncio.wait",
        "asyncio.gather",
        "asyncio.wait_for",
        "asyncio.shield",
        "asyncio.timeout",
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "trio.to_thread.run_sync",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.open_connection",
        "asyncio.start_server",
        "asyncio.sleep_forever",
        "anyio.sleep_forever",
        "trio.sleep_forever",
    }
)

#: Types whose methods may run concurrently: each call takes its own connection from a
#: pool, or the client multiplexes requests.
POOL_BACKED_TYPES: frozenset[str] = frozenset(
    {
        "aiohttp.ClientSession",
        "httpx.AsyncClient",
        "asyncpg.Pool",
        "redis.asyncio.Redis",
        "redis.asyncio.RedisCluster",
        "motor.motor_asyncio.AsyncIOMotorClient",
        "motor.motor_asyncio.AsyncIOMotorDatabase",
        "motor.motor_asyncio.AsyncIOMotorCollection",
        "pymongo.AsyncMongoClient",
        "aiobotocore.client.AioBaseClient",
    }
)

#: Types whose objects serve one operation at a time (a connection, a session, a stream):
#: two awaits that touch one of them are dependent even as a plain argument.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "asyncpg.Connection",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.AsyncConnection",
        "psycopg.AsyncConnection",
        "psycopg.AsyncCursor",
        "aiosqlite.Connection",
        "aiosqlite.Cursor",
        "websockets.WebSocketClientProtocol",
        "websockets.WebSocketServerProtocol",
        "websockets.ClientConnection",
        "websockets.ServerConnection",
        "websockets.asyncio.client.ClientConnection",
        "websockets.asyncio.server.ServerConnection",
        "asyncio.StreamReader",
        "asyncio.StreamWriter",
        "aiohttp.ClientWebSocketResponse",
        "aiohttp.web.WebSocketResponse",
        "starlette.websockets.WebSocket",
        "fastapi.WebSocket",
        "asyncio.subprocess.Process",
        "aiofiles.threadpool.AsyncFile",
        "anyio.AsyncFile",
        "asyncio.Queue",
    }
)

#: Context managers that serialise what runs inside them: the async locks, capacity
#: limiters and thread locks.
LOCK_TYPES: frozenset[str] = ASYNC_LOCK_TYPES | {
    "anyio.CapacityLimiter",
    "trio.CapacityLimiter",
    "threading.Lock",
    "threading.RLock",
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "threading.Condition",
}

#: Method names of a context manager call that open a transaction or hold a connection.
TRANSACTION_METHODS: frozenset[str] = frozenset(
    {"transaction", "begin", "begin_nested", "atomic", "acquire", "connect", "cursor", "pipeline", "lock"}
)

#: Calls that create a task the event loop only keeps a weak reference to.
TASK_CREATORS: frozenset[str] = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.AbstractEventLoop.create_task",
    }
)

#: Library callables that return a coroutine, which does nothing until awaited (ASL205,
#: ASL603, ASL604): qualified names, and `Type.method` for methods of a receiver of known type.
LIBRARY_COROUTINES: frozenset[str] = frozenset(
    {
        "asyncio.sleep",
        "asyncio.start_unix_server",
        "asyncio.Condition.wait_for",
        "asyncio.AbstractEventLoop.create_connection",
        "asyncio.AbstractEventLoop.shutdown_default_executor",
        "asyncio.wait_for",
        "asyncio.wait",
        "asyncio.to_thread",
        "asyncio.open_connection",
        "asyncio.open_unix_connection",
        "asyncio.start_server",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.StreamWriter.drain",
        "asyncio.StreamWriter.wait_closed",
        "asyncio.StreamReader.read",
        "asyncio.StreamReader.readline",
        "asyncio.StreamReader.readexactly",
        "asyncio.StreamReader.readuntil",
        "asyncio.Queue.put",
        "asyncio.Queue.get",
        "asyncio.Queue.join",
        "asyncio.Event.wait",
        "asyncio.Lock.acquire",
        "asyncio.Semaphore.acquire",
        "asyncio.BoundedSemaphore.acquire",
        "asyncio.Condition.wait",
        "asyncio.Condition.acquire",
        "asyncio.subprocess.Process.wait",
        "asyncio.subprocess.Process.communicate",
        "asyncio.AbstractEventLoop.sock_connect",
        "asyncio.AbstractEventLoop.sock_recv",
        "asyncio.AbstractEventLoop.sock_sendall",
        "asyncio.AbstractEventLoop.getaddrinfo",
        "asyncio.AbstractEventLoop.shutdown_asyncgens",
        "aiohttp.ClientSession.close",
        "aiohttp.ClientResponse.text",
        "aiohttp.ClientResponse.json",
        "aiohttp.ClientResponse.read",
        "httpx.AsyncClient.aclose",
        "httpx.AsyncClient.get",
        "httpx.AsyncClient.post",
        "httpx.AsyncClient.put",
        "httpx.AsyncClient.patch",
        "httpx.AsyncClient.delete",
        "httpx.AsyncClient.head",
        "httpx.AsyncClient.options",
        "httpx.AsyncClient.request",
        "httpx.AsyncClient.send",
        "asyncpg.connect",
        "asyncpg.create_pool",
        "asyncpg.Connection.close",
        "asyncpg.Connection.execute",
        "asyncpg.Connection.fetch",
        "asyncpg.Connection.fetchrow",
        "asyncpg.Connection.fetchval",
        "asyncpg.Pool.close",
        "aiosqlite.Connection.close",
        "aiosqlite.Connection.commit",
        "aiosqlite.Connection.execute",
        "anyio.sleep",
        "anyio.wait_all_tasks_blocked",
        "trio.sleep",
        "redis.asyncio.Redis.close",
        "redis.asyncio.Redis.aclose",
        # `async def ensure_async(obj)`: awaits `obj` if it is awaitable (Jupyter's
        # servers and clients wrap every call of a maybe-async manager in it).
        "jupyter_core.utils.ensure_async",
    }
)

#: Decorators that leave an `async def` a coroutine function.
TRANSPARENT_DECORATORS: frozenset[str] = frozenset(
    {
        "staticmethod",
        "classmethod",
        "abstractmethod",
        "abc.abstractmethod",
        "override",
        "typing.override",
        "typing_extensions.override",
        "overload",
        "typing.overload",
    }
)

#: Calls whose arguments make a busy-wait condition look at in-process state only.
PURE_BUILTINS: frozenset[str] = frozenset(
    {
        "builtins.len",
        "builtins.bool",
        "builtins.any",
        "builtins.all",
        "builtins.isinstance",
        "builtins.min",
        "builtins.max",
        "builtins.sum",
        "builtins.getattr",
        "builtins.hasattr",
    }
)

#: Methods on known in-process types that a busy-wait may poll instead of waiting.
IN_PROCESS_STATE: frozenset[str] = frozenset(
    {
        "asyncio.Event.is_set",
        "asyncio.Task.done",
        "asyncio.Task.cancelled",
        "asyncio.Future.done",
        "asyncio.Future.cancelled",
        "asyncio.Lock.locked",
        "asyncio.Queue.empty",
        "asyncio.Queue.full",
        "asyncio.Queue.qsize",
        "asyncio.Semaphore.locked",
        "threading.Event.is_set",
    }
)

#: The asyncio sleeps that make a loop a poll or a rate limit.
SLEEPS: frozenset[str] = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep", "anyio.sleep_until"})

#: Functions of other libraries to gather with, for the messages.
GATHER = {"asyncio": "asyncio.gather", "anyio": "an anyio task group", "trio": "a trio nursery"}
