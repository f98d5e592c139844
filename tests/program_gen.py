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

import libcst as cst
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


# Async programs from hypothesmith ------------------------------------------------------

ASYNC_PRELUDE = """\
import asyncio
import contextlib
import os
import socket
import subprocess
import threading
import time

import aiohttp
import httpx
import requests
"""

#: What a call to a plain name in a hypothesmith program becomes (by the name's letters),
#: so the rules meet their functions with odd arguments in odd places.
CALLEES = [
    "time.sleep",
    "asyncio.sleep",
    "asyncio.create_task",
    "asyncio.ensure_future",
    "asyncio.gather",
    "asyncio.wait_for",
    "asyncio.wait",
    "asyncio.get_event_loop",
    "asyncio.run",
    "asyncio.timeout",
    "asyncio.to_thread",
    "requests.get",
    "requests.Session",
    "subprocess.run",
    "os.listdir",
    "open",
    "input",
    "socket.getaddrinfo",
    "threading.Lock",
    "aiohttp.ClientSession",
    "httpx.AsyncClient",
    "contextlib.suppress",
]


class _AwaitCalls(cst.CSTTransformer):
    """Renames the callees that are plain names to functions the rules know (`CALLEES`)
    and awaits calls that run in the function being built (not in a nested def, lambda
    or class, where `await` is not allowed): every other one, or (`statements_only`)
    those that are a whole expression statement, or (`awaits=False`) none."""

    def __init__(self, awaits: bool, statements_only: bool = False) -> None:
        super().__init__()
        self.awaits = awaits
        self.statements_only = statements_only
        self.depth = 0
        self.calls = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.depth -= 1
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.depth += 1

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda) -> cst.Lambda:
        self.depth -= 1
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.depth -= 1
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if isinstance(updated.func, cst.Name):
            name = updated.func.value
            callee = CALLEES[sum(map(ord, name)) % len(CALLEES)]
            updated = updated.with_changes(func=cst.parse_expression(callee))
        self.calls += 1
        if self.depth or not self.awaits or self.statements_only or self.calls % 2:
            return updated
        return cst.Await(updated, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.Expr:
        if self.depth or not self.statements_only or not isinstance(updated.value, cst.Call):
            return updated
        return updated.with_changes(value=cst.Await(updated.value))


def asyncify(source: str) -> str | None:
    """`source` (a module) as the body of an `async def` that awaits `asyncio.sleep(0)`
    and the calls it makes (see `_AwaitCalls`), after imports of the modules `CALLEES`
    name. `from __future__` and star imports stay at module level. None when no such
    program compiles (the module's code only fits at module level) or libcst cannot
    read `source`."""
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    top: list[cst.BaseStatement] = []
    body: list[cst.BaseStatement] = []
    for stmt in module.body:
        module_only = isinstance(stmt, cst.SimpleStatementLine) and any(
            isinstance(s, cst.ImportFrom)
            and (
                isinstance(s.names, cst.ImportStar)
                or (s.module is not None and _dotted(s.module) == "__future__")
            )
            for s in stmt.body
        )
        (top if module_only else body).append(stmt)
    sleep = cst.parse_statement("await asyncio.sleep(0)\n")
    prelude = cst.parse_module(ASYNC_PRELUDE).body
    for transform in (_AwaitCalls(True), _AwaitCalls(True, statements_only=True), _AwaitCalls(False)):
        try:
            awaited = [s.visit(transform) for s in body]
            function = cst.FunctionDef(
                name=cst.Name("_fuzz"),
                params=cst.Parameters(),
                body=cst.IndentedBlock(body=[sleep, *awaited]),  # type: ignore[list-item]
                asynchronous=cst.Asynchronous(),
            )
            code = module.with_changes(body=[*top, *prelude, function]).code
            compile(code, "fuzz.py", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, cst.CSTValidationError):
            continue
        return code
    return None


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""
