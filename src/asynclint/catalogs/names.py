"""The one table of spellings: a name defined in a private or inner module and re-exported
by a package has one canonical, public spelling (`asyncio.tasks.gather` is
`asyncio.gather`, `concurrent.futures._base.Future` is `concurrent.futures.Future`).

Name resolution applies it (`analysis.scopes.qualified_name`), so every qualified name a
rule or a catalog sees is already public: tables list each name once, in its public
spelling. Only this module holds the other spellings.
"""

from __future__ import annotations

from collections.abc import Container, Iterator

#: Modules whose names a package re-exports: module -> (package, the re-exported names).
#: For asyncio and concurrent.futures, the `__all__` of each submodule (a few names removed
#: from recent Pythons are kept, so that old code still resolves).
_REEXPORTS: dict[str, tuple[str, str]] = {
    "asyncio.base_events": ("asyncio", "BaseEventLoop Server"),
    "asyncio.coroutines": ("asyncio", "iscoroutinefunction iscoroutine coroutine"),
    "asyncio.events": (
        "asyncio",
        "AbstractEventLoopPolicy AbstractEventLoop AbstractServer Handle TimerHandle"
        " get_event_loop_policy set_event_loop_policy get_event_loop set_event_loop"
        " new_event_loop get_child_watcher set_child_watcher get_running_loop",
    ),
    "asyncio.exceptions": (
        "asyncio",
        "BrokenBarrierError CancelledError InvalidStateError TimeoutError IncompleteReadError"
        " LimitOverrunError SendfileNotAvailableError",
    ),
    "asyncio.futures": ("asyncio", "Future wrap_future isfuture"),
    "asyncio.locks": ("asyncio", "Lock Event Condition Semaphore BoundedSemaphore Barrier"),
    "asyncio.protocols": (
        "asyncio",
        "BaseProtocol Protocol DatagramProtocol SubprocessProtocol BufferedProtocol",
    ),
    "asyncio.queues": ("asyncio", "Queue PriorityQueue LifoQueue QueueFull QueueEmpty"),
    "asyncio.runners": ("asyncio", "Runner run"),
    "asyncio.streams": (
        "asyncio",
        "StreamReader StreamWriter StreamReaderProtocol open_connection start_server"
        " open_unix_connection start_unix_server",
    ),
    "asyncio.subprocess": ("asyncio", "create_subprocess_exec create_subprocess_shell"),
    "asyncio.taskgroups": ("asyncio", "TaskGroup"),
    "asyncio.tasks": (
        "asyncio",
        "Task create_task FIRST_COMPLETED FIRST_EXCEPTION ALL_COMPLETED wait wait_for"
        " as_completed sleep gather shield ensure_future run_coroutine_threadsafe"
        " current_task all_tasks",
    ),
    "asyncio.threads": ("asyncio", "to_thread"),
    "asyncio.timeouts": ("asyncio", "Timeout timeout timeout_at"),
    "asyncio.transports": (
        "asyncio",
        "BaseTransport ReadTransport WriteTransport Transport DatagramTransport SubprocessTransport",
    ),
    "asyncio.unix_events": (
        "asyncio",
        "SelectorEventLoop AbstractChildWatcher SafeChildWatcher FastChildWatcher"
        " PidfdChildWatcher MultiLoopChildWatcher ThreadedChildWatcher DefaultEventLoopPolicy",
    ),
    "asyncio.windows_events": (
        "asyncio",
        "ProactorEventLoop IocpProactor WindowsSelectorEventLoopPolicy WindowsProactorEventLoopPolicy",
    ),
    "concurrent.futures._base": (
        "concurrent.futures",
        "FIRST_COMPLETED FIRST_EXCEPTION ALL_COMPLETED CancelledError TimeoutError"
        " BrokenExecutor Future Executor wait as_completed",
    ),
    "concurrent.futures.thread": ("concurrent.futures", "ThreadPoolExecutor"),
    "concurrent.futures.process": ("concurrent.futures", "ProcessPoolExecutor"),
    # Libraries: the classes and functions the catalogs name.
    "aiohttp.client": ("aiohttp", "ClientSession ClientTimeout"),
    "aiohttp.connector": ("aiohttp", "TCPConnector UnixConnector"),
    "requests.api": ("requests", "request get options head post put patch delete"),
    "requests.sessions": ("requests", "Session session"),
    "httpx._client": ("httpx", "Client AsyncClient"),
    "httpx._config": ("httpx", "Timeout"),
    "asyncpg.pool": ("asyncpg", "Pool create_pool"),
    "asyncpg.connection": ("asyncpg", "Connection connect"),
    "redis.client": ("redis", "Redis StrictRedis"),
    "redis.asyncio.client": ("redis.asyncio", "Redis StrictRedis"),
    "urllib3.poolmanager": ("urllib3", "PoolManager ProxyManager"),
    "urllib3.connectionpool": ("urllib3", "HTTPConnectionPool HTTPSConnectionPool"),
    "pymongo.mongo_client": ("pymongo", "MongoClient"),
    "sqlalchemy.orm.session": ("sqlalchemy.orm", "Session"),
    "sqlalchemy.engine.base": ("sqlalchemy.engine", "Engine Connection"),
    "elasticsearch.client": ("elasticsearch", "Elasticsearch"),
    "kafka.producer": ("kafka", "KafkaProducer"),
    "kafka.consumer": ("kafka", "KafkaConsumer"),
}

#: Packages that are drop-in forks of another: everything under the fork is the original's
#: (`httpx2`, the maintained fork of httpx, has httpx's API: `httpx2.AsyncClient` is
#: catalogued as `httpx.AsyncClient`).
_FORKS: dict[str, str] = {"httpx2": "httpx"}

#: One object under two public names: the other name -> the canonical one.
_SAME: dict[str, str] = {
    "redis.StrictRedis": "redis.Redis",
    "redis.asyncio.StrictRedis": "redis.asyncio.Redis",
    "sqlalchemy.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.Connection": "sqlalchemy.engine.Connection",
    # Modules a package imports at its top and that code imports from it
    # (`from syncer import asyncio`, as chainlit does).
    "syncer.asyncio": "asyncio",
}


def _build() -> dict[str, str]:
    table = dict(_SAME)
    for module, (package, names) in _REEXPORTS.items():
        for name in names.split():
            table[f"{module}.{name}"] = f"{package}.{name}"
    # Follow chains once here (`redis.client.StrictRedis` -> `redis.StrictRedis` -> `redis.Redis`).
    for alias, target in table.items():
        while target in table:
            target = table[target]
        table[alias] = target
    return table


#: Every other spelling -> the canonical name.
ALIASES: dict[str, str] = _build()
#: First parts of the names above: any other name is canonical already.
_ROOTS = frozenset(name.partition(".")[0] for name in ALIASES) | frozenset(_FORKS)
#: The canonical name -> its other spellings.
_OTHERS: dict[str, list[str]] = {}
for _alias, _name in ALIASES.items():
    _OTHERS.setdefault(_name, []).append(_alias)
_CANONICAL_ROOTS = frozenset(name.partition(".")[0] for name in _OTHERS)


def canonical(name: str) -> str:
    """The canonical spelling of a qualified name, also for what lies under an aliased
    name (`asyncio.tasks.Task.all_tasks` is `asyncio.Task.all_tasks`)."""
    root, dot, rest = name.partition(".")
    if root not in _ROOTS:
        return name
    fork = _FORKS.get(root)
    if fork is not None:
        name = fork + dot + rest
    found = ALIASES.get(name)
    if found is not None:
        return found
    head = name
    while True:
        head, dot, _ = head.rpartition(".")
        if not dot:
            return name
        found = ALIASES.get(head)
        if found is not None:
            return found + name[len(head) :]


def spellings(name: str) -> Iterator[str]:
    """A canonical name, then every other spelling of it: for names a user configures,
    which may be written either way (`requests.api.get` is `requests.get`)."""
    root = name.partition(".")[0]
    forks = [fork for fork, original in _FORKS.items() if original == root]
    for spelling in _spellings(name):
        yield spelling
        for fork in forks:
            yield fork + spelling[len(root) :]


def _spellings(name: str) -> Iterator[str]:
    yield name
    if name.partition(".")[0] not in _CANONICAL_ROOTS:
        return
    yield from _OTHERS.get(name, ())
    head = name
    while True:
        head, dot, _ = head.rpartition(".")
        if not dot:
            return
        for alias in _OTHERS.get(head, ()):
            yield alias + name[len(head) :]


def configured(name: str, names: Container[str]) -> bool:
    """Whether `names` (from the settings) holds the canonical `name` under any spelling."""
    return any(spelling in names for spelling in spellings(name))
