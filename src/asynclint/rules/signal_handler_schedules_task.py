from __future__ import annotations

import re

import libcst as cst

from asynclint.analysis.nodes import walk
from asynclint.catalogs.concurrency import SLEEPS
from asynclint.catalogs.loop_api import WINDOWS_CODE_RE
from asynclint.rule import FixSafety, Rule
from asynclint.rules._loop_api import scheduling_call, signal_handlers
from asynclint.rules._timeouts import delay_argument

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
#: The sleeps of a poll: those given a length (`anyio.sleep_until` takes a deadline).
_SLEEPS = SLEEPS - {"anyio.sleep_until"}
#: A poll that sleeps at most this long (seconds) between its turns keeps the loop awake.
POLL_SECONDS = 1.0


class SignalHandlerSchedulesTask(Rule):
    """
    ## What it does
    Finds `signal.signal(sig, handler)` where `handler` (a function of the module, or a
    lambda) schedules work on the event loop: it calls `create_task`, `ensure_future`,
    `call_soon`, `call_later` or `call_at`. The `*_threadsafe` calls are left alone.
    The message's cure is `loop.add_signal_handler()`, or, in a module that shows it runs
    on Windows (a check of `sys.platform` or `os.name`, `msvcrt`, a Windows event loop
    policy), where that method does not exist, `loop.call_soon_threadsafe()`.

    Not reported when the `async def` that installs the handler then polls: a later
    `while` or `for` loop of its own whose body awaits nothing but sleeps of at most a
    second (`while not done(): await asyncio.sleep(0.5)`). The loop then wakes at least
    that often, and the work the handler schedules waits one turn of the poll at most. A
    longer sleep, a sleep of unknown length, a poll that also awaits I/O, one that ends
    before the handler is installed or runs in another coroutine is no such guarantee.

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
            if self._polls_after(node):
                return
            name = handler.name.value if isinstance(handler, cst.FunctionDef) else "lambda"
            cure = _CURES[self.ctx.library]
            if self.ctx.library == "asyncio" and _WINDOWS_RE.search(self.ctx.source):
                cure = _WINDOWS_CURE
            self.report(node, handler=name, call=call, cure=cure)
            return

    def _polls_after(self, installer: cst.Call) -> bool:
        """The `async def` that makes the call `installer` polls after it: a later loop of
        its own (not of a nested function) whose body awaits only short sleeps."""
        function = next(
            (n for n in reversed(self.ctx.stack) if isinstance(n, (cst.FunctionDef, cst.Lambda))), None
        )
        if not isinstance(function, cst.FunctionDef) or function.asynchronous is None:
            return False
        installed = False
        for node in walk(function.body, into_scopes=False):
            if node is installer:
                installed = True
            elif installed and isinstance(node, (cst.While, cst.For)) and self._only_sleeps(node.body):
                return True
        return False

    def _only_sleeps(self, body: cst.BaseSuite) -> bool:
        """`body` awaits something, and every await in it (nested functions aside) is a
        sleep of at most `POLL_SECONDS`; no `async for` or `async with`."""
        awaits = 0
        for node in walk(body, into_scopes=False):
            if isinstance(node, (cst.For, cst.With, cst.CompFor)) and node.asynchronous is not None:
                return False
            if isinstance(node, cst.Await):
                if not self._short_sleep(node.expression):
                    return False
                awaits += 1
        return awaits > 0

    def _short_sleep(self, expr: cst.BaseExpression) -> bool:
        """`asyncio.sleep(0.5)` (or anyio's, trio's) with a literal length of at most
        `POLL_SECONDS`."""
        if not isinstance(expr, cst.Call):
            return False
        if self.ctx.qualified_name(expr.func) not in _SLEEPS:
            return False
        length = delay_argument(expr)
        if not isinstance(length, (cst.Integer, cst.Float)):
            return False
        try:
            return 0 <= float(length.evaluated_value) <= POLL_SECONDS
        except (TypeError, ValueError):
            return False
