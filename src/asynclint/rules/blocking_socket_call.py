from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingSocketCall(BlockingCallRule):
    """
    ## What it does
    Finds blocking network primitives on the event loop inside an `async def`: DNS look-ups (`socket.getaddrinfo`, `getnameinfo`, `gethostbyname[_ex]`, `gethostbyaddr`,
    `getfqdn`), `socket.create_connection`, and `connect/accept/send*/recv*` on a
    `socket.socket` or `ssl.SSLSocket` of known type. A module that puts sockets in non-blocking mode (`setblocking(False)`) is assumed to use them from selector callbacks,
    and its socket methods are not reported.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    DNS look-ups and blocking socket operations wait for the network, for seconds when a
    resolver or peer is slow; the loop waits with them.

    ## Example
        import socket

        async def resolve(host):
            return socket.getaddrinfo(host, 443)

    ## Use instead
        import asyncio

        async def resolve(host):
            return await asyncio.get_running_loop().getaddrinfo(host, 443)

    ## Fix safety
    Unsafe, for `getaddrinfo` and `getnameinfo` with at most two positional arguments:
    the call becomes `await asyncio.get_running_loop().getaddrinfo(...)`
    (`anyio.getaddrinfo`, `trio.socket.getaddrinfo`). The asyncio versions take the
    remaining arguments as keywords only and run in the default executor. The other
    calls are reported without a fix.
    """

    code = "ASL109"
    name = "blocking-socket-call"
    message = "`{name}()` is a blocking socket or DNS call on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    triggers = ("async", ("socket", "ssl"))
