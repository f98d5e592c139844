"""Property-based fuzzing of the engine and the fixer, with every rule selected and unsafe
fixes on: no rule raises (no ASL002), every fixed output parses and compiles, fixing twice
equals fixing once, and a file with nothing to fix comes back byte for byte.

Two generators: hypothesmith's programs from the Python grammar, and async programs built
from the constructs the rules look at (async defs, awaits, with/async with, try/except,
loops, comprehensions, lambdas, nested defs, calls to catalogued functions under aliases).
Examples are derandomized, so a failure reproduces on every run; each bug found becomes a
fixture.
"""

from __future__ import annotations

import hypothesmith
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from asynclint.engine import LintRequest
from asynclint.fixer import fix_text, verify
from asynclint.registry import selected_codes
from asynclint.settings import Settings

pytestmark = pytest.mark.slow

SETTINGS = Settings(select=("ALL",), unsafe_fixes=True)
CODES = selected_codes(SETTINGS)

IMPORTS = [
    "import asyncio",
    "import asyncio as aio",
    "import time",
    "import time as t",
    "from time import sleep",
    "from time import sleep as nap",
    "import os",
    "import subprocess",
    "import requests",
    "import aiohttp",
    "import httpx",
    "import contextlib",
    "import threading",
    "import socket",
    "import anyio",
    "from asyncio import get_event_loop, run",
]

# Expressions that the rules look at, plus harmless ones. Names used here are defined by
# the program's prelude, so every generated program compiles.
CALLS = [
    "time.sleep(1)",
    "t.sleep(0.1)",
    "sleep(2)",
    "nap(0)",
    "asyncio.sleep(1)",
    "aio.sleep(0)",
    "asyncio.run(work())",
    "run(work())",
    "get_event_loop()",
    "asyncio.get_event_loop()",
    "asyncio.get_running_loop()",
    "asyncio.create_task(work())",
    "asyncio.ensure_future(work())",
    "asyncio.gather(work(), work())",
    "asyncio.gather(*[work() for _ in range(2)], return_exceptions=True)",
    "asyncio.wait_for(work(), None)",
    "asyncio.wait_for(work(), 5)",
    "asyncio.wait([work()])",
    "asyncio.open_connection('localhost', 80)",
    "asyncio.to_thread(time.sleep, 1)",
    "asyncio.to_thread(lambda: time.sleep(1))",
    "requests.get(URL)",
    "requests.get(URL, timeout=5)",
    "requests.Session().post(URL)",
    "subprocess.run(['true'])",
    "subprocess.Popen(['true']).wait()",
    "os.listdir('.')",
    "os.path.exists('x')",
    "open(PATH)",
    "open(PATH).read()",
    "input()",
    "socket.getaddrinfo('h', 80)",
    "aiohttp.ClientSession()",
    "httpx.AsyncClient()",
    "httpx.get(URL, timeout=None)",
    "threading.Lock()",
    "contextlib.suppress(asyncio.CancelledError)",
    "work()",
    "helper()",
    "print('x')",
    "len([])",
]

PRELUDE = """
URL = "https://example.com"
PATH = "data.txt"


async def work(*args, **kwargs):
    return 1


def helper():
    time.sleep(0)
    return open(PATH)
"""


@st.composite
def blocks(draw: st.DrawFn, depth: int, in_loop: bool, in_async: bool) -> list[str]:
    """A list of statement lines (indented relative to the block)."""
    count = draw(st.integers(min_value=1, max_value=4))
    lines: list[str] = []
    for _ in range(count):
        lines.extend(draw(statement(depth, in_loop, in_async)))
    return lines


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@st.composite
def statement(draw: st.DrawFn, depth: int, in_loop: bool, in_async: bool) -> list[str]:
    call = draw(st.sampled_from(CALLS))
    simple = [
        call,
        f"x = {call}",
        f"value = {call}",
        "pass",
        f"results = [{call} for _ in range(2)]",
        f"callback = lambda: {call}",
    ]
    if in_async:
        simple += [
            f"await {call}" if call.startswith(("asyncio.", "aio.", "work(")) else call,
            "await work()",
            "x = await work()",
            "y = await work(x if 'x' in dir() else 0)",
            "await asyncio.sleep(0)",
            "results = [await work(i) for i in range(3)]",
            "await asyncio.gather(await work(), work())",
        ]
    if in_loop:
        simple += ["break", "continue"]
    if depth <= 0:
        return [draw(st.sampled_from(simple))]
    kind = draw(
        st.sampled_from(
            ["simple", "simple", "if", "for", "while", "try", "with", "def", "async_def", "async_with"]
        )
    )
    inner = depth - 1
    if kind == "if":
        body = draw(blocks(inner, in_loop, in_async))
        orelse = draw(blocks(inner, in_loop, in_async))
        return ["if len([]) == 0:", *_indent(body), "else:", *_indent(orelse)]
    if kind == "for":
        prefix = (
            draw(st.sampled_from(["for i in range(3):", "async for i in agen():"]))
            if in_async
            else "for i in range(3):"
        )
        return [prefix, *_indent(draw(blocks(inner, True, in_async)))]
    if kind == "while":
        return ["while True:", *_indent(draw(blocks(inner, True, in_async))), "    break"]
    if kind == "try":
        handler = draw(
            st.sampled_from(
                [
                    "asyncio.CancelledError",
                    "Exception",
                    "BaseException",
                    "(ValueError, asyncio.CancelledError)",
                ]
            )
        )
        body = draw(blocks(inner, in_loop, in_async))
        handled = draw(blocks(inner, in_loop, in_async))
        tail = draw(st.sampled_from([[], ["finally:", "    pass"], ["else:", "    pass"]]))
        return ["try:", *_indent(body), f"except {handler}:", *_indent(handled), *tail]
    if kind == "with":
        manager = draw(
            st.sampled_from(["open(PATH) as f", "threading.Lock()", "contextlib.suppress(Exception)"])
        )
        return [f"with {manager}:", *_indent(draw(blocks(inner, in_loop, in_async)))]
    if kind == "async_with" and in_async:
        manager = draw(
            st.sampled_from(
                [
                    "aiohttp.ClientSession() as session",
                    "asyncio.timeout(5)",
                    "asyncio.Lock()",
                    "asyncio.TaskGroup() as tg",
                ]
            )
        )
        return [f"async with {manager}:", *_indent(draw(blocks(inner, in_loop, in_async)))]
    if kind in ("def", "async_def"):
        is_async = kind == "async_def"
        head = "async def nested():" if is_async else "def nested():"
        return [head, *_indent(draw(blocks(inner, False, is_async)))]
    return [draw(st.sampled_from(simple))]


@st.composite
def async_programs(draw: st.DrawFn) -> str:
    imports = draw(st.lists(st.sampled_from(IMPORTS), min_size=1, max_size=6, unique=True))
    needed = [line for line in IMPORTS if line != "import anyio"]
    # Every name CALLS uses must exist; the drawn imports only choose the order and the
    # extra spellings (so aliases and shadowing vary between programs).
    lines = list(dict.fromkeys(imports + needed))
    lines += PRELUDE.splitlines()
    lines += ["", "", "async def agen():", "    yield 1", ""]
    functions = draw(st.integers(min_value=1, max_value=3))
    for index in range(functions):
        is_async = draw(st.booleans()) or index == 0
        params = draw(st.sampled_from(["", "session", "timeout=None", "lock: asyncio.Lock"]))
        head = f"async def f{index}({params}):" if is_async else f"def f{index}({params}):"
        body = draw(blocks(draw(st.integers(min_value=0, max_value=3)), False, is_async))
        lines += ["", "", head, *_indent(body)]
    return "\n".join(lines) + "\n"


def check_properties(source: str) -> None:
    outcome = fix_text(LintRequest(source, "fuzz.py", "fuzz.py", SETTINGS, CODES), unsafe=True)
    internal = [d for d in outcome.result.diagnostics if d.code == "ASL002"]
    assert not internal, "\n".join(d.message for d in internal) + "\n---\n" + source
    assert not [f for f in outcome.failures if "before fixing" not in f], (outcome.failures, source)
    if outcome.text != source:
        assert verify(outcome.text, "fuzz.py") is None, outcome.text
        again = fix_text(LintRequest(outcome.text, "fuzz.py", "fuzz.py", SETTINGS, CODES), unsafe=True)
        assert again.text == outcome.text, (
            f"second fix changed the code:\n{source}\n---\n{outcome.text}\n---\n{again.text}"
        )
    elif not any(d.fix for d in outcome.result.diagnostics):
        assert outcome.text == source


# Shrinking a failure here can take many minutes; the examples are derandomized and the
# failing program is printed whole, which is enough to turn it into a fixture.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(async_programs())
def test_generated_async_programs(source: str) -> None:
    compile(source, "fuzz.py", "exec", dont_inherit=True)  # the generator only makes valid code
    check_properties(source)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=NO_SHRINK,
    suppress_health_check=list(HealthCheck),
)
@given(hypothesmith.from_node())
def test_hypothesmith_programs(source: str) -> None:
    check_properties(source)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=NO_SHRINK,
    suppress_health_check=list(HealthCheck),
)
@given(hypothesmith.from_grammar(auto_target=False))
def test_grammar_programs(source: str) -> None:
    try:
        compile(source, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return  # the grammar allows some code that CPython rejects; the engine must still not crash
    check_properties(source)
