"""Fixes a maintainer can merge as they are: imports where an import sorter puts them, lines
within the project's line length, comments kept with their statements.

The import-order checks run the real ruff (a test dependency) on the fixture goldens."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES

from asynclint.engine import LintRequest
from asynclint.fixer import fix_text
from asynclint.fixes import Import, add_imports
from asynclint.registry import selected_codes
from asynclint.settings import Settings


def _ruff() -> str | None:
    script = Path(sys.executable).parent / "ruff"
    if script.exists():
        return str(script)
    return shutil.which("ruff")


def _import_order_errors(ruff: str, path: Path) -> int:
    proc = subprocess.run(
        [ruff, "check", "--isolated", "--select", "I001", "--output-format", "concise", "--quiet", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return sum(1 for line in proc.stdout.splitlines() if "I001" in line)


def test_fixes_keep_sorted_imports_sorted() -> None:
    """Every fixture whose imports are sorted (ruff's I001 is silent) has a golden whose
    imports are sorted too."""
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed in this environment (it is a test dependency: pip install ruff)")
    checked, broken = 0, []
    for golden in sorted(FIXTURES.glob("ASL*/**/*.fixed.py")):
        source = golden.with_name(golden.name.replace(".fixed.py", ".py"))
        if not source.exists() or _import_order_errors(ruff, source):
            continue
        checked += 1
        if _import_order_errors(ruff, golden):
            broken.append(str(golden.relative_to(FIXTURES)))
    assert checked >= 20
    assert not broken, broken


def fixed(source: str, select: str = "ASL101", path: str = "x.py", **options: object) -> str:
    settings = Settings(select=tuple(select.split(",")), **options)  # type: ignore[arg-type]
    outcome = fix_text(LintRequest(source, path, path, settings, selected_codes(settings)), unsafe=True)
    assert not outcome.failures, outcome.failures
    return outcome.text


SLEEP = "\n\nasync def poll():\n    time.sleep(1)\n"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # The standard library section, in order.
        ("import os\nimport time\n", "import asyncio\nimport os\n"),
        ("import abc\nimport time\n", "import abc\nimport asyncio\n"),
        # Plain imports before `from` imports, as sorters write them.
        ("import time\nfrom os import path\n", "import asyncio\nfrom os import path\n"),
        # After the docstring and `from __future__`, before other packages and relative imports.
        (
            '"""Doc."""\n\nfrom __future__ import annotations\n\nimport time\n\nimport requests\n\nfrom . import x\n',
            '"""Doc."""\n\nfrom __future__ import annotations\n\nimport asyncio\n\n'
            "import requests\n\nfrom . import x\n",
        ),
        # Between two imports: after the first; the comment of `import time`, which the fix
        # leaves unused, stays.
        (
            "import abc\n\n# the clock\nimport time\n\n# files\nimport zipfile\n",
            "import abc\nimport asyncio\n\n# the clock\n\n# files\nimport zipfile\n",
        ),
    ],
)
def test_added_import_goes_where_sorters_put_it(head: str, expected: str | None) -> None:
    result = fixed(head + SLEEP)
    assert "await asyncio.sleep(1)" in result
    if expected is not None:
        assert result == expected + SLEEP.replace("time.sleep", "await asyncio.sleep")


def test_new_section_before_other_packages() -> None:
    source = "import requests\n\nfrom .clock import time\n" + SLEEP
    module = cst.parse_module(source)
    new = add_imports(module, [Import("asyncio")])
    assert new.code.startswith("import asyncio\n\nimport requests\n\nfrom .clock import time\n")


def test_first_import_after_docstring_before_def() -> None:
    module = cst.parse_module('"""Doc."""\n\nasync def poll():\n    pass\n')
    new = add_imports(module, [Import("asyncio")])
    assert new.code == '"""Doc."""\n\nimport asyncio\n\n\nasync def poll():\n    pass\n'
    module = cst.parse_module("x = 1\n")
    assert add_imports(module, [Import("asyncio")]).code == "import asyncio\n\nx = 1\n"


def test_future_import_goes_first() -> None:
    module = cst.parse_module('"""Doc."""\n\nimport os\n')
    new = add_imports(module, [Import("__future__", "annotations")])
    assert new.code == '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\n'


def test_name_merged_into_existing_from_import() -> None:
    one_line = cst.parse_module("from typing import TYPE_CHECKING, Any, cast\n")
    assert (
        add_imports(one_line, [Import("typing", "Set")]).code
        == "from typing import TYPE_CHECKING, Any, Set, cast\n"
    )
    wrapped = cst.parse_module("from typing import (\n    Any,\n    Dict,\n)\n")
    assert (
        add_imports(wrapped, [Import("typing", "Set")]).code
        == "from typing import (\n    Any,\n    Dict,\n    Set,\n)\n"
    )
    first = cst.parse_module("from typing import (\n    Dict,\n)\n")
    assert (
        add_imports(first, [Import("typing", "Any")]).code == "from typing import (\n    Any,\n    Dict,\n)\n"
    )


def test_merged_import_wrapped_at_line_length() -> None:
    module = cst.parse_module("from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping\n")
    new = add_imports(module, [Import("typing", "Set")], line_length=60)
    assert new.code == (
        "from typing import (\n    Any,\n    Awaitable,\n    Callable,\n    Dict,\n    Iterable,\n"
        "    List,\n    Mapping,\n    Set,\n)\n"
    )


POLL = "\n\nasync def poll():\n    time.sleep(1)\n"
POLLED = "\n\nasync def poll():\n    await asyncio.sleep(1)\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # The last use became `asyncio.sleep`: the import goes.
        ("import os\nimport time\n" + POLL, "import asyncio\nimport os\n" + POLLED),
        ("import asyncio\nimport os, time\n" + POLL, "import asyncio\nimport os\n" + POLLED),
        (
            "import asyncio\nfrom time import monotonic, sleep\n"
            + POLL.replace("time.sleep", "sleep")
            + "    monotonic()\n",
            "import asyncio\nfrom time import monotonic\n" + POLLED + "    monotonic()\n",
        ),
        # The first import of a section: its blank line stays for the next one.
        (
            "import asyncio\n\nimport time\n\nimport anyio\n" + POLL + "    anyio.run\n",
            "import asyncio\n\nimport anyio\n" + POLLED + "    anyio.run\n",
        ),
    ],
)
def test_import_left_unused_is_removed(source: str, expected: str) -> None:
    assert fixed(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "import asyncio\nimport time\n" + POLL + "    return time.monotonic()\n",  # another use
        "import asyncio\nimport time\n\n__all__ = ['time']\n" + POLL,  # exported
        "import asyncio\nimport time as time\n" + POLL,  # a re-export
        "import asyncio\nimport time\n\nX: 'time.struct_time'\n" + POLL,  # a string annotation
        "import asyncio\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import time\n" + POLL,
    ],
)
def test_import_kept_when_still_needed(source: str) -> None:
    result = fixed(source)
    assert "await asyncio.sleep(1)" in result
    assert result.count("import time") == source.count("import time")


def test_a_docstring_mentioning_the_name_does_not_keep_the_import() -> None:
    source = '"""Polls from time to time."""\n\nimport asyncio\nimport time\n' + POLL
    assert fixed(source) == '"""Polls from time to time."""\n\nimport asyncio\n' + POLLED


def test_comments_of_a_removed_import_stay() -> None:
    source = "import asyncio\nimport time  # the clock\n\nimport anyio\n" + POLL + "    anyio.run\n"
    assert fixed(source) == "import asyncio\n# the clock\n\nimport anyio\n" + POLLED + "    anyio.run\n"
    source = "import asyncio; import time; import os\n" + POLL + "    os.getcwd()\n"
    assert fixed(source) == "import asyncio; import os\n" + POLLED + "    os.getcwd()\n"


def test_import_kept_in_package_init() -> None:
    source = "import asyncio\nimport time\n" + POLL
    assert "import time" in fixed(source, path="pkg/__init__.py")


def test_fixed_line_too_long_is_wrapped_as_formatters_write_it() -> None:
    source = (
        "import os\n\n\nasync def prepare(self):\n"
        "    if self.ready:\n"
        "        os.makedirs(os.path.dirname(self.database_path), exist_ok=True)  # once\n"
    )
    assert fixed(source, "ASL107", blocking_light_calls=True) == (
        "import asyncio\nimport os\n\n\nasync def prepare(self):\n"
        "    if self.ready:\n"
        "        await asyncio.to_thread(\n"
        "            os.makedirs, os.path.dirname(self.database_path), exist_ok=True\n"
        "        )  # once\n"
    )


def test_wrapped_one_argument_a_line_when_one_line_is_not_enough() -> None:
    source = (
        "import os\n\n\nasync def prepare(self):\n"
        "    os.makedirs(os.path.join(self.root, self.db_dir, 'subdir'), exist_ok=True)\n"
    )
    assert fixed(source, "ASL107", blocking_light_calls=True, line_length=79) == (
        "import asyncio\nimport os\n\n\nasync def prepare(self):\n"
        "    await asyncio.to_thread(\n"
        "        os.makedirs,\n"
        "        os.path.join(self.root, self.db_dir, 'subdir'),\n"
        "        exist_ok=True,\n"
        "    )\n"
    )


def test_line_length_is_the_projects() -> None:
    source = "import os\n\n\nasync def prepare(self):\n    os.makedirs(os.path.dirname(self.database_path), exist_ok=True)\n"
    assert "await asyncio.to_thread(os.makedirs, os.path.dirname" in fixed(
        source, "ASL107", blocking_light_calls=True, line_length=100
    )
    assert "await asyncio.to_thread(\n" in fixed(source, "ASL107", blocking_light_calls=True, line_length=79)


def test_a_line_already_too_long_is_not_reformatted() -> None:
    source = (
        "import os\n\n\nasync def prepare(self):\n"
        "    os.makedirs(os.path.dirname(self.database_path), exist_ok=True)  # a comment that makes it long\n"
    )
    assert "    await asyncio.to_thread(os.makedirs, os.path" in fixed(
        source, "ASL107", blocking_light_calls=True
    )


def test_a_call_written_one_argument_a_line_keeps_a_formatters_layout() -> None:
    source = (
        "import ssl\n\n\nasync def connect(tls):\n"
        "    if tls.ca_file:\n"
        "        context = ssl.create_default_context(\n"
        "            purpose=ssl.Purpose.SERVER_AUTH, cafile=tls.certificate_authority_file\n"
        "        )\n"
        "        context.load_cert_chain(\n"
        "            certfile=tls.cert_file,\n"
        "            password=lambda: read_secret(\n"
        "                tls.password_file,\n"
        "            ),\n"
        "        )\n"
        "        context.load_verify_locations(\n"
        "            tls.ca_file\n"
        "        )\n"
        "    return context\n"
    )
    assert fixed(source, "ASL113") == (
        "import asyncio\nimport ssl\n\n\nasync def connect(tls):\n"
        "    if tls.ca_file:\n"
        "        context = await asyncio.to_thread(\n"
        "            ssl.create_default_context,\n"
        "            purpose=ssl.Purpose.SERVER_AUTH,\n"
        "            cafile=tls.certificate_authority_file,\n"
        "        )\n"
        "        await asyncio.to_thread(\n"
        "            context.load_cert_chain,\n"
        "            certfile=tls.cert_file,\n"
        "            password=lambda: read_secret(\n"
        "                tls.password_file,\n"
        "            ),\n"
        "        )\n"
        "        await asyncio.to_thread(context.load_verify_locations, tls.ca_file)\n"
        "    return context\n"
    )


def test_statements_a_fix_writes_are_wrapped_each() -> None:
    source = (
        "import asyncio\n\n\nasync def on_chunk(config, payload):\n"
        "    if config.enabled:\n"
        "        asyncio.create_task(config.code.on_audio_chunk(InputAudioChunk(**payload)))\n"
    )
    assert fixed(source, "ASL204").endswith(
        "        task = asyncio.create_task(\n"
        "            config.code.on_audio_chunk(InputAudioChunk(**payload))\n"
        "        )\n"
        "        _background_tasks.add(task)\n"
        "        task.add_done_callback(_background_tasks.discard)\n"
    )


def test_a_longer_name_wraps_the_call_around_it() -> None:
    """Nothing in the replacement to wrap (`get_event_loop` became `get_running_loop`): the
    outermost call of the line is laid out again."""
    source = (
        "import asyncio\n\n\nasync def read(protocol):\n"
        "    payload = StreamReader(protocol, DEFAULT_CHUNK_SIZE, loop=asyncio.get_event_loop())\n"
        "    wrapped = wrap(StreamReader(protocol, DEFAULT_SIZE, loop=asyncio.get_event_loop()))\n"
        "    return payload, wrapped\n"
    )
    assert fixed(source, "ASL601") == (
        "import asyncio\n\n\nasync def read(protocol):\n"
        "    payload = StreamReader(\n"
        "        protocol, DEFAULT_CHUNK_SIZE, loop=asyncio.get_running_loop()\n"
        "    )\n"
        "    wrapped = wrap(\n"
        "        StreamReader(protocol, DEFAULT_SIZE, loop=asyncio.get_running_loop())\n"
        "    )\n"
        "    return payload, wrapped\n"
    )


def test_a_call_written_over_lines_and_wrapped_by_a_fix_is_laid_out_again() -> None:
    """`wait_for(` around a call written over several lines: joined where nothing keeps it
    open, one argument a line (its own lines one level deeper) where a trailing comma does."""
    source = (
        "import asyncio\n\n\nclass Client:\n"
        "    async def connect(self):\n"
        "        self.reader, self.writer = await asyncio.open_connection(\n"
        "            self.host, self.port\n"
        "        )\n\n"
        "    async def connect_kept_open(self):\n"
        "        self.reader, self.writer = await asyncio.open_connection(\n"
        "            self.host,\n"
        "            self.port,\n"
        "        )\n"
    )
    assert fixed(source, "ASL401") == (
        "import asyncio\n\n\nclass Client:\n"
        "    async def connect(self):\n"
        "        self.reader, self.writer = await asyncio.wait_for(\n"
        "            asyncio.open_connection(self.host, self.port), timeout=30\n"
        "        )\n\n"
        "    async def connect_kept_open(self):\n"
        "        self.reader, self.writer = await asyncio.wait_for(\n"
        "            asyncio.open_connection(\n"
        "                self.host,\n"
        "                self.port,\n"
        "            ),\n"
        "            timeout=30,\n"
        "        )\n"
    )


def test_gathered_calls_keep_their_nested_layout() -> None:
    """Calls moved one level into `asyncio.gather(` keep their own lines' indentation
    relative to them (in a method, two levels deep), or are joined when nothing keeps them
    open."""
    source = (
        "import asyncio\n\n\nclass Page:\n"
        "    async def load(self, fetch, fetch_body):\n"
        "        head = await fetch(\n"
        "            'head',\n"
        "            [\n"
        "                1,\n"
        "                2,\n"
        "            ],\n"
        "        )\n"
        "        body = await fetch_body()\n"
        "        return head, body\n\n"
        "    async def load_short(self, fetch, fetch_body):\n"
        "        head = await fetch(\n"
        "            'head', 1\n"
        "        )\n"
        "        body = await fetch_body()\n"
        "        return head, body\n"
    )
    assert fixed(source, "ASL200") == (
        "import asyncio\n\n\nclass Page:\n"
        "    async def load(self, fetch, fetch_body):\n"
        "        head, body = await asyncio.gather(\n"
        "            fetch(\n"
        "                'head',\n"
        "                [\n"
        "                    1,\n"
        "                    2,\n"
        "                ],\n"
        "            ),\n"
        "            fetch_body(),\n"
        "        )\n"
        "        return head, body\n\n"
        "    async def load_short(self, fetch, fetch_body):\n"
        "        head, body = await asyncio.gather(fetch('head', 1), fetch_body())\n"
        "        return head, body\n"
    )


def test_a_call_over_lines_in_a_gathered_loop() -> None:
    source = (
        "import asyncio\n\n\n"
        "async def notify(users, fetch):\n"
        "    for user in users:\n"
        "        await fetch(\n"
        "            user,\n"
        "            retries=3,\n"
        "        )\n\n\n"
        "async def notify_short(users, fetch):\n"
        "    for user in users:\n"
        "        await fetch(\n"
        "            user, retries=3\n"
        "        )\n"
    )
    assert fixed(source, "ASL201") == (
        "import asyncio\n\n\n"
        "async def notify(users, fetch):\n"
        "    await asyncio.gather(\n"
        "        *(\n"
        "            fetch(\n"
        "                user,\n"
        "                retries=3,\n"
        "            )\n"
        "            for user in users\n"
        "        ),\n"
        "    )\n\n\n"
        "async def notify_short(users, fetch):\n"
        "    await asyncio.gather(*(fetch(user, retries=3) for user in users))\n"
    )


def test_a_loop_variable_left_unread_is_removed() -> None:
    """`loop = asyncio.get_running_loop()` whose last use a fix replaced is dead code (ruff's
    F841): removed, with the import left unused, its blank and comment lines kept; kept
    while read, or with a comment after it."""
    source = (
        "import asyncio\nfrom functools import partial\n\n\n"
        "async def encrypt(data):\n"
        '    """Encrypt in a thread."""\n\n'
        "    loop = asyncio.get_running_loop()\n"
        "    return await loop.run_in_executor(None, partial(encrypt_in_place, data))\n\n\n"
        "async def still_read(work):\n"
        "    loop = asyncio.get_running_loop()\n"
        "    done = loop.create_future()\n"
        "    await loop.run_in_executor(None, work)\n"
        "    return done\n\n\n"
        "async def commented(work):\n"
        "    loop = asyncio.get_running_loop()  # the running loop\n"
        "    return await loop.run_in_executor(None, work)\n\n\n"
        "async def comment_above(path, content):\n"
        '    content = "Hello"\n\n'
        "    # Write the file in a thread.\n"
        "    loop = asyncio.get_running_loop()\n"
        "    await loop.run_in_executor(None, path.write_text, content)\n\n\n"
        "async def comment_below(path, content):\n"
        '    content = "Hello"\n\n'
        "    loop = asyncio.get_running_loop()\n"
        "    # Write the file in a thread.\n"
        "    await loop.run_in_executor(None, path.write_text, content)\n"
    )
    assert fixed(source, "ASL606") == (
        "import asyncio\n\n\n"
        "async def encrypt(data):\n"
        '    """Encrypt in a thread."""\n\n'
        "    return await asyncio.to_thread(encrypt_in_place, data)\n\n\n"
        "async def still_read(work):\n"
        "    loop = asyncio.get_running_loop()\n"
        "    done = loop.create_future()\n"
        "    await asyncio.to_thread(work)\n"
        "    return done\n\n\n"
        "async def commented(work):\n"
        "    loop = asyncio.get_running_loop()  # the running loop\n"
        "    return await asyncio.to_thread(work)\n\n\n"
        "async def comment_above(path, content):\n"
        '    content = "Hello"\n\n'
        "    # Write the file in a thread.\n"
        "    await asyncio.to_thread(path.write_text, content)\n\n\n"
        "async def comment_below(path, content):\n"
        '    content = "Hello"\n\n'
        "    # Write the file in a thread.\n"
        "    await asyncio.to_thread(path.write_text, content)\n"
    )


def test_a_loop_variable_unread_before_the_fixes_is_not_ours_to_remove() -> None:
    source = (
        "import asyncio\nimport time\n\n\n"
        "async def poll():\n"
        "    loop = asyncio.get_running_loop()\n"
        "    time.sleep(1)\n"
    )
    assert "    loop = asyncio.get_running_loop()\n" in fixed(source, "ASL101")


def test_a_call_rebuilt_from_one_written_an_argument_a_line_stays_so() -> None:
    """`run_in_executor(None, f, (multi-line argument),)` becomes `to_thread(` one argument a
    line: the argument over several lines keeps its lines, relative to it."""
    source = (
        "import asyncio\n\n\nclass Payload:\n"
        "    async def write(self, remaining):\n"
        "        loop = asyncio.get_running_loop()\n"
        "        while remaining:\n"
        "            chunk = await loop.run_in_executor(\n"
        "                None,\n"
        "                self._read,\n"
        "                (\n"
        "                    min(DEFAULT_CHUNK_SIZE, remaining)\n"
        "                    if remaining is not None\n"
        "                    else DEFAULT_CHUNK_SIZE\n"
        "                ),\n"
        "            )\n"
        "            remaining -= len(chunk)\n"
    )
    assert fixed(source, "ASL606") == (
        "import asyncio\n\n\nclass Payload:\n"
        "    async def write(self, remaining):\n"
        "        while remaining:\n"
        "            chunk = await asyncio.to_thread(\n"
        "                self._read,\n"
        "                (\n"
        "                    min(DEFAULT_CHUNK_SIZE, remaining)\n"
        "                    if remaining is not None\n"
        "                    else DEFAULT_CHUNK_SIZE\n"
        "                ),\n"
        "            )\n"
        "            remaining -= len(chunk)\n"
    )
