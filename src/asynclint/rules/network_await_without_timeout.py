from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.methods import self_class
from asynclint.analysis.nodes import dotted_name, is_none, keyword_arg, short_code, walk
from asynclint.catalogs import timeouts as table
from asynclint.catalogs.names import canonical
from asynclint.fixes import NodeFix, imports_for, split_for_wrapping
from asynclint.rule import FixSafety, Rule
from asynclint.rules._timeouts import (
    caller_manages_time,
    construction_call,
    default_timeout_literal,
    enclosing_timeout,
    functions_bounded_by_callers,
    is_bounding_scope,
    walk_class_assignments,
    with_keyword,
)

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

_OPENERS = frozenset({"asyncio.open_connection", "asyncio.open_unix_connection"})
_REDIS_IMPORT_RE = re.compile(r"^\s*(?:from|import)\s+redis\b", re.M)
_READ_METHODS = frozenset(name.rsplit(".", 1)[-1] for name in table.UNBOUNDED_READS if "StreamReader" in name)
#: The cure the message names in an anyio or trio module.
_LIBRARY_CURES = {"anyio": "`with anyio.fail_after(...)`", "trio": "`with trio.fail_after(...)`"}
#: Statements whose value an `await` can be, for the wrapping fix.
_STATEMENT_VALUES = (cst.Expr, cst.Assign, cst.AnnAssign, cst.Return)


class NetworkAwaitWithoutTimeout(Rule):
    """
    ## What it does
    Finds awaits inside `async def` that can wait forever because nothing bounds them:
    connecting with `asyncio.open_connection` / `open_unix_connection`, reading from a
    connection the module opens that way (`read`, `readline`, `readexactly`,
    `readuntil` on the reader unpacked in the same function, or on `self._reader` when
    every assignment of it in the class unpacks `open_connection`), and commands of a
    `redis.asyncio` client built without `socket_timeout` (with `timeout-reads = true`
    also asyncpg queries on a connection or pool built without `command_timeout`).
    Acquiring from a pool (`pool.acquire()`) is not reported: it waits only for a
    connection another query of the pool holds, so the bound that is missing is that
    query's (`command_timeout`).
    `extend-unbounded-calls` adds your own, and the event loop's low-level
    `create_connection` / `sock_connect`, which are left out by default because libraries
    that use them bound the time in their public API (asyncpg's `connect(timeout=60)`). It stays silent when the call has a timeout keyword or is handed an already
    connected socket (`sock=`), when a timeout scope
    (`asyncio.timeout`, `timeout_at`, `async_timeout`, anyio/trio `fail_after` /
    `move_on_after`, a context manager named like a timeout) encloses it in the same
    function, when the function takes a `timeout`, `*_timeout` or `deadline` parameter or
    has a timeout decorator, when a caller in the module runs the function under a timeout
    (or through `wait_for`), and in test files. A server's reader, handed to its
    connection callback, waits for its peer by design and is not reported. The message
    names the cure the fix writes: `asyncio.wait_for` below Python 3.11 (the configured
    `target-version`), `asyncio.timeout` from 3.11, and `anyio.fail_after` /
    `trio.fail_after` in a module that uses anyio or trio.

    ## Why is this bad?
    These calls have no timeout of their own: a connect to a host that drops packets waits
    for the operating system (minutes), and a server that stops answering waits forever. The task hangs, holds what it acquired, and
    whatever awaits it hangs too.

    ## Example
        import asyncio

        async def send(host, payload):
            reader, writer = await asyncio.open_connection(host, 9000)
            writer.write(payload)
            await writer.drain()

    ## Use instead
        import asyncio

        async def send(host, payload):
            async with asyncio.timeout(10):
                reader, writer = await asyncio.open_connection(host, 9000)
            writer.write(payload)
            await writer.drain()

    ## Fix safety
    Unsafe: the call can now fail with `TimeoutError` after `default-timeout` seconds (30
    unless configured), a new failure mode callers may not handle. An awaited call that is
    a whole statement is wrapped in `async with asyncio.timeout(N):` when `target-version`
    is 3.11 or later; otherwise (or inside an expression) it becomes
    `await asyncio.wait_for(..., timeout=N)`. In a module that uses anyio, a whole
    statement is wrapped in `with anyio.fail_after(N):` instead, and an await inside an
    expression gets no fix. An `async with` item (an `extend-unbounded-calls` entry such as
    `asyncpg.Pool.acquire`) gets its own timeout keyword instead.
    No fix in a module that uses trio.
    """

    code = "ASL401"
    name = "network-await-without-timeout"
    message = "`{what}` can wait forever: it has no timeout{keyword_hint} and no enclosing timeout scope; bound it with {cure}"
    fix_safety = FixSafety.UNSAFE
    skip_test_files = True

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        extra = self.ctx.settings.extend_unbounded_calls
        self._connects = {**table.UNBOUNDED_CONNECTS, **{canonical(k): v for k, v in extra.items()}}
        # Method names worth resolving a receiver's type for (the cheap test first).
        names = set(self._connects)
        if self.ctx.settings.timeout_reads:
            names |= set(table.UNBOUNDED_READS)
        self._methods = {name.rsplit(".", 1)[-1] for name in names} | _READ_METHODS
        self._uses_redis: bool | None = None

    # Detection -------------------------------------------------------------------------

    def visit_Await(self, node: cst.Await) -> None:
        call = node.expression
        if not isinstance(call, cst.Call) or self.ctx.async_function is None:
            return
        found = self._unbounded(call)
        if found is None:
            return
        label, keyword = found
        self._consider(node, call, label, keyword, awaited=node)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is None or self.ctx.async_function is None:
            return
        for index, item in enumerate(node.items):
            call = item.item
            if not isinstance(call, cst.Call):
                continue
            found = self._unbounded(call)
            if found is None:
                continue
            if any(is_bounding_scope(self.ctx, earlier.item) for earlier in node.items[:index]):
                continue
            label, keyword = found
            self._consider(call, call, label, keyword, awaited=None)

    def _unbounded(self, call: cst.Call) -> tuple[str, str] | None:
        """(label, timeout keyword) when `call` is in the unbounded table and not bounded
        by its own arguments or by how its client was built."""
        func = call.func
        if isinstance(func, cst.Attribute):
            last = func.attr.value
            if last.startswith("_") or (last not in self._methods and not self._imports_redis()):
                return None
        elif not isinstance(func, cst.Name):
            return None
        name = self.ctx.call_name(call)
        # A client's stream reads, on a connection this module opens: on by default.
        if (name is None or name in table.UNBOUNDED_READS) and self._client_read(call):
            return dotted_name(func) or "read", ""
        if name is None:
            return None
        keyword = self._connects.get(name)
        connected = table.CONNECTED_SOCKET_KEYWORDS.get(name)
        if connected is not None and keyword_arg(call, connected) is not None:
            return None
        if keyword is None and self.ctx.settings.timeout_reads:
            keyword = self._read_keyword(call, name)
        if keyword is None:
            keyword = self._redis_keyword(call, name)
        if keyword is None:
            return None
        if keyword:
            given = keyword_arg(call, keyword)
            if (given is not None and not is_none(given.value)) or any(a.star == "**" for a in call.args):
                return None
        return dotted_name(func) or short_code(self.ctx.code_for(func), 50, keep_end=True), keyword

    def _imports_redis(self) -> bool:
        if self._uses_redis is None:
            # The substring first: `in` scans at memchr speed, the expression at each line.
            source = self.ctx.source
            self._uses_redis = "redis" in source and _REDIS_IMPORT_RE.search(source) is not None
        return self._uses_redis

    def _read_keyword(self, call: cst.Call, name: str) -> str | None:
        if name in table.UNBOUNDED_READS:
            receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
            if receiver is None or not self._built_without(receiver, "command_timeout"):
                return None
            return table.UNBOUNDED_READS[name]
        return None

    def _client_read(self, call: cst.Call) -> bool:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _READ_METHODS:
            return False
        if isinstance(func.value, cst.Name):
            return self._client_reader(func.value.value)
        if isinstance(func.value, cst.Attribute) and isinstance(func.value.value, cst.Name):
            return self._client_reader_attribute(func.value)
        return False

    def _client_reader_attribute(self, receiver: cst.Attribute) -> bool:
        """`self._reader`, when every assignment of it in the class unpacks
        `await asyncio.open_connection(...)`."""
        assert isinstance(receiver.value, cst.Name)
        cls = self_class(self.ctx.frame, receiver.value.value)
        if cls is None:
            return False
        opened = False
        for target, value in walk_class_assignments(cls.node):
            elements = (
                [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
            )
            if not any(
                isinstance(e, cst.Attribute)
                and isinstance(e.value, cst.Name)
                and e.value.value == receiver.value.value
                and e.attr.value == receiver.attr.value
                for e in elements
            ):
                continue
            if is_none(value):
                continue
            if not (
                isinstance(target, (cst.Tuple, cst.List))
                and elements[0] is not None
                and isinstance(elements[0], cst.Attribute)
                and elements[0].attr.value == receiver.attr.value
                and isinstance(value, cst.Await)
                and isinstance(value.expression, cst.Call)
                and self.ctx.qualified_name(value.expression.func) in _OPENERS
            ):
                return False
            opened = True
        return opened

    def _redis_keyword(self, call: cst.Call, name: str) -> str | None:
        receiver_type, _, method = name.rpartition(".")
        if receiver_type not in table.REDIS_CLIENT_TYPES or method in table.REDIS_LOCAL_METHODS:
            return None
        if not isinstance(call.func, cst.Attribute):
            return None
        if not self._built_without(call.func.value, "socket_timeout"):
            return None
        return ""

    def _built_without(self, receiver: cst.BaseExpression, keyword: str) -> bool:
        """The object was visibly built (here or in the class) without `keyword`, also
        through `pool.acquire()` from such a pool."""
        built = construction_call(self.ctx, receiver)
        for _ in range(3):
            if built is None:
                return False
            name = self.ctx.call_name(built)
            if name in table.CLIENT_WIDE_TIMEOUTS:
                if any(a.star == "**" for a in built.args):
                    return False
                if table.CLIENT_WIDE_TIMEOUTS[name] != keyword:
                    return False
                arg = keyword_arg(built, keyword)
                if arg is not None and not is_none(arg.value):
                    return False
                if "url" in name and built.args and isinstance(built.args[0].value, cst.SimpleString):
                    return "timeout" not in built.args[0].value.value
                return True
            if name == "asyncpg.Pool.acquire" and isinstance(built.func, cst.Attribute):
                built = construction_call(self.ctx, built.func.value)
                continue
            return False
        return False

    def _client_reader(self, name: str) -> bool:
        """`name` is the reader unpacked from `open_connection` in this very function."""
        found = self.ctx.lookup(name)
        func_frame = self.ctx.frame.function_frame()
        if found is None or found[0] is not func_frame or len(found[1]) != 1:
            return False
        assign = found[1][0].node
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return False
        target = assign.targets[0].target
        value = assign.value
        if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(value, cst.Await):
            return False
        first = target.elements[0].value if target.elements else None
        if not isinstance(first, cst.Name) or first.value != name:
            return False
        opened = value.expression
        return isinstance(opened, cst.Call) and self.ctx.qualified_name(opened.func) in _OPENERS

    def _consider(
        self, node: cst.CSTNode, call: cst.Call, label: str, keyword: str, awaited: cst.Await | None
    ) -> None:
        function = self.ctx.async_function
        assert function is not None
        if enclosing_timeout(self.ctx) or caller_manages_time(self.ctx, function):
            return
        what = f"await {label}(...)" if awaited is not None else f"async with {label}(...)"
        hint = f" (`{keyword}=`)" if keyword else ""
        fix = self._fix(awaited, call, keyword)
        # The cure the fix writes: `asyncio.timeout` is 3.11+.
        cure = _LIBRARY_CURES.get(self.ctx.library) or (
            "`async with asyncio.timeout(...)`"
            if self.ctx.settings.target_minor >= 11
            else "`asyncio.wait_for(..., timeout)`"
        )
        self.report_unless_exempt(function.name.value, node, fix=fix, what=what, keyword_hint=hint, cure=cure)

    def finish(self) -> None:
        if self._held:
            self.release_reports(functions_bounded_by_callers(self.ctx))
        return None

    # Fixes -------------------------------------------------------------------------------

    def _fix(self, awaited: cst.Await | None, call: cst.Call, keyword: str) -> NodeFix | None:
        if self.ctx.library == "trio":
            return None
        seconds = default_timeout_literal(self.ctx.settings.default_timeout)
        if awaited is None:
            if not keyword or keyword_arg(call, keyword) is not None:
                return None
            return NodeFix(
                {call: with_keyword(call, keyword, seconds)},
                f"Pass `{keyword}={self.ctx.code_for(seconds)}`",
            )
        statement = self._statement(awaited)
        if self.ctx.library == "anyio":
            return self._anyio_fix(statement, seconds)
        if statement is not None and self.ctx.settings.target_minor >= 11:
            reference = self.ctx.reference("asyncio.timeout")
            if reference is None:
                return None
            func, module = reference
            # The comments right above the statement (`# pylint: disable-next=...`) go in
            # with it.
            outer, attached = split_for_wrapping(statement.leading_lines)
            scope = cst.With(
                asynchronous=cst.Asynchronous(),
                items=[cst.WithItem(cst.Call(func=func, args=[cst.Arg(seconds)]))],
                body=cst.IndentedBlock(body=[statement.with_changes(leading_lines=attached)]),
                leading_lines=outer,
            )
            return NodeFix(
                {statement: scope},
                f"Wrap the statement in `async with asyncio.timeout({self.ctx.code_for(seconds)}):`",
                imports_for(module),
            )
        reference = self.ctx.reference("asyncio.wait_for")
        if reference is None:
            return None
        func, module = reference
        inner = call.with_changes(lpar=(), rpar=())
        wrapped = cst.Call(
            func=func,
            args=[cst.Arg(inner), cst.Arg(value=seconds, keyword=cst.Name("timeout"), equal=_EQUAL)],
            lpar=call.lpar,
            rpar=call.rpar,
        )
        return NodeFix(
            {call: wrapped},
            f"Wrap the call in `asyncio.wait_for(..., timeout={self.ctx.code_for(seconds)})`",
            imports_for(module),
        )

    def _anyio_fix(
        self, statement: cst.SimpleStatementLine | None, seconds: cst.BaseExpression
    ) -> NodeFix | None:
        reference = self.ctx.reference("anyio.fail_after")
        if statement is None or reference is None:
            return None
        func, module = reference
        scope = cst.With(
            items=[cst.WithItem(cst.Call(func=func, args=[cst.Arg(seconds)]))],
            body=cst.IndentedBlock(body=[statement.with_changes(leading_lines=())]),
            leading_lines=statement.leading_lines,
        )
        return NodeFix(
            {statement: scope},
            f"Wrap the statement in `with anyio.fail_after({self.ctx.code_for(seconds)}):`",
            imports_for(module),
        )

    def _statement(self, awaited: cst.Await) -> cst.SimpleStatementLine | None:
        """The statement line the await is the whole value of, when it sits in an indented
        block of the function and holds no `yield` (a scope must not span a yield)."""
        stack = self.ctx.stack
        if len(stack) < 4 or self.ctx.frame.kind != "function":
            return None
        small, line, block = stack[-2], stack[-3], stack[-4]
        if not isinstance(small, _STATEMENT_VALUES) or getattr(small, "value", None) is not awaited:
            return None
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        if not isinstance(block, cst.IndentedBlock):
            return None
        if any(isinstance(n, cst.Yield) for n in walk(line, into_scopes=False)):
            return None
        return line


_EQUAL = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)
