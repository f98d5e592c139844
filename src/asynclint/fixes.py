"""Fixes are data: node replacements plus imports to add. The engine turns them into text
edits (for reports), the fixer applies the edits, verifies the result and writes it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from asynclint.analysis.nodes import all_children
from asynclint.analysis_text import split_lines
from asynclint.diagnostics import Edit, Location

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
    """`module` with every replacement and import of `fixes` applied."""
    replacements: dict[cst.CSTNode, Replacement] = {}
    for fix in fixes:
        replacements.update(fix.replacements)
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


def add_imports(module: cst.Module, imports: Sequence[Import]) -> cst.Module:
    """`module` with the imports it lacks added after the imports at its top (after the
    docstring and `__future__` imports when there are no others).

    A small stand-in for libcst's AddImportsVisitor, whose import alone (libcst.matchers)
    costs more than linting a file.
    """
    body = list(module.body)
    present: set[tuple[str, str | None]] = set()
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
        for small in smalls:
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
        insert_at = index + 1
    new_lines = []
    for imp in imports:
        key = (imp.module, imp.name)
        if key in present:
            continue
        present.add(key)
        statement: cst.Import | cst.ImportFrom
        if imp.name is None:
            statement = cst.Import(names=[cst.ImportAlias(name=_name_node(imp.module))])
        else:
            statement = cst.ImportFrom(
                module=_name_node(imp.module), names=[cst.ImportAlias(name=cst.Name(imp.name))]
            )
        new_lines.append(cst.SimpleStatementLine(body=[statement]))
    if not new_lines:
        return module
    return module.with_changes(body=[*body[:insert_at], *new_lines, *body[insert_at:]])


def _dotted(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{_dotted(expr.value)}.{expr.attr.value}"
    return ""


def _name_node(dotted: str) -> cst.Attribute | cst.Name:
    parts = dotted.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


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


def overlaps(a: Sequence[Edit], b: Sequence[Edit]) -> bool:
    """Whether two fixes touch the same text (identical edits, such as the same import
    added twice, do not count; insertions at the same point do)."""
    for x in a:
        for y in b:
            if x == y:
                continue
            if x.start < y.end and y.start < x.end:
                return True
            if x.start == x.end == y.start == y.end:
                return True
            if (x.start == x.end and y.start < x.start < y.end) or (
                y.start == y.end and x.start < y.start < x.end
            ):
                return True
    return False
