from __future__ import annotations

from typing import ClassVar

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingCallConfigured(BlockingCallRule):
    """
    ## What it does
    Finds calls to the functions and methods listed in `extend-blocking-calls`
    (`[tool.asynclint]`) made on the event loop inside an `async def`. Keys are
    qualified names (`mylib.sync_fetch`) or `Type.method` for methods on a receiver of
    known type (`mylib.Client.fetch`); the value is the replacement the message
    suggests.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    The project knows its own blocking functions better than any built-in list: a sync
    SDK, a legacy helper that does network I/O. While such a call runs, every other task
    on the loop waits.

    ## Example
        # pyproject.toml: [tool.asynclint]
        # extend-blocking-calls = { "shutil.disk_usage" = "asyncio.to_thread(shutil.disk_usage, path)" }
        import shutil

        async def report(path):
            return shutil.disk_usage(path)

    ## Use instead
        import asyncio
        import shutil

        async def report(path):
            return await asyncio.to_thread(shutil.disk_usage, path)

    ## Fix safety
    No fix: the replacement is free text from the configuration.
    """

    code = "ASL100"
    name = "blocking-call-configured"
    message = "`{name}()` is configured as blocking and runs on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.NONE
    peer = "FA ASYNC200"
    triggers = ("async",)
    #: The configuration the documentation's example assumes (read by the meta tests).
    example_settings: ClassVar[dict[str, object]] = {
        "extend_blocking_calls": {"shutil.disk_usage": "asyncio.to_thread(shutil.disk_usage, path)"}
    }
