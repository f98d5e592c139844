"""Cancellation facts shared by the ASL5xx rules: which handlers catch cancellation, how
control can leave a block (a small control-flow analysis), and the cancel-then-await idiom.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import dotted_name, walk

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

#: Exception classes that are cancellation itself.
CANCELLED = frozenset({"asyncio.CancelledError", "asyncio.exceptions.CancelledError", "trio.Cancelled"})
#: Calls that return the cancellation class of the running library.
CANCELLED_CLASS_CALLS = frozenset({"anyio.get_cancelled_exc_class"})
#: Classes that catch cancellation together with everything else.
BROAD = frozenset({"builtins.BaseException"})
#: Calls that never return (they raise SystemExit or a test failure).
NO_RETURN_CALLS = frozenset(
    {"sys.exit", "exit", "quit", "os._exit", "os.abort", "pytest.fail", "pytest.skip"}
)

NEXT, RETURN, BREAK, CONTINUE, RAISE = "next", "return", "break", "continue", "raise"
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
        return "cancelled" if ctx.qualified_name(expr.func) in CANCELLED_CLASS_CALLS else None
    name = ctx.qualified_name(expr)
    if name in CANCELLED:
        return "cancelled"
    if name in BROAD:
        return "broad"
    return None


# Control flow ----------------------------------------------------------------------------


def block_exits(body: cst.BaseSuite | Sequence[cst.BaseStatement]) -> frozenset[str]:
    """How control can leave a block: "next" (falls off its end), "return", "break",
    "continue" or "raise". An empty set means it never leaves (an endless loop)."""
    if isinstance(body, cst.SimpleStatementSuite):
        return _small_exits(body.body)
    statements: Iterable[cst.BaseStatement] = body.body if isinstance(body, cst.IndentedBlock) else body  # type: ignore[assignment]
    current = {NEXT}
    for stmt in statements:
        if NEXT not in current:
            break
        current.discard(NEXT)
        current |= statement_exits(stmt)
    return frozenset(current)


def statement_exits(stmt: cst.BaseStatement) -> frozenset[str]:
    if isinstance(stmt, cst.SimpleStatementLine):
        return _small_exits(stmt.body)
    if isinstance(stmt, cst.If):
        orelse: frozenset[str] = frozenset({NEXT})
        if isinstance(stmt.orelse, cst.If):
            orelse = statement_exits(stmt.orelse)
        elif isinstance(stmt.orelse, cst.Else):
            orelse = block_exits(stmt.orelse.body)
        if _constant_truth(stmt.test) is True:
            return block_exits(stmt.body)
        return block_exits(stmt.body) | orelse
    if isinstance(stmt, (cst.While, cst.For)):
        body = block_exits(stmt.body)
        out = set(body - _LOOP_EXITS)
        endless = isinstance(stmt, cst.While) and _constant_truth(stmt.test) is True
        if BREAK in body:
            out.add(NEXT)
        if not endless:
            out |= block_exits(stmt.orelse.body) if stmt.orelse is not None else {NEXT}
        return frozenset(out)
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        result = set(block_exits(stmt.body))
        if stmt.orelse is not None and NEXT in result:
            result.discard(NEXT)
            result |= block_exits(stmt.orelse.body)
        for handler in stmt.handlers:
            result |= block_exits(handler.body)
        if stmt.finalbody is not None:
            final = block_exits(stmt.finalbody.body)
            if NEXT not in final:
                return final
            result |= final - {NEXT}
        return frozenset(result)
    if isinstance(stmt, cst.With):
        body = block_exits(stmt.body)
        if any(_suppresses(item.item) for item in stmt.items):
            body |= {NEXT}
        return body
    if isinstance(stmt, cst.Match):
        result = set()
        exhaustive = False
        for case in stmt.cases:
            result |= block_exits(case.body)
            if case.guard is None and isinstance(case.pattern, cst.MatchAs) and case.pattern.pattern is None:
                exhaustive = True
        if not exhaustive:
            result.add(NEXT)
        return frozenset(result)
    return frozenset({NEXT})


def _small_exits(smalls: Sequence[cst.BaseSmallStatement]) -> frozenset[str]:
    for small in smalls:
        if isinstance(small, cst.Raise):
            return frozenset({RAISE})
        if isinstance(small, cst.Return):
            return frozenset({RETURN})
        if isinstance(small, cst.Break):
            return frozenset({BREAK})
        if isinstance(small, cst.Continue):
            return frozenset({CONTINUE})
        if isinstance(small, cst.Assert) and _constant_truth(small.test) is False:
            return frozenset({RAISE})
        if (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Call)
            and dotted_name(small.value.func) in NO_RETURN_CALLS
        ):
            return frozenset({RAISE})
    return frozenset({NEXT})


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


def has_checkpoint(node: cst.CSTNode) -> bool:
    """Whether code in `node` (not in nested functions) can suspend, so be cancelled."""
    for sub in walk(node, into_scopes=False):
        if isinstance(sub, cst.Await):
            return True
        if isinstance(sub, (cst.For, cst.With, cst.CompFor)) and sub.asynchronous is not None:
            return True
    return False


def awaited_names(body: cst.CSTNode) -> set[str]:
    """Dotted names of what `body` awaits: `await t`, and the arguments of `await
    asyncio.gather(*tasks)` / `wait(...)` / `wait_for(t, ...)` / `shield(t)`."""
    names: set[str] = set()
    for sub in walk(body, into_scopes=False):
        if not isinstance(sub, cst.Await):
            continue
        expr = sub.expression
        direct = dotted_name(expr)
        if direct is not None:
            names.add(direct)
        elif isinstance(expr, cst.Call):
            for arg in expr.args:
                for part in walk(arg.value, into_scopes=False):
                    inner = dotted_name(part) if isinstance(part, (cst.Name, cst.Attribute)) else None
                    if inner is not None:
                        names.add(inner)
    return names


def cancelled_names(statements: Iterable[cst.CSTNode]) -> set[str]:
    """Dotted names of what `statements` cancel: `t.cancel()`, and the iterable of a loop
    or comprehension that cancels each element (`for t in tasks: t.cancel()`)."""
    names: set[str] = set()
    for stmt in statements:
        for sub in walk(stmt, into_scopes=False):
            if (
                isinstance(sub, cst.Call)
                and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value == "cancel"
            ):
                receiver = dotted_name(sub.func.value)
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


def handles_uncancel(body: cst.CSTNode) -> bool:
    """The handler inspects or undoes the cancellation request itself."""
    for sub in walk(body, into_scopes=False):
        if isinstance(sub, cst.Attribute) and sub.attr.value in ("uncancel", "cancelling"):
            return True
    return False
