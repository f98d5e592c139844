"""Timeouts: which calls can wait forever by default, which keyword bounds each one, which
library defaults already bound a call, and which context managers are timeout scopes.
Data only; the logic lives in `asynclint.rules._timeouts` and the ASL4xx rules.

Facts checked against the libraries' sources: aiohttp's `DEFAULT_TIMEOUT =
ClientTimeout(total=300, sock_connect=30)` (and `ClientSession(timeout=None)` falls back to
it, while a request's `timeout=None` becomes `ClientTimeout(total=None)`); httpx's
`Timeout(5.0)` default; websockets' `open_timeout=10`; botocore's 60 s connect and read
timeouts; asyncpg's `timeout=60` on connect with `command_timeout=None` and
`Pool.acquire(timeout=None)`; redis-py's `socket_timeout=None`; no connect timeout at all on
asyncio's `open_connection` / `create_connection` / `sock_connect`.
"""

from __future__ import annotations

#: Awaited calls that can wait forever by default (ASL401, always reported): qualified name
#: -> the keyword that bounds one call ("" when only an enclosing timeout scope can).
#: The event loop's own `create_connection`, `create_unix_connection` and `sock_connect`
#: are not listed: on the pinned corpus every use was inside a library whose public entry
#: point bounds the connect (asyncpg's `connect(timeout=60)`, anyio's cancel scopes) or on
#: a UDP socket, which never waits. Add them with `extend-unbounded-calls`.
#: Acquiring from a connection pool (asyncpg's `Pool.acquire`) is not listed either: it
#: waits only until another query of the same pool gives its connection back, so what can
#: wait forever is that query (a pool or connection built without `command_timeout`, which
#: `timeout-reads` reports), not the acquire. Add it with
#: `extend-unbounded-calls = {"asyncpg.Pool.acquire" = "timeout"}`.
UNBOUNDED_CONNECTS: dict[str, str] = {
    "asyncio.open_connection": "",
    "asyncio.open_unix_connection": "",
}

#: Keywords that hand an unbounded call an already connected socket, so it does not
#: connect at all (`loop.create_connection(factory, sock=sock)` only wraps it).
CONNECTED_SOCKET_KEYWORDS: dict[str, str] = {
    "asyncio.open_connection": "sock",
    "asyncio.open_unix_connection": "sock",
    "asyncio.AbstractEventLoop.create_connection": "sock",
    "asyncio.AbstractEventLoop.create_unix_connection": "sock",
}

#: Awaited reads and queries that can wait forever (ASL401 with `timeout-reads = true`).
#: Stream reads count only on the client side: a reader unpacked from `open_connection` in
#: the same function (a server's reader waits for its peer by design).
UNBOUNDED_READS: dict[str, str] = {
    "asyncio.StreamReader.read": "",
    "asyncio.StreamReader.readline": "",
    "asyncio.StreamReader.readexactly": "",
    "asyncio.StreamReader.readuntil": "",
    "asyncpg.Connection.fetch": "timeout",
    "asyncpg.Connection.fetchrow": "timeout",
    "asyncpg.Connection.fetchval": "timeout",
    "asyncpg.Connection.fetchmany": "timeout",
    "asyncpg.Connection.execute": "timeout",
    "asyncpg.Connection.executemany": "timeout",
    "asyncpg.Pool.fetch": "timeout",
    "asyncpg.Pool.fetchrow": "timeout",
    "asyncpg.Pool.fetchval": "timeout",
    "asyncpg.Pool.fetchmany": "timeout",
    "asyncpg.Pool.execute": "timeout",
    "asyncpg.Pool.executemany": "timeout",
}

#: Client constructors whose keyword bounds every later call on the client: a query on a
#: connection or pool built with `command_timeout=` is bounded.
CLIENT_WIDE_TIMEOUTS: dict[str, str] = {
    "asyncpg.connect": "command_timeout",
    "asyncpg.create_pool": "command_timeout",
    "redis.asyncio.Redis": "socket_timeout",
    "redis.asyncio.from_url": "socket_timeout",
    "redis.asyncio.Redis.from_url": "socket_timeout",
}

#: redis.asyncio clients: every awaited command of a client built in the module without
#: `socket_timeout` can wait forever (ASL401, always reported).
REDIS_CLIENT_TYPES = frozenset({"redis.asyncio.Redis"})
#: Methods of a redis client that do not wait for the server.
REDIS_LOCAL_METHODS = frozenset(
    {
        "close",
        "aclose",
        "pipeline",
        "pubsub",
        "lock",
        "client",
        "monitor",
        "get_encoder",
        "get_connection_kwargs",
        "set_response_callback",
        "load_external_module",
        "register_script",
        "initialize",
        "connection_pool",
    }
)

#: Calls whose library default already bounds them: qualified name -> (the keyword whose
#: value `None` turns the bound off, reported by ASL400; "" when there is none, the
#: default). ASL401 never reports these.
BOUNDED_BY_DEFAULT: dict[str, tuple[str, str]] = {
    "httpx.request": ("timeout", "httpx's 5 s default"),
    "httpx.stream": ("timeout", "httpx's 5 s default"),
    "httpx.get": ("timeout", "httpx's 5 s default"),
    "httpx.options": ("timeout", "httpx's 5 s default"),
    "httpx.head": ("timeout", "httpx's 5 s default"),
    "httpx.post": ("timeout", "httpx's 5 s default"),
    "httpx.put": ("timeout", "httpx's 5 s default"),
    "httpx.patch": ("timeout", "httpx's 5 s default"),
    "httpx.delete": ("timeout", "httpx's 5 s default"),
    "httpx.Client": ("timeout", "httpx's 5 s default"),
    "httpx.AsyncClient": ("timeout", "httpx's 5 s default"),
    "httpx.Client.request": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.stream": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.build_request": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.get": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.options": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.head": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.post": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.put": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.patch": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.Client.delete": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.request": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.stream": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.build_request": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.get": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.options": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.head": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.post": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.put": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.patch": ("timeout", "the client's timeout (5 s by default)"),
    "httpx.AsyncClient.delete": ("timeout", "the client's timeout (5 s by default)"),
    # A request's timeout=None becomes ClientTimeout(total=None); the session's own
    # timeout=None falls back to the 300 s default, so the constructor is not listed.
    "aiohttp.ClientSession.request": ("timeout", "the session's timeout (300 s total by default)"),
    "aiohttp.ClientSession.get": ("timeout", "the session's timeout (300 s total by default)"),
    "aiohttp.ClientSession.options": ("timeout", "the session's timeout (300 s total by default)"),
    "aiohttp.ClientSession.head": ("timeout", "the session's timeout (300 s total by default)"),
    "aiohttp.ClientSession.post": ("timeout", "the session's timeout (300 s total by default)"),
    "aiohttp.ClientSession.put": ("timeout", "the session's timeout (300 s total by default)"),
    "aiohttp.ClientSession.patch": ("timeout", "the session's timeout (300 s total by default)"),
    "aiohttp.ClientSession.delete": ("timeout", "the session's timeout (300 s total by default)"),
    "websockets.connect": ("open_timeout", "the 10 s opening-handshake timeout"),
    "websockets.asyncio.client.connect": ("open_timeout", "the 10 s opening-handshake timeout"),
    "websockets.client.connect": ("open_timeout", "the 10 s opening-handshake timeout"),
    "websockets.legacy.client.connect": ("open_timeout", "the 10 s opening-handshake timeout"),
    "asyncpg.connect": ("timeout", "the 60 s connect timeout"),
    "asyncpg.create_pool": ("timeout", "the 60 s connect timeout"),
    "aiobotocore.session.AioSession.create_client": ("", "botocore's 60 s connect and read timeouts"),
}

#: Timeout configuration objects that leave reads unbounded (ASL400): qualified name ->
#: (keywords any of which bounds reads, the positional index of each, what is disabled).
TIMEOUT_OBJECTS: dict[str, tuple[tuple[tuple[str, int], ...], str]] = {
    # ClientTimeout(total, connect, sock_read, sock_connect, ceil_threshold)
    "aiohttp.ClientTimeout": ((("total", 0), ("sock_read", 2)), "neither `total` nor `sock_read` is set"),
}

#: Timeout scopes (context managers): qualified name -> whether the delay is relative and
#: fixed when the scope is created (so creating it before `async with` shortens it, ASL405).
TIMEOUT_SCOPES: dict[str, bool] = {
    "asyncio.timeout": True,
    "asyncio.timeout_at": False,
    "async_timeout.timeout": True,
    "async_timeout.timeout_at": False,
    "anyio.fail_after": False,
    "anyio.move_on_after": False,
    "anyio.fail_at": False,
    "anyio.move_on_at": False,
    "trio.fail_after": False,
    "trio.move_on_after": False,
    "trio.fail_at": False,
    "trio.move_on_at": False,
}
#: Timeout scopes whose argument `None` means "no deadline" and that ASL400 reports when it
#: is written literally.
NONE_DISABLES_SCOPE = frozenset({"asyncio.timeout", "asyncio.timeout_at", "async_timeout.timeout"})

#: `wait_for(aw, timeout)`: the awaitable is bounded by the second argument.
WAIT_FOR = frozenset({"asyncio.wait_for"})

#: Sync calls that block forever without a timeout (ASL402): qualified name -> (keyword,
#: the positional index from which a positional argument may be the timeout, or None when
#: it is keyword-only).
SYNC_UNBOUNDED: dict[str, tuple[str, int | None]] = {
    "requests.request": ("timeout", None),
    "requests.get": ("timeout", None),
    "requests.options": ("timeout", None),
    "requests.head": ("timeout", None),
    "requests.post": ("timeout", None),
    "requests.put": ("timeout", None),
    "requests.patch": ("timeout", None),
    "requests.delete": ("timeout", None),
    "requests.Session.request": ("timeout", None),
    "requests.Session.get": ("timeout", None),
    "requests.Session.options": ("timeout", None),
    "requests.Session.head": ("timeout", None),
    "requests.Session.post": ("timeout", None),
    "requests.Session.put": ("timeout", None),
    "requests.Session.patch": ("timeout", None),
    "requests.Session.delete": ("timeout", None),
    "requests.Session.send": ("timeout", None),
    "urllib.request.urlopen": ("timeout", 2),
    "socket.create_connection": ("timeout", 1),
    "smtplib.SMTP": ("timeout", 3),
    "smtplib.SMTP_SSL": ("timeout", 3),
    "http.client.HTTPConnection": ("timeout", 2),
    "http.client.HTTPSConnection": ("timeout", 2),
    "ftplib.FTP": ("timeout", 4),
    "ftplib.FTP_TLS": ("timeout", 4),
}
#: A call of one of these in the module sets a default for the stdlib socket clients
#: (and for requests, through urllib3), so ASL402 stays silent there.
SOCKET_DEFAULT_SETTERS = frozenset({"socket.setdefaulttimeout"})
