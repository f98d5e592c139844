"""Generated async programs full of the antipatterns the rules look at, shared by the fuzz
tests (through hypothesis) and the benchmarks (through a seeded `random.Random`).

A program is built from the constructs the rules look at: async defs, awaits, with/async
with, try/except, loops, comprehensions, lambdas, nested defs, calls to catalogued
functions under aliases. Every program compiles. The generator draws its choices from a
`Chooser`, so one generator serves both drivers: `async_programs()` is the hypothesis
strategy, `random_program(rng)` the plain function.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

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

HANDLERS = [
    "asyncio.CancelledError",
    "Exception",
    "BaseException",
    "(ValueError, asyncio.CancelledError)",
]
MANAGERS = ["open(PATH) as f", "threading.Lock()", "contextlib.suppress(Exception)"]
ASYNC_MANAGERS = [
    "aiohttp.ClientSession() as session",
    "asyncio.timeout(5)",
    "asyncio.Lock()",
    "asyncio.TaskGroup() as tg",
]
KINDS = ["simple", "simple", "if", "for", "while", "try", "with", "def", "async_def", "async_with"]


class Chooser(Protocol):
    """Where the generator's choices come from."""

    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def boolean(self) -> bool: ...

    def some(self, options: Sequence[T], low: int, high: int) -> list[T]:
        """Between `low` and `high` distinct items of `options`, in a drawn order."""
        ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def boolean(self) -> bool:
        return self.rng.random() < 0.5

    def some(self, options: Sequence[T], low: int, high: int) -> list[T]:
        return self.rng.sample(list(options), self.rng.randint(low, high))


class DrawChooser:
    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(min_value=low, max_value=high))

    def boolean(self) -> bool:
        return self.draw(st.booleans())

    def some(self, options: Sequence[T], low: int, high: int) -> list[T]:
        return self.draw(st.lists(st.sampled_from(options), min_size=low, max_size=high, unique=True))


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def block(pick: Chooser, depth: int, in_loop: bool, in_async: bool) -> list[str]:
    """A list of statement lines (indented relative to the block)."""
    lines: list[str] = []
    for _ in range(pick.integer(1, 4)):
        lines.extend(statement(pick, depth, in_loop, in_async))
    return lines


def statement(pick: Chooser, depth: int, in_loop: bool, in_async: bool) -> list[str]:
    call = pick.choice(CALLS)
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
        return [pick.choice(simple)]
    kind = pick.choice(KINDS)
    inner = depth - 1
    if kind == "if":
        body = block(pick, inner, in_loop, in_async)
        orelse = block(pick, inner, in_loop, in_async)
        return ["if len([]) == 0:", *_indent(body), "else:", *_indent(orelse)]
    if kind == "for":
        prefix = (
            pick.choice(["for i in range(3):", "async for i in agen():"])
            if in_async
            else "for i in range(3):"
        )
        return [prefix, *_indent(block(pick, inner, True, in_async))]
    if kind == "while":
        return ["while True:", *_indent(block(pick, inner, True, in_async)), "    break"]
    if kind == "try":
        handler = pick.choice(HANDLERS)
        body = block(pick, inner, in_loop, in_async)
        handled = block(pick, inner, in_loop, in_async)
        tail = pick.choice([[], ["finally:", "    pass"], ["else:", "    pass"]])
        return ["try:", *_indent(body), f"except {handler}:", *_indent(handled), *tail]
    if kind == "with":
        manager = pick.choice(MANAGERS)
        return [f"with {manager}:", *_indent(block(pick, inner, in_loop, in_async))]
    if kind == "async_with" and in_async:
        manager = pick.choice(ASYNC_MANAGERS)
        return [f"async with {manager}:", *_indent(block(pick, inner, in_loop, in_async))]
    if kind in ("def", "async_def"):
        is_async = kind == "async_def"
        head = "async def nested():" if is_async else "def nested():"
        return [head, *_indent(block(pick, inner, False, is_async))]
    return [pick.choice(simple)]


def program(pick: Chooser) -> str:
    imports = pick.some(IMPORTS, 1, 6)
    needed = [line for line in IMPORTS if line != "import anyio"]
    # Every name CALLS uses must exist; the drawn imports only choose the order and the
    # extra spellings (so aliases and shadowing vary between programs).
    lines = list(dict.fromkeys(imports + needed))
    lines += PRELUDE.splitlines()
    lines += ["", "", "async def agen():", "    yield 1", ""]
    for index in range(pick.integer(1, 3)):
        is_async = pick.boolean() or index == 0
        params = pick.choice(["", "session", "timeout=None", "lock: asyncio.Lock"])
        head = f"async def f{index}({params}):" if is_async else f"def f{index}({params}):"
        body = block(pick, pick.integer(0, 3), False, is_async)
        lines += ["", "", head, *_indent(body)]
    return "\n".join(lines) + "\n"


@st.composite
def async_programs(draw: st.DrawFn) -> str:
    """Hypothesis strategy: a generated async program."""
    return program(DrawChooser(draw))


def random_program(rng: random.Random) -> str:
    return program(RandomChooser(rng))
