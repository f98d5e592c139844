from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import COMPREHENSIONS, children, dotted_name, short_code
from asynclint.catalogs.concurrency import IN_PROCESS_STATE, PURE_BUILTINS, SLEEPS
from asynclint.rule import FixSafety, Rule

EVENTS = {"asyncio": "asyncio.Event", "anyio": "anyio.Event", "trio": "trio.Event"}
#: Methods that read the state of a queue, event or lock of this process, on an object of
#: unknown type (`done()` is left out: a remote job has one too).
STATE_METHODS = frozenset({"empty", "full", "qsize", "is_set", "locked"})
#: Libraries whose objects are this process's own state (the events to wait on come from
#: them too).
OWN_STATE_LIBRARIES = ("asyncio.", "anyio.", "trio.", "threading.")
MAX_SHOWN = 40


def _body(suite: cst.BaseSuite) -> list[cst.BaseStatement | cst.BaseSmallStatement]:
    """The statements of a suite, without `pass` and docstrings."""
    items: list[cst.BaseStatement | cst.BaseSmallStatement] = []
    raw: list[cst.BaseStatement | cst.BaseSmallStatement] = []
    if isinstance(suite, cst.SimpleStatementSuite):
        raw.extend(suite.body)
    else:
        assert isinstance(suite, cst.IndentedBlock)
        for stmt in suite.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                raw.extend(stmt.body)
            else:
                raw.append(stmt)
    for item in raw:
        if isinstance(item, cst.Pass):
            continue
        if isinstance(item, cst.Expr) and isinstance(item.value, (cst.SimpleString, cst.ConcatenatedString)):
            continue
        items.append(item)
    return items


class AsyncBusyWait(Rule):
    """
    ## What it does
    Finds loops in an `async def` that only sleep until a condition becomes true:
    `while not <cond>: await asyncio.sleep(...)`, and `while True:` with
    `if <cond>: break` and the sleep. Conditions that await, call a function (which may
    ask another system, as polling an API or a process does), or use `:=` are left
    alone; `len()`, `isinstance()` and the state of asyncio objects of known type
    (`Event.is_set()`, `Task.done()`, `Queue.empty()`) count as in-process state, and so
    do `empty()`, `full()`, `qsize()`, `is_set()` and `locked()` on an object of unknown
    type (`while q.empty():`). It stays silent when the condition reads an object this
    module does not control, which may offer no event to wait on: an instance of another
    package's class (`uvicorn.Server`), an object awaited from a library or another task
    (`server = await tg.start(...)`), or private attributes of another object
    (`worker._client.events`); a `threading.Event`, which another thread sets; and in
    test files, which poll fakes and servers they start.

    ## Why is this bad?
    The condition can only change because another task of this process changed it, and
    then that task could just as well tell the waiter. Polling wakes the loop up for
    nothing, adds up to one sleep interval of delay, and hides the hand-over between the
    tasks.

    ## Example
        import asyncio

        async def wait_ready(state):
            while not state.ready:
                await asyncio.sleep(0.1)

    ## Use instead
        import asyncio

        async def wait_ready(ready: asyncio.Event):
            await ready.wait()

    ## Fix safety
    No fix: the task that changes the condition must set the event.
    """

    code = "ASL207"
    name = "async-busy-wait"
    message = "Polling `{cond}` with `{sleep}()` in a loop; wait on an `{event}` (or a `Condition`) that the changing task sets"
    fix_safety = FixSafety.NONE
    peer = "ASYNC110"
    triggers = ("while", "sleep")
    # Tests poll fakes and servers they start, which have no event to wait on.
    skip_test_files = True

    def visit_While(self, node: cst.While) -> None:
        if self.ctx.async_function is None or node.orelse is not None:
            return
        body = _body(node.body)
        test = node.test
        cond: cst.BaseExpression | None = None
        sleep: str | None = None
        if isinstance(test, cst.Name) and test.value == "True":
            if len(body) != 2:
                return
            for first, second in ((body[0], body[1]), (body[1], body[0])):
                brk = self._break_test(first)
                if brk is not None:
                    cond, sleep = brk, self._sleep(second)
                    break
        elif len(body) == 1:
            cond, sleep = test, self._sleep(body[0])
        if cond is None or sleep is None or not self._in_process(cond) or self._not_ours(cond):
            return
        shown = short_code(self.ctx.code_for(cond), MAX_SHOWN)
        self.report(node, cond=shown, sleep=sleep, event=EVENTS[self.ctx.library])

    def _sleep(self, item: cst.CSTNode) -> str | None:
        if not isinstance(item, cst.Expr) or not isinstance(item.value, cst.Await):
            return None
        call = item.value.expression
        if not isinstance(call, cst.Call):
            return None
        name = self.ctx.qualified_name(call.func)
        return name if name in SLEEPS else None

    @staticmethod
    def _break_test(item: cst.CSTNode) -> cst.BaseExpression | None:
        if not isinstance(item, cst.If) or item.orelse is not None:
            return None
        inner = _body(item.body)
        if len(inner) == 1 and isinstance(inner[0], cst.Break):
            return item.test
        return None

    def _in_process(self, cond: cst.BaseExpression) -> bool:
        """Whether the condition only reads state of this process."""
        stack: list[cst.CSTNode] = [cond]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Await, cst.NamedExpr, cst.Yield, cst.Lambda, *COMPREHENSIONS)):
                return False
            if isinstance(node, cst.Call):
                name = self.ctx.call_name(node)
                if name is None and not node.args and self._state_method(node.func):
                    stack.append(node.func.value)  # type: ignore[attr-defined]
                    continue
                # A `threading.Event` is set by another thread, which has no asyncio event
                # to set: polling it is how a coroutine waits for it without a thread.
                if name is not None and name.startswith("threading."):
                    return False
                if name is None or (name not in PURE_BUILTINS and name not in IN_PROCESS_STATE):
                    return False
                stack.extend(arg.value for arg in node.args)
                if isinstance(node.func, cst.Attribute):
                    stack.append(node.func.value)
                continue
            stack.extend(_children(node))
        return True

    def _state_method(self, func: cst.BaseExpression) -> bool:
        """`q.empty()`, `self._ready.is_set()` on a receiver of unknown type."""
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value in STATE_METHODS
            and dotted_name(func.value) is not None
            and self.ctx.type_of(func.value) is None
        )

    def _not_ours(self, cond: cst.BaseExpression) -> bool:
        """The condition reads an object this module does not control, which may offer no
        event to wait on: an instance of another package's class (`uvicorn.Server`), an
        object a library or another task handed back (`server = await tg.start(...)`), or
        the private attributes of another object (`worker._client.events`)."""
        for node in _walk(cond):
            if not isinstance(node, cst.Attribute):
                continue
            root: cst.BaseExpression = node
            while isinstance(root, cst.Attribute):
                root = root.value
            if not isinstance(root, cst.Name) or root.value in ("self", "cls"):
                continue
            if node.attr.value.startswith("_"):
                return True
            kind = self.ctx.type_of(root)
            own = self.ctx.module_info.name.split(".", 1)[0]
            if (
                kind is not None
                and not kind.startswith(OWN_STATE_LIBRARIES)
                and (not own or not kind.startswith(own + "."))
            ):
                return True
            found = self.ctx.lookup(root.value)
            if (
                found is not None
                and found[0] is self.ctx.frame.function_frame()
                and any(isinstance(b.value, cst.Await) for b in found[1])
            ):
                return True
        return False


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children(current))
    return found


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    return list(children(node))
