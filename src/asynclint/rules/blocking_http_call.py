from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingHttpCall(BlockingCallRule):
    """
    ## What it does
    Finds synchronous HTTP requests made on the event loop inside an `async def`: the
    module functions of `requests`, `httpx` and `urllib.request`/`urllib3`, and the
    methods of `requests.Session`, `httpx.Client`, urllib3 pools, `http.client`
    connections and `xmlrpc.client.ServerProxy` when the receiver's type is known (a
    constructor call, an annotation, `self.x = Client()`). A method name alone (`.get()`
    on a dict) never counts.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    A synchronous request waits for the network, often for seconds (and `requests` has
    no timeout by default); the loop runs nothing else meanwhile, so every other request
    the service handles stalls too.

    ## Example
        import requests

        async def fetch(url):
            response = requests.get(url, timeout=10)
            return response.json()

    ## Use instead
        import httpx

        async def fetch(url):
            async with httpx.AsyncClient() as client:
                response = await client.get(url, timeout=10)
            return response.json()

    ## Fix safety
    Unsafe, and only for module functions (`requests.get(...)`) that form a whole
    statement or the right-hand side of an assignment: the call becomes `await
    asyncio.to_thread(requests.get, ...)` (`anyio.to_thread.run_sync` /
    `trio.to_thread.run_sync` when the module uses that library and the call has no
    keyword arguments). The request then runs in a worker thread: cancelling the task
    does not stop it, and the default thread pool is bounded. Methods of client objects
    are reported without a fix; moving to an async client is an API change.
    """

    code = "ASL102"
    name = "blocking-http-call"
    message = "`{name}()` is a synchronous HTTP call that blocks the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    peer = "FA ASYNC210-212, RF ASYNC210/212"
    triggers = ("async", ("requests", "http", "urllib", "xmlrpc"))
