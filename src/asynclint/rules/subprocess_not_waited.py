from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._resources import Creation, CreationRule


class SubprocessNotWaited(CreationRule):
    """
    ## What it does
    Finds a process started with `asyncio.create_subprocess_exec()` or
    `create_subprocess_shell()` in an `async def` that is never waited for: no
    `await proc.wait()` or `await proc.communicate()` in the function, and the process is
    not handed to anyone else (returned, stored, passed on).

    ## Why is this bad?
    Until the process is waited for, its exit status is not collected: the child stays a
    zombie, its pipes and transport stay open (asyncio warns about an unclosed transport)
    and errors from the command go unnoticed.

    ## Example
        import asyncio

        async def notify(message):
            proc = await asyncio.create_subprocess_exec("notify-send", message)
            return proc.pid

    ## Use instead
        import asyncio

        async def notify(message):
            proc = await asyncio.create_subprocess_exec("notify-send", message)
            await proc.wait()
            return proc.returncode

    ## Fix safety
    There is no fix: whether to wait, communicate or kill first depends on the program.
    """

    code = "ASL308"
    name = "subprocess-not-waited"
    message = "{subject} {problem}; {advice}"
    fix_safety = FixSafety.NONE
    triggers = ("async", ("create_subprocess_exec", "create_subprocess_shell"))
    any_close_counts = True

    def subject(self, creation: Creation) -> str:
        if creation.name is None:
            return "The process started here"
        return f"Process `{creation.name}`"

    def advice(self, creation: Creation) -> str:
        proc = creation.name or "proc"
        return f"`await {proc}.wait()` or `await {proc}.communicate()` so it is reaped"

    def report_discarded(self, creation: Creation) -> None:
        self.report(
            creation.call,
            subject=self.subject(creation),
            problem="is never waited for",
            advice=self.advice(creation),
        )

    def report_unclosed(self, creation: Creation) -> None:
        self.report_discarded(creation)
