from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingSubprocess(BlockingCallRule):
    """
    ## What it does
    Finds processes started synchronously on the event loop inside an `async def`:
    `subprocess.run/call/check_call/check_output/getoutput/getstatusoutput`,
    `os.system`, `os.posix_spawn[p]`, and `subprocess.Popen`, `os.popen`, `os.spawn*`. A
    `Popen` that the same function later waits for (`p.wait()`, `p.communicate()`) is
    reported at the wait instead (ASL104).

    ## Why is this bad?
    `subprocess.run()` and friends wait for the child to finish; `Popen` forks and
    executes the child synchronously and leaves pipes that can only be read by blocking.
    The loop is stuck for the whole run of the child.

    ## Example
        import subprocess

        async def version():
            return subprocess.check_output(["git", "--version"])

    ## Use instead
        import asyncio

        async def version():
            proc = await asyncio.create_subprocess_exec("git", "--version", stdout=asyncio.subprocess.PIPE)
            out, _ = await proc.communicate()
            return out

    ## Fix safety
    Unsafe, for the run-and-wait functions only, when the call is a whole statement or
    the right-hand side of an assignment: it becomes `await
    asyncio.to_thread(subprocess.run, ...)`. The child then runs from a worker thread,
    which cancellation does not stop. `Popen`, `os.popen` and `os.spawn*` are reported
    without a fix.
    """

    code = "ASL103"
    name = "blocking-subprocess"
    message = "`{name}()` starts a process synchronously on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    peer = "FA/RF ASYNC220/221"
    triggers = ("async", ("subprocess", "os"))
