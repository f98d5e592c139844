from __future__ import annotations

from asynclint.rule import Default, FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingFileIo(BlockingCallRule):
    """
    ## What it does
    Finds synchronous file I/O on the event loop inside an `async def`: `read`,
    `readline(s)`, `write(lines)`, `flush` and `truncate` on a file object the function
    did not open itself (a typed parameter such as `f: TextIO`, or a `self` attribute),
    and the whole-file `pathlib.Path` methods `read_text`, `read_bytes`, `write_text`,
    `write_bytes` and `touch`. In-memory files (`io.BytesIO`, `io.StringIO`) are never
    reported.
    Not reported in test files (the `test-files` setting: set-up and clean-up a test
    author would not change) nor in command-line code, which runs alone on its loop: a
    module of a `cli` package, a `cli` or `__main__` module, a module that imports
    prompts (`rich.prompt`, `questionary`, the project's `cli` package), a command
    (`@app.command()`, `@click.command`), a coroutine that prompts the user (`input()`,
    `Prompt.ask`, `click.prompt`); `test-file-io = true` reports them there too.
    {{runs-alone}}

    ## Why is this bad?
    Each of these waits for the disk; the loop runs nothing else meanwhile. (A file
    opened in the same function is reported once, at the `open`, by ASL105.)

    Off by default (`--extend-select ASL105,ASL106,ASL107`): in application code such
    calls are mostly small and one-shot (a config or state file, a cache entry, a folder
    made at start-up), and judged samples of real applications found almost none a
    maintainer would change (see the judgements in `benchmarks/`). Turn them on to audit
    a service whose handlers move real amounts of data through files. ASL116 follows
    helpers to these calls only when one of them is selected.

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
    default = Default.OPT
    peer = "FA ASYNC232, RF ASYNC230 (preview)"
    # `import`: a value of a project helper may be a `Path` (typed through the project model).
    triggers = ("async", ("IO", "io", "open", "Path", "pathlib", "tempfile", "codecs", "import"))
