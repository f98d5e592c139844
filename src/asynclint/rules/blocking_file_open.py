from __future__ import annotations

from asynclint.rule import Default, FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingFileOpen(BlockingCallRule):
    """
    ## What it does
    Finds files opened synchronously on the event loop inside an `async def`: `open`,
    `io.open`, `io.open_code`, `codecs.open`, `os.fdopen`, `os.open`,
    `gzip/bz2/lzma.open`, `Path.open` and `tempfile.mkstemp`. The reads and writes on a
    handle opened in the same function are not reported again (one finding per
    problem). Temporary files and folders (`tempfile.mkdtemp`, `TemporaryDirectory`,
    `NamedTemporaryFile`, `TemporaryFile`, `SpooledTemporaryFile`, which creates no file
    until it rolls over) are not reported: one small create beside the real work done
    with them; in-memory files (`io.BytesIO`, `io.StringIO`) never are.
    Not reported in test files (the `test-files` setting: set-up and clean-up a test
    author would not change) nor in command-line code, which runs alone on its loop: a
    module of a `cli` package, a `cli` or `__main__` module, a module that imports
    prompts (`rich.prompt`, `questionary`, the project's `cli` package), a command
    (`@app.command()`, `@click.command`), a coroutine that prompts the user (`input()`,
    `Prompt.ask`, `click.prompt`); `test-file-io = true` reports them there too.
    {{runs-alone}}

    ## Why is this bad?
    Opening, reading and writing a file are system calls that wait for the disk (or a
    network file system); on a busy or slow disk every task on the loop waits with them.

    Off by default (`--extend-select ASL105,ASL106,ASL107`): in application code such
    calls are mostly small and one-shot (a config or state file, a cache entry, a folder
    made at start-up), and judged samples of real applications found almost none a
    maintainer would change (see the judgements in `benchmarks/`). Turn them on to audit
    a service whose handlers move real amounts of data through files. ASL116 follows
    helpers to these calls only when one of them is selected.

    ## Example
        async def load(path):
            with open(path) as handle:
                return handle.read()

    ## Use instead
        import asyncio
        from pathlib import Path

        async def load(path):
            return await asyncio.to_thread(Path(path).read_text)

    ## Fix safety
    No fix. The message suggests `aiofiles.open`/`anyio.open_file`, or moving the whole
    read or write into `asyncio.to_thread`; which one fits depends on what the block
    does with the handle.
    """

    code = "ASL105"
    name = "blocking-file-open"
    message = (
        "`{name}()` opens a file synchronously on the event loop in `async def {function}`; use {replacement}"
    )
    fix_safety = FixSafety.NONE
    default = Default.OPT
    peer = "FA ASYNC230/231, RF ASYNC230"
    triggers = ("async", ("open", "tempfile", "mkstemp", "mkdtemp", "Temporary"))
