"""The cancellation family (ASL5xx): which handlers catch cancellation, how control can
leave a block (a small control-flow analysis), and the cancel-then-await idiom.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.methods import self_class, timeout_scope
from asynclint.analysis.nodes import all_children, dotted_name, last_name, positional_args, walk
from asynclint.analysis.scopes import Frame as ScopeFrame
from asynclint.catalogs.calls import BROAD, CANCELLED, HAND_OVER_METHODS, NO_RETURN_CALLS, NO_RETURN_TYPES
from asynclint.project import may_be_project_name

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Frame

NEXT, RETURN, BREAK, CONTINUE, RAISE = "next", "return", "break", "continue", "raise"
#: A path that raises another exception in place of the caught cancellation.
CONVERT = "convert"
_LOOP_EXITS = frozenset({NEXT, BREAK, CONTINUE})


def cancellation_kind(ctx: Context, expr: cst.BaseExpression | None) -> str | None:
    """How an `except` clause's type catches cancellation: "cancelled" when it names the
    cancellation class alone, "tuple" when among others, "broad" for a bare `except:` or
    `BaseException`; None when it does not."""
    if expr is None:
        return "broad"
    if isinstance(expr, cst.Tuple):
        kinds = [cancellation_kind(ctx, element.value) for element in expr.elements]
        if "broad" in kinds:
            return "broad"
        return "tuple" if "cancelled" in kinds else None
    if isinstance(expr, cst.Call):
        # anyio's own modules import it from a private module: match the name.
        name = dotted_name(expr.func)
        return "cancelled" if name is not None and name.endswith("get_cancelled_exc_class") else None
    name = ctx.qualified_name(expr)
    if name in CANCELLED:
        return "cancelled"
    if name in BROAD:
        return "broad"
    return None


# Control flow ----------------------------------------------------------------------------


class Flow:
    """How control can leave a block: "next" (falls off its end), "return", "break",
    "continue" or "raise"; an empty set means it never leaves (an endless loop).

    With a context and the name `exc` bound to a caught cancellation, the analysis also
    decides `isinstance(exc, ...)` tests (a `CancelledError` is a `BaseException` and
    nothing else: not an `Exception`, not any other class) and follows calls of the
    module's own functions and methods: one annotated `NoReturn`, or one that raises on
    every path when it receives `exc`, does not return.

    With `converts`, a `raise Other(...)` (neither the caught exception, nor a bare
    `raise`, nor a cancellation class) leaves as "convert", and `converted` collects what
    it raises."""

    def __init__(
        self,
        ctx: Context | None = None,
        exc: str | None = None,
        depth: int = 0,
        frame: Frame | None = None,
        converts: bool = False,
    ) -> None:
        self.ctx = ctx
        self.exc = exc
        self.depth = depth
        self.frame = frame
        self.converts = converts
        self.converted: list[str] = []

    def block(self, body: cst.BaseSuite | Sequence[cst.BaseStatement]) -> frozenset[str]:
        if isinstance(body, cst.SimpleStatementSuite):
            return self.smalls(body.body)
        statements: Iterable[cst.BaseStatement] = body.body if isinstance(body, cst.IndentedBlock) else body  # type: ignore[assignment]
        current = {NEXT}
        for stmt in statements:
            if NEXT not in current:
                break
            current.discard(NEXT)
            current |= self.statement(stmt)
        return frozenset(current)

    def statement(self, stmt: cst.BaseStatement) -> frozenset[str]:
        if isinstance(stmt, cst.SimpleStatementLine):
            return self.smalls(stmt.body)
        if isinstance(stmt, cst.If):
            orelse: frozenset[str] = frozenset({NEXT})
            if isinstance(stmt.orelse, cst.If):
                orelse = self.statement(stmt.orelse)
            elif isinstance(stmt.orelse, cst.Else):
                orelse = self.block(stmt.orelse.body)
            truth = self.truth(stmt.test)
            if truth is True:
                return self.block(stmt.body)
            if truth is False:
                return orelse
            return self.block(stmt.body) | orelse
        if isinstance(stmt, (cst.While, cst.For)):
            body = self.block(stmt.body)
            out = set(body - _LOOP_EXITS)
            endless = isinstance(stmt, cst.While) and self.truth(stmt.test) is True
            if BREAK in body:
                out.add(NEXT)
            if not endless:
                out |= self.block(stmt.orelse.body) if stmt.orelse is not None else {NEXT}
            return frozenset(out)
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            result = set(self.block(stmt.body))
            if stmt.orelse is not None and NEXT in result:
                result.discard(NEXT)
                result |= self.block(stmt.orelse.body)
            for handler in stmt.handlers:
                result |= self.block(handler.body)
            if stmt.finalbody is not None:
                final = self.block(stmt.finalbody.body)
                if NEXT not in final:
                    return final
                result |= final - {NEXT}
            return frozenset(result)
        if isinstance(stmt, cst.With):
            body = self.block(stmt.body)
            if any(_suppresses(item.item) for item in stmt.items):
                body |= {NEXT}
            return body
        if isinstance(stmt, cst.Match):
            result = set()
            exhaustive = False
            for case in stmt.cases:
                result |= self.block(case.body)
                if (
                    case.guard is None
                    and isinstance(case.pattern, cst.MatchAs)
                    and case.pattern.pattern is None
                ):
                    exhaustive = True
            if not exhaustive:
                result.add(NEXT)
            return frozenset(result)
        return frozenset({NEXT})

    def smalls(self, smalls: Sequence[cst.BaseSmallStatement]) -> frozenset[str]:
        for small in smalls:
            if isinstance(small, cst.Raise):
                raised = self._converted_to(small)
                if raised is not None:
                    self.converted.append(raised)
                    return frozenset({CONVERT})
                return frozenset({RAISE})
            if isinstance(small, cst.Return):
                return frozenset({RETURN})
            if isinstance(small, cst.Break):
                return frozenset({BREAK})
            if isinstance(small, cst.Continue):
                return frozenset({CONTINUE})
            if isinstance(small, cst.Assert) and self.truth(small.test) is False:
                return frozenset({RAISE})
            if isinstance(small, cst.Expr):
                value = small.value.expression if isinstance(small.value, cst.Await) else small.value
                if isinstance(value, cst.Call) and self.never_returns(value):
                    return frozenset({RAISE})
        return frozenset({NEXT})

    def _converted_to(self, node: cst.Raise) -> str | None:
        """The class a `raise` raises in place of the cancellation, or None when it
        re-raises it (bare `raise`, `raise exc`, a cancellation class) or cannot tell."""
        if not self.converts or self.ctx is None or node.exc is None:
            return None
        raised = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
        name = dotted_name(raised)
        if name is None or name == self.exc or name.endswith("get_cancelled_exc_class"):
            return None
        qualified = self.ctx.qualified_name(raised, self.frame)
        if qualified is None or qualified in CANCELLED or qualified in BROAD:
            return None
        # A project's own cancellation class (`class CancelledError(asyncio.CancelledError)`
        # in another module) is still a cancellation.
        if "cancel" in name.rsplit(".", 1)[-1].lower():
            return None
        # A local name bound to something else than a class (`raise error`) may hold the
        # cancellation itself.
        if "." not in name and not name[:1].isupper():
            return None
        return name

    # What the cancellation makes of tests and calls -------------------------------------

    def truth(self, test: cst.BaseExpression) -> bool | None:
        constant = _constant_truth(test)
        if constant is not None or self.ctx is None or self.exc is None:
            return constant
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self.truth(test.expression)
            return None if inner is None else not inner
        if isinstance(test, cst.BooleanOperation):
            left, right = self.truth(test.left), self.truth(test.right)
            if isinstance(test.operator, cst.And):
                if left is False or right is False:
                    return False
                return True if left and right else None
            if left is True or right is True:
                return True
            return False if left is False and right is False else None
        if (
            isinstance(test, cst.Call)
            and isinstance(test.func, cst.Name)
            and test.func.value == "isinstance"
            and len(test.args) == 2
            and isinstance(test.args[0].value, cst.Name)
            and test.args[0].value.value == self.exc
        ):
            return self._is_instance(test.args[1].value)
        return None

    def _is_instance(self, classes: cst.BaseExpression) -> bool | None:
        assert self.ctx is not None
        if isinstance(classes, cst.Tuple):
            answers = [self._is_instance(e.value) for e in classes.elements]
            if True in answers:
                return True
            return False if all(a is False for a in answers) else None
        if isinstance(classes, cst.Call):
            name = dotted_name(classes.func)
            return True if name is not None and name.endswith("get_cancelled_exc_class") else None
        if not isinstance(classes, (cst.Name, cst.Attribute)):
            return None
        qualified = self.ctx.qualified_name(classes, self.frame)
        if qualified is None:
            return None
        return qualified in CANCELLED or qualified in BROAD

    def never_returns(self, call: cst.Call) -> bool:
        if dotted_name(call.func) in NO_RETURN_CALLS:
            return True
        if self.ctx is None or self.depth >= 2:
            return False
        found = self._definition(call)
        if found is None:
            return False
        function, offset = found
        if function.returns is not None:
            annotation = function.returns.annotation
            if isinstance(annotation, cst.SimpleString):
                if annotation.value.strip("\"'") in ("NoReturn", "Never"):
                    return True
            elif self.ctx.qualified_name(annotation, self.ctx.module_frame) in NO_RETURN_TYPES:
                return True
        param = self._parameter_receiving_exc(call, function, offset)
        if param is None:
            return False
        exits = Flow(self.ctx, param, self.depth + 1, self.ctx.module_frame).block(function.body)
        return not exits - {RAISE}

    def _definition(self, call: cst.Call) -> tuple[cst.FunctionDef, int] | None:
        """The module's own function or method a call runs, and how many parameters the
        call does not pass (`self`)."""
        assert self.ctx is not None
        func = call.func
        if isinstance(func, cst.Name):
            found = self.ctx.lookup(func.value, self.frame)
            if found is None or len(found[1]) != 1 or found[1][0].kind != "def":
                return None
            node = found[1][0].node
            return (node, 0) if isinstance(node, cst.FunctionDef) else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            cls = self_class(self.ctx.frame, func.value.value, closures=True)
            method = self._method(cls, func.attr.value, 0) if cls is not None else None
            if method is None:
                return None
            static = any(dotted_name(d.decorator) == "staticmethod" for d in method.decorators)
            return method, 0 if static else 1
        return None

    def _method(self, cls: Frame, name: str, depth: int) -> cst.FunctionDef | None:
        """The method `name` of a class, or of its base classes defined in the module."""
        assert self.ctx is not None
        bindings = cls.bindings.get(name)
        if bindings is not None:
            node = bindings[0].node if len(bindings) == 1 else None
            return node if isinstance(node, cst.FunctionDef) else None
        if depth >= 3 or not isinstance(cls.node, cst.ClassDef):
            return None
        for base in cls.node.bases:
            value = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            if not isinstance(value, cst.Name):
                continue
            found = self.ctx.lookup(value.value, self.ctx.module_frame)
            if found is None or len(found[1]) != 1 or not isinstance(found[1][0].node, cst.ClassDef):
                continue
            base_node = found[1][0].node
            frame = self.ctx.frame_of(base_node) or ScopeFrame(
                base_node, "class", self.ctx.module_frame, False, self.ctx.module_info
            )
            method = self._method(frame, name, depth + 1)
            if method is not None:
                return method
        return None

    def _parameter_receiving_exc(self, call: cst.Call, function: cst.FunctionDef, offset: int) -> str | None:
        if self.exc is None:
            return None
        params = [*function.params.posonly_params, *function.params.params][offset:]
        for index, arg in enumerate(call.args):
            if not isinstance(arg.value, cst.Name) or arg.value.value != self.exc or arg.star:
                continue
            if arg.keyword is not None:
                return arg.keyword.value
            return params[index].name.value if index < len(params) else None
        return None


def definition(ctx: Context, call: cst.Call) -> cst.FunctionDef | None:
    """The module's own function or method a call runs (`f(...)`, a nested `def` of the
    enclosing function, `self.m(...)` through the module's base classes), or None."""
    found = Flow(ctx)._definition(call)
    return found[0] if found is not None else None


def hands_over(body: cst.CSTNode, exc: str | None) -> bool:
    """The handler passes the caught exception on to be raised elsewhere:
    `errors.append(exc)`, `future.set_exception(exc)`, `self._error = exc`."""
    if exc is None:
        return False
    for sub in walk(body, into_scopes=False):
        if (
            isinstance(sub, cst.Call)
            and isinstance(sub.func, cst.Attribute)
            and sub.func.attr.value in HAND_OVER_METHODS
            and any(isinstance(n, cst.Name) and n.value == exc for a in sub.args for n in walk(a.value))
        ):
            return True
        if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Name) and sub.value.value == exc:
            return True
    return False


def _constant_truth(expr: cst.BaseExpression) -> bool | None:
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    if isinstance(expr, cst.Integer):
        return expr.value != "0"
    return None


def _suppresses(item: cst.BaseExpression) -> bool:
    if isinstance(item, cst.Call):
        name = dotted_name(item.func)
        return name is not None and name.rsplit(".", 1)[-1] == "suppress"
    return False


# Checkpoints and the cancel-then-await idiom -----------------------------------------------


_CODE = cst.Module(body=[])


def expression_key(expr: cst.BaseExpression) -> str | None:
    """A name for what an expression refers to, to compare two spellings of it: `t`,
    `self._task`, `app[listener]`; None for anything else (calls, operations)."""
    dotted = dotted_name(expr)
    if dotted is not None:
        return dotted
    if isinstance(expr, cst.Subscript) and expression_key(expr.value) is not None:
        return "".join(_CODE.code_for_node(expr.with_changes(lpar=(), rpar=())).split())
    return None


def awaited_names(body: cst.CSTNode) -> set[str]:
    """Dotted names of what `body` awaits: `await t`, and the arguments of `await
    asyncio.gather(*tasks)` / `wait(...)` / `wait_for(t, ...)` / `shield(t)`."""
    names: set[str] = set()
    for sub in walk(body, into_scopes=False):
        if not isinstance(sub, cst.Await):
            continue
        expr = sub.expression
        direct = expression_key(expr)
        if direct is not None:
            names.add(direct)
        elif isinstance(expr, cst.Call):
            for arg in expr.args:
                for part in walk(arg.value, into_scopes=False):
                    inner = (
                        expression_key(part)
                        if isinstance(part, (cst.Name, cst.Attribute, cst.Subscript))
                        else None
                    )
                    if inner is not None:
                        names.add(inner)
    return names


#: Methods after which awaiting a future does not suspend (or only to finish cancelling).
_COMPLETING = frozenset({"cancel", "set_result", "set_exception"})


def cancelled_names(
    statements: Iterable[cst.CSTNode], methods: frozenset[str] = frozenset({"cancel"})
) -> set[str]:
    """Dotted names of what `statements` cancel: `t.cancel()`, and the iterable of a loop
    or comprehension that cancels each element (`for t in tasks: t.cancel()`); with
    `methods`, what they call those methods on instead."""
    names: set[str] = set()
    for stmt in statements:
        for sub in walk(stmt, into_scopes=False):
            if (
                isinstance(sub, cst.Call)
                and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value in methods
            ):
                receiver = expression_key(sub.func.value)
                if receiver is not None:
                    names.add(receiver)
            elif isinstance(sub, (cst.For, cst.CompFor)) and isinstance(sub.target, cst.Name):
                iterable = dotted_name(sub.iter)
                if iterable is not None:
                    names.add(f"for:{sub.target.value}:{iterable}")
    # A loop variable that is cancelled stands for its iterable.
    for entry in [n for n in names if n.startswith("for:")]:
        _, target, iterable = entry.split(":", 2)
        names.discard(entry)
        if target in names:
            names.add(iterable)
    return names


def earlier_statements(ctx: Context) -> list[cst.CSTNode]:
    """The statements that run before the visited node in its function: the earlier
    siblings of each enclosing statement, block by block up to the function."""
    found: list[cst.CSTNode] = []
    stack = ctx.stack
    function = ctx.function
    for depth in range(len(stack) - 2, -1, -1):
        block = stack[depth]
        if block is function:
            break
        if isinstance(block, cst.IndentedBlock):
            child = stack[depth + 1]
            body: list[cst.CSTNode] = list(block.body)
            if child in body:
                found.extend(body[: body.index(child)])
    return found


def cancel_then_await(ctx: Context, body: cst.CSTNode) -> bool:
    """The idiom `t.cancel()` then awaiting `t` to let it finish: what `body` awaits was
    cancelled before it (earlier in the function's enclosing blocks, or in `body`)."""
    awaited = awaited_names(body)
    if not awaited:
        return False
    cancelled = cancelled_names([*earlier_statements(ctx), body])
    return bool(awaited & cancelled)


def awaits_completed_or_cancelled(ctx: Context, body: cst.CSTNode) -> bool:
    """Like `cancel_then_await`, and also for a future completed just before
    (`fut.set_result(v)` then `await fut`), which returns at once without suspending."""
    awaited = awaited_names(body)
    if not awaited:
        return False
    return bool(awaited & cancelled_names([*earlier_statements(ctx), body], _COMPLETING))


def handles_uncancel(body: cst.CSTNode) -> bool:
    """The handler inspects or undoes the cancellation request itself."""
    for sub in walk(body, into_scopes=False):
        if isinstance(sub, cst.Attribute) and sub.attr.value in ("uncancel", "cancelling"):
            return True
    return False


def awaits_task_cancelled_elsewhere(ctx: Context, body: cst.CSTNode) -> bool:
    """Every await of `body` waits for an existing task (`await self._task`, not a call),
    and the module cancels such a task somewhere (`self._task.cancel()` in another
    method): the `CancelledError` caught is most likely that task's."""
    names: list[str] = []
    for sub in walk(body, into_scopes=False):
        if isinstance(sub, cst.With) and sub.asynchronous is not None:
            # Entering a timeout scope does not suspend; other context managers may.
            if not all(timeout_scope(ctx, item.item) is not None for item in sub.items):
                return False
        elif isinstance(sub, (cst.For, cst.CompFor)) and sub.asynchronous is not None:
            return False
        if isinstance(sub, cst.Await):
            name = dotted_name(sub.expression)
            if name is None:
                return False
            names.append(name)
    if not names:
        return False
    for name in names:
        last = name.rsplit(".", 1)[-1]
        if re.search(rf"\b{re.escape(last)}\.cancel\(", ctx.source):
            return True
        # `task = _distributor_task` ... `task.cancel()`
        for alias in re.findall(rf"\b(\w+) = {re.escape(name)}\s*$", ctx.source, re.M):
            if re.search(rf"\b{re.escape(alias)}\.cancel\(", ctx.source):
                return True
    return False


# Handlers where no caller's cancellation is lost -----------------------------------------


def catches_keyboard_interrupt(expr: cst.BaseExpression | None) -> bool:
    """`except (CancelledError, KeyboardInterrupt):`: an entry point's shutdown signal."""
    if not isinstance(expr, cst.Tuple):
        return False
    return any((dotted_name(e.value) or "").rsplit(".", 1)[-1] == "KeyboardInterrupt" for e in expr.elements)


def waits_until_cancelled(ctx: Context, body: cst.CSTNode) -> bool:
    """Every await of `body` waits for a future the function creates and never completes
    nor hands on (`forever = loop.create_future()`; `await forever`): the run-until-
    cancelled idiom, where cancellation is the expected way out."""
    function = ctx.function
    if not isinstance(function, cst.FunctionDef):
        return False
    awaited: set[str] = set()
    for sub in walk(body, into_scopes=False):
        if isinstance(sub, cst.Await):
            if not isinstance(sub.expression, cst.Name):
                return False
            awaited.add(sub.expression.value)
        elif isinstance(sub, (cst.With, cst.For, cst.CompFor)) and sub.asynchronous is not None:
            return False
    if not awaited:
        return False
    created: set[str] = set()
    uses: dict[str, int] = {}
    awaits: dict[str, int] = {}
    for sub in walk(function.body, into_scopes=False):
        if (
            isinstance(sub, cst.Assign)
            and len(sub.targets) == 1
            and isinstance(sub.targets[0].target, cst.Name)
            and isinstance(sub.value, cst.Call)
            and last_name(sub.value.func) in ("create_future", "Future")
            and not sub.value.args
        ):
            created.add(sub.targets[0].target.value)
        elif isinstance(sub, cst.Await) and isinstance(sub.expression, cst.Name):
            awaits[sub.expression.value] = awaits.get(sub.expression.value, 0) + 1
        elif isinstance(sub, cst.Name):
            uses[sub.value] = uses.get(sub.value, 0) + 1
    # Each name occurs in its assignment and in awaits only (an awaited Name is walked
    # as a Name too).
    return all(name in created and uses.get(name, 0) == awaits.get(name, 0) + 1 for name in awaited)


def _enclosing(ctx: Context) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
    """(ancestor, child) pairs from the visited node up to its function, innermost first."""
    pairs: list[tuple[cst.CSTNode, cst.CSTNode]] = []
    stack = ctx.stack
    for depth in range(len(stack) - 2, -1, -1):
        if stack[depth] is ctx.function:
            break
        pairs.append((stack[depth], stack[depth + 1]))
    return pairs


def inside_reraising_handler(ctx: Context) -> bool:
    """The visited `try` sits in an `except` handler of the same function that raises on
    every path (a rollback: clean up, then `raise`)."""
    for ancestor, _ in _enclosing(ctx):
        if isinstance(ancestor, cst.ExceptHandler):
            name = (
                ancestor.name.name.value
                if ancestor.name is not None and isinstance(ancestor.name.name, cst.Name)
                else None
            )
            return Flow(ctx, name).block(ancestor.body) == {RAISE}
    return False


#: Comments that are tool pragmas, not explanations.
_PRAGMA = re.compile(r"#\s*(?:noqa|type:|pylint:|pyright:|mypy:|pragma|fmt:|nosec|ruff:)", re.IGNORECASE)
#: What an explanation holds: words (two at least), not a marker or a lone symbol.
_WORDS = re.compile(r"[A-Za-z]{3,}[^A-Za-z\n]+[A-Za-z]{2,}")


def _explanation(comment: str) -> bool:
    return not _PRAGMA.match(comment) and _WORDS.search(comment) is not None


def explains(node: cst.CSTNode) -> bool:
    """A comment in `node` that explains (words, not a tool pragma). Of a block, only the
    comments among its statements count, not one after the colon that opens it."""
    if isinstance(node, cst.IndentedBlock):
        footer = any(line.comment is not None and _explanation(line.comment.value) for line in node.footer)
        return footer or any(explains(stmt) for stmt in node.body)
    if isinstance(node, cst.SimpleStatementSuite):
        return False
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comment) and _explanation(current.value):
            return True
        stack.extend(all_children(current))
    return False


def documented(ctx: Context, handler: cst.ExceptHandler) -> bool:
    """A comment explains the handler: in its body (`pass  # expected during close()`),
    or, for a handler in a `finally:` block, also just above it."""
    if explains(handler.body):
        return True
    return any(isinstance(a, cst.Finally) for a, _ in _enclosing(ctx)) and explains(handler)


#: A comment about cancellation (`CancelledError`, "cancelled", "cancellation"; not the
#: verb: "cancel the helper too" is about the next statement).
_ABOUT_CANCELLATION = re.compile(r"cancell?ed|cancellation", re.IGNORECASE)


def explains_fall_through(ctx: Context) -> bool:
    """The statement the visited `try` falls through to carries a comment that explains,
    in words, what happens on cancellation (`return None  # on shutdown we return None
    instead of raising CancelledError`): the handler's choice is written down there."""
    stack = ctx.stack
    if len(stack) < 2 or not isinstance(stack[-2], (cst.IndentedBlock, cst.Module)):
        return False
    body = list(stack[-2].body)
    index = next((i for i, stmt in enumerate(body) if stmt is stack[-1]), None)
    if index is None or index + 1 >= len(body):
        return False
    after = body[index + 1]
    comments = [line.comment for line in getattr(after, "leading_lines", ()) if line.comment is not None]
    if isinstance(after, cst.SimpleStatementLine) and after.trailing_whitespace.comment is not None:
        comments.append(after.trailing_whitespace.comment)
    return any(_explanation(c.value) and _ABOUT_CANCELLATION.search(c.value) for c in comments)


def carved_out(ctx: Context, node: cst.Try, handler: cst.ExceptHandler) -> bool:
    """A later handler of the same `try` catches everything (`except BaseException:`, a
    bare `except:`) and re-raises on every path: the cancellation's own handler before it
    was set apart on purpose (`except CancelledError: stop the sub-tasks; return`)."""
    handlers = list(node.handlers)
    start = next(i for i, h in enumerate(handlers) if h is handler) + 1
    for later in handlers[start:]:
        if cancellation_kind(ctx, later.type) == "broad":
            # What it catches is no cancellation: its tests of the exception stay undecided.
            return Flow(ctx).block(later.body) == {RAISE}
    return False


def _is_flag(test: cst.BaseExpression, exc: str | None) -> bool:
    """`stopping`, `self._closed`, `not state.running`, `self._stop.is_set()`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _is_flag(test.expression, exc)
    if isinstance(test, cst.Call) and not test.args and last_name(test.func) == "is_set":
        test = test.func
    name = dotted_name(test)
    return name is not None and name.split(".", 1)[0] != exc


def flag_guarded_exit(ctx: Context, body: cst.BaseSuite, exc: str | None) -> bool:
    """A handler in a loop that leaves (return, break, raise) when a stopping flag is set
    and otherwise keeps the loop going: a worker that survives stray cancellations on
    purpose and stops on shutdown."""
    if not any(isinstance(a, (cst.While, cst.For)) for a, _ in _enclosing(ctx)):
        return False
    if not isinstance(body, cst.IndentedBlock):
        return False
    for stmt in body.body:
        if (
            isinstance(stmt, cst.If)
            and stmt.orelse is None
            and _is_flag(stmt.test, exc)
            and not Flow(ctx, exc).block(stmt.body) - {RETURN, BREAK, RAISE}
        ):
            return True
    return False


def tail_exits(ctx: Context, leaks: frozenset[str]) -> bool:
    """No way the handler leaves without raising keeps a loop going: it returns, falls
    through outside any loop, or breaks out of the only loop around it. In a task's
    outermost frame the task then runs to its end."""
    if not leaks or leaks - {NEXT, RETURN, BREAK}:
        return False
    loops = sum(isinstance(ancestor, (cst.While, cst.For)) for ancestor, _ in _enclosing(ctx))
    if NEXT in leaks and loops:
        return False  # falling out of the handler runs the loop again
    return not (BREAK in leaks and loops > 1)


def awaits_after(ctx: Context) -> bool:
    """Whether a statement after the visited node's statements, up to the end of its
    function, awaits (`await`, `async with`, `async for`): a task that falls out of a
    handler there goes on waiting for more after its cancellation."""
    return _awaits_after(_enclosing(ctx))


def _awaits_after(enclosing: list[tuple[cst.CSTNode, cst.CSTNode]]) -> bool:
    """Whether a statement after the visited node's statements, up to the end of its
    function, awaits (`await`, `async with`, `async for`)."""
    for ancestor, child in enclosing:
        if not isinstance(ancestor, cst.IndentedBlock):
            continue
        later = False
        for statement in ancestor.body:
            if later and any(
                isinstance(n, cst.Await)
                or (isinstance(n, (cst.With, cst.For, cst.CompFor)) and n.asynchronous is not None)
                for n in walk(statement, into_scopes=False)
            ):
                return True
            later = later or statement is child
    return False


def spawns(func: cst.BaseExpression) -> bool:
    """`create_task`, `ensure_future`, or a project's task helper:
    `background_tasks.create(...)`, `tasks.create_or_defer(...)`."""
    last = last_name(func)
    if last in ("create_task", "ensure_future"):
        return True
    receiver = dotted_name(func.value) if isinstance(func, cst.Attribute) else None
    return (
        last.startswith("create") and receiver is not None and "task" in receiver.rsplit(".", 1)[-1].lower()
    )


def task_body_elsewhere(ctx: Context, qualname: str) -> bool:
    """The project coroutine function `qualname` (`app.jobs.Timer.run`; "" for a nested
    function) runs only as the outermost frame of a task another module may spawn: the
    project model (`ProjectIndex.only_spawned`)."""
    return bool(qualname) and may_be_project_name(qualname) and ctx.project.only_spawned(qualname)


def task_body_names(ctx: Context) -> frozenset[str]:
    """Functions and methods the module only ever runs as tasks (`create_task(self._run())`,
    `ensure_future(f())`, `tg.start_soon(self._handle, item)`), or, when the module cancels tasks itself, registers with a
    framework that runs them as the outermost frame of its own task
    (`@sio.on("message")`), and never awaits or calls directly: no caller awaits them, so
    a cancellation that ends the task's outermost frame is lost for nobody."""

    def compute() -> frozenset[str]:
        cancels = ".cancel(" in ctx.source
        spawned: dict[int, str] = {}
        calls: list[cst.Call] = []
        registered: set[str] = set()
        handed: dict[int, str] = {}
        #: Local names bound to functions, not calls of them (`run = self._a if once else
        #: self._b`): a spawned `run()` runs those functions.
        aliases: dict[str, set[str]] = {}
        for sub in walk(ctx.module):
            if (
                isinstance(sub, cst.Assign)
                and len(sub.targets) == 1
                and isinstance(sub.targets[0].target, cst.Name)
            ):
                referenced = _function_references(sub.value)
                if referenced:
                    aliases.setdefault(sub.targets[0].target.value, set()).update(referenced)
                continue
            if isinstance(sub, cst.FunctionDef) and sub.asynchronous is not None and cancels:
                if any(
                    isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
                    for d in sub.decorators
                ):
                    registered.add(sub.name.value)
                continue
            if not isinstance(sub, cst.Call):
                continue
            calls.append(sub)
            args = positional_args(sub)
            if spawns(sub.func):
                if args and isinstance(args[0].value, cst.Call):
                    spawned[id(args[0].value)] = last_name(args[0].value.func)
            elif last_name(sub.func) == "start_soon" and args:
                # anyio/trio: `tg.start_soon(self._handle, item)` runs the function as a task.
                target = args[0].value
                if isinstance(target, (cst.Name, cst.Attribute)):
                    handed[id(target)] = last_name(target)
        # Calls of the function itself: `f(...)`, or `self.f(...)` / `cls.f(...)` for a
        # method (`other.f(...)` is some other object's method).
        direct = {
            last_name(c.func)
            for c in calls
            if id(c) not in spawned
            and (
                isinstance(c.func, cst.Name)
                or (
                    isinstance(c.func, cst.Attribute)
                    and isinstance(c.func.value, cst.Name)
                    and c.func.value.value in ("self", "cls")
                )
            )
        }
        names = {*spawned.values(), *handed.values(), *registered}
        for name in list(names):
            names |= aliases.get(name, set())
        return frozenset(name for name in names if name and name not in direct)

    return ctx.memo("task-bodies", ctx.module, compute)


def _function_references(expr: cst.BaseExpression) -> set[str]:
    """The names of the functions an expression refers to without calling them: `f`,
    `self._run`, either side of `self._a if once else self._b`; empty for anything else."""
    if isinstance(expr, cst.IfExp):
        body, orelse = _function_references(expr.body), _function_references(expr.orelse)
        return body | orelse if body and orelse else set()
    if isinstance(expr, cst.Name) or (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
        return {last_name(expr)}
    return set()
