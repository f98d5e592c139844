"""The concurrency family (ASL2xx): may two awaited calls run at the same time?

The answer is a conservative "yes" only when the calls share no data (what one statement
binds, the other does not read or write), no object (method calls on one receiver, unless
its type serves concurrent calls from a pool), no stateful argument (a connection, a
stream, a transaction), and neither call is an operation whose order is the point (I/O on
a stream, transaction control, lifecycle, synchronisation, sleeping).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from asynclint.analysis.context import Context
from asynclint.analysis.methods import project_callee, self_class
from asynclint.analysis.nodes import (
    SCOPE_NODES,
    all_children,
    children,
    dotted_name,
    has_await,
    names_loaded,
    target_names,
    walk,
)
from asynclint.catalogs import concurrency as catalog
from asynclint.catalogs.names import configured
from asynclint.meaning import meaning
from asynclint.project import may_be_project_name

#: The longest line a fix writes.
MAX_LINE = 88
_CALLBACK_RE = re.compile(catalog.CALLBACK_ITEM_RE)
_CALLBACK_COLLECTION_RE = re.compile(catalog.CALLBACK_COLLECTION_RE)
_SERIAL_COMMENT_RE = re.compile(catalog.SERIAL_COMMENT_RE)
_PROMPT_NAMES_RE = re.compile(catalog.PROMPT_NAMES_RE)
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


def starts_background_work(call: cst.Call) -> bool:
    """Whether the call only starts work and returns at once: `start_worker()`,
    `schedule_refresh()`, `spawn(...)`, `submit(...)`, `refresh_in_background()`, or a
    call with `wait=False` (`blocking=False`...). It fetches nothing."""
    for arg in call.args:
        if (
            arg.keyword is not None
            and arg.keyword.value in catalog.NO_WAIT_KEYWORDS
            and isinstance(arg.value, cst.Name)
            and arg.value.value == "False"
        ):
            return True
    name = callee_name(call)
    if name is None:
        return False
    bare = name.lstrip("_").lower()
    return bare.startswith(catalog.BACKGROUND_PREFIXES) or any(
        word in catalog.BACKGROUND_WORDS for word in bare.split("_")
    )


def is_ordered_call(ctx: Context, call: cst.Call) -> bool:
    """Whether the call is an operation whose order relative to others matters, or one
    that only starts background work."""
    name = callee_name(call)
    if name is None or starts_background_work(call):
        return True
    if has_ordered_name(name) and not _is_pooled_read(ctx, call, name):
        return True
    qualified = ctx.call_name(call)
    return qualified is not None and qualified in catalog.ORDERED_CALLS


def _is_pooled_read(ctx: Context, call: cst.Call, name: str) -> bool:
    """`await client.read_flow(...)` on a pooled client (an API wrapper configured in
    `pool-backed-types`): a read of the service, not of a stream."""
    if not name.lstrip("_").lower().startswith(catalog.POOLED_READ_PREFIXES):
        return False
    found = receiver(ctx, call)
    return found is not None and is_pool_backed(ctx, found[1])


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
    return kind is not None and _pool_backed_type(ctx, kind, 0)


def _pool_backed_type(ctx: Context, kind: str, depth: int) -> bool:
    """Whether objects of type `kind` serve concurrent calls: a type of the catalog or of
    `pool-backed-types`, or a class of this module that derives from one."""
    extra = ctx.settings.pool_backed_types
    if kind in catalog.POOL_BACKED_TYPES or (bool(extra) and configured(kind, extra)):
        return True
    if depth > 4:
        return False
    cls = _module_class(ctx, kind)
    if cls is None:
        return False
    for base in cls.bases:
        qualified = ctx.qualified_name(base.value, ctx.module_frame)
        if qualified is not None and qualified != kind and _pool_backed_type(ctx, qualified, depth + 1):
            return True
    return False


def _module_class(ctx: Context, kind: str) -> cst.ClassDef | None:
    """The module-level class of this module whose qualified name is `kind`."""
    prefix, _, last = kind.rpartition(".")
    if not prefix:
        return None
    for binding in ctx.module_frame.bindings.get(last, ()):
        if binding.kind == "class" and binding.qualified == kind and isinstance(binding.node, cst.ClassDef):
            return binding.node
    return None


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


def comments_in(node: cst.CSTNode) -> Iterator[str]:
    """The text of every comment inside `node` (its leading lines included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comment):
            yield current.value
        stack.extend(all_children(current))


def says_serial(comments: Iterable[str]) -> bool:
    """Whether one of the comments says the code is serial on purpose: "in the order they
    occurred", "one at a time", "sequentially", "no gather", "rate limit"..."""
    return any(_SERIAL_COMMENT_RE.search(text) for text in comments)


def statement_comments(ctx: Context) -> Iterator[str]:
    """The comments of the innermost statement around the visited node (above it, on its
    lines; for a compound statement, above it), and of its block's header when it is the
    block's first statement: where a comment says why the statement is written as it is."""
    stack = ctx.stack
    for index in range(len(stack) - 1, 0, -1):
        node = stack[index]
        if isinstance(node, cst.SimpleStatementLine):
            yield from comments_in(node)
        elif isinstance(node, cst.BaseCompoundStatement):
            for line in node.leading_lines:
                if line.comment is not None:
                    yield line.comment.value
        else:
            continue
        block = stack[index - 1]
        if isinstance(block, cst.IndentedBlock) and block.body and block.body[0] is node:
            yield from block_header_comments(ctx, index - 1)
        return


def block_header_comments(ctx: Context, index: int) -> Iterator[str]:
    """For the indented block at `ctx.stack[index]`: the comment on its header line (`try:
    # one at a time`) and those above the statement that owns it."""
    block = ctx.stack[index]
    assert isinstance(block, cst.IndentedBlock)
    if block.header.comment is not None:
        yield block.header.comment.value
    owner = ctx.stack[index - 1] if index > 0 else None
    if isinstance(owner, cst.BaseCompoundStatement) and owner.body is block:
        for line in owner.leading_lines:
            if line.comment is not None:
                yield line.comment.value


def iterates_callbacks(iterable: cst.BaseExpression, targets: set[str]) -> bool:
    """Whether a loop runs callbacks, hooks or plugins in registration order: its item or
    a name in its iterable says so (`for hook in pm.hook.startup(...)`, `for handler in
    self._handlers`, `for subscription in self._subscriptions`)."""
    if any(_CALLBACK_COLLECTION_RE.search(name) for name in targets):
        return True
    for node in _walk_expr(iterable):
        if isinstance(node, cst.Name) and _CALLBACK_COLLECTION_RE.search(node.value):
            return True
        if isinstance(node, cst.Attribute) and _CALLBACK_COLLECTION_RE.search(node.attr.value):
            return True
    return False


#: Calls on a collection that give its items without asking anyone (`self.parts.values()`).
_VIEW_METHODS = frozenset({"values", "keys", "items", "copy"})


def drives_own_parts(ctx: Context, call: cst.Call, targets: set[str], iterable: cst.BaseExpression) -> bool:
    """Whether a loop has the object drive its own parts in turn: the iterable is a
    collection the method's own object holds (`self.actions`, `self._storages.values()`)
    and the call a method of the item (`await action.remove()`). The parts are the
    object's make-up, a handful fixed when it was built, not the data it is handed; and
    driving them one by one stops at the first that fails."""
    found = receiver(ctx, call)
    if found is None or found[0] not in targets:
        return False
    root = iterable
    if (
        isinstance(root, cst.Call)
        and not root.args
        and isinstance(root.func, cst.Attribute)
        and root.func.attr.value in _VIEW_METHODS
    ):
        root = root.func.value
    if not isinstance(root, cst.Attribute):
        return False
    while isinstance(root, cst.Attribute):
        root = root.value
    return isinstance(root, cst.Name) and self_class(ctx.frame, root.value, closures=True) is not None


def calls_enclosing_function(ctx: Context, call: cst.Call) -> bool:
    """Whether the call recurses: it calls the function it is in (`_resolve(item)` in
    `_resolve`, `self.walk(child)` in `walk`). A recursive walk keeps its order."""
    function = ctx.async_function
    if function is None:
        return False
    name = function.name.value
    func = call.func
    if isinstance(func, cst.Name):
        return func.value == name
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == name
        and isinstance(func.value, cst.Name)
        and func.value.value in ("self", "cls")
    )


_CONTAINER_CALLS = frozenset(
    {
        "builtins.list",
        "builtins.dict",
        "builtins.set",
        "collections.deque",
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.Counter",
    }
)


def shares_loop_state(ctx: Context, call: cst.Call, iterables: Sequence[cst.BaseExpression]) -> bool:
    """Whether the calls of a loop share ordered state: the call is handed the loop's own
    iterable (`await visit(item, queue)` over `queue`), or an empty container the
    function fills (`await collect(item, results)` with `results = []`), which each call
    may change: run together, they would change it in the order they finish."""
    loaded: set[str] = set()
    for arg in call.args:
        loaded |= names_loaded(arg.value)
    loaded -= {"self", "cls"}
    for iterable in iterables:
        root = iterable
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.func if isinstance(root, cst.Call) else root.value
        if isinstance(root, cst.Name) and root.value in loaded:
            return True
    function = ctx.frame.function_frame()
    for name in loaded:
        found = ctx.lookup(name)
        if found is None or function is None or found[0] is not function:
            continue
        for binding in found[1]:
            value = binding.value
            if binding.kind not in ("assign", "annassign") or value is None:
                continue
            if isinstance(value, (cst.List, cst.Dict)) and not value.elements:
                return True
            if isinstance(value, cst.Call):
                kind = ctx.qualified_name(value.func)
                empty = not any(arg.keyword is None for arg in value.args)
                if kind in _CONTAINER_CALLS and (empty or kind == "collections.defaultdict"):
                    return True
    return False


def is_interactive_module(ctx: Context) -> bool:
    """Whether the module asks a person at a terminal (`rich.prompt`, `questionary`,
    `click.prompt`, or `prompt`/`confirm` from the project's own `cli` package): its
    awaits run a handful of calls while a person waits, and concurrency is not asked for."""
    return ctx.memo("interactive-module", ctx.module, lambda: _prompts(ctx.module))


def _prompts(module: cst.Module) -> bool:
    for node in walk(module):
        if isinstance(node, cst.ImportFrom):
            source = dotted_name(node.module) if node.module is not None else None
            if source is None:
                continue
            if _is_prompt_module(source):
                return True
            parts = source.split(".")
            if (
                (parts[0] in catalog.PROMPT_LIBRARIES or "cli" in parts)
                and not isinstance(node.names, cst.ImportStar)
                and any(
                    isinstance(alias.name, cst.Name) and _PROMPT_NAMES_RE.match(alias.name.value)
                    for alias in node.names
                )
            ):
                return True
        elif isinstance(node, cst.Import):
            for alias in node.names:
                name = dotted_name(alias.name)
                if name is not None and _is_prompt_module(name):
                    return True
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            text = dotted_name(node.func)
            if text is not None:
                head, _, last = text.rpartition(".")
                if head in catalog.PROMPT_LIBRARIES and _PROMPT_NAMES_RE.match(last):
                    return True
    return False


def _is_prompt_module(name: str) -> bool:
    return any(name == module or name.startswith(module + ".") for module in catalog.PROMPT_MODULES)


def iterations_independent(
    ctx: Context, call: cst.Call, targets: set[str], iterables: Sequence[cst.BaseExpression] = ()
) -> Access | None:
    """For a call awaited once per iteration (loop or comprehension with target names
    `targets` over `iterables`): its access when the iterations could run concurrently,
    else None. The call must use the iteration's item, act on the item or on a pooled
    client (never on one shared object), share no connection or stream, be neither an
    ordered operation nor one the project model knows does no I/O, not call the item
    itself nor iterate callbacks, hooks or plugins (they run in order by design), not
    have the object drive its own parts (a method of each item of a collection of
    `self`), not recurse, and not be handed the iterable or a container the function
    fills (ordered state the calls would change in the order they finish)."""
    if not targets or is_local_work(call) or is_ordered_call(ctx, call) or does_no_io(ctx, call):
        return None
    if calls_enclosing_function(ctx, call) or any(iterates_callbacks(i, targets) for i in iterables):
        return None
    if any(drives_own_parts(ctx, call, targets, i) for i in iterables):
        return None
    if shares_loop_state(ctx, call, iterables):
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
    name = local_bound_once(ctx, target)
    frame = ctx.frame.function_frame()
    if name is None or frame is None or variable_is_read(frame.node, name):
        return None
    return name


def local_bound_once(ctx: Context, target: cst.BaseExpression) -> str | None:
    """For an assignment target in a function: the name, when it is a plain local bound
    nowhere else in the function (the cheap half of `unread_local`); else None."""
    if not isinstance(target, cst.Name):
        return None
    found = ctx.lookup(target.value)
    frame = ctx.frame.function_frame()
    if found is None or frame is None or found[0] is not frame:
        return None
    if len(found[1]) != 1:
        return None  # rebound elsewhere: too subtle to follow
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
