from __future__ import annotations

from asynclint.rule import Default, FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingTlsSetup(BlockingCallRule):
    """
    ## What it does
    Finds TLS set-up that reads certificate stores from disk on the event loop inside an
    `async def`: `ssl.create_default_context()` and `SSLContext.load_default_certs/load_verify_locations/load_cert_chain/set_default_verify_paths`.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    Loading the system CA bundle parses hundreds of certificates from disk, typically
    tens of milliseconds per call, on every call. Home Assistant warns about exactly
    this at run time.

    Off by default (`--extend-select ASL113`): in application code the context is mostly
    built once, at start-up, when a listener starts or in a cached factory, where the cost
    is paid once; turn it on to find contexts built per request or per connection.

    ## Example
        import ssl

        async def connect(host):
            context = ssl.create_default_context()
            return context

    ## Use instead
        import ssl

        CONTEXT = ssl.create_default_context()

        async def connect(host):
            return CONTEXT

    ## Fix safety
    Unsafe, for a whole statement or the right-hand side of an assignment: the call
    becomes `await asyncio.to_thread(ssl.create_default_context, ...)`. Building the
    context once at start-up is usually better, and is left to you.
    """

    code = "ASL113"
    name = "blocking-tls-setup"
    message = "`{name}()` reads certificate files synchronously on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    default = Default.OPT
    triggers = ("async", "ssl")
