from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asynclint.analysis.nodes import describe_call, has_await
from asynclint.catalogs.concurrency import GATHER
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import (
    Access,
    access,
    block_indent,
    does_no_io,
    has_comments,
    independent,
    is_local_work,
    is_ordered_call,
    name_is_free,
    serialised_context,
)


@dataclass
class _Await:
    stmt: cst.SimpleStatementLine | cst.SimpleStatementSuite  # the line it is on
    small: cst.BaseSmallStatement
    awaited: cst.Await
    call: cst.Call
    targets: tuple[cst.BaseExpression, ...]
    access: Access


class SequentialIndependentAwaits(Rule):
    """
    ## What it does
    Finds two or more `await` statements in a row, in one block of an `async def`, whose
    calls do not depend on each other: no call reads or rebinds what an earlier statement
    of the run binds, no two calls work on the same object (unless it is a pooled client
    such as `httpx.AsyncClient`, `aiohttp.ClientSession`, an asyncpg pool or
    `redis.asyncio.Redis`, and then only reads, or writes to different literal keys or
    URLs), no call shares a connection, stream, session or context object with another,
    the same call is not repeated, and no call is an operation whose order matters
    (writes, sends, reads of a stream, queries, commits, sleeps, locks, start/stop/close,
    callbacks...) or local work with nothing to overlap (translate, convert, parse,
    render...). A run needs two awaits that fetch something (their result is kept, or
    they go to a pooled client): a row of bare awaits is usually a sequence of commands.
    Runs under a lock, a transaction or a `try` with handlers are left alone, and so are
    test files (act, then assert).

    ## Why is this bad?
    Each `await` waits for its call to finish before the next one starts, so the total
    time is the sum of the latencies. Independent I/O run with `asyncio.gather` takes as
    long as the slowest call.

    ## Example
        async def profile(client, uid):
            user = await fetch_user(uid)
            orders = await fetch_orders(uid)
            return user, orders

    ## Use instead
        import asyncio

        async def profile(client, uid):
            user, orders = await asyncio.gather(fetch_user(uid), fetch_orders(uid))
            return user, orders

    ## Fix safety
    Unsafe. `a = await f(x)` then `b = await g(y)` becomes
    `a, b = await asyncio.gather(f(x), g(y))`; bare awaits become
    `await asyncio.gather(...)`, and an await without a target gets `_` in a mixed run.
    What changes: both calls now run as tasks at the same time, so their steps
    interleave; when one raises, the others have already started, keep running and their
    side effects still happen (gather re-raises the first exception, so `except` clauses
    still match); each task runs in a copy of the context, so a `ContextVar` set inside one
    call is no longer seen by the caller or by the next call. With `gather-style =
    "taskgroup"` and `target-version` py311 or later, the fix writes an
    `async with asyncio.TaskGroup()` block instead: a failure then cancels the siblings
    and raises an `ExceptionGroup`, so surrounding `except X` clauses need `except* X`.
    Runs with annotated or non-name targets, comments between the statements, or
    statements that share a line (`a = await f(); b = await g()`) are reported without a
    fix; under anyio or trio the message suggests a task group and
    there is no fix.
    """

    code = "ASL200"
    name = "sequential-independent-awaits"
    message = "{count} awaits in a row look independent ({calls}); run them concurrently with {how}"
    fix_safety = FixSafety.UNSAFE
    skip_test_files = True
    triggers = ("await",)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._scan(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._scan(node)  # `if x: a = await f(); b = await g()`

    def _scan(self, node: cst.IndentedBlock | cst.SimpleStatementSuite) -> None:
        if self.ctx.async_function is None:
            return
        parent = self.ctx.parent
        if isinstance(parent, (cst.Try, cst.TryStar)) and parent.body is node and parent.handlers:
            # A handler may rely on the later calls not having started.
            return
        run: list[_Await] = []
        serialised: list[bool] = []
        for stmt, small in _statements(node):
            item = self._candidate(stmt, small)
            if item is None:
                self._flush(run, serialised)
                run = []
                continue
            if run and not all(independent(prev.access, item.access) for prev in run):
                self._flush(run, serialised)
                run = []
            run.append(item)
        self._flush(run, serialised)

    def _candidate(
        self,
        stmt: cst.SimpleStatementLine | cst.SimpleStatementSuite | None,
        small: cst.BaseSmallStatement | None,
    ) -> _Await | None:
        if stmt is None or small is None:
            return None
        targets: tuple[cst.BaseExpression, ...] = ()
        if isinstance(small, cst.Expr):
            value = small.value
        elif isinstance(small, cst.Assign):
            value = small.value
            targets = tuple(t.target for t in small.targets)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            value = small.value
            targets = (small.target,)
        else:
            return None
        if not isinstance(value, cst.Await) or not isinstance(value.expression, cst.Call):
            return None
        call = value.expression
        if has_await(call, yields=True):
            return None
        if is_local_work(call) or is_ordered_call(self.ctx, call) or does_no_io(self.ctx, call):
            return None
        return _Await(stmt, small, value, call, targets, access(self.ctx, call, targets))

    def _flush(self, run: list[_Await], serialised: list[bool]) -> None:
        # Awaits whose result is dropped are mostly commands (set up, notify, close),
        # whose order is the point; a run needs two that fetch something.
        if sum(1 for item in run if item.targets or item.access.pooled) < 2:
            return
        if not serialised:
            serialised.append(serialised_context(self.ctx) is not None)
        if serialised[0]:
            return
        library = self.ctx.library
        calls = ", ".join(f"`{describe_call(item.call)}(...)`" for item in run)
        how = "`asyncio.gather`" if library == "asyncio" else GATHER[library]
        fix = self._fix(run) if library == "asyncio" else None
        self.report(run[0].awaited, fix=fix, count=len(run), calls=calls, how=how)

    # Fix ---------------------------------------------------------------------------------

    def _fix(self, run: list[_Await]) -> NodeFix | None:
        # The fix rewrites whole lines: each await must have its own.
        if not all(
            isinstance(item.stmt, cst.SimpleStatementLine) and len(item.stmt.body) == 1 for item in run
        ):
            return None
        if any(has_comments(item.stmt) for item in run[1:]) or has_comments(run[0].small):
            return None
        names: list[str | None] = []
        for item in run:
            if isinstance(item.small, cst.AnnAssign) or len(item.targets) > 1:
                return None
            if not item.targets:
                names.append(None)
                continue
            target = item.targets[0]
            if not isinstance(target, cst.Name):
                return None
            names.append(target.value)
        function = self.ctx.async_function
        assert function is not None
        if self.ctx.settings.gather_style == "taskgroup" and self.ctx.settings.target_minor >= 11:
            return self._taskgroup_fix(run, names, function)
        if any(n is not None for n in names) and None in names and not name_is_free(self.ctx, function, "_"):
            return None
        reference = self.ctx.reference("asyncio.gather")
        if reference is None:
            return None
        gather, module = reference
        gather_code = self.ctx.code_for(gather)
        newline = self.ctx.module.default_newline
        indent = block_indent(self.ctx)
        lhs = ""
        if any(n is not None for n in names):
            lhs = ", ".join(n or "_" for n in names) + " = "
        codes = [self.ctx.code_for(item.call) for item in run]
        text = f"{lhs}await {gather_code}({', '.join(codes)})"
        if len(indent) + len(text) > self.ctx.settings.line_length or any(
            "\n" in c or "\r" in c for c in codes
        ):
            # Parsed continuation lines are relative to the block's indentation.
            inner = self.ctx.module.default_indent
            text = f"{lhs}await {gather_code}({newline}"
            text += "".join(f"{inner}{code},{newline}" for code in codes) + ")"
        new = self._parse_statement(text)
        if new is None:
            return None
        head = run[0].stmt
        assert isinstance(head, cst.SimpleStatementLine)  # (see `_fix`)
        new = new.with_changes(leading_lines=head.leading_lines, trailing_whitespace=head.trailing_whitespace)
        replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel] = {run[0].stmt: new}
        for item in run[1:]:
            replacements[item.stmt] = cst.RemoveFromParent()
        return NodeFix(
            replacements,
            f"Run the {len(run)} calls concurrently with `asyncio.gather`",
            imports_for(module),
        )

    def _taskgroup_fix(
        self, run: list[_Await], names: list[str | None], function: cst.FunctionDef
    ) -> NodeFix | None:
        reference = self.ctx.reference("asyncio.TaskGroup")
        if reference is None or not name_is_free(self.ctx, function, "tg"):
            return None
        group, module = reference
        newline = self.ctx.module.default_newline
        step = self.ctx.module.default_indent
        lines = [f"async with {self.ctx.code_for(group)}() as tg:"]
        results = []
        for name, item in zip(names, run, strict=True):
            code = self.ctx.code_for(item.call)
            if name is None:
                lines.append(f"{step}tg.create_task({code})")
                continue
            task = f"{name}_task"
            if not name_is_free(self.ctx, function, task) or task in names:
                return None
            lines.append(f"{step}{task} = tg.create_task({code})")
            results.append(f"{name} = {task}.result()")
        text = newline.join(lines + results) + newline
        try:
            module_node = cst.parse_module(text, config=self.ctx.module.config_for_parsing)
        except cst.ParserSyntaxError:
            return None
        statements = list(module_node.body)
        first = statements[0]
        assert isinstance(first, cst.With) and isinstance(first.body, cst.IndentedBlock)
        head = run[0].stmt
        assert isinstance(head, cst.SimpleStatementLine)  # (see `_fix`)
        first = first.with_changes(
            leading_lines=head.leading_lines, body=first.body.with_changes(header=head.trailing_whitespace)
        )
        replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]]
        replacements = {run[0].stmt: cst.FlattenSentinel([first, *statements[1:]])}
        for item in run[1:]:
            replacements[item.stmt] = cst.RemoveFromParent()
        return NodeFix(
            replacements,
            f"Run the {len(run)} calls concurrently in an `asyncio.TaskGroup`",
            imports_for(module),
        )

    def _parse_statement(self, text: str) -> cst.SimpleStatementLine | None:
        try:
            stmt = cst.parse_statement(
                text + self.ctx.module.default_newline, self.ctx.module.config_for_parsing
            )
        except cst.ParserSyntaxError:
            return None
        return stmt if isinstance(stmt, cst.SimpleStatementLine) else None


def _statements(
    block: cst.IndentedBlock | cst.SimpleStatementSuite,
) -> list[tuple[cst.SimpleStatementLine | cst.SimpleStatementSuite | None, cst.BaseSmallStatement | None]]:
    """The statements of a block in order, each with the line it is on (several share a
    line with `;`); (None, None) for a compound statement."""
    if isinstance(block, cst.SimpleStatementSuite):
        return [(block, small) for small in block.body]
    out: list[
        tuple[cst.SimpleStatementLine | cst.SimpleStatementSuite | None, cst.BaseSmallStatement | None]
    ] = []
    for stmt in block.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend((stmt, small) for small in stmt.body)
        else:
            out.append((None, None))
    return out
