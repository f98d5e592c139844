"""The concurrency family (ASL2xx): may two awaited calls run at the same time?

The answer is a conservative "yes" only when the calls share no data (what one statement
binds, the other does not read or write), no object (method calls on one receiver, unless
its type serves concurrent calls from a pool), no stateful argument (a connection, a
stream, a transaction), and neither call is an operation whose order is the point (I/O on
a stream, transaction control, lifecycle, synchronisation, sleeping).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from asynclint.analysis.context import Context
from asynclint.analysis.methods import project_callee
from asynclint.analysis.nodes import (
    SCOPE_NODES,
    all_children,
    children,
    dotted_name,
    has_await,
    names_loaded,
    target_names,
)
from asynclint.catalogs import concurrency as catalog
from asynclint.catalogs.names import configured
from asynclint.meaning import meaning
from asynclint.project import may_be_project_name

#: The longest line a fix writes.
MAX_LINE = 88
_CALLBACK_RE = re.compile(catalog.CALLBACK_ITEM_RE)
_STATEFUL_NAME_RE: dict[str, re.Pattern[str]] = {}
_LOCKISH_RE = re.compile(r"(^|_)(lock|locks|mutex|sem|semaphore|limiter|throttle|rate_limit)(_|$|\d)", re.I)


def callee_name(call: cst.Call) -> str | None:
    """The last part of the callee: `fetch` for `fetch(...)` and `self.api.fetch(...)`."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def has_ordered_name(name: str) -> bool:
    """`write`, `send_json`, `hotkeys_stop`: the name, or one of its words, says the
    call is an operation whose order matters."""
    bare = name.lstrip("_").lower()
    if bare in catalog.ORDERED_NAMES or bare.startswith(catalog.ORDERED_PREFIXES):
        return True
    return any(word in catalog.ORDERED_NAMES for word in bare.split("_"))


def is_local_work(call: cst.Call) -> bool:
    """Whether the callee's name says it works in this process (`get_translated_payload`,
    `render_template`, `convert_flag`): nothing to overlap."""
    name = callee_name(call)
    if name is None:
        return False
    return any(word in catalog.LOCAL_WORK_WORDS for word in name.lower().split("_"))


def does_no_io(ctx: Context, call: cst.Call) -> bool:
    """Whether the project model knows the awaited call's coroutine function never reaches
    I/O (it returns a cached or computed value, builds something, or only schedules work):
    nothing to overlap, in any module of the project."""
    name = project_callee(ctx, call)
    return name is not None and may_be_project_name(name) and ctx.project.reaches_io(name) is False


def is_ordered_call(ctx: Context, call: cst.Call) -> bool:
    """Whether the call is an operation whose order relative to others matters."""
    name = callee_name(call)
    if name is None or has_ordered_name(name):
        return True
    qualified = ctx.call_name(call)
    return qualified is not None and qualified in catalog.ORDERED_CALLS


def stateful_name_re(ctx: Context) -> re.Pattern[str]:
    pattern = ctx.settings.stateful_names
    compiled = _STATEFUL_NAME_RE.get(pattern)
    if compiled is None:
        compiled = _STATEFUL_NAME_RE[pattern] = re.compile(pattern)
    return compiled


def is_stateful_type(ctx: Context, type_name: str | None) -> bool:
    extra = ctx.settings.stateful_types
    return type_name is not None and (
        type_name in catalog.STATEFUL_TYPES or (bool(extra) and configured(type_name, extra))
    )


def is_pool_backed(ctx: Context, expr: cst.BaseExpression) -> bool:
    kind = ctx.type_of(expr)
    extra = ctx.settings.pool_backed_types
    return kind is not None and (
        kind in catalog.POOL_BACKED_TYPES or (bool(extra) and configured(kind, extra))
    )


def receiver(ctx: Context, call: cst.Call) -> tuple[str, cst.BaseExpression] | None:
    """The object a method call runs on, as (root name, receiver expression); None for a
    plain function or a module's function (`asyncio.sleep`, `api.fetch` with `import api`)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    root = func.value
    while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
        root = root.func if isinstance(root, cst.Call) else root.value
    if not isinstance(root, cst.Name):
        return ("<expr>", func.value)
    found = ctx.lookup(root.value)
    # `module.function(...)` is a function call, but `module.obj.method(...)` runs on a
    # module-level object.
    if found is not None and all(b.kind == "import" for b in found[1]) and isinstance(func.value, cst.Name):
        return None
    return (root.value, func.value)


@dataclass
class Access:
    """What an awaited call (and the statement around it) touches."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    #: Root names of attributes or items the statement assigns (`self` for `self.x = ...`).
    writes_into: set[str] = field(default_factory=set)
    #: The attribute or item targets themselves (`self.x`), without layout (`meaning`).
    targets_into: set[object] = field(default_factory=set)
    #: Root names of the objects whose methods the call (or its arguments) calls.
    receivers: set[str] = field(default_factory=set)
    stateful: set[str] = field(default_factory=set)
    #: The awaited call runs on a client that serves concurrent calls.
    pooled: bool = False
    #: For a pooled call: the receiver (without layout), the first argument's source text
    #: (the key or URL it works on) and the string literals among its arguments.
    pooled_receiver: object | None = None
    first_literal: str | None = None
    literals: set[str] = field(default_factory=set)
    #: The awaited call, without its layout (`asynclint.meaning`: `f(x)` and `f (\n x)`
    #: are the same call).
    code: object = None
    #: The method name says it only reads.
    reads_only: bool = False


def access(ctx: Context, call: cst.Call, targets: Iterable[cst.BaseExpression] = ()) -> Access:
    name = callee_name(call) or ""
    info = Access(
        reads=names_loaded(call),
        code=meaning(call),
        reads_only=name.lstrip("_").lower().startswith(catalog.READ_PREFIXES),
    )
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if positional and isinstance(positional[0].value, cst.SimpleString):
        value = positional[0].value.evaluated_value
        info.first_literal = value if isinstance(value, str) else repr(value)
    for node in _walk_expr(call):
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            info.literals.add(value if isinstance(value, str) else repr(value))
    for target in targets:
        bound, into = target_names(target)
        info.writes |= bound
        info.writes_into |= into
        if into:
            info.targets_into.add(meaning(target))
    pattern = stateful_name_re(ctx)
    for node in _walk_expr(call):
        # A stateful-looking name is fine when its type is known to serve concurrent
        # calls (`session: aiohttp.ClientSession`).
        if (
            isinstance(node, cst.Name)
            and node.value in info.reads
            and node.value not in info.stateful
            and pattern.search(node.value)
            and not is_pool_backed(ctx, node)
        ):
            info.stateful.add(node.value)
    for node in _walk_expr(call):
        if isinstance(node, cst.NamedExpr):
            info.writes |= target_names(node.target)[0]
        elif isinstance(node, cst.Call):
            found = receiver(ctx, node)
            if found is None:
                continue
            pooled = is_pool_backed(ctx, found[1])
            if node is call:
                info.pooled = pooled
                if pooled:
                    info.pooled_receiver = meaning(found[1])
            if not pooled:
                info.receivers.add(found[0])
                if is_stateful_type(ctx, ctx.type_of(found[1])):
                    info.stateful.add(found[0])
        elif (
            isinstance(node, cst.Name)
            and node.value not in info.stateful
            and node.value in info.reads
            and is_stateful_type(ctx, ctx.type_of(node))
        ):
            info.stateful.add(node.value)
    return info


def _walk_expr(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, SCOPE_NODES):
            continue
        stack.extend(children(current))


def independent(earlier: Access, later: Access) -> bool:
    """Whether `later` (a statement after `earlier`) may start before `earlier` ends."""
    if earlier.code == later.code:
        return False  # the same call twice is a retry, a poll or a test of state
    # One client, one server: a write is independent of another call only when both name
    # their key or URL with different literals and share no other literal.
    same_server = (
        earlier.pooled_receiver is not None
        and earlier.pooled_receiver == later.pooled_receiver
        and not (earlier.reads_only and later.reads_only)
    )
    if same_server and (
        earlier.first_literal is None
        or later.first_literal is None
        or earlier.first_literal == later.first_literal
        or earlier.literals & later.literals
    ):
        return False
    if later.reads & (earlier.writes | earlier.writes_into):
        return False
    if later.writes & (earlier.reads | earlier.writes):
        return False
    if later.writes_into & earlier.reads or later.targets_into & earlier.targets_into:
        return False
    for first, second in ((earlier, later), (later, earlier)):
        if "<expr>" in first.receivers or first.receivers & second.reads:
            return False
    return not (earlier.stateful & later.reads or later.stateful & earlier.reads)


def serialised_context(ctx: Context, stop: cst.CSTNode | None = None) -> str | None:
    """Why the visited node runs serialised: inside `async with lock:`, a transaction or
    an acquired connection (between the node and `stop`, the function by default);
    None otherwise."""
    stop = stop or ctx.async_function
    stack = ctx.stack
    for index in range(len(stack) - 2, -1, -1):
        node = stack[index]
        if node is stop:
            return None
        if isinstance(node, cst.With) and stack[index + 1] is node.body:
            for item in node.items:
                reason = _serialising_item(ctx, item.item)
                if reason is not None:
                    return reason
    return None


def _serialising_item(ctx: Context, expr: cst.BaseExpression) -> str | None:
    text = dotted_name(expr.func if isinstance(expr, cst.Call) else expr)
    if text is not None and _LOCKISH_RE.search(text.rsplit(".", 1)[-1]):
        return "a lock"
    kind = ctx.type_of(expr)
    if kind is not None and kind in catalog.LOCK_TYPES:
        return "a lock"
    if isinstance(expr, cst.Call):
        name = callee_name(expr)
        if name is not None and name.lstrip("_") in catalog.TRANSACTION_METHODS:
            return "a transaction"
        qualified = ctx.call_name(expr)
        if qualified is not None and qualified.rsplit(".", 1)[-1] in catalog.TRANSACTION_METHODS:
            return "a transaction"
    if is_stateful_type(ctx, kind):
        return "a connection"
    return None


def block_indent(ctx: Context, upto: int | None = None) -> str:
    """The indentation of statements in the innermost indented block on the stack."""
    indent = ""
    default = ctx.module.default_indent
    for node in ctx.stack if upto is None else ctx.stack[:upto]:
        if isinstance(node, cst.IndentedBlock):
            indent += node.indent if node.indent is not None else default
    return indent


def has_comments(node: cst.CSTNode) -> bool:
    """Whether replacing the node would drop a comment inside it."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comment):
            return True
        stack.extend(all_children(current))
    return False


def name_is_free(ctx: Context, function: cst.CSTNode, name: str) -> bool:
    """Whether `name` is neither bound nor read in `function` nor bound in the module, so
    a fix may introduce it."""
    if name in ctx.module_frame.bindings:
        return False
    frame = ctx.frame_of(function)
    if frame is not None and frame.lookup(name) is not None:
        return False
    return name not in names_loaded(function)


def iterations_independent(ctx: Context, call: cst.Call, targets: set[str]) -> Access | None:
    """For a call awaited once per iteration (loop or comprehension with target names
    `targets`): its access when the iterations could run concurrently, else None. The call
    must use the iteration's item, act on the item or on a pooled client (never on one
    shared object), share no connection or stream, not be an ordered operation, and not
    call the item itself (callbacks and hooks run in order by design)."""
    if not targets or is_local_work(call) or is_ordered_call(ctx, call) or does_no_io(ctx, call):
        return None
    if isinstance(call.func, cst.Name) and call.func.value in targets:
        return None
    found = receiver(ctx, call)
    if found is not None and found[0] in targets and _CALLBACK_RE.search(found[0]):
        return None
    if has_await(call, yields=True):
        return None
    info = access(ctx, call)
    if not info.reads & targets or info.writes:
        return None
    if info.pooled:
        # On one pooled client each iteration must work on its own key or URL.
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if not positional or not names_loaded(positional[0].value) & targets:
            return None
    if not info.receivers <= targets or not info.stateful <= targets:
        return None
    return info


def loop_targets(target: cst.BaseExpression) -> set[str] | None:
    """The names a `for` target binds; None when it assigns attributes or items."""
    bound, into = target_names(target)
    return None if into else bound


_TASK_METHODS = frozenset({"create_task", "ensure_future"})


def task_creator(ctx: Context, call: cst.Call) -> str | None:
    """`asyncio.create_task`, `asyncio.ensure_future` or `loop.create_task` (on a loop
    of known type) -> its short name; None for anything else (a TaskGroup's
    `create_task` keeps its tasks)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        if func.attr.value not in _TASK_METHODS:
            return None
    elif not isinstance(func, cst.Name):
        return None
    name = ctx.call_name(call)
    if name is None or name not in catalog.TASK_CREATORS:
        return None
    last = name.rsplit(".", 1)[-1]
    return "loop.create_task" if name.startswith("asyncio.AbstractEventLoop") else f"asyncio.{last}"


def is_load_of(name: str, node: cst.Name, parent: cst.CSTNode | None) -> bool:
    """Whether `node` (a Name spelled `name`) reads the variable rather than binding it."""
    if node.value != name:
        return False
    if isinstance(parent, (cst.AssignTarget, cst.AsName, cst.CompFor, cst.For)):
        return getattr(parent, "target", getattr(parent, "name", None)) is not node
    if isinstance(parent, (cst.AnnAssign, cst.NamedExpr)):
        return parent.target is not node
    if isinstance(parent, (cst.Attribute,)):
        return parent.value is node
    if isinstance(parent, cst.Arg):
        return parent.keyword is not node
    return not isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Param))


def variable_is_read(scope: cst.CSTNode, name: str, outside: cst.CSTNode | None = None) -> bool:
    """Whether `name` is read anywhere in `scope` (nested functions included, the subtree
    `outside` excluded), or declared `global`/`nonlocal` there."""
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(scope, None)]
    while stack:
        node, parent = stack.pop()
        if node is outside:
            continue
        if isinstance(node, cst.Name):
            if is_load_of(name, node, parent):
                return True
            continue
        if isinstance(node, (cst.Global, cst.Nonlocal)) and any(
            item.name.value == name for item in node.names
        ):
            return True
        for child in children(node):
            stack.append((child, node))
    return False


def unread_local(ctx: Context, target: cst.BaseExpression) -> str | None:
    """For an assignment target in a function: the name, when it is a plain local that
    the function never reads afterwards (or anywhere); else None."""
    if not isinstance(target, cst.Name):
        return None
    found = ctx.lookup(target.value)
    frame = ctx.frame.function_frame()
    if found is None or frame is None or found[0] is not frame:
        return None
    if len(found[1]) != 1:
        return None  # rebound elsewhere: too subtle to follow
    if variable_is_read(frame.node, target.value):
        return None
    return target.value


TASK_GROUPS = frozenset({"asyncio.TaskGroup"})


def task_group_item(ctx: Context, node: cst.With) -> cst.WithItem | None:
    """The item of an `async with` that enters an `asyncio.TaskGroup` (a constructor call,
    or a name of that type), else None."""
    if node.asynchronous is None:
        return None
    for item in node.items:
        expr = item.item
        if isinstance(expr, cst.Call):
            if ctx.qualified_name(expr.func) in TASK_GROUPS:
                return item
        elif ctx.type_of(expr) in TASK_GROUPS:
            return item
    return None
