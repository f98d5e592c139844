from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._resources import CreationRule


class ClientNotClosed(CreationRule):
    """
    ## What it does
    Finds an HTTP or Redis client (`aiohttp.ClientSession`, `aiohttp.TCPConnector`,
    `httpx.AsyncClient`, `httpx.Client`, `redis.asyncio.Redis`, and the types listed in
    `extend-resource-types`) created in an `async def` and not used as `async with`, not
    closed in a `finally:` and not handed to anyone else. A client that is returned,
    yielded, stored on `self`, a global or a container, passed to a call, entered into an
    `AsyncExitStack` or whose close is registered as a callback belongs to someone else
    and is not reported; neither is one created in `__aenter__`, an
    `@asynccontextmanager` or a pytest fixture. A client made for one call and dropped,
    `await httpx.AsyncClient().get(url)`, is reported too.
    A resource passed to a call by a function that also closes it is only lent: it is
    still this function's to close safely.
    In test files (the `test-files` setting) a client that is closed, but not in a
    `finally:`, is not reported: it leaks only when the test fails anyway. Nor is a client
    there that never opens a connection (its constructor does no I/O): the test only
    reads or sets its attributes, or replaces its I/O with mocks, patching a method of
    its class (`mock.patch("aiohttp.ClientSession.request")`, `mocker.patch.object`,
    `monkeypatch.setattr`) or a part of it (`mock.patch.object(conn._resolver, ...)`), or
    assigning a mock, a lambda or a fake defined in the test to an attribute of it (or of
    what an inline client returned: `pipe = Redis().pipeline()`). A client the test
    calls a method on without any of these may have connected and is still reported.

    ## Why is this bad?
    An unclosed client keeps its connection pool, sockets and (for aiohttp) its connector
    open until garbage collection, which logs `Unclosed client session`. An explicit
    `await client.close()` at the end of the function is skipped when anything before it
    raises or the task is cancelled, so the client leaks exactly when things go wrong.

    ## Example
        import aiohttp

        async def fetch(url):
            session = aiohttp.ClientSession()
            response = await session.get(url)
            body = await response.text()
            await session.close()
            return body

    ## Use instead
        import aiohttp

        async def fetch(url):
            async with aiohttp.ClientSession() as session:
                response = await session.get(url)
                body = await response.text()
            return body

    ## Fix safety
    Safe for the exact pattern "create; statements; `await client.close()` (`aclose()` for
    httpx and redis) as the last use, in one block": the creation becomes
    `async with Create(...) as client:` around the statements between, and the close goes.
    The normal path is unchanged and the close now also runs on exceptions, early returns
    and cancellation. Safe too for a client never closed whose whole life is in its
    function: created directly in the function's body and bound once, with nothing that
    could use it once the function has returned (no nested function, `yield`, `global`,
    `del`; the client not in a returned value; a response of it used only as a receiver,
    `resp.json()`, never returned, stored or handed on). The rest of the body moves into
    `async with Create(...) as client:`, so the client is closed when the function ends
    instead of never. Anything else, and a client made for one call, is reported
    without a fix.
    """

    code = "ASL300"
    name = "client-not-closed"
    message = "{subject} {problem}; {advice}"
    fix_safety = FixSafety.SAFE
    # `extend-resource-types` may name any class, so no narrower trigger is sound.
    triggers = ("async",)
