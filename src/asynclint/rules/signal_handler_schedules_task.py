from __future__ import annotations

import re

import libcst as cst

from asynclint.catalogs.loop_api import WINDOWS_CODE_RE
from asynclint.rule import FixSafety, Rule
from asynclint.rules._loop_api import scheduling_call, signal_handlers

_CURES = {
    "asyncio": "install it with `loop.add_signal_handler()`, which runs it on the loop",
    "anyio": "receive the signal with `anyio.open_signal_receiver()` in a task",
    "trio": "receive the signal with `trio.open_signal_receiver()` in a task",
}
#: In a module that runs on Windows, where the loop has no `add_signal_handler`: what
#: asyncio's own `Runner` does from its `signal.signal()` handler.
_WINDOWS_CURE = (
    "hand the work to the loop with `loop.call_soon_threadsafe()`, which wakes it and runs it"
    " there (this module runs on Windows, where the loop has no `add_signal_handler`)"
)
_WINDOWS_RE = re.compile(WINDOWS_CODE_RE, re.M)


class SignalHandlerSchedulesTask(Rule):
    """
    ## What it does
    Finds `signal.signal(sig, handler)` where `handler` (a function of the module, or a
    lambda) schedules work on the event loop: it calls `create_task`, `ensure_future`,
    `call_soon`, `call_later` or `call_at`. The `*_threadsafe` calls are left alone.
    The message's cure is `loop.add_signal_handler()`, or, in a module that shows it runs
    on Windows (a check of `sys.platform` or `os.name`, `msvcrt`, a Windows event loop
    policy), where that method does not exist, `loop.call_soon_threadsafe()`.

    ## Why is this bad?
    Python runs a `signal.signal()` handler between any two bytecodes of the main
    thread, also in the middle of the event loop's own code. Scheduling from there
    touches the loop's queues while they may be changing, and the loop does not wake up
    to run the new callback until something else happens (it may be sleeping in
    `select()`). `loop.add_signal_handler()` runs the handler on the loop, as an
    ordinary callback, where creating tasks is safe; and the task it creates is then
    kept by whoever the handler hands it to, not dropped on the floor.

    ## Example
        import asyncio
        import signal

        def on_sigterm(signum, frame):
            asyncio.create_task(shutdown())

        async def main():
            signal.signal(signal.SIGTERM, on_sigterm)
            await serve()

    ## Use instead
        import asyncio
        import signal

        def on_sigterm():
            background.add(asyncio.create_task(shutdown()))

        async def main():
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, on_sigterm)
            await serve()

    ## Fix safety
    No fix: the handler's signature changes (`add_signal_handler` passes no signal
    number or frame), and `add_signal_handler` exists only on Unix event loops; on
    Windows the handler can hand its work to the loop with `loop.call_soon_threadsafe()`
    (which wakes the loop), as asyncio's `Runner` does for Ctrl-C.
    """

    code = "ASL607"
    name = "signal-handler-schedules-task"
    message = "`signal.signal()` installs `{handler}`, which calls `{call}()` from a signal handler, in the middle of whatever the event loop is doing; {cure}"
    fix_safety = FixSafety.NONE
    triggers = ("signal",)

    def visit_Call(self, node: cst.Call) -> None:
        handlers = signal_handlers(self.ctx)
        if not handlers:
            return
        for installer, handler in handlers.values():
            if installer is not node:
                continue
            call = scheduling_call(handler)
            if call is None:
                return
            name = handler.name.value if isinstance(handler, cst.FunctionDef) else "lambda"
            cure = _CURES[self.ctx.library]
            if self.ctx.library == "asyncio" and _WINDOWS_RE.search(self.ctx.source):
                cure = _WINDOWS_CURE
            self.report(node, handler=name, call=call, cure=cure)
            return
