from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingSubprocess(BlockingCallRule):
    """
    ## What it does
    Finds processes started synchronously on the event loop inside an `async def`:
    `subprocess.run/call/check_call/check_output/getoutput/getstatusoutput`,
    `os.system`, `os.posix_spawn[p]`, and `os.popen`, `os.spawn*`, and
    `with subprocess.Popen(...)` (its exit waits for the child). A `Popen` that is not
    entered by a `with` is not reported: it only forks and executes the child, which is
    what asyncio's own `create_subprocess_exec` does on the loop's thread too; a wait for
    the process (`p.wait()`, `p.communicate()`) is reported where it happens (ASL104).
    Nor is a run of a literal command that only sends a signal and exits (`kill`,
    `pkill`, `killall`, `taskkill`, `tskill`: `subprocess.run(["taskkill", "/F", "/PID",
    pid])`, `os.system(f"kill {pid}")`), which is as quick as `os.kill()`; a shell line
    that runs more (`kill $(lsof -t -i:80)`, `;`, `|`, `&&`) is reported.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    `subprocess.run()` and friends wait for the child to finish; the loop is stuck for
    the whole run of the child.

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
