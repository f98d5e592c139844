from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asynclint.analysis.nodes import describe_call, has_await, names_loaded
from asynclint.catalogs.concurrency import GATHER
from asynclint.fixes import NodeFix, code_moved, flat_code, imports_for
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import (
    Access,
    access,
    block_header_comments,
    block_indent,
    comments_in,
    does_no_io,
    has_comments,
    independent,
    is_interactive_module,
    is_local_work,
    is_ordered_call,
    name_is_free,
    says_serial,
    serialised_context,
    variable_is_read,
)


@dataclass
class _Await:
    stmt: cst.SimpleStatementLine | cst.SimpleStatementSuite  # the line it is on
    small: cst.BaseSmallStatement
    awaited: cst.Await
    call: cst.Call
    targets: tuple[cst.BaseExpression, ...]
    #: What the call reads and writes (`access`), found the first time it is needed
    #: (`SequentialIndependentAwaits._access`): an await alone, as most are, needs none.
    access: Access | None = None


class SequentialIndependentAwaits(Rule):
    """
    ## What it does
    Finds two or more `await` statements in a row, in one block of an `async def`, whose
    calls do not depend on each other: no call reads or rebinds what an earlier statement
    of the run binds, no two calls work on the same object (unless it is a pooled client
    such as `httpx.AsyncClient`, `aiohttp.ClientSession`, an asyncpg pool or
    `redis.asyncio.Redis`, a class of the module derived from one, or a type named in
    `pool-backed-types`, and then only reads — `get_*`, `fetch*`, and on such a client
    `read_*` too — or writes to different literal keys or URLs), no call shares a
    connection, stream, session or context object with another, the same call is not
    repeated, and no call is an operation whose order matters (writes, sends, reads of a
    stream, queries, commits, sleeps, locks, start/stop/close, callbacks...), one that
    only starts background work (`start_*`, `schedule_*`, `spawn*`, `submit`,
    `wait=False`...) or local work with nothing to overlap (translate, convert, parse,
    render...). A run needs two awaits that fetch something (their result is kept, or
    they go to a pooled client): a row of bare awaits is usually a sequence of commands.
    A run in the body of a `try` with handlers is reported when no handler or `finally`
    reads what the run binds (and, when a handler falls through, nothing after the `try`
    does). Left alone: runs under a lock or a transaction, runs with a comment on or just
    above them that says the code is serial on purpose (serial, sequential, in order,
    order matters, one at a time, no gather, rate limit...), modules that prompt a person
    at a terminal (`rich.prompt`, `click.prompt`, `prompt`/`confirm` from a `cli`
    package), and test files (act, then assert).

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
    side effects still happen; each task runs in a copy of the context, so a `ContextVar`
    set inside one call is no longer seen by the caller or by the next call. Inside a
    `try` with handlers, gather re-raises the first exception to occur, so the `except`
    clauses still match it as before (it may now come from a later call, which used to
    be skipped after an earlier failure), and the rule has checked that no handler or
    `finally` reads a result the run binds. With `gather-style = "taskgroup"` and `target-version` py311 or
    later, the fix writes an `async with asyncio.TaskGroup()` block instead: a failure
    then cancels the siblings and raises an `ExceptionGroup`, which `except X` does not
    catch, so a run inside a `try` with `except` (not `except*`) handlers gets no fix.
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
        run: list[_Await] = []
        serialised: list[bool] = []
        for stmt, small in _statements(node):
            item = self._candidate(stmt, small)
            if item is None:
                self._flush(node, run, serialised)
                run = []
                continue
            if run and not all(independent(self._access(prev), self._access(item)) for prev in run):
                self._flush(node, run, serialised)
                run = []
            run.append(item)
        self._flush(node, run, serialised)

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
        return _Await(stmt, small, value, call, targets)

    def _access(self, item: _Await) -> Access:
        if item.access is None:
            item.access = access(self.ctx, item.call, item.targets)
        return item.access

    def _flush(
        self, block: cst.IndentedBlock | cst.SimpleStatementSuite, run: list[_Await], serialised: list[bool]
    ) -> None:
        # Awaits whose result is dropped are mostly commands (set up, notify, close),
        # whose order is the point; a run needs two that fetch something.
        if len(run) < 2 or sum(1 for item in run if item.targets or self._access(item).pooled) < 2:
            return
        if not serialised:
            serialised.append(serialised_context(self.ctx) is not None or is_interactive_module(self.ctx))
        if serialised[0] or self._says_serial(block, run):
            return
        tries = self._enclosing_tries()
        if any(not self._handlers_agree(node, run) for node in tries):
            return
        library = self.ctx.library
        calls = ", ".join(f"`{describe_call(item.call)}(...)`" for item in run)
        how = "`asyncio.gather`" if library == "asyncio" else GATHER[library]
        fix = self._fix(run, tries) if library == "asyncio" else None
        self.report(run[0].awaited, fix=fix, count=len(run), calls=calls, how=how)

    def _says_serial(self, block: cst.IndentedBlock | cst.SimpleStatementSuite, run: list[_Await]) -> bool:
        """A comment on or just above the run says it is serial on purpose."""
        comments: list[str] = []
        for item in run:
            comments.extend(comments_in(item.stmt))
        if isinstance(block, cst.IndentedBlock) and block.body and block.body[0] is run[0].stmt:
            comments.extend(block_header_comments(self.ctx, len(self.ctx.stack) - 1))
        return says_serial(comments)

    def _enclosing_tries(self) -> list[cst.Try | cst.TryStar]:
        """The `try` statements with handlers whose body holds the visited block."""
        stack = self.ctx.stack
        function = self.ctx.async_function
        found: list[cst.Try | cst.TryStar] = []
        for index in range(len(stack) - 2, -1, -1):
            node = stack[index]
            if node is function:
                break
            if isinstance(node, (cst.Try, cst.TryStar)) and node.handlers and stack[index + 1] is node.body:
                found.append(node)
        return found

    def _handlers_agree(self, node: cst.Try | cst.TryStar, run: list[_Await]) -> bool:
        """Whether the `try`'s handlers behave the same when the run's calls are gathered:
        gather re-raises the first exception, so the same handler runs, but the results
        of calls that finished before it are no longer bound. No handler or `finally` may
        read what the run binds, and where a handler falls through, nothing else may."""
        names: set[str] = set()
        into: set[str] = set()
        for item in run:
            names |= self._access(item).writes
            for target in item.targets:
                if not isinstance(target, cst.Name):
                    into.add(self.ctx.code_for(target))
        after_handler = [*node.handlers, *([node.finalbody] if node.finalbody is not None else [])]
        for part in after_handler:
            if names & names_loaded(part):
                return False
            code = self.ctx.code_for(part)
            if any(text in code for text in into):
                return False
        function = self.ctx.async_function
        assert function is not None
        falls_through = any(_falls_through(handler) for handler in node.handlers)
        return not (
            falls_through and (into or any(variable_is_read(function, name, outside=node) for name in names))
        )

    # Fix ---------------------------------------------------------------------------------

    def _fix(self, run: list[_Await], tries: list[cst.Try | cst.TryStar]) -> NodeFix | None:
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
            # A task group raises an `ExceptionGroup`, which `except X` does not catch.
            if any(isinstance(node, cst.Try) for node in tries):
                return None
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
        # A call written over several lines is joined when nothing keeps it open.
        flat = [flat_code(self.ctx.module, item.call) for item in run]
        codes = [
            f if f is not None else self.ctx.code_for(item.call) for f, item in zip(flat, run, strict=True)
        ]
        text = f"{lhs}await {gather_code}({', '.join(codes)})"
        if len(indent) + len(text) > self.ctx.settings.line_length or any(
            "\n" in c or "\r" in c for c in codes
        ):
            # Parsed continuation lines are relative to the block's indentation.
            inner = self.ctx.module.default_indent
            # Each call one level deeper (its own continuation lines move with it), on
            # one line where it fits.
            room = self.ctx.settings.line_length - len(indent) - len(inner) - 1
            codes = [
                f if f is not None and len(f) <= room else code_moved(self.ctx.module, item.call, inner)
                for f, item in zip(flat, run, strict=True)
            ]
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
            code = code_moved(self.ctx.module, item.call, step)  # one level deeper, in the block
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
        # The comment after the first await stays on the line of its call.
        calls = list(first.body.body)
        calls[0] = calls[0].with_changes(trailing_whitespace=head.trailing_whitespace)
        first = first.with_changes(leading_lines=head.leading_lines, body=first.body.with_changes(body=calls))
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


def _falls_through(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """Whether the handler may end without leaving the function, the loop or raising."""
    body = handler.body
    last: cst.CSTNode | None = None
    if isinstance(body, cst.IndentedBlock):
        last = body.body[-1] if body.body else None
        if isinstance(last, cst.SimpleStatementLine):
            last = last.body[-1] if last.body else None
    else:
        last = body.body[-1] if body.body else None
    return not isinstance(last, (cst.Return, cst.Raise, cst.Continue, cst.Break))


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
