"""Ownership of resources inside one function (ASL3xx).

Rules note candidate creations while the shared traversal passes them (`creation_site`,
after a cheap filter, `may_create`, on the callee's last name), and the function is
analysed once, when the traversal leaves it (`occurrences`), by a single walk that
classifies every occurrence of the names the resources are bound to:

- a *close*: `name.close()` (or the kind's closer), `pool.release(name)`;
- a *test*: `if name:`, `name is None`, `not name` (says nothing about ownership);
- a *receiver* use: `name.get(...)`, `name.status`;
- an *escape*: anything else — returned, yielded, passed to a call or constructor, stored
  in an attribute, a container or another name, entered with `async with name:`, its close
  method handed over uncalled (`stack.push_async_callback(name.close)`), or any use inside a
  nested function or lambda (a cleanup hook, a callback). An escape hands the resource to
  someone else, so nothing is reported: this is where other linters collected their false
  positives.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from asynclint.analysis.nodes import COMPREHENSIONS, SCOPE_NODES, children, dotted_name
from asynclint.catalogs import resources as table
from asynclint.catalogs.names import configured, spellings
from asynclint.fixes import NodeFix, Replacement
from asynclint.project import may_be_project_name
from asynclint.rule import FixSafety, Rule

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Frame

_BY_CREATOR = {r.creator: r for r in table.RESOURCES}
#: Last names of every creator, under any spelling (`redis.asyncio.StrictRedis`): a call
#: whose callee does not end in one is never resolved.
CREATOR_TAILS = frozenset(name.rsplit(".", 1)[-1] for r in table.RESOURCES for name in spellings(r.creator))


def creator_tails(ctx: Context) -> frozenset[str]:
    extra = ctx.settings.extend_resource_types
    if not extra:
        return CREATOR_TAILS
    return CREATOR_TAILS | {name.rsplit(".", 1)[-1] for name in extra}


def resource_for(ctx: Context, qualified: str | None) -> table.Resource | None:
    if qualified is None:
        return None
    found = _BY_CREATOR.get(qualified)
    if found is not None:
        return found
    extra = ctx.settings.extend_resource_types
    if extra and configured(qualified, extra):
        return table.Resource(qualified, table.CLIENT, qualified, False, table.USER_CLOSERS, context="")
    return None


def may_create(ctx: Context, call: cst.Call, tails: frozenset[str]) -> bool:
    """Cheap filter before resolving a callee: its last name is a creator's, or it is a
    name imported under another spelling (`from aiofiles import open as aopen`)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value in tails
    if isinstance(func, cst.Name):
        if func.value in tails:
            return True
        qualified = ctx.qualified_name(func)
        return qualified is not None and qualified.rsplit(".", 1)[-1] in tails
    return False


def factory_resource(ctx: Context, call: cst.Call) -> table.Resource | None:
    """The resource a project factory called as `x = make_client(...)` hands its caller (the
    project model knows which functions return a new instance of a resource, and which a
    shared one), or None."""
    parent = ctx.parent
    if not isinstance(parent, (cst.Assign, cst.AnnAssign)) or parent.value is not call:
        return None
    name = ctx.call_name(call)
    if name is None or not may_be_project_name(name):
        return None
    creator = ctx.project.creates(name)
    return _BY_CREATOR.get(creator) if creator is not None else None


@dataclass(eq=False)
class Creation:
    """A resource created by a call, and what the function does with it."""

    call: cst.Call
    resource: table.Resource
    #: The creating expression: the call, or the `await` around it.
    value: cst.BaseExpression
    #: The name it is bound to, or None when the result is discarded.
    name: str | None
    #: The statement line and the block holding it (None when not directly in a block).
    line: cst.SimpleStatementLine | None
    block: cst.IndentedBlock | None
    function: cst.FunctionDef
    frame: Frame
    #: Used at once and dropped: `await httpx.AsyncClient().get(url)`.
    inline: bool = False
    #: For an inline client, the name its call's result is bound to (`pipe` in
    #: `pipe = Redis().pipeline()`).
    derived: str | None = None
    #: Created under a `mock.patch` of one of its class's methods (a `with` around it or a
    #: decorator of its function).
    patched: bool = False
    #: An inline client of which an attribute is only read (`len(Redis().registry)`).
    idle: bool = False
    # Filled by `analyse`:
    escapes: bool = False
    closes: list[Occurrence] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass(eq=False)
class Occurrence:
    """One occurrence of a tracked name in the function."""

    node: cst.Name
    kind: str  # close | test | receiver | escape | store | del
    #: For a close or receiver call, the call node; for a receiver, the attribute name.
    call: cst.Call | None = None
    attr: str = ""
    #: In a `finally`, a bare `except:` or `except BaseException`.
    protected: bool = False
    #: The ancestors from the function's body down to the node's parent.
    path: tuple[cst.CSTNode, ...] = ()


def creation_site(ctx: Context, call: cst.Call, resource: table.Resource | None = None) -> Creation | None:
    """A creation noted where the traversal is at `call`: a resource from the table bound to
    a local name or discarded, directly in an `async def`; None for anything else (a call
    argument, a `with` item, a return value, an attribute target are all handed off)."""
    func = ctx.async_function
    if func is None or ctx.frame.kind != "function":
        return None
    if resource is None:
        resource = resource_for(ctx, ctx.call_name(call))
        if resource is None:
            return None
    stack = ctx.stack
    index = len(stack) - 2
    value: cst.BaseExpression = call
    if isinstance(stack[index], cst.Await):
        value = stack[index]  # type: ignore[assignment]
        index -= 1
    elif resource.code == table.STREAM and _awaited_through_wait_for(ctx, stack, index):
        # `await asyncio.wait_for(asyncio.open_connection(...), 5)` returns the streams.
        value = stack[index - 2]  # type: ignore[assignment]
        index -= 3
    elif resource.awaited:
        return None  # not awaited: handed to gather, wait_for, create_task...
    holder = stack[index]
    name: str | None = None
    inline = False
    if isinstance(holder, cst.Expr):
        pass
    elif isinstance(holder, cst.Attribute) and holder.value is value and resource.code == table.CLIENT:
        # `httpx.AsyncClient().get(url)`: a client made for one call and dropped (unless
        # the call closes it).
        if holder.attr.value in resource.closers:
            return None
        inline = True
    elif isinstance(holder, cst.Assign) and holder.value is value and len(holder.targets) == 1:
        target: cst.BaseExpression = holder.targets[0].target
        if resource.code == table.STREAM:
            if not isinstance(target, (cst.Tuple, cst.List)) or len(target.elements) != 2:
                return None
            target = target.elements[1].value
        if not isinstance(target, cst.Name):
            return None
        name = target.value
    elif isinstance(holder, cst.AnnAssign) and holder.value is value and isinstance(holder.target, cst.Name):
        name = holder.target.value
    else:
        return None
    if name is not None and not _is_local(ctx.frame, name, holder):
        return None
    if borrows(call) or _expected_to_fail(stack) or (name is None and _errors_ignored(stack)):
        return None
    line = stack[index - 1] if index >= 1 and not inline else None
    block = stack[index - 2] if index >= 2 and not inline else None
    creation = Creation(
        call,
        resource,
        value,
        name,
        line if isinstance(line, cst.SimpleStatementLine) else None,
        block if isinstance(block, cst.IndentedBlock) else None,
        func,
        ctx.frame,
        inline,
    )
    if ctx.is_test_file and resource.code == table.CLIENT:
        if inline:
            creation.derived = _bound_result(stack, index)
            above = stack[index - 1]
            # `Redis().registry`: an attribute read, no call
            creation.idle = not (isinstance(above, cst.Call) and above.func is holder)
        creation.patched = _under_patch(stack, func, _class_names(creation))
    return creation


def _bound_result(stack: list[cst.CSTNode], index: int) -> str | None:
    """The name bound to the result of the method called on an inline creation
    (`stack[index]`, the attribute): `pipe` in `pipe = Redis().pipeline()`."""
    above = index - 1
    if above < 1 or not isinstance(stack[above], cst.Call):
        return None
    value = stack[above]
    if isinstance(stack[above - 1], cst.Await):
        above -= 1
        value = stack[above]
    holder = stack[above - 1]
    if isinstance(holder, cst.Assign) and holder.value is value and len(holder.targets) == 1:
        target = holder.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    return None


def _class_names(creation: Creation) -> set[str]:
    """The last names the created object's class may be spelled with in a patch target."""
    names = {creation.resource.label.rsplit(".", 1)[-1], creation.resource.creator.rsplit(".", 1)[-1]}
    written = dotted_name(creation.call.func)
    if written:
        names.add(written.rsplit(".", 1)[-1])
    return {n for n in names if n[:1].isupper()}


#: The `unittest.mock` (and pytest-mock `mocker`) callables that make a mock object.
MOCK_FACTORIES = frozenset(
    (
        "Mock",
        "MagicMock",
        "AsyncMock",
        "NonCallableMock",
        "NonCallableMagicMock",
        "PropertyMock",
        "create_autospec",
    )
)


def _patches_class(call: cst.Call, classes: set[str]) -> bool:
    """`mock.patch("pkg.mod.Class.method")`, `mock.patch("pkg.mod.Class")` or
    `mock.patch.object(Class, "method")` for a class spelled as one of `classes`."""
    name = dotted_name(call.func) or ""
    parts = name.split(".")
    if not call.args or call.args[0].keyword is not None:
        return False
    first = call.args[0].value
    if parts[-1] == "patch":
        if isinstance(first, cst.SimpleString):
            target = first.evaluated_value
            if isinstance(target, bytes):
                return False
            # `pkg.Class.method`, or `pkg.Class` itself (its instances are mocks)
            return any(part in classes for part in target.split("."))
        return False
    if parts[-2:] == ["patch", "object"] and len(call.args) > 1:
        owner = dotted_name(first)
        return owner is not None and owner.rsplit(".", 1)[-1] in classes
    return False


def _under_patch(stack: list[cst.CSTNode], function: cst.FunctionDef, classes: set[str]) -> bool:
    if not classes:
        return False
    for decorator in function.decorators:
        if isinstance(decorator.decorator, cst.Call) and _patches_class(decorator.decorator, classes):
            return True
    for node in reversed(stack):
        if node is function:
            return False
        if isinstance(node, cst.With):
            for item in node.items:
                if isinstance(item.item, cst.Call) and _patches_class(item.item, classes):
                    return True
    return False


def _awaited_through_wait_for(ctx: Context, stack: Sequence[cst.CSTNode], index: int) -> bool:
    """Whether `stack[index]` is the first argument of an awaited `asyncio.wait_for`."""
    if index < 2:
        return False
    arg, outer, awaited = stack[index], stack[index - 1], stack[index - 2]
    return (
        isinstance(arg, cst.Arg)
        and isinstance(outer, cst.Call)
        and isinstance(awaited, cst.Await)
        and bool(outer.args)
        and outer.args[0] is arg
        and arg.keyword is None
        and not arg.star
        and ctx.call_name(outer) == "asyncio.wait_for"
    )


def borrows(call: cst.Call) -> bool:
    """A client built around a pool or connector that someone else owns, which closing
    the client would not close (`Redis(connection_pool=pool)`,
    `ClientSession(connector=c, connector_owner=False)`)."""
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword in table.BORROWING_KEYWORDS:
            return True
        if (
            keyword in table.NOT_OWNER_KEYWORDS
            and isinstance(arg.value, cst.Name)
            and arg.value.value == "False"
        ):
            return True
    return False


def _expected_to_fail(stack: list[cst.CSTNode]) -> bool:
    """Created inside `with pytest.raises(...)` / `self.assertRaises(...)`: the test
    expects the creation or its first use to fail."""
    for node in reversed(stack):
        if isinstance(node, SCOPE_NODES):
            return False
        if isinstance(node, cst.With):
            for item in node.items:
                call = item.item
                if not isinstance(call, cst.Call):
                    continue
                name = dotted_name(call.func) or ""
                last = name.rsplit(".", 1)[-1]
                if last == "raises" or last.startswith("assertRaises"):
                    return True
    return False


def _errors_ignored(stack: list[cst.CSTNode]) -> bool:
    """A discarded creation in a `try:` whose handler only passes: the code provokes an
    error on purpose (`try: await session.get(bad) except Exception: pass`)."""
    for index in range(len(stack) - 1, 0, -1):
        node = stack[index]
        if isinstance(node, SCOPE_NODES):
            return False
        if isinstance(node, cst.Try) and stack[index + 1] is node.body:
            for handler in node.handlers:
                body = handler.body
                if isinstance(body, cst.IndentedBlock):  # else `except E: pass` on one line
                    if not all(isinstance(line, cst.SimpleStatementLine) for line in body.body):
                        continue
                    smalls = [s for line in body.body for s in line.body]  # type: ignore[attr-defined]
                else:
                    smalls = list(body.body)
                if all(isinstance(s, cst.Pass) for s in smalls):
                    return True
            return False
    return False


def _is_local(frame: Frame, name: str, holder: cst.CSTNode) -> bool:
    """`name` is a plain local of the function, bound only by this creation, by `= None`
    or by other creations (a parameter, a loop variable or any other value makes the
    ownership impossible to follow)."""
    found = frame.lookup(name)
    if found is None or found[0] is not frame:
        return False
    for binding in found[1]:
        if binding.node is holder:
            continue
        if binding.kind not in ("assign", "annassign") or binding.value is None:
            return False
        value = binding.value
        if isinstance(value, cst.Name) and value.value == "None":
            continue
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return False
    return True


# Analysis -------------------------------------------------------------------------------------

_STORE_PARENTS = (
    cst.AssignTarget,
    cst.AnnAssign,
    cst.AugAssign,
    cst.AsName,
    cst.NamedExpr,
    cst.For,
    cst.CompFor,
)
_TEST_PARENTS = (cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation, cst.UnaryOperation)


def occurrences(ctx: Context, function: cst.FunctionDef, names: set[str]) -> dict[str, list[Occurrence]]:
    """Every occurrence of `names` in `function` (nested scopes included), classified.
    Computed once per function and name for all the rules that ask."""
    known: dict[str, list[Occurrence]] = ctx.memo("resource-occurrences", function, dict)
    missing = names - known.keys()
    if missing:
        found: dict[str, list[Occurrence]] = {name: [] for name in missing}
        for node, path in walk_with_path(function.body):
            if isinstance(node, cst.Name) and node.value in found:
                found[node.value].append(_classify(node, path))
        known.update(found)
    return known


def walk_with_path(root: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]:
    """Depth-first, in source order: each node with its ancestors below `root` (`root`
    included, the node excluded)."""
    stack: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        yield node, path
        below = (*path, node)
        kids = children(node)
        for kid in reversed(kids):
            stack.append((kid, below))


def _classify(name: cst.Name, path: tuple[cst.CSTNode, ...]) -> Occurrence:
    nested = any(isinstance(n, SCOPE_NODES) for n in path)
    protected = is_protected(path)
    parent = path[-1] if path else None
    grand = path[-2] if len(path) > 1 else None
    if nested:
        return Occurrence(name, "escape", path=path)
    if isinstance(parent, cst.Attribute) and parent.value is name:
        attr = parent.attr.value
        if isinstance(grand, cst.Call) and grand.func is parent:
            return Occurrence(name, "receiver", grand, attr, protected, path)
        return Occurrence(name, "attribute", None, attr, protected, path)
    if isinstance(parent, _STORE_PARENTS) and getattr(parent, "target", None) is name:
        return Occurrence(name, "store", path=path)
    if isinstance(parent, cst.Element) and _in_target(path):
        return Occurrence(name, "store", path=path)
    if isinstance(parent, cst.Del) or (
        isinstance(parent, cst.Element) and any(isinstance(n, cst.Del) for n in path)
    ):
        return Occurrence(name, "del", path=path)
    if isinstance(parent, _TEST_PARENTS) or (
        isinstance(parent, (cst.If, cst.While, cst.Assert, cst.IfExp))
        and getattr(parent, "test", None) is name
    ):
        return Occurrence(name, "test", path=path)
    if isinstance(parent, cst.Arg) and parent.value is name and isinstance(grand, cst.Call):
        # `pool.release(conn)`: the pool closes the connection; `fetch(session, url)`: lent,
        # or handed over (judge() decides which).
        callee = grand.func.attr.value if isinstance(grand.func, cst.Attribute) else ""
        return Occurrence(name, "argument", grand, callee, protected, path)
    return Occurrence(name, "escape", path=path)


def _in_target(path: tuple[cst.CSTNode, ...]) -> bool:
    for node in reversed(path):
        if isinstance(node, (cst.Element, cst.Tuple, cst.List, cst.StarredElement)):
            continue
        return isinstance(node, (cst.AssignTarget, cst.For, cst.CompFor))
    return False


def is_protected(path: tuple[cst.CSTNode, ...] | list[cst.CSTNode]) -> bool:
    """Code that runs however the block before it ends: a `finally`, a bare `except:` or
    an `except BaseException` handler."""
    for node in path:
        if isinstance(node, cst.Finally):
            return True
        if isinstance(node, cst.ExceptHandler) and _catches_everything(node):
            return True
    return False


def _catches_everything(handler: cst.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    names = [kind] if not isinstance(kind, cst.Tuple) else [e.value for e in kind.elements]
    return any(
        dotted_name(n) in ("BaseException", "builtins.BaseException", "asyncio.CancelledError") for n in names
    )


def judge(creation: Creation, found: list[Occurrence]) -> None:
    """Fills `creation.escapes` and `creation.closes` from the occurrences of its name."""
    resource = creation.resource
    creation.occurrences = found
    passed_on = False
    for occ in found:
        if occ.kind == "escape":
            creation.escapes = True
        elif occ.kind == "attribute" and occ.attr in resource.closers:
            creation.escapes = True  # the close is handed to a callback or an exit stack
        elif occ.kind == "receiver" and occ.attr in resource.closers:
            creation.closes.append(occ)
        elif occ.kind == "argument":
            if resource.release_on_receiver and occ.attr == resource.release_on_receiver:
                creation.closes.append(occ)
            else:
                passed_on = True
    # Passed to a call, a resource may have a new owner; but a function that closes it
    # itself still owns it, and only lends it to the calls (`fetch(session, url)`).
    if passed_on and not creation.closes:
        creation.escapes = True


def inert_in_test(ctx: Context, creation: Creation) -> bool:
    """A client in a test file that never opens a connection, so has nothing to leak:
    a client constructor does no I/O (its pool connects on first use), and the test
    either only reads or sets its attributes (`assert conn._ssl is True`), or replaces its
    I/O with mocks: a method of the class patched around the creation or anywhere in the
    function (`mock.patch("aiohttp.ClientSession.request")`, `mocker.patch.object`,
    `monkeypatch.setattr`), or a mock assigned to an attribute of the client, or of what
    an inline client's call returned (`pipe = Redis().pipeline()`,
    `pipe.parse_response = AsyncMock()`). A client the test calls a method on without
    mocking anything is still reported: it may have connected."""
    if not ctx.is_test_file or creation.resource.code != table.CLIENT:
        return False
    if creation.idle or creation.patched or _patched_in_body(creation.function, _class_names(creation)):
        return True
    names = {n for n in (creation.name, creation.derived) if n is not None}
    if not names:
        return False
    found = occurrences(ctx, creation.function, names)
    if any(_mock_stored(creation.frame, occ) or _part_patched(occ) for name in names for occ in found[name]):
        return True
    if creation.name is None:
        return False
    return all(_idle(occ) for occ in found[creation.name])


def _patched_in_body(function: cst.FunctionDef, classes: set[str]) -> bool:
    """A patch of the class made by a call in the function: `mocker.patch.object(Class,
    "m")`, `monkeypatch.setattr("pkg.Class.m", fake)`, `monkeypatch.setattr(Class, "m",
    fake)`."""
    if not classes:
        return False
    for node in walk_nodes(function.body):
        if not isinstance(node, cst.Call):
            continue
        name = dotted_name(node.func) or ""
        if name.startswith("mocker.patch") and _patches_class(node, classes):
            return True
        if name == "monkeypatch.setattr" and node.args:
            first = node.args[0].value
            if isinstance(first, cst.SimpleString):
                target = first.evaluated_value
                if isinstance(target, str) and any(p in classes for p in target.split(".")[:-1]):
                    return True
            elif len(node.args) > 2:
                owner = dotted_name(first)
                if owner is not None and owner.rsplit(".", 1)[-1] in classes:
                    return True
    return False


def _chain_top(path: tuple[cst.CSTNode, ...]) -> int:
    """The index in `path` of the outermost attribute or subscript of the chain that starts
    at the occurrence's attribute (`path[-1]`): `conn._resolver.cache` in
    `conn._resolver.cache[key]`... up to `conn._resolver.cache[key]`."""
    top = len(path) - 1
    while top > 0:
        above = path[top - 1]
        if isinstance(above, (cst.Attribute, cst.Subscript)) and above.value is path[top]:
            top -= 1
            continue
        break
    return top


def _part_patched(occ: Occurrence) -> bool:
    """A part of the client patched: `mock.patch.object(conn._resolver, "resolve", fake)`
    (or `mocker.patch.object`, `monkeypatch.setattr`)."""
    if occ.kind != "attribute":
        return False
    path = occ.path
    top = _chain_top(path)
    if top < 2:
        return False
    arg, call = path[top - 1], path[top - 2]
    if (
        not isinstance(arg, cst.Arg)
        or not isinstance(call, cst.Call)
        or not call.args
        or call.args[0] is not arg
    ):
        return False
    name = dotted_name(call.func) or ""
    return name.endswith("patch.object") or name == "monkeypatch.setattr"


def _mock_stored(frame: Frame, occ: Occurrence) -> bool:
    """`client.attr = <a mock>`: a `Mock(...)`-family call, a lambda, a function defined in
    the test (a fake), or a name bound to a mock (or to a `with mock.patch(...) as m`
    target) in the function."""
    path = occ.path
    if occ.kind != "attribute" or len(path) < 3:
        return False
    if not isinstance(path[-2], cst.AssignTarget) or not isinstance(path[-3], cst.Assign):
        return False
    return _is_mock(frame, path[-3].value)


def _is_mock(frame: Frame, value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Lambda):
        return True
    if isinstance(value, cst.Call):
        name = dotted_name(value.func) or ""
        return name.rsplit(".", 1)[-1] in MOCK_FACTORIES
    if isinstance(value, cst.Name):
        found = frame.lookup(value.value)
        if found is None or found[0] is not frame:
            return False
        for binding in found[1]:
            bound = binding.value
            if binding.kind == "def":
                return True  # a fake written in the test
            if binding.kind == "with" and isinstance(bound, cst.Call):
                last = (dotted_name(bound.func) or "").split(".")
                if "patch" in last:
                    return True
            elif binding.kind == "assign" and isinstance(bound, cst.Call) and _is_mock(frame, bound):
                return True
        return False
    return False


def _idle(occ: Occurrence) -> bool:
    """An occurrence that makes the client do nothing: a test of it, its binding, or an
    attribute read or set that is not called, awaited, entered, iterated or bound to a
    name (`assert conn._ssl is True`, `client.timeout = 5`)."""
    if occ.kind in ("test", "store", "del"):
        return True
    if occ.kind != "attribute":
        return False
    path = occ.path
    top = _chain_top(path)
    parent = path[top - 1] if top > 0 else None
    if isinstance(parent, cst.AssignTarget):
        return True
    if isinstance(parent, cst.Call) and parent.func is path[top]:
        return False
    return not isinstance(
        parent, (cst.Await, cst.Assign, cst.AnnAssign, cst.NamedExpr, cst.WithItem, cst.For, cst.CompFor)
    )


#: Nodes below which code may not run even when the statement holding them does.
CONDITIONAL = (
    cst.If,
    cst.IfExp,
    cst.For,
    cst.While,
    cst.ExceptHandler,
    cst.BooleanOperation,
    cst.Match,
    cst.Else,
    *COMPREHENSIONS,
    *SCOPE_NODES,
)


def _common(a: tuple[cst.CSTNode, ...], b: tuple[cst.CSTNode, ...]) -> int:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x is not y:
            break
        size += 1
    return size


def runs_before(
    first: tuple[cst.CSTNode, ...], first_node: cst.CSTNode, later: tuple[cst.CSTNode, ...]
) -> bool:
    """Whether the node at path `first` (itself `first_node`) always runs before the
    statement at path `later`: they sit in statements of one block, the first one's
    statement comes earlier, and nothing conditional lies between that statement and the
    node."""
    full = (*first, first_node)
    size = _common(full, later)
    if size == 0 or size >= len(full) or size >= len(later):
        return False
    block = full[size - 1]
    if not isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return False
    body = list(block.body)
    try:
        if body.index(full[size]) >= body.index(later[size]):  # type: ignore[arg-type]
            return False
    except ValueError:
        return False
    return not any(isinstance(n, CONDITIONAL) for n in full[size + 1 :])


def has_comment(line: cst.SimpleStatementLine) -> bool:
    if line.trailing_whitespace.comment is not None:
        return True
    return any(empty.comment is not None for empty in line.leading_lines)


# The rules of the creation family ------------------------------------------------------------


def take_pending(
    ctx: Context, pending: dict[int, list[Creation]], function: cst.FunctionDef
) -> tuple[list[Creation], dict[str, list[Occurrence]]] | None:
    """The creations noted in `function` as it is left, with every use of their names; None
    when there are none or the function owns what it creates (`__aenter__`, a factory...)."""
    created = pending.pop(id(function), None)
    if not created or owner_function(ctx, function):
        return None
    names = {c.name for c in created if c.name is not None}
    return created, occurrences(ctx, function, names) if names else {}


def owner_function(ctx: Context, function: cst.FunctionDef) -> bool:
    """A function whose job is to create the resource for someone else: `__aenter__`,
    an `@asynccontextmanager`, a pytest fixture (closed after its `yield`)."""
    if function.name.value in table.OWNER_METHODS:
        return True
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        name = ctx.qualified_name(expr)
        if name in table.OWNER_DECORATORS:
            return True
        if name is None and dotted_name(expr) in ("fixture", "pytest.fixture", "pytest_asyncio.fixture"):
            return True
    return False


def constructor_text(creation: Creation) -> str:
    return dotted_name(creation.call.func) or creation.resource.label


def context_text(creation: Creation) -> str | None:
    """How the resource is written as a context manager, for messages."""
    resource = creation.resource
    if not resource.context:
        return None
    head = "with" if resource.sync_context else "async with"
    call = f"{constructor_text(creation)}(...)"
    if resource.context == "await":
        call = f"await {call}"
    target = f" as {creation.name}" if creation.name else ""
    return f"{head} {call}{target}:"


def context_expression(creation: Creation) -> cst.BaseExpression:
    if creation.resource.context == "await":
        return creation.value
    return creation.call


def closed_at_once(creation: Creation) -> bool:
    """The statement right after the creation closes it: nothing can fail in between."""
    if creation.line is None or creation.block is None:
        return False
    statements = list(creation.block.body)
    index = statements.index(creation.line)
    if index + 1 >= len(statements):
        return False
    following = statements[index + 1]
    if not isinstance(following, cst.SimpleStatementLine):
        return False
    return any(any(n is following for n in close.path) for close in creation.closes)


def close_fix(creation: Creation) -> tuple[dict[cst.CSTNode, Replacement], str] | None:
    """The exact pattern `x = Create(...)`, statements using `x`, `await x.close()` as
    the last use, in one block: the creation becomes `async with Create(...) as x:` around
    the statements between, and the close goes. Anything else: None."""
    resource = creation.resource
    if not resource.context or creation.name is None or creation.line is None or creation.block is None:
        return None
    if len(creation.line.body) != 1 or len(creation.closes) != 1:
        return None
    bindings = creation.frame.bindings.get(creation.name, [])
    if len(bindings) != 1:
        return None
    close = creation.closes[0]
    assert close.call is not None
    if resource.release_on_receiver:
        if len(close.call.args) != 1 or close.call.args[0].keyword is not None:
            return None
        receiver = creation.call.func
        close_func = close.call.func
        if not isinstance(receiver, cst.Attribute) or not isinstance(close_func, cst.Attribute):
            return None
        if dotted_name(receiver.value) is None or dotted_name(receiver.value) != dotted_name(
            close_func.value
        ):
            return None
    elif close.call.args:
        return None
    block = creation.block
    statements = list(block.body)
    try:
        start = statements.index(creation.line)
    except ValueError:
        return None
    # The close must be a statement of its own in the same block: `await x.close()`.
    end = -1
    for index in range(start + 1, len(statements)):
        stmt = statements[index]
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            small = stmt.body[0]
            value = small.value if isinstance(small, cst.Expr) else None
            if (resource.sync_context and value is close.call) or (
                isinstance(value, cst.Await) and value.expression is close.call
            ):
                end = index
        if end >= 0:
            break
    if end <= start + 1:
        return None
    closing = statements[end]
    assert isinstance(closing, cst.SimpleStatementLine)
    if has_comment(closing):
        return None
    # Every use of the name lies between the creation and the close.
    inside = {id(s) for s in statements[start : end + 1]}
    for occ in creation.occurrences:
        if not any(id(node) in inside for node in occ.path):
            return None
        if occ.kind in ("store", "del") and occ.node is not _target_name(creation):
            return None
    line = creation.line
    with_node = cst.With(
        items=[
            cst.WithItem(item=context_expression(creation), asname=cst.AsName(name=cst.Name(creation.name)))
        ],
        body=indented(statements[start + 1 : end], line),
        asynchronous=None if resource.sync_context else cst.Asynchronous(),
        leading_lines=line.leading_lines,
    )
    replacements: dict[cst.CSTNode, Replacement] = {line: with_node}
    for stmt in statements[start + 1 : end + 1]:
        replacements[stmt] = cst.RemoveFromParent()
    head = "with" if resource.sync_context else "async with"
    return replacements, f"Use `{head}` instead of closing `{creation.name}` by hand"


def unclosed_fix(
    creation: Creation, module: cst.Module, indent: int, max_line: int = 88
) -> tuple[dict[cst.CSTNode, Replacement], str] | None:
    """A client that is never closed and whose whole life is in its function:
    `x = Create(...)` directly in the function's body, bound once, every later statement
    of the body in the new `async with Create(...) as x:` block. None unless nothing can
    use the client, or a response of it, once the function has returned: no nested
    function, lambda, class or `yield` in the block, the client not in a returned value,
    and a name bound from an expression with the client (a response) used only as a
    receiver (`resp.json()`, `resp.status`), never handed on or returned itself; the
    block's lines must also fit in `max_line` once indented (`indent`: the body's
    indentation)."""
    resource = creation.resource
    name = creation.name
    line = creation.line
    if not resource.context or name is None or line is None or creation.block is None:
        return None
    if creation.block is not creation.function.body or len(line.body) != 1:
        return None
    if len(creation.frame.bindings.get(name, [])) != 1:
        return None
    statements = list(creation.block.body)
    start = statements.index(line) if line in statements else -1
    wrapped = statements[start + 1 :]
    if start < 0 or not wrapped:
        return None
    derived: set[str] = set()
    for stmt in wrapped:
        for node in walk_nodes(stmt):
            if isinstance(node, (*SCOPE_NODES, cst.Yield, cst.Global, cst.Nonlocal, cst.Del)):
                return None
            if isinstance(node, cst.Return) and node.value is not None and name in _names(node.value):
                return None
            if (
                isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign))
                and node.value is not None
                and name in _names(node.value)
            ):
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                for target in targets:
                    if not isinstance(target, cst.Name):
                        return None  # stored on an object or in a container
                    derived.add(target.value)
            if isinstance(node, cst.WithItem) and node.asname is not None and name in _names(node.item):
                if not isinstance(node.asname.name, cst.Name):
                    return None
                derived.add(node.asname.name.value)
            if isinstance(node, (cst.For, cst.CompFor)) and name in _names(node.iter):
                derived |= _names(node.target)
    derived.discard(name)
    if derived and not _only_receivers(wrapped, derived):
        return None
    step = len(module.default_indent)
    for stmt in wrapped:
        for text in module.code_for_node(stmt).splitlines():
            if indent + step + len(text) > max_line:
                return None
    with_node = cst.With(
        items=[cst.WithItem(item=context_expression(creation), asname=cst.AsName(name=cst.Name(name)))],
        body=indented(wrapped, line),
        asynchronous=None if resource.sync_context else cst.Asynchronous(),
        leading_lines=line.leading_lines,
    )
    replacements: dict[cst.CSTNode, Replacement] = {line: with_node}
    for stmt in wrapped:
        replacements[stmt] = cst.RemoveFromParent()
    head = "with" if resource.sync_context else "async with"
    return replacements, f"Use `{head}` so that `{name}` is closed when the function ends"


def walk_nodes(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for node, _ in walk_with_path(root):
        yield node


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n, _ in walk_with_path(node) if isinstance(n, cst.Name)}


def _only_receivers(statements: list[cst.BaseStatement], names: set[str]) -> bool:
    """Every load of `names` is the receiver of an attribute (`resp.json()`), or the
    name bound by its assignment."""
    for stmt in statements:
        for node, path in walk_with_path(stmt):
            if not isinstance(node, cst.Name) or node.value not in names:
                continue
            parent = path[-1] if path else None
            if isinstance(parent, cst.Attribute) and parent.value is node:
                continue
            if isinstance(parent, cst.Attribute) and parent.attr is node:
                continue  # `other.resp`: another name
            if isinstance(parent, (cst.AssignTarget, cst.AsName, cst.AnnAssign)) or _in_target(path):
                continue
            return False
    return True


def indented(statements: list[cst.BaseStatement], header: cst.SimpleStatementLine) -> cst.IndentedBlock:
    """The body of a new `with` block: `statements`, with the blank lines before the first
    one dropped (comments stay), and the trailing comment of the line it replaces."""
    first = statements[0]
    leading: Sequence[cst.EmptyLine] = getattr(first, "leading_lines", ())
    kept = [line for line in leading if line.comment is not None]
    if len(kept) != len(leading):
        statements = [first.with_changes(leading_lines=kept), *statements[1:]]
    return cst.IndentedBlock(body=statements, header=header.trailing_whitespace)


def _target_name(creation: Creation) -> cst.CSTNode | None:
    line = creation.line
    if line is None:
        return None
    small = line.body[0]
    if isinstance(small, cst.Assign):
        target = small.targets[0].target
        return target if isinstance(target, cst.Name) else None
    if isinstance(small, cst.AnnAssign):
        return small.target
    return None


class CreationRule(Rule):
    """The shared detection of ASL300, ASL302, ASL304, ASL305 and ASL308: a resource of
    the rule's code created in an `async def` and neither handed off nor closed safely."""

    abstract = True
    message = "{subject} {problem}; {advice}"
    fix_safety = FixSafety.NONE
    #: For rules whose resources count as handled once closed anywhere (a stream writer,
    #: a process waited for): only "never closed" is reported.
    any_close_counts: ClassVar[bool] = False

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._pending: dict[int, list[Creation]] = {}
        self._tails = creator_tails(ctx)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.async_function is None:
            return
        resource = None
        if not may_create(self.ctx, node, self._tails):
            resource = factory_resource(self.ctx, node)
            if resource is None:
                return
        creation = creation_site(self.ctx, node, resource)
        if creation is not None and creation.resource.code == self.code:
            self._pending.setdefault(id(creation.function), []).append(creation)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        taken = take_pending(self.ctx, self._pending, node)
        if taken is None:
            return
        pending, found = taken
        for creation in pending:
            if creation.name is None:
                if not inert_in_test(self.ctx, creation):
                    self.report_discarded(creation)
                continue
            judge(creation, found[creation.name])
            if creation.escapes:
                continue
            if not creation.closes:
                if not inert_in_test(self.ctx, creation):
                    self.report_unclosed(creation)
            elif (
                not self.any_close_counts
                and not self.ctx.is_test_file
                and not any(c.protected for c in creation.closes)
                and not closed_at_once(creation)
            ):
                # In tests a close outside `finally` only leaks when the test fails
                # already; reporting it there buries the real leaks in noise.
                self.report_unprotected(creation)

    # What is said, per case; subclasses adjust the wording.

    def subject(self, creation: Creation) -> str:
        if creation.name is None:
            return f"`{constructor_text(creation)}(...)`"
        return f"{creation.resource.label} `{creation.name}`"

    def advice(self, creation: Creation) -> str:
        form = context_text(creation)
        if form is not None:
            return f"use `{form}`"
        closer = creation.resource.closers[0] if creation.resource.closers else "close"
        return f"call `await {creation.name or 'it'}.{closer}()` in a `finally:` block"

    def report_discarded(self, creation: Creation) -> None:
        if creation.inline:
            form = context_text(creation)
            problem = "is created for one call and never closed"
            advice = (
                f"use `{form[:-1]} as client:` and call the method on `client`, or reuse a long-lived client"
                if form is not None
                else "close it after the call, or reuse a long-lived client"
            )
            self.report(creation.call, subject=self.subject(creation), problem=problem, advice=advice)
            return
        self.report(
            creation.call,
            subject=self.subject(creation),
            problem="is created and discarded without being closed",
            advice=self.advice(creation),
        )

    def report_unclosed(self, creation: Creation) -> None:
        verb = "released" if creation.resource.release_on_receiver else "closed"
        fix = None
        if self.fix_safety is not FixSafety.NONE and creation.resource.code == table.CLIENT:
            built = unclosed_fix(creation, self.ctx.module, self._body_indent(creation))
            if built is not None:
                fix = NodeFix(*built)
        self.report(
            creation.call,
            subject=self.subject(creation),
            problem=f"is never {verb}",
            advice=self.advice(creation),
            fix=fix,
        )

    def _body_indent(self, creation: Creation) -> int:
        """The width of the indentation of the function's body (the traversal is leaving
        the function: the stack holds the blocks around it)."""
        default = self.ctx.module.default_indent
        blocks = [n for n in self.ctx.stack if isinstance(n, cst.IndentedBlock)]
        body = creation.function.body
        if isinstance(body, cst.IndentedBlock) and not any(b is body for b in blocks):
            blocks.append(body)
        return sum(len(b.indent if b.indent is not None else default) for b in blocks)

    def report_unprotected(self, creation: Creation) -> None:
        fix = None
        if self.fix_safety is not FixSafety.NONE:
            built = close_fix(creation)
            if built is not None:
                replacements, description = built
                fix = NodeFix(replacements, description)
        close = creation.closes[0]
        verb = "released" if creation.resource.release_on_receiver else "closed"
        closing = dotted_name(close.call.func) if close.call is not None else None
        where = f" before `{closing}(...)`" if closing else ""
        self.report(
            creation.call,
            subject=self.subject(creation),
            problem=f"is not {verb} if an exception or a cancellation comes{where}",
            advice=self.advice(creation),
            fix=fix,
        )
