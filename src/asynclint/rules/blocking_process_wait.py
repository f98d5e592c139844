from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingProcessWait(BlockingCallRule):
    """
    ## What it does
    Finds synchronous waits for a child process on the event loop inside an `async def`:
    `os.wait`, `os.wait3`, `os.wait4`, `os.waitid`, `os.waitpid`, and
    `wait()`/`communicate()` on a `subprocess.Popen` (a local one, a typed parameter or
    a `self` attribute), `wait()` on a `psutil.Process` or `psutil.Popen`, and
    `psutil.wait_procs`. A `wait()` or `communicate()` under `if proc.poll() is not None:`
    (or `proc.returncode is not None`) is not reported: the process has exited, and the
    call only collects it or drains its pipes.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    Waiting for a child blocks until it exits; nothing else runs on the loop in the
    meantime.

    ## Example
        import subprocess

        async def build():
            proc = subprocess.Popen(["make"])
            return proc.wait()

    ## Use instead
        import asyncio

        async def build():
            proc = await asyncio.create_subprocess_exec("make")
            return await proc.wait()

    ## Fix safety
    Unsafe, for a whole statement or the right-hand side of an assignment: the call
    becomes `await asyncio.to_thread(proc.wait)` (or `os.waitpid`, ...). The wait then
    happens in a worker thread that cancellation does not stop.
    """

    code = "ASL104"
    name = "blocking-process-wait"
    message = "`{name}()` waits for a process synchronously on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    peer = "FA/RF ASYNC222"
    triggers = ("async", ("subprocess", "os", "psutil"))
