from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import has_checkpoint, last_name, positional_args
from asynclint.catalogs.loop_api import RUNNERS
from asynclint.fixes import NodeFix, imports_for, split_attached_comments
from asynclint.rule import FixSafety, Rule
from asynclint.rules._blocking import coroutine_qualname
from asynclint.rules._cancellation import (
    BREAK,
    CONTINUE,
    CONVERT,
    NEXT,
    RAISE,
    RETURN,
    Flow,
    awaits_after,
    awaits_completed_or_cancelled,
    awaits_task_cancelled_elsewhere,
    cancellation_kind,
    carved_out,
    catches_keyboard_interrupt,
    documented,
    explains_fall_through,
    flag_guarded_exit,
    handles_uncancel,
    hands_over,
    inside_reraising_handler,
    tail_exits,
    task_body_elsewhere,
    task_body_names,
    waits_until_cancelled,
)

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

#: What a path that leaves the handler without raising does, for the message.
_HOW = {
    NEXT: "falls through",
    RETURN: "returns",
    BREAK: "breaks out of the loop",
    CONTINUE: "continues the loop",
}
#: The handler to insert before a broad one, per library.
_CANCELLED_BY_LIBRARY = {
    "asyncio": "asyncio.CancelledError",
    "anyio": "anyio.get_cancelled_exc_class",
    "trio": "trio.Cancelled",
}


class CancelledErrorSwallowed(Rule):
    """
    ## What it does
    Finds `except` clauses inside `async def` that catch cancellation
    (`asyncio.CancelledError`, also in a tuple; `BaseException`; a bare `except:`; anyio's
    `get_cancelled_exc_class()`, `trio.Cancelled`) where some path through the handler
    does not raise: it falls through, returns, or leaves a loop with `break` or
    `continue`; or, for a handler of `CancelledError` (alone or in a tuple), raises
    another exception in its place (`raise DownloadError(url) from exc`). The analysis
    follows `if`/`elif`/`else`, `match`, nested `try`, loops with `break` and
    `while True`, decides `isinstance(exc, ...)` tests for a cancellation, and knows calls
    that do not return: `sys.exit()`, functions annotated `NoReturn`, and the module's
    own functions and methods that raise on every path when given the exception.

    It stays silent when the `try` body cannot be cancelled (no `await`), for a handler
    after one that already catches cancellation, when the handler checks `cancelling()`,
    calls `uncancel()` or hands the exception on (`errors.append(exc)`,
    `future.set_exception(exc)`), in `__aexit__`, in the coroutine a module runs with
    `asyncio.run()` or a command-line command (`@app.command()`), for the
    cancel-then-await idiom (`t.cancel()` and then awaiting `t`; also awaiting a task
    the module cancels elsewhere, directly or through a local alias
    (`task = _worker_task`; `task.cancel()`), or a future completed just before with
    `set_result()`), and in test files.

    Nor does it report where no caller's cancellation is lost, or the code says the
    choice is deliberate: a handler that also catches `KeyboardInterrupt` (an entry
    point's shutdown signal); a `try` that only awaits a future the function creates and
    never completes (run until cancelled); a handler inside another `except` handler
    that raises on every path (a rollback that re-raises); a handler whose body carries
    a comment explaining it (`pass  # expected during close()`; not a `# noqa` or other
    tool pragma), or, in a `finally:` block, a comment just above it; a handler that
    falls through to a statement whose comment speaks of the cancellation
    (`return None  # a cancelled run gives None`); a handler in a
    loop that stops on a flag (`if self._stopping: return`) and otherwise keeps a worker
    alive; a handler of the cancellation class alone followed by a catch-all
    (`except BaseException:`, bare `except:`) that re-raises on every path, since the
    author set cancellation apart from everything else on purpose; and the outermost
    frame of a task the module creates (`create_task(self._run())`, also through a local
    name bound to the function: `run = self._once if once else self._loop`,
    `create_task(run())`; `tg.start_soon(self._handle, item)`, or a task helper
    such as `background_tasks.create(listen())`) when the handler keeps no loop going, so that
    the task runs to its end, also of a callback registered with a framework
    (`@sio.on("message")`) in a module that cancels tasks itself (a `.cancel()`),
    unless the module also calls or awaits that function directly (`f()`, `self.f()`);
    likewise for a task body another module of the project spawns, when no module calls it
    otherwise or hands it on (the project model: any call of that name counts) and nothing
    after the handler awaits (a task that goes on to a network call after swallowing the
    cancellation keeps whoever cancelled it waiting).
    In anyio and trio modules the message names their cancellation class.

    ## Why is this bad?
    Cancellation is how asyncio stops a task: `task.cancel()`, `asyncio.timeout()`,
    `wait_for`, TaskGroup and server shutdown all raise `CancelledError` inside it. A
    handler that swallows it lets the task carry on as if nothing happened: timeouts stop
    working, shutdown hangs, and `TaskGroup` can wait forever.

    ## Example
        import asyncio

        async def worker(queue):
            while True:
                try:
                    item = await queue.get()
                    await handle(item)
                except BaseException:
                    log.exception("failed")

    ## Use instead
        import asyncio

        async def worker(queue):
            while True:
                try:
                    item = await queue.get()
                    await handle(item)
                except Exception:
                    log.exception("failed")

    ## Fix safety
    Unsafe, because the task now stops where it used to carry on. An
    `except asyncio.CancelledError:` handler whose only non-raising paths fall through
    gets a `raise` at its end; before a broad handler (`BaseException`, bare `except:`,
    a tuple with `CancelledError`) the fix inserts `except asyncio.CancelledError: raise`,
    so other exceptions are handled as before. Handlers that return, break, continue or
    raise another exception are reported without a fix.
    """

    code = "ASL500"
    name = "cancelled-error-swallowed"
    message = "`{handler}` in `async def {function}` can swallow cancellation (the handler {how}); re-raise `{cancelled}`"
    fix_safety = FixSafety.UNSAFE
    peer = "FA ASYNC103/104"
    triggers = ("async", "except")
    # Tests catch cancellation on purpose, to check that it happened.
    skip_test_files = True

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._entry_points: set[str] = set()
        #: `tail:name` -> the qualified names of the functions so named whose handler
        #: lets the task run to its end ("" for a nested function).
        self._tails: dict[str, set[str]] = {}
        #: Tails that await more after the handler (`awaits_after`).
        self._waiting_tails: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if last not in ("run", "run_until_complete") or not node.args or self.ctx.async_function is not None:
            return
        if last == "run" and self.ctx.call_name(node) not in RUNNERS:
            return
        args = positional_args(node)
        if not args:
            return
        target = args[0].value
        if isinstance(target, cst.Call):
            target = target.func
        if isinstance(target, cst.Name):
            self._entry_points.add(target.value)

    def visit_Try(self, node: cst.Try) -> None:
        function = self.ctx.async_function
        if function is None or function.name.value == "__aexit__" or _is_cli_command(function):
            return
        if not has_checkpoint(node.body):
            return
        # Only the first handler that catches cancellation ever sees it.
        for handler in node.handlers:
            kind = cancellation_kind(self.ctx, handler.type)
            if kind is not None:
                break
        else:
            return
        exc = (
            handler.name.name.value
            if handler.name is not None and isinstance(handler.name.name, cst.Name)
            else None
        )
        flow = Flow(self.ctx, exc, converts=kind != "broad")
        leaks = flow.block(handler.body) - {RAISE}
        if (
            not leaks
            or handles_uncancel(handler.body)
            or hands_over(handler.body, exc)
            or awaits_completed_or_cancelled(self.ctx, node.body)
            or awaits_task_cancelled_elsewhere(self.ctx, node.body)
            # Entry points that take cancellation, like Ctrl-C, as the signal to stop.
            or catches_keyboard_interrupt(handler.type)
            or waits_until_cancelled(self.ctx, node.body)
            # A rollback that re-raises the original exception whatever the clean-up does.
            or inside_reraising_handler(self.ctx)
            or documented(self.ctx, handler)
            or (NEXT in leaks and explains_fall_through(self.ctx))
            # A worker kept alive on purpose, which stops when its stopping flag is set.
            or flag_guarded_exit(self.ctx, handler.body, exc)
            # Set apart from a catch-all that re-raises: what cancelling does is chosen.
            or (kind == "cancelled" and carved_out(self.ctx, node, handler))
        ):
            return
        hows = [_HOW[e] for e in (NEXT, RETURN, BREAK, CONTINUE) if e in leaks]
        if CONVERT in leaks:
            hows.extend(f"raises `{name}` instead" for name in dict.fromkeys(flow.converted))
        how = " / ".join(hows)
        label = "except:" if handler.type is None else f"except {self.ctx.code_for(handler.type)}"
        fix = None if CONVERT in leaks else self._fix(handler, kind, leaks)
        owner = function.name.value
        # In the outermost frame of a task, a handler that does not keep a loop going lets
        # the task run to its end: that stands only when the task is not the module's
        # own, cancelled by it (see `finish`).
        key = owner
        if tail_exits(self.ctx, leaks):
            key = f"tail:{owner}"
            self._tails.setdefault(key, set()).add(self._qualified(function))
            if NEXT in leaks and awaits_after(self.ctx):
                # Awaits more after the handler: a task another module spawns (and cancels,
                # at shutdown) would keep its canceller waiting.
                self._waiting_tails.add(key)
        self.report_unless_exempt(
            key, handler, fix=fix, handler=label, how=how, cancelled=self._cancelled_name(), function=owner
        )

    def finish(self) -> None:
        exempt = set(self._entry_points) | {f"tail:{name}" for name in self._entry_points}
        if any(owner.startswith("tail:") for owner, _ in self._held):  # the module walk only when needed
            exempt |= {f"tail:{name}" for name in task_body_names(self.ctx)}
        # A task body another module spawns, and no module of the project awaits (the
        # project model; a file alone does not know).
        for key, names in self._tails.items():
            if (
                key not in exempt
                and key not in self._waiting_tails
                and all(task_body_elsewhere(self.ctx, name) for name in names)
            ):
                exempt.add(key)
        self.release_reports(exempt)
        return None

    def _qualified(self, function: cst.FunctionDef) -> str:
        """`app.jobs.refresh` or `app.jobs.Timer.run`; "" for a nested function."""
        return coroutine_qualname(self.ctx, function) or ""

    def _cancelled_name(self) -> str:
        return {"anyio": "anyio.get_cancelled_exc_class()", "trio": "trio.Cancelled"}.get(
            self.ctx.library, "CancelledError"
        )

    # Fixes -------------------------------------------------------------------------------

    def _fix(self, handler: cst.ExceptHandler, kind: str, leaks: frozenset[str]) -> NodeFix | None:
        if kind == "cancelled":
            if leaks != {NEXT}:
                return None
            return NodeFix(
                {handler: handler.with_changes(body=_append_raise(handler.body))},
                "Re-raise at the end of the handler",
            )
        dotted = _CANCELLED_BY_LIBRARY[self.ctx.library]
        reference = self.ctx.reference(dotted)
        if reference is None:
            return None
        expr, module = reference
        if dotted.endswith("get_cancelled_exc_class"):
            expr = cst.Call(func=expr)
        named = self._cancellation_in_tuple(handler.type) if kind == "tuple" else None
        if named is not None:
            # The class as the tuple spells it (`CancelledError` imported by name).
            expr, module = named, None
        # The comments right above the handler (`# pylint: disable-next=broad-except`)
        # stay with it, below the new handler.
        before, attached = split_attached_comments(handler.leading_lines)
        new = cst.ExceptHandler(
            body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Raise()])]),
            type=expr,
            leading_lines=before,
        )
        kept = handler.with_changes(leading_lines=attached)
        if kind == "tuple":
            # `except (CancelledError, TimeoutError):` below the new handler would name a
            # class it can no longer catch: the tuple keeps the others.
            others = self._without_cancellation(handler.type)
            if others is None:
                return None
            space = kept.whitespace_after_except
            if not isinstance(others, cst.Tuple) and not space.value:
                space = cst.SimpleWhitespace(" ")  # `except(A, B)`
            kept = kept.with_changes(type=others, whitespace_after_except=space)
        return NodeFix(
            {handler: cst.FlattenSentinel([new, kept])},
            f"Re-raise cancellation in an `except {self.ctx.code_for(expr)}` before this handler",
            imports_for(module),
        )

    def _cancellation_in_tuple(self, types: cst.BaseExpression | None) -> cst.BaseExpression | None:
        if not isinstance(types, cst.Tuple):
            return None
        for element in types.elements:
            if cancellation_kind(self.ctx, element.value) == "cancelled":
                return element.value.with_changes(lpar=(), rpar=())
        return None

    def _without_cancellation(self, types: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """The classes of an `except (...)` tuple but the cancellation class; one left is
        written alone, without brackets. None when nothing is left, or an element is not a
        plain name (a call, a starred tuple)."""
        if not isinstance(types, cst.Tuple):
            return None
        elements = list(types.elements)
        others = [e for e in elements if cancellation_kind(self.ctx, e.value) != "cancelled"]
        if (
            not others
            or len(others) == len(elements)
            or any(isinstance(e, cst.StarredElement) for e in elements)
        ):
            return None
        if len(others) == 1:
            value = others[0].value
            return value.with_changes(lpar=(), rpar=()) if not isinstance(value, cst.Tuple) else None
        last = elements[-1].comma
        others[-1] = others[-1].with_changes(comma=last)
        for i, element in enumerate(others[:-1]):
            if element.comma is cst.MaybeSentinel.DEFAULT:
                others[i] = element.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return types.with_changes(elements=others)


def _is_cli_command(function: cst.FunctionDef) -> bool:
    """A command-line entry point (`@app.command()`, `@click.command()`), whose
    cancellation is the user's Ctrl-C, as in the coroutine `asyncio.run()` runs."""
    for decorator in function.decorators:
        expr = decorator.decorator
        callee = expr.func if isinstance(expr, cst.Call) else expr
        if last_name(callee) == "command":
            return True
    return False


def _append_raise(body: cst.BaseSuite) -> cst.BaseSuite:
    raise_line = cst.SimpleStatementLine(body=[cst.Raise()])
    if isinstance(body, cst.SimpleStatementSuite):  # as for a block: `raise` replaces a lone `pass`
        smalls = list(body.body)
        if len(smalls) == 1 and _is_pass(cst.SimpleStatementLine(body=smalls)):
            smalls = []
        return body.with_changes(body=[*smalls, cst.Raise()])
    assert isinstance(body, cst.IndentedBlock)
    statements = list(body.body)
    first = statements[0] if len(statements) == 1 else None
    if isinstance(first, cst.SimpleStatementLine) and _is_pass(first):
        # The comments of the `pass` stay: above it, and after it on its line.
        return body.with_changes(
            body=[
                raise_line.with_changes(
                    leading_lines=first.leading_lines, trailing_whitespace=first.trailing_whitespace
                )
            ]
        )
    return body.with_changes(body=[*statements, raise_line])


def _is_pass(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], (cst.Pass, cst.Expr))
        and (isinstance(stmt.body[0], cst.Pass) or isinstance(stmt.body[0].value, cst.Ellipsis))  # type: ignore[union-attr]
    )
