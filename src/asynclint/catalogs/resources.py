"""The resource table (ASL3xx): what creates a resource that must be closed, how it is
closed, and how it is written as a context manager. Data only; the logic that reads it is
`asynclint.rules._resources`.

`Resource` fields:
- `creator`: qualified name of the call that creates it (`Type.method` for a method on a
  receiver of known type, as `Context.call_name` spells it);
- `code`: the rule that reports it;
- `label`: how messages name it;
- `awaited`: the creating call is awaited (`await asyncpg.connect(...)`);
- `closers`: methods of the resource that close it (for a pool connection, the pool's
  `release(conn)` is handled by `release_on_receiver`);
- `context`: how `async with`/`with` is written for the safe fix: "call" enters the call
  itself (`async with aiohttp.ClientSession() as s`), "await" enters the awaited call
  (`async with await anyio.open_file(p) as f`), "" when the resource is no context
  manager (no fix);
- `sync_context`: the context manager is a plain `with` (a sync client);
- `release_on_receiver`: closed by `receiver.<name>(resource)` (`await pool.release(conn)`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Resource:
    creator: str
    code: str
    label: str
    awaited: bool
    closers: tuple[str, ...]
    context: str = "call"
    sync_context: bool = False
    release_on_receiver: str = ""


CLIENT = "ASL300"
DATABASE = "ASL302"
FILE = "ASL304"
STREAM = "ASL305"
PROCESS = "ASL308"

RESOURCES: tuple[Resource, ...] = (
    Resource("aiohttp.ClientSession", CLIENT, "aiohttp.ClientSession", False, ("close",)),
    Resource("aiohttp.TCPConnector", CLIENT, "aiohttp.TCPConnector", False, ("close",)),
    Resource("aiohttp.UnixConnector", CLIENT, "aiohttp.UnixConnector", False, ("close",)),
    Resource("httpx.AsyncClient", CLIENT, "httpx.AsyncClient", False, ("aclose",)),
    Resource("httpx.Client", CLIENT, "httpx.Client", False, ("close",), sync_context=True),
    Resource("redis.asyncio.Redis", CLIENT, "redis.asyncio.Redis", False, ("aclose", "close")),
    Resource("redis.asyncio.from_url", CLIENT, "redis.asyncio.Redis", False, ("aclose", "close")),
    Resource("asyncpg.connect", DATABASE, "asyncpg connection", True, ("close", "terminate"), context=""),
    Resource("asyncpg.create_pool", DATABASE, "asyncpg pool", True, ("close", "terminate")),
    Resource(
        "asyncpg.Pool.acquire",
        DATABASE,
        "pool connection",
        True,
        (),
        release_on_receiver="release",
    ),
    Resource("aiosqlite.connect", DATABASE, "aiosqlite connection", True, ("close", "stop")),
    Resource(
        "psycopg.AsyncConnection.connect",
        DATABASE,
        "psycopg.AsyncConnection",
        True,
        ("close",),
        context="await",
    ),
    Resource("aiofiles.open", FILE, "aiofiles file", True, ("close",)),
    Resource("anyio.open_file", FILE, "anyio file", True, ("aclose",), context="await"),
    Resource("asyncio.open_connection", STREAM, "StreamWriter", True, ("close",), context=""),
    Resource("asyncio.open_unix_connection", STREAM, "StreamWriter", True, ("close",), context=""),
    Resource(
        "asyncio.create_subprocess_exec", PROCESS, "subprocess", True, ("wait", "communicate"), context=""
    ),
    Resource(
        "asyncio.create_subprocess_shell", PROCESS, "subprocess", True, ("wait", "communicate"), context=""
    ),
)

#: Keywords that give a client a pool or connector owned by the caller: closing the
#: client would not close it, so an unclosed client leaks nothing.
BORROWING_KEYWORDS = frozenset({"connection_pool"})
#: Keywords that, set to `False`, say the client does not own what it was given.
NOT_OWNER_KEYWORDS = frozenset({"connector_owner"})

#: How user types from `extend-resource-types` are closed (they are reported as ASL300
#: without a fix, since whether they are context managers is unknown).
USER_CLOSERS = ("close", "aclose")

#: Async locks: `await lock.acquire()` ... `lock.release()` (ASL303).
LOCK_TYPES = frozenset(
    {
        "asyncio.Lock",
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
        "asyncio.Condition",
        "anyio.Lock",
        "anyio.Semaphore",
        "anyio.Condition",
        "trio.Lock",
        "trio.StrictFIFOLock",
        "trio.Semaphore",
        "trio.Condition",
    }
)

#: Response-returning awaited calls (ASL301) and what counts as releasing the response.
#: aiohttp releases the connection once the whole body is read.
RESPONSE_CALLS: dict[str, str] = {
    "aiohttp.ClientSession.get": "aiohttp",
    "aiohttp.ClientSession.post": "aiohttp",
    "aiohttp.ClientSession.put": "aiohttp",
    "aiohttp.ClientSession.patch": "aiohttp",
    "aiohttp.ClientSession.delete": "aiohttp",
    "aiohttp.ClientSession.head": "aiohttp",
    "aiohttp.ClientSession.options": "aiohttp",
    "aiohttp.ClientSession.request": "aiohttp",
    "httpx.AsyncClient.send": "httpx",
}
RESPONSE_RELEASERS: dict[str, frozenset[str]] = {
    "aiohttp": frozenset({"read", "text", "json", "release", "close", "wait_for_close"}),
    "httpx": frozenset({"aread", "aclose", "aiter_bytes", "aiter_text", "aiter_lines", "aiter_raw"}),
}

#: asyncpg transactions (ASL307): the connection types whose `transaction()` is entered by
#: hand with `start()` / `commit()` / `rollback()`.
TRANSACTION_OWNERS = frozenset({"asyncpg.Connection", "asyncpg.pool.PoolConnectionProxy"})

#: Clients that pool connections and should live longer than one request (ASL310).
SESSION_TYPES = frozenset(
    {
        "aiohttp.ClientSession",
        "httpx.AsyncClient",
        "httpx.Client",
    }
)

#: Decorator attribute names that register a request handler (ASL310):
#: `@app.get("/")`, `@router.post(...)`, `@routes.get(...)`, `@bp.route(...)`.
HANDLER_DECORATORS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket"}
)

#: Decorators after which a function hands its resource to the caller: the resource's
#: lifetime is the `with` block or the fixture's, closed after the `yield`.
OWNER_DECORATORS = frozenset(
    {
        "contextlib.asynccontextmanager",
        "contextlib.contextmanager",
        "pytest.fixture",
        "pytest_asyncio.fixture",
    }
)

#: Methods that create a resource on behalf of their object.
OWNER_METHODS = frozenset({"__aenter__", "__enter__", "asyncSetUp", "setUp", "__init__"})
