"""Latency of `asynclint server`: the time from a `textDocument/didChange` of a 2,000-line
module to the `publishDiagnostics` for that version, warm (after a first lint), median of
`--edits` edits, each after a pause of `--pause` ms (as a person edits; changes that come
quicker than the server's debounce wait for the next one). Run from the project root with
the dev install:

    python benchmarks/server.py [--lines 2000 | --file PATH [--in-project]] [--edits 30] [--debounce MS] [--pause MS]

The module is generated (services, workers and blocking calls: a finding every 23 lines),
or `--file` names a real one (copied alone into a new project; with `--in-project`, edited
where it is, so the project model reads its project's other modules). `--debounce` sets the server's wait for a next change (its
default is 50 ms): a change that comes within it of the previous one waits that long, one
after a longer pause is linted at once (a `--pause` below the debounce measures the
wait too). For reference it also prints the processor time of
linting the same text in this process (`Runner.check_text`, what the server runs per change):
on a busy machine the wall-clock latency is a multiple of it. The server's own processor time
per edit (from /proc, on Linux) and the load average are printed too: on a shared machine
they tell contention from work. Not a test: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient
from pygls.uris import from_fs_path

BLOCK = """

class Service{n}:
    def __init__(self, session, url):
        self.session = session
        self.url = url
        self.cache = {{}}

    async def fetch(self, key):
        if key in self.cache:
            return self.cache[key]
        async with self.session.get(self.url, params={{"key": key}}) as response:
            data = await response.json()
        self.cache[key] = data
        return data

    async def poll(self, keys):
        results = []
        for key in keys:
            results.append(await self.fetch(key))
        time.sleep(0.1)
        return results

    def sync_helper(self, values):
        total = 0
        for value in values:
            total += value
        return total


async def worker_{n}(queue, service):
    while True:
        item = await queue.get()
        try:
            await service.fetch(item)
        except Exception:
            pass
        finally:
            queue.task_done()


async def main_{n}(urls):
    tasks = [asyncio.create_task(worker_{n}(asyncio.Queue(), url)) for url in urls]
    await asyncio.gather(*tasks)
    with open("log.txt") as handle:
        return handle.read()
"""


def module(lines: int) -> str:
    text = "import asyncio\nimport time\n"
    n = 0
    while text.count("\n") < lines:
        text += BLOCK.format(n=n)
        n += 1
    return text


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("asynclint-bench", "1")
        self.arrived: dict[int | None, float] = {}
        self.event = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.arrived[params.version] = time.perf_counter()
            self.event.set()

    async def wait(self, version: int) -> float:
        while version not in self.arrived:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), 60)
        return self.arrived[version]


def process_cpu(pid: int | None) -> float | None:
    """The processor time (user and system) of process `pid` so far, from /proc (Linux);
    None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    folder: Path, text: str, edits: int, debounce: float | None, pause: float, path: Path | None = None
) -> tuple[list[float], list[float]]:
    """`path`: the document, in its project `folder` (never written: the edits stay in the
    editor); None: `folder/big.py`, written with `text`."""
    client = Client()
    # This interpreter's asynclint (the checkout's, with PYTHONPATH=src), not whatever
    # `asynclint` the PATH finds first.
    await client.start_io(sys.executable, "-m", "asynclint", "server", cwd=str(folder), env=dict(os.environ))
    options = {"debounce": debounce} if debounce is not None else None
    await client.initialize_async(
        types.InitializeParams(
            process_id=os.getpid(),
            root_uri=from_fs_path(str(folder)),
            capabilities=types.ClientCapabilities(),
            initialization_options=options,
        )
    )
    client.initialized(types.InitializedParams())
    if path is None:
        path = folder / "big.py"
        path.write_text(text)
    uri = from_fs_path(str(path)) or ""
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    await client.wait(1)
    server = client._server  # the server's process, for its processor time
    pid = server.pid if server is not None else None
    times, cpu = [], []
    for version in range(2, edits + 2):
        edited = text.replace("time.sleep(0.1)", f"time.sleep(0.{version})", 1)
        # An edit after a pause, as a person makes one (a burst of changes is debounced).
        await asyncio.sleep(pause)
        cpu_before = process_cpu(pid)
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        times.append(await client.wait(version) - sent)
        cpu_after = process_cpu(pid)
        if cpu_before is not None and cpu_after is not None:
            cpu.append(cpu_after - cpu_before)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times, cpu


def lint_cpu(text: str, runs: int, path: str = "big.py") -> float:
    """Median processor time of linting `text` warm, in this process, as the server does
    (with the project model's answers of the lint before, and built on its parse)."""
    from asynclint.runner import Runner
    from asynclint.server import warm_up
    from asynclint.settings import Settings

    warm_up()
    runner = Runner(Settings(file_timeout=0), jobs=1, use_cache=False)
    times = []
    answers = None
    for run in range(runs + 1):
        edited = text.replace("time.sleep(0.1)", f"time.sleep(0.{run + 2})", 1)
        start = time.process_time()
        answers = runner.check_text(edited, path, answers=answers, reuse_parse=True).answers
        times.append(time.process_time() - start)
    return statistics.median(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--file", help="a real module instead of the generated one")
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--debounce", type=float, default=None, help="milliseconds (default: the server's)")
    parser.add_argument("--pause", type=float, default=200, help="milliseconds between edits (default 200)")
    parser.add_argument(
        "--in-project",
        action="store_true",
        help="edit --file where it is, in its project (the project model's other modules count)",
    )
    args = parser.parse_args()
    text = Path(args.file).read_text(encoding="utf-8") if args.file else module(args.lines)
    if "time.sleep(0.1)" not in text:
        text += "\n\nasync def _edited():\n    time.sleep(0.1)\n"
    if args.in_project:
        if not args.file:
            parser.error("--in-project needs --file")
        document = Path(args.file).resolve()
        root = next(
            (
                p
                for p in document.parents
                if any((p / m).exists() for m in ("pyproject.toml", "setup.cfg", ".git"))
            ),
            document.parent,
        )
        times, server_cpu = asyncio.run(
            measure(root, text, args.edits, args.debounce, args.pause / 1000, document)
        )
        os.chdir(root)
        cpu = lint_cpu(text, min(args.edits, 10), str(document))
    else:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "pyproject.toml").write_text('[project]\nname = "bench"\n')
            times, server_cpu = asyncio.run(
                measure(Path(folder), text, args.edits, args.debounce, args.pause / 1000)
            )
        cpu = lint_cpu(text, min(args.edits, 10))
    ms = sorted(t * 1000 for t in times)
    per_edit = (
        f", server {statistics.median(server_cpu) * 1000:.0f} ms of processor time per edit"
        if server_cpu
        else ""
    )
    print(
        f"{text.count(chr(10))} lines, {len(ms)} edits, debounce "
        f"{'default' if args.debounce is None else f'{args.debounce:g} ms'}: didChange -> "
        f"publishDiagnostics median {statistics.median(ms):.0f} ms, min {ms[0]:.0f} ms, max {ms[-1]:.0f} ms"
        f"{per_edit}; lint in process: median {cpu * 1000:.0f} ms of processor time; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} processors"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
