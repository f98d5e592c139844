"""The timeouts family (ASL4xx): whether a timeout scope encloses the visited node in its
function, whether a function's caller manages its time, and how a fix writes the
configured default timeout. What a timeout scope is (`analysis.methods.timeout_scope`) is
shared with the cancellation family.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.methods import self_class, timeout_scope
from asynclint.analysis.nodes import (
    COMPREHENSIONS,
    children,
    dotted_name,
    is_none,
    keyword_arg,
    positional_args,
    walk,
)
from asynclint.catalogs import timeouts as table
from asynclint.catalogs.names import configured as configured_name

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Frame

#: Parameter names that say the caller decides how long the function may take.
TIMEOUT_PARAM_RE = re.compile(r"(?:^|_)(?:timeout|deadline)s?(?:_|$)", re.IGNORECASE)
#: A context manager or decorator named like this is taken for a timeout of the project's
#: own (aiohttp's `ceil_timeout`, a `with self._timeout():` helper).
TIMEOUT_NAME_RE = re.compile(r"timeout|deadline|fail_after|move_on_after|fail_at|move_on_at", re.IGNORECASE)


def delay_argument(call: cst.Call) -> cst.BaseExpression | None:
    """The delay or deadline given to a timeout scope or `wait_for` (first positional, or
    the keyword of that name), None when absent."""
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    for keyword in ("delay", "when", "timeout", "deadline", "seconds"):
        arg = keyword_arg(call, keyword)
        if arg is not None:
            return arg.value
    return None


def wait_for_timeout(call: cst.Call) -> cst.BaseExpression | None:
    """The `timeout` of `wait_for(aw, timeout)`: the second positional or the keyword."""
    args = positional_args(call)
    if len(args) >= 2:
        return args[1].value
    arg = keyword_arg(call, "timeout")
    return arg.value if arg is not None else None


def is_bounding_scope(ctx: Context, item: cst.BaseExpression, frame: Frame | None = None) -> bool:
    """Whether a `with` item bounds its body's time: a known timeout scope whose delay is
    not literally None, or a context manager named like a timeout (a project's own)."""
    name = timeout_scope(ctx, item, frame)
    if name is not None:
        call = item if isinstance(item, cst.Call) else None
        if call is None:
            return True
        return not is_none(delay_argument(call))
    callee = item.func if isinstance(item, cst.Call) else item
    dotted = dotted_name(callee)
    return dotted is not None and TIMEOUT_NAME_RE.search(dotted.rsplit(".", 1)[-1]) is not None


def enclosing_timeout(ctx: Context) -> bool:
    """A timeout scope encloses the visited node lexically in its function: the node is in
    the body of a `with` / `async with` one of whose items bounds time."""
    stack = ctx.stack
    function = ctx.function
    for index in range(len(stack) - 2, -1, -1):
        node = stack[index]
        if node is function:
            return False
        if (
            isinstance(node, cst.With)
            and stack[index + 1] is node.body
            and any(is_bounding_scope(ctx, item.item) for item in node.items)
        ):
            return True
    return False


def caller_manages_time(ctx: Context, function: cst.FunctionDef) -> bool:
    """The function takes a `timeout` / `*_timeout` / `deadline` parameter, or carries a
    decorator that bounds its run time (configured, or named like a timeout)."""
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if TIMEOUT_PARAM_RE.search(param.name.value):
            return True
    configured = set(ctx.settings.timeout_decorators)
    for decorator in function.decorators:
        expr = decorator.decorator
        callee = expr.func if isinstance(expr, cst.Call) else expr
        dotted = dotted_name(callee)
        if dotted is None:
            continue
        if TIMEOUT_NAME_RE.search(dotted.rsplit(".", 1)[-1]):
            return True
        qualified = ctx.qualified_name(callee)
        if dotted in configured or (qualified is not None and configured_name(qualified, configured)):
            return True
    return False


def default_timeout_literal(seconds: float) -> cst.BaseExpression:
    """The configured default timeout as a literal (`30`, `2.5`)."""
    if float(seconds).is_integer():
        return cst.Integer(str(int(seconds)))
    return cst.Float(repr(float(seconds)))


def describe_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def construction_call(ctx: Context, receiver: cst.BaseExpression) -> cst.Call | None:
    """The call that built the object `receiver` names, when it is visible: the one value
    bound to a name in scope (`r = redis.Redis(...)`, `pool = await create_pool(...)`,
    `async with pool.acquire() as conn`), or the one `self.x = ...` in the class."""
    value: cst.BaseExpression | None = None
    if isinstance(receiver, cst.Name):
        found = ctx.lookup(receiver.value)
        if found is None or len(found[1]) != 1:
            return None
        binding = found[1][0]
        if binding.kind not in ("assign", "annassign", "with"):
            return None
        value = binding.value
    elif isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
        value = _self_attribute_value(ctx, receiver)
    if isinstance(value, cst.Await):
        value = value.expression
    return value if isinstance(value, cst.Call) else None


def _self_attribute_value(ctx: Context, receiver: cst.Attribute) -> cst.BaseExpression | None:
    assert isinstance(receiver.value, cst.Name)
    cls = self_class(ctx.frame, receiver.value.value)
    if cls is None:
        return None
    values: list[cst.BaseExpression | None] = []
    for stmt in walk_class_assignments(cls.node):
        target, value = stmt
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.attr.value == receiver.attr.value
            and not is_none(value)
        ):
            values.append(value)
    return values[0] if len(values) == 1 else None


def walk_class_assignments(
    cls: cst.CSTNode,
) -> list[tuple[cst.BaseExpression, cst.BaseExpression | None]]:
    """(target, value) of every assignment in the methods of a class (not nested classes)."""
    out: list[tuple[cst.BaseExpression, cst.BaseExpression | None]] = []
    if not isinstance(cls, cst.ClassDef):
        return out
    for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
        if not isinstance(stmt, cst.FunctionDef):
            continue
        for node in walk(stmt.body, into_scopes=False):
            if isinstance(node, cst.Assign):
                out.extend((t.target, node.value) for t in node.targets)
            elif isinstance(node, cst.AnnAssign):
                out.append((node.target, node.value))
    return out


def functions_bounded_by_callers(ctx: Context) -> set[str]:
    """Names of the functions of the module that some caller in the module runs under a
    timeout: called in the body of a timeout scope, as the first argument of
    `wait_for(..., <not None>)`, from a function that takes a timeout parameter, or from a
    function that is itself bounded this way. Functions are matched by name: `f(...)`, and
    methods through `self.f(...)`, `cls.f(...)` and `super().f(...)`."""
    edges: list[tuple[str | None, str]] = []
    bounded: set[str] = set()
    stack: list[tuple[cst.CSTNode, str | None, bool, Frame]] = [(ctx.module, None, False, ctx.module_frame)]
    while stack:
        node, caller, under, frame = stack.pop()
        if isinstance(node, cst.FunctionDef):
            inner = ctx.frame_of(node) or frame
            if caller_manages_time(ctx, node):
                bounded.add(node.name.value)
            stack.append((node.body, node.name.value, False, inner))
            continue
        if isinstance(node, (cst.Lambda, cst.ClassDef, *COMPREHENSIONS)):
            frame = ctx.frame_of(node) or frame
        if isinstance(node, cst.With):
            covered = under or any(is_bounding_scope(ctx, item.item, frame) for item in node.items)
            for item in node.items:
                stack.append((item, caller, under, frame))
            stack.append((node.body, caller, covered, frame))
            continue
        if isinstance(node, cst.Call):
            callee = node.func
            name = None
            if isinstance(callee, cst.Name):
                name = callee.value
            elif isinstance(callee, cst.Attribute) and _is_self_like(callee.value):
                name = callee.attr.value
            if name is not None:
                if under:
                    bounded.add(name)
                else:
                    edges.append((caller, name))
            if ctx.qualified_name(callee, frame) in table.WAIT_FOR and node.args:
                timeout = wait_for_timeout(node)
                if timeout is not None and not is_none(timeout):
                    stack.append((node.args[0].value, caller, True, frame))
                    for arg in node.args[1:]:
                        stack.append((arg, caller, under, frame))
                    stack.append((callee, caller, under, frame))
                    continue
        for child in children(node):
            stack.append((child, caller, under, frame))
    changed = True
    while changed:
        changed = False
        for source, target in edges:
            if source in bounded and target not in bounded:
                bounded.add(target)
                changed = True
    return bounded


def _is_self_like(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in ("self", "cls")
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "super"


def with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with `keyword=value` appended, keeping a multi-line call's layout (the new
    argument goes on its own line, before a trailing comma)."""
    equal = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )
    new_arg = cst.Arg(value=value, keyword=cst.Name(keyword), equal=equal)
    args = list(call.args)
    last_comma = args[-1].comma if args else None
    if isinstance(last_comma, cst.Comma):
        before = args[-2].comma if len(args) >= 2 else None
        between = before.whitespace_after if isinstance(before, cst.Comma) else call.whitespace_before_args
        args[-1] = args[-1].with_changes(comma=last_comma.with_changes(whitespace_after=between))
        new_arg = new_arg.with_changes(comma=last_comma)
    elif args:
        # The space before `)` (a line break in a multi-line call) moves to the new last
        # argument.
        new_arg = new_arg.with_changes(whitespace_after_arg=args[-1].whitespace_after_arg)
        args[-1] = args[-1].with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    args.append(new_arg)
    return call.with_changes(args=args)
