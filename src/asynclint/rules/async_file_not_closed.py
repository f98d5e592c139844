from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._resources import CreationRule


class AsyncFileNotClosed(CreationRule):
    """
    ## What it does
    Finds a file opened with `await aiofiles.open(...)` or `await anyio.open_file(...)` in
    an `async def` and not used as `async with`, not closed in a `finally:`, and not handed
    to anyone else (returned, yielded, stored or passed on).
    A resource passed to a call by a function that also closes it is only lent: it is
    still this function's to close safely.
    In test files (the `test-files` setting) a file that is closed, but not in a
    `finally:`, is not reported: it leaks only when the test fails anyway.

    ## Why is this bad?
    The file descriptor stays open until garbage collection. An `await f.close()` at the
    end is skipped when a read or write before it raises or the task is cancelled, and
    descriptors are a limited resource in a long-running server.

    ## Example
        import aiofiles

        async def head(path):
            f = await aiofiles.open(path)
            first = await f.readline()
            await f.close()
            return first

    ## Use instead
        import aiofiles

        async def head(path):
            async with aiofiles.open(path) as f:
                first = await f.readline()
            return first

    ## Fix safety
    Safe for the exact pattern "open; statements; `await f.close()` (`aclose()` for anyio)
    as the last use, in one block": it becomes `async with aiofiles.open(...) as f:` (or
    `async with await anyio.open_file(...) as f:`) around the statements between. The
    file is now closed on exceptions and cancellation too; the normal path is unchanged.
    """

    code = "ASL304"
    name = "async-file-not-closed"
    message = "{subject} {problem}; {advice}"
    fix_safety = FixSafety.SAFE
    triggers = ("async", ("aiofiles", "open_file"))
