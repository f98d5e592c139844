from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingFileIo(BlockingCallRule):
    """
    ## What it does
    Finds synchronous file I/O on the event loop inside an `async def`: `read`,
    `readline(s)`, `write(lines)`, `flush` and `truncate` on a file object the function
    did not open itself (a typed parameter such as `f: TextIO`, or a `self` attribute),
    and the whole-file `pathlib.Path` methods `read_text`, `read_bytes`, `write_text`,
    `write_bytes` and `touch`.

    ## Why is this bad?
    Each of these waits for the disk; the loop runs nothing else meanwhile. (A file
    opened in the same function is reported once, at the `open`, by ASL105.)

    ## Example
        from pathlib import Path

        async def load(path: Path):
            return path.read_text()

    ## Use instead
        import asyncio
        from pathlib import Path

        async def load(path: Path):
            return await asyncio.to_thread(path.read_text)

    ## Fix safety
    Unsafe, for the `pathlib.Path` methods when the call is a whole statement or the
    right-hand side of an assignment: `p.read_text()` becomes `await
    asyncio.to_thread(p.read_text)`. The I/O then runs in a worker thread that
    cancellation does not stop. File-object methods are reported without a fix.
    """

    code = "ASL106"
    name = "blocking-file-io"
    message = "`{name}()` does file I/O synchronously on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.UNSAFE
    peer = "FA ASYNC232, RF ASYNC230 (preview)"
    # `import`: a value of a project helper may be a `Path` (typed through the project model).
    triggers = ("async", ("IO", "io", "open", "Path", "pathlib", "tempfile", "codecs", "import"))
