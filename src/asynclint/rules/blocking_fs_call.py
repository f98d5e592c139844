from __future__ import annotations

from asynclint.rule import Default, FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingFsCall(BlockingCallRule):
    """
    ## What it does
    Finds file-system calls on the event loop inside an `async def`: changes
    (`os.link/symlink/truncate/...`, `shutil.copy*/move/rmtree/...`, the matching `Path`
    methods, `send2trash.send2trash`), file locks (`fcntl.flock/lockf`) and directory traversal
    (`os.listdir/walk/scandir`, `glob.glob/iglob`, `Path.iterdir/glob/rglob/walk`).
    Metadata calls (`os.stat`, `os.path.exists/isfile/getsize/...`,
    `Path.exists/is_file/stat/resolve/...`, `os.read/write` on descriptors) and single
    metadata changes (`os.mkdir/makedirs/rmdir/remove/unlink/rename/replace/chmod/chown`,
    `Path.mkdir/rmdir/unlink/rename/replace/chmod`: one folder made at start-up, one
    socket's mode set, one backup renamed into place at shutdown) form the light tier,
    reported only with `blocking-light-calls = true`. Pure path arithmetic
    (`os.path.abspath/normpath/relpath/expanduser`, `os.getcwd`,
    `Path.absolute/cwd/home`) is never reported. A lazy iterator (`root.glob(...)`)
    handed to a worker thread is not reported.
    Not reported in test files (the `test-files` setting: set-up and clean-up a test
    author would not change) nor in command-line code, which runs alone on its loop: a
    module of a `cli` package, a `cli` or `__main__` module, a module that imports
    prompts (`rich.prompt`, `questionary`, the project's `cli` package), a command
    (`@app.command()`, `@click.command`), a coroutine that prompts the user (`input()`,
    `Prompt.ask`, `click.prompt`); `test-file-io = true` reports them there too.
    {{runs-alone}}

    ## Why is this bad?
    These calls wait for the disk; a directory walk or a tree copy can take seconds,
    during which no other task runs. The light tier is usually fast and is off by
    default to keep the noise down.

    Off by default (`--extend-select ASL105,ASL106,ASL107`): in application code such
    calls are mostly small and one-shot (a config or state file, a cache entry, a folder
    made at start-up), and judged samples of real applications found almost none a
    maintainer would change (see the judgements in `benchmarks/`). Turn them on to audit
    a service whose handlers move real amounts of data through files. ASL116 follows
    helpers to these calls only when one of them is selected.

    ## Example
        import shutil

        async def clean(folder):
            shutil.rmtree(folder)

    ## Use instead
        import asyncio
        import shutil

        async def clean(folder):
            await asyncio.to_thread(shutil.rmtree, folder)

    ## Fix safety
    Unsafe, for a call that is a whole statement or the right-hand side of an assignment
    and returns no lazy iterator: it becomes `await asyncio.to_thread(...)`. The call
    then runs in a worker thread that cancellation does not stop, and ordering with
    other tasks' file operations may change. Lazy iterators (`os.walk`, `Path.glob`) are
    reported without a fix, since the iteration itself must move into the thread.
    """

    code = "ASL107"
    name = "blocking-fs-call"
    message = (
        "`{name}()` blocks the event loop on the file system in `async def {function}`; use {replacement}"
    )
    fix_safety = FixSafety.UNSAFE
    default = Default.OPT
    peer = "FA/RF ASYNC240"
    triggers = ("async", ("os", "shutil", "glob", "pathlib", "Path", "fcntl", "send2trash"))
