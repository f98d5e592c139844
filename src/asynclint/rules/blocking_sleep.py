from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingSleep(BlockingCallRule):
    """
    ## What it does
    Finds `time.sleep()` called on the event loop inside an `async def`, under any
    spelling (`import time as t`, `from time import sleep`).
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    `time.sleep` stops the whole thread, and with it the event loop: every other task
    waits for the full duration, timeouts fire late and connections time out.

    ## Example
        import time

        async def poll():
            time.sleep(1)

    ## Use instead
        import asyncio

        async def poll():
            await asyncio.sleep(1)

    ## Fix safety
    Safe when the call is a whole statement directly in the `async def`: it becomes
    `await asyncio.sleep(...)` (`anyio.sleep` or `trio.sleep` when the module uses that
    library) and `import asyncio` is added. Other tasks now run during the sleep, which is
    the point of the fix. A sleep used inside an expression is reported without a fix.
    """

    code = "ASL101"
    name = "blocking-sleep"
    message = "`{name}()` blocks the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.SAFE
    peer = "FA/RF ASYNC251"
    triggers = ("async", "sleep")
