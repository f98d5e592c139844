from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingInput(BlockingCallRule):
    """
    ## What it does
    Finds console reads on the event loop inside an `async def`: `input()`,
    `getpass.getpass()` and `sys.stdin.read/readline/readlines()`. A terminal dialogue is
    not reported: a coroutine that also writes to the terminal (`print`,
    `console.print`, `click.echo`), a command (`@app.command()`), a coroutine of a `cli`
    package or of a `__main__` module: the user is what the program waits for, and
    nothing else runs on its loop meanwhile. Nor is a read that `select` has just
    reported ready (`sys.stdin.read(1)` or a socket's `recv` under an `if` on what
    `select.select([sys.stdin], ...)` returned in the same function): it returns at once.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    Reading the console waits for a person to type; the whole loop is frozen until they
    press Enter.

    ## Example
        async def ask():
            return input("name? ")

    ## Use instead
        import asyncio

        async def ask():
            return await asyncio.to_thread(input, "name? ")

    ## Fix safety
    Unsafe, for a whole statement or the right-hand side of an assignment: the call
    becomes `await asyncio.to_thread(input, ...)`. If the task is cancelled, the thread
    keeps waiting for input.
    """

    code = "ASL108"
    name = "blocking-input"
    message = "`{name}()` waits on the console on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    peer = "FA/RF ASYNC250"
    triggers = ("async", ("input", "getpass", "stdin"))
