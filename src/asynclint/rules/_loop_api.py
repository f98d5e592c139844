"""The loop API family (ASL6xx): handlers installed with `signal.signal()`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import last_name, positional_args, walk

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

#: Calls that schedule work on the event loop and are not safe from a signal handler
#: (the `*_threadsafe` ones are).
SCHEDULING = frozenset({"create_task", "ensure_future", "call_soon", "call_later", "call_at"})


_SIGNAL_CALL_RE = re.compile(r"\bsignal[\s\\)]*\(")


def signal_handlers(ctx: Context) -> dict[int, tuple[cst.Call, cst.FunctionDef | cst.Lambda]]:
    """The handlers the module installs with `signal.signal(sig, handler)`, by the id of
    their function definition (one of that name in the module) or lambda, each with the
    installing call."""

    def compute() -> dict[int, tuple[cst.Call, cst.FunctionDef | cst.Lambda]]:
        # The substring first: an expression that starts with `\b` is tried at every position.
        if "signal" not in ctx.source or not _SIGNAL_CALL_RE.search(ctx.source):
            return {}  # no call of a `signal` (`signal.signal(`, `signal (` across lines too)
        found: dict[int, tuple[cst.Call, cst.FunctionDef | cst.Lambda]] = {}
        module_defs: dict[str, list[cst.FunctionDef]] = {}
        scopes: list[cst.CSTNode] = [ctx.module]
        scopes.extend(n for n in walk(ctx.module) if isinstance(n, cst.FunctionDef))
        for scope in scopes:
            # The definitions and calls of this scope itself, not of nested functions.
            defs: dict[str, list[cst.FunctionDef]] = {}
            calls: list[cst.Call] = []
            body = scope.body if isinstance(scope, cst.FunctionDef) else scope
            for sub in walk(body, into_scopes=False):
                if isinstance(sub, cst.FunctionDef):
                    defs.setdefault(sub.name.value, []).append(sub)
                elif isinstance(sub, cst.Call) and last_name(sub.func) == "signal":
                    calls.append(sub)
            if scope is ctx.module:
                module_defs = defs
            for call in calls:
                args = positional_args(call)
                if len(args) != 2 or ctx.qualified_name(call.func, ctx.module_frame) != "signal.signal":
                    continue
                handler = args[1].value
                if isinstance(handler, cst.Lambda):
                    found[id(handler)] = (call, handler)
                elif isinstance(handler, cst.Name):
                    candidates = defs.get(handler.value) or module_defs.get(handler.value, [])
                    if len(candidates) == 1:
                        found[id(candidates[0])] = (call, candidates[0])
        return found

    return ctx.memo("signal-handlers", ctx.module, compute)


def in_signal_handler(ctx: Context) -> bool:
    """The visited node is in a function or lambda installed with `signal.signal()`."""
    handlers = signal_handlers(ctx)
    if not handlers:
        return False
    return any(id(node) in handlers for node in ctx.stack if isinstance(node, (cst.FunctionDef, cst.Lambda)))


def scheduling_call(node: cst.FunctionDef | cst.Lambda) -> str | None:
    """The first call in a handler's body that schedules work on the loop, by name."""
    for sub in walk(node.body, into_scopes=False):
        if isinstance(sub, cst.Call) and last_name(sub.func) in SCHEDULING:
            return last_name(sub.func)
    return None
