from __future__ import annotations

import libcst as cst

from asynclint.rule import FixSafety, Rule
from asynclint.rules._loop_api import scheduling_call, signal_handlers

_CURES = {
    "asyncio": "install it with `loop.add_signal_handler()`, which runs it on the loop",
    "anyio": "receive the signal with `anyio.open_signal_receiver()` in a task",
    "trio": "receive the signal with `trio.open_signal_receiver()` in a task",
}


class SignalHandlerSchedulesTask(Rule):
    """
    ## What it does
    Finds `signal.signal(sig, handler)` where `handler` (a function of the module, or a
    lambda) schedules work on the event loop: it calls `create_task`, `ensure_future`,
    `call_soon`, `call_later` or `call_at`. The `*_threadsafe` calls are left alone.

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
    number or frame), and `add_signal_handler` exists only on Unix event loops.
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
            self.report(node, handler=name, call=call, cure=_CURES[self.ctx.library])
            return
