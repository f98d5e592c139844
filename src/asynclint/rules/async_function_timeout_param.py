from __future__ import annotations

import libcst as cst

from asynclint.rule import Default, FixSafety, Rule


class AsyncFunctionTimeoutParam(Rule):
    """
    ## What it does
    Finds an `async def` that takes a parameter named `timeout`. Decorated functions are
    left alone (an override, a route or a fixture must keep its signature). Opt-in. The
    message names the scope callers would use: `asyncio.timeout()` from Python 3.11
    (`target-version`), `asyncio.wait_for()` before, `anyio.fail_after()` /
    `trio.fail_after()` in a module that uses anyio or trio.

    ## Why is this bad?
    With asyncio, a caller bounds any await with `async with asyncio.timeout(...)` or
    `asyncio.wait_for(...)`, and the timeout then covers everything the call does,
    nested calls included. A `timeout` parameter duplicates that, is easy to forget to
    pass down, and composes badly: the callee cannot know how much of the caller's budget
    is left.

    ## Example
        import asyncio

        async def fetch(queue, timeout):
            return await asyncio.wait_for(queue.get(), timeout)

    ## Use instead
        async def fetch(queue):
            return await queue.get()

        # The caller decides: async with asyncio.timeout(5): item = await fetch(queue)

    ## Fix safety
    No fix: the callers must change with the signature.
    """

    code = "ASL406"
    name = "async-function-timeout-param"
    message = "`async def {function}` takes `timeout`; let callers bound it with {scope} instead"
    fix_safety = FixSafety.NONE
    default = Default.OPT
    peer = "FA/RF ASYNC109"
    triggers = ("async", "timeout")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or node.decorators:
            return
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.name.value == "timeout":
                self.report(param, function=node.name.value, scope=self._scope())
                return

    def _scope(self) -> str:
        """The timeout scope callers use: the module's library's, and for asyncio the one
        the target version has (`asyncio.timeout` is 3.11+)."""
        library = self.ctx.library
        if library != "asyncio":
            return f"`{library}.fail_after()`"
        return "`asyncio.timeout()`" if self.ctx.settings.target_minor >= 11 else "`asyncio.wait_for()`"
