"""Fixes are data: node replacements plus imports to add. The engine turns them into text
edits (for reports), the fixer applies the edits, verifies the result and writes it.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from asynclint.analysis.nodes import all_children, dotted_name
from asynclint.diagnostics import Edit, Location
from asynclint.positions import Span
from asynclint.sourcefile import split_lines

Replacement = cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]


@dataclass(frozen=True)
class Import:
    """`import module` (name None) or `from module import name`."""

    module: str
    name: str | None = None


@dataclass
class NodeFix:
    """A fix as a rule offers it.

    `replacements` maps nodes of the visited tree (by identity) to their replacement.
    `applicability` overrides the rule's `fix_safety` for this one fix (a rule whose fix
    is safe in general may offer an unsafe one in an odd case).
    """

    replacements: Mapping[cst.CSTNode, Replacement]
    message: str
    imports: Sequence[Import] = ()
    applicability: Literal["safe", "unsafe"] | None = None
    extra: dict[str, object] = field(default_factory=dict)


def imports_for(*modules: str | None) -> tuple[Import, ...]:
    return tuple(Import(m) for m in modules if m)


class _Replacer(cst.CSTTransformer):
    """Replaces nodes by identity, descending only into subtrees that hold a target."""

    def __init__(self, replacements: Mapping[cst.CSTNode, Replacement], ancestors: set[int]) -> None:
        super().__init__()
        self.replacements = replacements
        self.ancestors = ancestors

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.ancestors

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Replacement:  # type: ignore[override]
        replacement = self.replacements.get(original_node)
        return replacement if replacement is not None else updated_node

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


def _ancestors(root: cst.CSTNode, targets: set[int]) -> set[int]:
    found: set[int] = set()
    path: list[int] = []

    def search(node: cst.CSTNode) -> None:
        path.append(id(node))
        if id(node) in targets:
            found.update(path[:-1])
        for child in all_children(node):
            search(child)
        path.pop()

    search(root)
    return found


def apply_node_fixes(module: cst.Module, fixes: Sequence[NodeFix]) -> cst.Module:
    """`module` with every replacement and import of `fixes` applied. A replacement that
    still holds a node another fix replaces (rules build replacements around the original
    children) gets that replacement too, as the two fixes' text edits do. (Within one fix,
    a node may be both removed and reused elsewhere: a fix that moves statements.)"""
    owner: dict[cst.CSTNode, int] = {}
    replacements: dict[cst.CSTNode, Replacement] = {}
    for index, fix in enumerate(fixes):
        for old, new_node in fix.replacements.items():
            owner[old] = index
            replacements[old] = new_node
    # Nested replacements compose from the inside out, one level per pass.
    for _ in range(len(fixes) - 1):
        composed = _composed(replacements, owner)
        if all(composed[n] is replacements[n] for n in replacements):
            break
        replacements = composed
    new = module
    if replacements:
        ancestors = _ancestors(module, {id(n) for n in replacements})
        result = module.visit(_Replacer(replacements, ancestors))
        assert isinstance(result, cst.Module)
        new = result
    imports = [imp for fix in fixes for imp in fix.imports]
    if imports:
        new = add_imports(new, imports)
    return new


def _composed(
    replacements: dict[cst.CSTNode, Replacement], owner: dict[cst.CSTNode, int]
) -> dict[cst.CSTNode, Replacement]:
    composed: dict[cst.CSTNode, Replacement] = {}
    for old, new in replacements.items():
        inner = {n: r for n, r in replacements.items() if owner[n] != owner[old]}
        if inner:
            targets = {id(n) for n in inner}
            if isinstance(new, cst.FlattenSentinel):
                items = [_replaced_within(item, inner, targets) for item in new.nodes]
                if any(a is not b for a, b in zip(items, new.nodes, strict=True)):
                    new = cst.FlattenSentinel(items)
            elif isinstance(new, cst.CSTNode):
                new = _replaced_within(new, inner, targets)
        composed[old] = new
    return composed


def _replaced_within(
    node: cst.CSTNode, replacements: Mapping[cst.CSTNode, Replacement], targets: set[int]
) -> cst.CSTNode:
    ancestors = _ancestors(node, targets)
    if not ancestors:
        return node
    visited = node.visit(_Replacer(replacements, ancestors))
    return visited if isinstance(visited, cst.CSTNode) else node


def add_imports(module: cst.Module, imports: Sequence[Import]) -> cst.Module:
    """`module` with the imports it lacks added after the imports at its top (after the
    docstring and `__future__` imports when there are no others).

    A small stand-in for libcst's AddImportsVisitor, whose import alone (libcst.matchers)
    costs more than linting a file.
    """
    body = list(module.body)
    new_lines = _missing_imports(module, imports)
    if not new_lines:
        return module
    insert_at = _import_position(body)
    rest = body[insert_at:]
    if insert_at == 0 and rest and isinstance(rest[0], cst.BaseCompoundStatement):
        first = rest[0]
        blank = [cst.EmptyLine(), cst.EmptyLine()]
        rest = [first.with_changes(leading_lines=[*blank, *first.leading_lines]), *rest[1:]]
    return module.with_changes(body=[*body[:insert_at], *new_lines, *rest])


def _present_imports(body: Sequence[cst.BaseStatement]) -> set[tuple[str, str | None]]:
    """Plain imports at the top of the module: (module, None) or (module, name)."""
    present: set[tuple[str, str | None]] = set()
    for stmt in body[: _import_position(body)]:
        assert isinstance(stmt, cst.SimpleStatementLine)
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.asname is None:
                        present.add((_dotted(alias.name), None))
            elif (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
                and not isinstance(small.names, cst.ImportStar)
            ):
                for alias in small.names:
                    if alias.asname is None:
                        present.add((_dotted(small.module), _dotted(alias.name)))
    return present


def _import_line(imp: Import) -> cst.SimpleStatementLine:
    statement: cst.Import | cst.ImportFrom
    if imp.name is None:
        statement = cst.Import(names=[cst.ImportAlias(name=_name_node(imp.module))])
    else:
        statement = cst.ImportFrom(
            module=_name_node(imp.module), names=[cst.ImportAlias(name=cst.Name(imp.name))]
        )
    return cst.SimpleStatementLine(body=[statement])


def _dotted(expr: cst.BaseExpression) -> str:
    return dotted_name(expr) or ""


def _name_node(dotted: str) -> cst.Attribute | cst.Name:
    parts = dotted.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def import_anchor(module: cst.Module) -> tuple[cst.CSTNode | None, bool]:
    """Where `add_imports` puts new imports: after the returned statement (True) or before
    it (False); (None, False) for an empty module."""
    body = list(module.body)
    insert_at = _import_position(body)
    if insert_at > 0:
        return body[insert_at - 1], True
    return (body[0], False) if body else (None, False)


def _import_position(body: Sequence[cst.BaseStatement]) -> int:
    insert_at = 0
    for index, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        smalls = stmt.body
        if (
            index == 0
            and len(smalls) == 1
            and isinstance(smalls[0], cst.Expr)
            and isinstance(smalls[0].value, (cst.SimpleString, cst.ConcatenatedString))
        ):
            insert_at = 1
            continue
        if not all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in smalls):
            break
        insert_at = index + 1
    return insert_at


def local_edits(
    module: cst.Module, fix: NodeFix, spans: Mapping[cst.CSTNode, Span]
) -> tuple[Edit, ...] | None:
    """The fix as text edits built from the replaced nodes' spans alone (no whole-module
    rewrite), or None when a replaced node's text depends on its parent (an argument's
    comma, an `elif`, a small statement's semicolon) and the caller must diff instead."""
    edits: list[Edit] = []
    for old, new in fix.replacements.items():
        if not _replaceable_in_place(old):
            return None
        span = spans.get(old)
        if span is None:
            return None
        text = _generate(module, new, span.indent)
        edits.append(
            Edit(
                Location(span.start.line, span.start.column + 1),
                Location(span.end.line, span.end.column + 1),
                text,
            )
        )
    if fix.imports:
        anchor, after = import_anchor(module)
        missing = _missing_imports(module, fix.imports)
        if missing:
            if anchor is None or anchor not in spans:
                return None
            span = spans[anchor]
            point = span.end if after else span.start
            loc = Location(point.line, point.column + 1)
            text = "".join(_generate(module, line, ()) for line in missing)
            if not after and isinstance(anchor, cst.BaseCompoundStatement):
                text += module.default_newline * 2  # imports, then two blank lines before a def
            edits.append(Edit(loc, loc, text))
    return tuple(sorted(edits, key=lambda e: (e.start, e.end)))


def _replaceable_in_place(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.BaseExpression):
        return True
    # Statements in a block are generated without arguments from their parent; an `If`
    # may be an `elif`, whose text its parent decides.
    return isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and not isinstance(
        node, cst.If
    )


def _generate(module: cst.Module, node: Replacement, indent: tuple[str, ...]) -> str:
    from libcst._nodes.internal import CodegenState

    if isinstance(node, cst.RemovalSentinel):
        return ""
    state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    state.indent_tokens = list(indent)
    nodes = list(node.nodes) if isinstance(node, cst.FlattenSentinel) else [node]
    for item in nodes:
        item._codegen(state)
    return "".join(state.tokens)


def _missing_imports(module: cst.Module, imports: Sequence[Import]) -> list[cst.SimpleStatementLine]:
    present = _present_imports(list(module.body))
    lines = []
    for imp in imports:
        key = (imp.module, imp.name)
        if key in present:
            continue
        present.add(key)
        lines.append(_import_line(imp))
    return lines


def text_edits(old: str, new: str) -> tuple[Edit, ...]:
    """Whole-line edits that turn `old` into `new`."""
    old_lines = split_lines(old)
    new_lines = split_lines(new)
    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = _location(old_lines, i1)
        end = _location(old_lines, i2)
        edits.append(Edit(start, end, "".join(new_lines[j1:j2])))
    return tuple(edits)


def _location(lines: list[str], index: int) -> Location:
    """The start of line `index` (0-based); past the last line, the end of the text."""
    if index < len(lines):
        return Location(index + 1, 1)
    if not lines:
        return Location(1, 1)
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return Location(len(lines) + 1, 1)
    return Location(len(lines), len(last) + 1)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (sorted or not) to `text`."""
    if not edits:
        return text
    lines = split_lines(text)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(loc: Location) -> int:
        if loc.row - 1 >= len(lines):
            return len(text)
        return offsets[loc.row - 1] + loc.column - 1

    pieces = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        start, end = offset(edit.start), offset(edit.end)
        if start < cursor:
            raise ValueError("overlapping edits")
        pieces.append(text[cursor:start])
        pieces.append(edit.content)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _conflict(x: Edit, y: Edit) -> bool:
    if x == y:
        return False  # the same import added by two fixes
    if x.start < y.end and y.start < x.end:
        return True
    if x.start == x.end == y.start == y.end:
        return True  # two insertions at one point: their order would be arbitrary
    return (x.start == x.end and y.start < x.start < y.end) or (
        y.start == y.end and x.start < y.start < x.end
    )


def overlaps(a: Sequence[Edit], b: Sequence[Edit]) -> bool:
    """Whether two fixes touch the same text (identical edits, such as the same import
    added twice, do not count; insertions at the same point do)."""
    return any(_conflict(x, y) for x in a for y in b)


class EditSet:
    """Non-overlapping edits, sorted, with a logarithmic conflict check (a file can carry
    thousands of fixes)."""

    def __init__(self) -> None:
        self._keys: list[tuple[Location, Location]] = []
        self._edits: list[Edit] = []
        self._exact: set[Edit] = set()

    def fits(self, edits: Sequence[Edit]) -> bool:
        for edit in edits:
            if edit in self._exact:
                continue
            index = bisect.bisect_left(self._keys, (edit.start, edit.end))
            for neighbour in (index - 1, index, index + 1):
                if 0 <= neighbour < len(self._edits) and _conflict(self._edits[neighbour], edit):
                    return False
        return True

    def add(self, edits: Sequence[Edit]) -> None:
        for edit in edits:
            if edit in self._exact:
                continue
            index = bisect.bisect_left(self._keys, (edit.start, edit.end))
            self._keys.insert(index, (edit.start, edit.end))
            self._edits.insert(index, edit)
            self._exact.add(edit)

    @property
    def edits(self) -> list[Edit]:
        return list(self._edits)
