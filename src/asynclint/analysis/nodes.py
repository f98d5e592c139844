"""Fast structural helpers over libcst trees.

libcst's own visitors rebuild every node they pass; a read-only walk over dataclass fields
that skips whitespace and punctuation is three times faster, so the engine and the
analyses use these helpers instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import libcst as cst

#: Node types that never carry meaning for a rule: whitespace, comments, punctuation and
#: operators (a rule reads `node.operator` from the parent instead of visiting it).
TRIVIA: tuple[type[cst.CSTNode], ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.Comma,
    cst.LeftParen,
    cst.RightParen,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.Newline,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Comment,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Asynchronous,
    cst.ImportStar,
    cst.Semicolon,
)
_SKIPPED_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "semicolon",
        "equal",
        "colon",
        "trailing_whitespace",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "dot",
        "operator",
        "asynchronous",
        "indent",
    }
)
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_ALL_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def field_names(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of `node_type` that can hold meaningful child nodes, in source order."""
    names = _FIELDS.get(node_type)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)  # type: ignore[arg-type]
            if not f.name.startswith("whitespace") and f.name not in _SKIPPED_FIELDS
        )
        _FIELDS[node_type] = names
    return names


# What a field value is, by its type: 1 a meaningful node, 2 trivia, 3 a sequence, 4 not a
# node (none is 0, so that `_KIND.get(t) or _kind(t)` looks up a known type once). libcst's
# node classes are ABCs, so `isinstance(x, CSTNode)` is slow; asking once per type keeps
# the hot loop to dictionary lookups.
_KIND: dict[type, int] = {tuple: 3, list: 3}


def _kind(value_type: type) -> int:
    kind = _KIND.get(value_type)
    if kind is None:
        if issubclass(value_type, cst.CSTNode):
            kind = 2 if issubclass(value_type, TRIVIA) else 1
        else:
            kind = 4
        _KIND[value_type] = kind
    return kind


def is_trivia(node: cst.CSTNode) -> bool:
    return _kind(type(node)) == 2


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Meaningful direct children of `node`, in source order."""
    reader = _READERS.get(type(node))
    if reader is None:
        reader = _READERS[type(node)] = _reader(type(node))
    return reader(node)


#: Each node type's `children`, made once per type (`_reader`).
_READERS: dict[type, Callable[[cst.CSTNode], list[cst.CSTNode]]] = {}


def _reader(node_type: type[cst.CSTNode]) -> Callable[[cst.CSTNode], list[cst.CSTNode]]:
    """`children` for the nodes of `node_type`: its fields read one after the other (no
    loop over the field names, no `getattr`), each value kept by its type's kind, as
    `_KIND` says (looked up once per value type)."""
    lines = ["def read(node):", "    found = []"]
    for name in field_names(node_type):
        if not name.isidentifier():
            raise ValueError(f"unexpected field name {name!r}")
        lines += [
            f"    value = node.{name}",
            "    kind = kinds.get(type(value)) or kind_of(type(value))",
            "    if kind == 1:",
            "        found.append(value)",
            "    elif kind == 3:",
            "        for item in value:",
            "            if (kinds.get(type(item)) or kind_of(type(item))) == 1:",
            "                found.append(item)",
        ]
    lines.append("    return found")
    namespace: dict[str, object] = {"kinds": _KIND, "kind_of": _kind}
    exec("\n".join(lines), namespace)  # code made here from libcst's field names
    reader = namespace["read"]
    assert callable(reader)
    return reader  # type: ignore[no-any-return]


def all_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every direct child of `node`, trivia included."""
    names = _ALL_FIELDS.get(type(node))
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(node))  # type: ignore[arg-type]
        _ALL_FIELDS[type(node)] = names
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif type(value) is tuple or type(value) is list:
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_SCOPE_TYPES = frozenset(SCOPE_NODES)
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def walk(node: cst.CSTNode, *, into_scopes: bool = True) -> Iterator[cst.CSTNode]:
    """`node` and its meaningful descendants, depth first in source order. With
    `into_scopes=False`, the bodies of nested functions, lambdas and classes are skipped
    (the nested definition itself is still yielded)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not into_scopes and current is not node and type(current) in _SCOPE_TYPES:
            continue
        stack.extend(reversed(children(current)))


def find_path(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The chain of nodes from `root` down to `target` (both included), or None."""
    path: list[cst.CSTNode] = []

    def search(node: cst.CSTNode) -> bool:
        path.append(node)
        if node is target:
            return True
        for child in all_children(node):
            if search(child):
                return True
        path.pop()
        return False

    return path if search(root) else None


def dotted_name(expr: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    # `type(...) is`: see `last_name`.
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)
        expr = expr.value
    if type(expr) is cst.Name:
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def root_name(expr: cst.BaseExpression) -> cst.Name | None:
    """The Name at the root of an Attribute/Subscript/Call chain (`a` in `a.b[0].c()`)."""
    while True:
        if isinstance(expr, cst.Name):
            return expr
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        elif isinstance(expr, cst.Call):
            expr = expr.func
        else:
            return None


def describe_call(call: cst.Call) -> str:
    """A short label for a call in messages: the callee's dotted name or `...`."""
    return dotted_name(call.func) or "..."


def short_code(code: str, limit: int, *, keep_end: bool = False) -> str:
    """Source text for a message: on one line, and cut to `limit` characters with `...`
    (keeping its end with `keep_end`)."""
    code = " ".join(code.split())
    if len(code) <= limit:
        return code
    return "..." + code[3 - limit :] if keep_end else code[: limit - 3] + "..."


def attribute_name(call: cst.Call) -> str | None:
    """`meth` for a call `x.meth(...)`, else None."""
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def last_name(expr: cst.BaseExpression) -> str:
    """`c` for `a.b.c` or `c`, "" for anything else: the cheap test on a callee before its
    name is resolved."""
    # `type(...) is`, not `isinstance`: libcst's node classes are ABCs, whose `isinstance`
    # goes through Python code when it fails (these two classes have no subclasses).
    if type(expr) is cst.Attribute:
        return expr.attr.value
    return expr.value if type(expr) is cst.Name else ""


def names_read(node: cst.CSTNode) -> set[str]:
    """Every Name in `node` (loads and stores alike; a cheap over-approximation)."""
    return {n.value for n in walk(node) if isinstance(n, cst.Name)}


def positional_args(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def is_none(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def statement_of_expr(stmt: cst.CSTNode) -> cst.BaseExpression | None:
    """The expression of a one-statement line `expr` (an Expr statement), else None."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Expr):
            return small.value
    return None


def body_statements(node: cst.CSTNode) -> tuple[cst.BaseStatement, ...]:
    """The statements of a compound statement's or function's body."""
    body = getattr(node, "body", None)
    if isinstance(body, cst.IndentedBlock):
        return tuple(body.body)
    if isinstance(body, cst.SimpleStatementSuite):
        return ()
    if isinstance(body, (tuple, list)):
        return tuple(s for s in body if isinstance(s, cst.BaseStatement))
    return ()


def parenthesize(expr: cst.BaseExpression) -> cst.BaseExpression:
    if expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def needs_parentheses(new: cst.BaseExpression, parent: cst.CSTNode | None) -> bool:
    """Whether `new` (an `await` expression) must be parenthesised where it replaces a child
    of `parent`: a primary position (`x.attr`, `x[i]`, `x(...)`) binds tighter than `await`,
    and `await await x` does not parse; arguments, operands and statement values are fine."""
    return isinstance(new, cst.Await) and isinstance(
        parent, (cst.Attribute, cst.Subscript, cst.Call, cst.Await)
    )


def names_loaded(node: cst.CSTNode) -> set[str]:
    """Names read in `node`: not attribute names, not keyword-argument names; nested
    function and lambda bodies count (they may run during the call). `super()` reads
    `self`."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            out.add(current.value)
            if current.value == "super":
                out.update(("self", "cls"))
            continue
        if isinstance(current, cst.Attribute):
            stack.append(current.value)
            continue
        if isinstance(current, cst.Arg):
            stack.append(current.value)
            continue
        stack.extend(children(current))
    return out


def target_names(target: cst.BaseExpression) -> tuple[set[str], set[str]]:
    """(names bound, roots of attributes/items assigned) by an assignment target."""
    bound: set[str] = set()
    into: set[str] = set()
    stack = [target]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            bound.add(current.value)
        elif isinstance(current, (cst.Tuple, cst.List)):
            stack.extend(e.value for e in current.elements)
        elif isinstance(current, cst.StarredElement):
            stack.append(current.value)
        elif isinstance(current, (cst.Attribute, cst.Subscript)):
            root: cst.BaseExpression = current
            while isinstance(root, (cst.Attribute, cst.Subscript)):
                root = root.value
            if isinstance(root, cst.Name):
                into.add(root.value)
            into |= names_loaded(current) if isinstance(current, cst.Subscript) else set()
    return bound, into


def has_await(node: cst.CSTNode, *, yields: bool = False) -> bool:
    """Whether code in `node` (not in nested functions, lambdas or classes) has an `await`
    expression, and with `yields` a `yield`."""
    return _suspends(node, yields, blocks=False)


def has_checkpoint(node: cst.CSTNode, *, yields: bool = False) -> bool:
    """Whether code in `node` (not in nested functions) can suspend: an `await`, an
    `async for` / `async with`, and with `yields` a `yield` (an async generator hands
    control to its consumer there)."""
    return _suspends(node, yields, blocks=True)


def _suspends(node: cst.CSTNode, yields: bool, blocks: bool) -> bool:
    for sub in walk(node, into_scopes=False):
        if isinstance(sub, cst.Await) or (yields and isinstance(sub, cst.Yield)):
            return True
        if blocks and isinstance(sub, (cst.For, cst.With, cst.CompFor)) and sub.asynchronous is not None:
            return True
    return False
