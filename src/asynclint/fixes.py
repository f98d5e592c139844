"""Fixes are data: node replacements plus imports to add. The engine turns them into text
edits (for reports), the fixer applies the edits, verifies the result and writes it.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import functools
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import libcst as cst

from asynclint.analysis.nodes import all_children, dotted_name, find_path
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


def split_attached_comments(
    lines: Sequence[cst.EmptyLine],
) -> tuple[tuple[cst.EmptyLine, ...], tuple[cst.EmptyLine, ...]]:
    """The leading lines of a statement or handler split into those before it and the
    comment lines right above it (no blank line between), which belong to it: a
    `# pylint: disable-next=...`, a `# noqa` or an explanation. Code a fix puts before
    the statement goes between the two."""
    at = len(lines)
    while at > 0 and lines[at - 1].comment is not None:
        at -= 1
    return tuple(lines[:at]), tuple(lines[at:])


def split_for_wrapping(
    lines: Sequence[cst.EmptyLine],
) -> tuple[tuple[cst.EmptyLine, ...], tuple[cst.EmptyLine, ...]]:
    """The leading lines of a statement a fix moves into a new block (`async with ...:`)
    split into those that stay above the block and those that move in with it: the
    comment lines right above it (`# pylint: disable-next=...`, an explanation) belong to
    it (see `split_attached_comments`)."""
    return split_attached_comments(lines)


def code_moved(module: cst.Module, node: cst.CSTNode, shift: str) -> str:
    """The code of `node` for a place `shift` deeper than its own line: its continuation
    lines (those inside its brackets) keep their indentation relative to its first line.
    For code a fix writes on a line of its own, one level into a call it wraps."""
    moved = node.visit(_Deeper(shift)) if shift else node
    assert isinstance(moved, cst.CSTNode)
    return module.code_for_node(moved)


def flat_code(module: cst.Module, node: cst.CSTNode) -> str | None:
    """The code of `node` on one line, as formatters join brackets that fit, or None when
    a comment or a trailing comma before a line break keeps it open (or a string spans
    lines)."""
    if not _flattenable(node):
        return None
    flat = node.visit(_Flat())
    assert isinstance(flat, cst.CSTNode)
    code = module.code_for_node(flat)
    return None if "\n" in code or "\r" in code else code


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


def apply_node_fixes(module: cst.Module, fixes: Sequence[NodeFix], line_length: int = 88) -> cst.Module:
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
        new = add_imports(new, imports, line_length)
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


def add_imports(module: cst.Module, imports: Sequence[Import], line_length: int = 88) -> cst.Module:
    """`module` with the imports it lacks added where an import sorter would put them (see
    `placed_imports`).

    A small stand-in for libcst's AddImportsVisitor, whose import alone (libcst.matchers)
    costs more than linting a file.
    """
    body = placed_imports(module, imports, line_length)
    return module if body is None else module.with_changes(body=body)


#: Import sections in the order sorters write them.
_FUTURE, _STDLIB, _OTHER, _LOCAL = range(4)


def _section(stmt: cst.SimpleStatementLine) -> int:
    small = stmt.body[0]
    if isinstance(small, cst.ImportFrom):
        if small.relative or small.module is None:
            return _LOCAL
        module = _dotted(small.module)
    elif isinstance(small, cst.Import):
        module = _dotted(small.names[0].name)
    else:
        return _OTHER
    if module == "__future__":
        return _FUTURE
    return _STDLIB if module.split(".")[0] in sys.stdlib_module_names else _OTHER


def _sort_key(stmt: cst.SimpleStatementLine, by_kind: bool) -> tuple[int, str, str]:
    small = stmt.body[0]
    if isinstance(small, cst.ImportFrom):
        kind, module = 1, "." * len(small.relative) + (_dotted(small.module) if small.module else "")
    elif isinstance(small, cst.Import):
        kind, module = 0, _dotted(small.names[0].name)
    else:
        kind, module = 2, ""
    return (kind if by_kind else 0, module.lower(), module)


def _member_key(name: str) -> tuple[int, str, str]:
    """Names inside `from x import (...)`: constants, then classes, then the rest."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body
    )


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count


def _blank_lines_after_imports(stmt: cst.BaseStatement) -> int:
    return 2 if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) else 1


def placed_imports(
    module: cst.Module, imports: Sequence[Import], line_length: int = 88
) -> list[cst.BaseStatement] | None:
    """The module's statements with the imports it lacks placed as an import sorter (isort,
    ruff's `I` rules) would: `__future__` first, then the standard library, in its own
    section of the first import block, sorted (plain `import x` before `from x import y`
    unless the file mixes them), and a name merged into an existing `from x import ...`.
    None when nothing is missing."""
    body: list[cst.BaseStatement] = list(module.body)
    present = _present_imports(body)
    changed = False
    for imp in imports:
        key = (imp.module, imp.name)
        if key in present:
            continue
        present.add(key)
        body = _place(body, imp, module.default_indent, line_length)
        changed = True
    return body if changed else None


def _place(
    body: list[cst.BaseStatement], imp: Import, indent: str, line_length: int
) -> list[cst.BaseStatement]:
    start = 1 if body and _is_docstring(body[0]) else 0
    end = _import_position(body)
    block = [stmt for stmt in body[start:end] if isinstance(stmt, cst.SimpleStatementLine)]
    if imp.name is not None:
        for index in range(start, end):
            merged = _merged(body[index], imp, indent, line_length)
            if merged is not None:
                return [*body[:index], merged, *body[index + 1 :]]
    new = _import_line(imp)
    section = _section(new)
    by_kind = not _mixes_kinds(block)
    key = _sort_key(new, by_kind)
    same = [i for i in range(start, end) if _section(_line(body[i])) == section]
    later = [i for i in range(start, end) if _section(_line(body[i])) > section]
    before = next((i for i in same if _sort_key(_line(body[i]), by_kind) > key), None)
    if before is None and not same and later:
        before = later[0]
    if before is not None and before - 1 in same:
        # Between two statements of the section: after the first, so that the comment
        # and blank lines above the second stay with it.
        return [*body[:before], new, *body[before:]]
    if before is not None:
        following = _line(body[before])
        lines = list(following.leading_lines)
        blanks = _blank_prefix(lines)
        rest = lines[blanks:]
        if before in later or (rest and rest[0].comment is not None):
            # A new section, or a comment that belongs to the statement after: a blank
            # line between them, as sorters write it.
            rest = [cst.EmptyLine(), *rest]
        new = new.with_changes(leading_lines=lines[:blanks])
        return [*body[:before], new, following.with_changes(leading_lines=rest), *body[before + 1 :]]
    if same:
        at = same[-1] + 1
        return [*body[:at], new, *body[at:]]
    # A section of its own after the block (or the first import of the module).
    if end > start or start:
        new = new.with_changes(leading_lines=[cst.EmptyLine()])
    tail = body[end:]
    if tail and end == start:
        # No import block before: the statement after gets the blank lines sorters want.
        nxt = tail[0]
        if isinstance(nxt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            lines = list(nxt.leading_lines)
            wanted = [cst.EmptyLine()] * _blank_lines_after_imports(nxt)
            tail = [nxt.with_changes(leading_lines=[*wanted, *lines[_blank_prefix(lines) :]]), *tail[1:]]
    return [*body[:end], new, *tail]


def _line(stmt: cst.BaseStatement) -> cst.SimpleStatementLine:
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt


def _mixes_kinds(block: Sequence[cst.SimpleStatementLine]) -> bool:
    """Whether the file sorts `from` and plain imports together (a `from x` before an
    `import y` of the same section)."""
    seen_from: set[int] = set()
    for stmt in block:
        section = _section(stmt)
        if isinstance(stmt.body[0], cst.ImportFrom):
            seen_from.add(section)
        elif section in seen_from:
            return True
    return False


def _merged(
    stmt: cst.BaseStatement, imp: Import, indent: str, line_length: int
) -> cst.SimpleStatementLine | None:
    """`from imp.module import ..., imp.name` when `stmt` imports from that module."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if (
        not isinstance(small, cst.ImportFrom)
        or small.relative
        or small.module is None
        or isinstance(small.names, cst.ImportStar)
        or _dotted(small.module) != imp.module
    ):
        return None
    assert imp.name is not None
    names = list(small.names)
    key = _member_key(imp.name)
    at = next((i for i, a in enumerate(names) if _member_key(_dotted(a.name)) > key), len(names))
    multiline = small.lpar is not None and isinstance(
        small.lpar.whitespace_after, cst.ParenthesizedWhitespace
    )
    if len(names) > 1 and isinstance(names[0].comma, cst.Comma):
        interior = names[0].comma
    elif multiline and small.lpar is not None:
        interior = cst.Comma(whitespace_after=small.lpar.whitespace_after)
    else:
        interior = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    last = names[-1]
    alias = cst.ImportAlias(name=cst.Name(imp.name))
    items = [*names[:at], alias, *names[at:]]
    for i, item in enumerate(items):
        if i == len(items) - 1:
            items[i] = item.with_changes(comma=last.comma)
        elif item is alias or item is last:
            items[i] = item.with_changes(comma=interior)
    merged = stmt.with_changes(body=[small.with_changes(names=items)])
    if not multiline and len(cst.Module(body=[merged]).code.rstrip("\n")) > line_length:
        merged = _wrapped_import(merged, items, indent)
    return merged


def _wrapped_import(
    stmt: cst.SimpleStatementLine, names: Sequence[cst.ImportAlias], indent: str
) -> cst.SimpleStatementLine:
    """`from x import (` one name a line, with a trailing comma `)`."""
    small = stmt.body[0]
    assert isinstance(small, cst.ImportFrom)
    line = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(indent)
    )
    close = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=True)
    items = [n.with_changes(comma=cst.Comma(whitespace_after=line)) for n in names[:-1]]
    items.append(names[-1].with_changes(comma=cst.Comma(whitespace_after=close)))
    return stmt.with_changes(
        body=[
            small.with_changes(
                names=items,
                lpar=cst.LeftParen(whitespace_after=line),
                rpar=cst.RightParen(),
            )
        ]
    )


def _present_imports(body: Sequence[cst.BaseStatement]) -> set[tuple[str, str | None]]:
    """Plain imports at the top of the module: (module, None) or (module, name)."""
    present: set[tuple[str, str | None]] = set()
    for stmt in body[: _import_position(body)]:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
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


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _import_position(body: Sequence[cst.BaseStatement]) -> int:
    """The index after the module's first block of imports (after its docstring)."""
    insert_at = 1 if body and _is_docstring(body[0]) else 0
    for stmt in body[insert_at:]:
        if not _is_import_line(stmt):
            break
        insert_at += 1
    return insert_at


def local_edits(
    module: cst.Module,
    fix: NodeFix,
    spans: Mapping[cst.CSTNode, Span],
    source: str | None = None,
    line_length: int = 88,
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
        if source is not None:
            text = _within_line_length(module, source, span, new, text, line_length)
            if len(fix.replacements) == 1 and _too_long(source, span, text, line_length):
                # Nothing in the replacement to wrap (a longer name): the call around it
                # is laid out again instead.
                wider = _widened(module, source, old, new, line_length)
                if wider is not None:
                    span, text = wider
        edits.append(
            Edit(
                Location(span.start.line, span.start.column + 1),
                Location(span.end.line, span.end.column + 1),
                text,
            )
        )
    if fix.imports:
        placed = placed_imports(module, fix.imports, line_length)
        if placed is not None:
            import_edits = _import_edits(module, placed, source)
            if import_edits is None:
                return None
            edits.extend(import_edits)
    return tuple(sorted(edits, key=lambda e: (e.start, e.end)))


def _import_edits(
    module: cst.Module, placed: Sequence[cst.BaseStatement], source: str | None
) -> tuple[Edit, ...] | None:
    """Line edits that turn the module's head into the head of `placed` (its statements
    with imports added): only the statements up to the last one that changed are
    generated, the last as a stand-in when it is not a line of imports (a `def` whose blank
    lines change). None when the generated head is not the source's own text."""
    body = list(module.body)
    common = 0
    while common < min(len(body), len(placed)) and body[-1 - common] is placed[-1 - common]:
        common += 1
    old_head, new_head = body[: len(body) - common], list(placed[: len(placed) - common])
    cut_old = cut_new = False
    if old_head and not _is_import_line(old_head[-1]) and new_head:
        old_head[-1], cut_old = _stand_in(old_head[-1]), True
        new_head[-1], cut_new = _stand_in(new_head[-1]), True
    old_text = _head_text(module, old_head, cut_old)
    new_text = _head_text(module, new_head, cut_new)
    if source is None or not source.startswith(old_text):
        return None
    return text_edits(old_text, new_text)


def _stand_in(stmt: cst.BaseStatement) -> cst.SimpleStatementLine:
    leading = (
        stmt.leading_lines if isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) else ()
    )
    return cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=leading)


def _head_text(module: cst.Module, head: Sequence[cst.BaseStatement], cut_last: bool) -> str:
    text = module.with_changes(body=head, footer=(), has_trailing_newline=True).code
    if cut_last:
        text = text[: len(text) - len("pass" + module.default_newline)]
    return text


def _source_line(source: str, line: int) -> str:
    """Line `line` (1-based) of `source`, without its line break."""
    start = 0
    if line > 1:
        starts = _line_starts(source)
        if line > len(starts):
            return ""
        start = starts[line - 1]
    end = source.find("\n", start)
    return source[start : end if end >= 0 else len(source)].rstrip("\r")


@functools.lru_cache(maxsize=2)
def _line_starts(source: str) -> list[int]:
    """The offset of each line's start in `source` (lines end at LF), for `_source_line`:
    the fixes of one file ask for lines of the same text."""
    return [0, *(match.end() for match in re.finditer("\n", source))]


def _too_long(source: str, span: Span, text: str, line_length: int) -> bool:
    """Whether `text` in place of the text at `span` makes a line longer than
    `line_length` where none was."""
    originals = [_source_line(source, line) for line in range(span.start.line, span.end.line + 1)]
    if any(_width(line) > line_length for line in originals):
        return False
    prefix, suffix = originals[0][: span.start.column], originals[-1][span.end.column :]
    if text.endswith("\n"):
        suffix = ""
    return any(_width(line) > line_length for line in (prefix + text + suffix).splitlines())


def _widened(
    module: cst.Module, source: str, old: cst.CSTNode, new: Replacement, line_length: int
) -> tuple[Span, str] | None:
    """The outermost call around `old`, in its statement, that laid out again with `new`
    in place of `old` keeps every line within `line_length` (formatters split the
    outermost brackets first): its span and its text."""
    if not isinstance(new, cst.CSTNode):
        return None
    from asynclint.positions import layout

    path = (find_path(module, old) or [])[:-1]
    statement = max(
        (i for i, n in enumerate(path) if isinstance(n, (cst.BaseSmallStatement, cst.BaseCompoundStatement))),
        default=-1,
    )
    calls = [n for n in path[statement + 1 :] if isinstance(n, cst.Call) and n.args]
    for node in calls:
        if _contains_comment(node):
            return None
        replaced = node.visit(_Replacer({old: new}, _ancestors(node, {id(old)})))
        if not isinstance(replaced, cst.Call):
            return None
        span = layout(module, (), [node])[1].get(node)
        if span is None:
            return None
        text = _generate(module, replaced, span.indent)
        text = _within_line_length(module, source, span, replaced, text, line_length)
        if not _too_long(source, span, text, line_length):
            return span, text
    return None


def _contains_comment(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Comment):
        return True
    return any(_contains_comment(child) for child in all_children(node))


def _within_line_length(
    module: cst.Module, source: str, span: Span, new: Replacement, text: str, line_length: int
) -> str:
    """`text` (the generated replacement of the node at `span`) with each call too long
    for its line laid out as formatters write it: its arguments on the line of the call,
    or on one line of their own indented one level deeper, or one argument a line with a
    trailing comma. A call built from one written an argument a line is laid out again
    the same way. Lines that were already too long are left alone."""
    if isinstance(new, cst.RemovalSentinel):
        return text
    originals = [_source_line(source, line) for line in range(span.start.line, span.end.line + 1)]
    if any(_width(line) > line_length for line in originals):
        return text
    prefix, suffix = originals[0][: span.start.column], originals[-1][span.end.column :]
    first = originals[0]
    leading = first[: len(first) - len(first.lstrip())]
    if isinstance(new, cst.FlattenSentinel):
        # Statements: each is generated with its own indentation, on lines of its own.
        items = [_laid_out(module, item, "", "", leading, span.indent, line_length) for item in new.nodes]
        if all(a is b for a, b in zip(items, new.nodes, strict=True)):
            return text
        return _generate(module, cst.FlattenSentinel(items), span.indent)
    if text.endswith("\n"):
        suffix = ""
    laid_out = _laid_out(module, new, prefix, suffix, leading, span.indent, line_length)
    if laid_out is new:
        return text
    return _generate(module, laid_out, (leading,))


def _laid_out(
    module: cst.Module,
    node: cst.CSTNode,
    prefix: str,
    suffix: str,
    leading: str,
    indent: tuple[str, ...],
    line_length: int,
) -> cst.CSTNode:
    """`node` with its outermost call laid out again when a line is too long or its layout
    is broken (see `_within_line_length`); `node` itself when nothing changes."""
    call = _first_call(node)
    if call is None:
        return node
    text = _generate(module, node, indent)
    end = "" if text.endswith("\n") else suffix
    fits = all(_width(line) <= line_length for line in (prefix + text + end).splitlines())
    broken = _broken_layout(call)
    # Laid out as formatters write it already: the arguments start on a line of their own.
    proper = _breaks(call.whitespace_before_args)
    inner = any(_contains_break(arg.value) for arg in call.args)
    if fits and (proper or (not broken and not inner)):
        return node
    forms: tuple[Callable[[cst.Call, str, str], cst.Call], ...]
    if _magic_comma(call):
        forms = (_exploded,)
    elif inner:
        # An argument over several lines (a fix wrapped or rebuilt a call written so):
        # formatters join it when it has no comment or trailing comma to keep it open,
        # else they put each argument on a line of its own.
        forms = (_flat_joined, _flat_hugged, _exploded) if _flattenable(call) else (_exploded,)
    else:
        forms = (_joined, _hugged, _exploded)
    # Arguments already on lines of their own keep their indentation; arguments that move
    # from the line of the call to a line of their own go one level deeper.
    unit_shift = "" if broken or proper else module.default_indent
    unit = module.default_indent
    for form in forms:
        try:
            laid_out = form(call, unit, unit_shift)
        except cst.CSTValidationError:  # a layout libcst cannot write: the next one
            continue
        wrapped = node.deep_replace(call, laid_out)
        assert isinstance(wrapped, cst.CSTNode)
        candidate = _generate(module, wrapped, (leading,))
        lines = (prefix + candidate + ("" if candidate.endswith("\n") else suffix)).splitlines()
        if all(_width(line) <= line_length for line in lines) or form is _exploded:
            return wrapped
    return node


#: Trailing comments that line-length checks and formatters do not count.
_PRAGMA = re.compile(r"\s*#\s*(noqa|type:|pyright:|pylint:|mypy:|nosec|fmt:|isort:)[^#]*$")


def _width(line: str) -> int:
    return len(_PRAGMA.sub("", line))


def _first_call(node: cst.CSTNode) -> cst.Call | None:
    """The outermost call with arguments in `node` (the brackets formatters split first)."""
    if isinstance(node, cst.Call) and node.args:
        return node
    if isinstance(node, (cst.Lambda, cst.BaseComp)):
        return None
    for child in node.children:
        found = _first_call(child)
        if found is not None:
            return found
    return None


def _breaks(node: cst.CSTNode | cst.MaybeSentinel) -> bool:
    return isinstance(node, cst.ParenthesizedWhitespace) or (
        isinstance(node, cst.Comma) and isinstance(node.whitespace_after, cst.ParenthesizedWhitespace)
    )


def _broken_layout(call: cst.Call) -> bool:
    """A call whose arguments break lines but not after its `(` (a fix built it from the
    arguments of a call that was written one argument a line)."""
    if _breaks(call.whitespace_before_args):
        return False
    return any(_breaks(arg.comma) or _breaks(arg.whitespace_after_arg) for arg in call.args)


def _contains_break(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.ParenthesizedWhitespace):
        return True
    return any(_contains_break(child) for child in all_children(node))


def _flattenable(node: cst.CSTNode) -> bool:
    """No comment and no trailing comma before a line break (which formatters keep one
    item a line) anywhere in `node`."""
    if isinstance(node, cst.Comment):
        return False
    return all(_flattenable(child) for child in all_children(node)) and not _has_trailing_comma(node)


def _has_trailing_comma(node: cst.CSTNode) -> bool:
    """A bracketed sequence (arguments, elements, parameters) whose last item has a comma
    that ends a line."""
    items: Sequence[cst.CSTNode] = ()
    if isinstance(node, cst.Call):
        items = node.args
    elif isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
        items = node.elements
    elif isinstance(node, cst.Subscript):
        items = node.slice
    if not items:
        return False
    comma = getattr(items[-1], "comma", cst.MaybeSentinel.DEFAULT)
    return isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)


class _Flat(cst.CSTTransformer):
    """Every line break between brackets taken out: nothing after an opening or before a
    closing bracket or a comma, a space elsewhere (after a comma, around `if`/`else`)."""

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.SimpleWhitespace:  # type: ignore[override]
        return cst.SimpleWhitespace(" ")

    def leave_Comma(self, original_node: cst.Comma, updated_node: cst.Comma) -> cst.Comma:
        return _tight(original_node, updated_node, "whitespace_before")

    def leave_LeftParen(self, original_node: cst.LeftParen, updated_node: cst.LeftParen) -> cst.LeftParen:
        return _tight(original_node, updated_node, "whitespace_after")

    def leave_RightParen(self, original_node: cst.RightParen, updated_node: cst.RightParen) -> cst.RightParen:
        return _tight(original_node, updated_node, "whitespace_before")

    def leave_LeftSquareBracket(
        self, original_node: cst.LeftSquareBracket, updated_node: cst.LeftSquareBracket
    ) -> cst.LeftSquareBracket:
        return _tight(original_node, updated_node, "whitespace_after")

    def leave_RightSquareBracket(
        self, original_node: cst.RightSquareBracket, updated_node: cst.RightSquareBracket
    ) -> cst.RightSquareBracket:
        return _tight(original_node, updated_node, "whitespace_before")

    def leave_LeftCurlyBrace(
        self, original_node: cst.LeftCurlyBrace, updated_node: cst.LeftCurlyBrace
    ) -> cst.LeftCurlyBrace:
        return _tight(original_node, updated_node, "whitespace_after")

    def leave_RightCurlyBrace(
        self, original_node: cst.RightCurlyBrace, updated_node: cst.RightCurlyBrace
    ) -> cst.RightCurlyBrace:
        return _tight(original_node, updated_node, "whitespace_before")

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        return _tight(original_node, updated_node, "whitespace_before_args")

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return _tight(original_node, updated_node, "whitespace_after_arg")


_Tight = TypeVar("_Tight", bound=cst.CSTNode)


def _tight(original: _Tight, updated: _Tight, attribute: str) -> _Tight:
    """`updated` with nothing at `attribute` where `original` broke the line there."""
    if isinstance(getattr(original, attribute), cst.ParenthesizedWhitespace):
        return updated.with_changes(**{attribute: cst.SimpleWhitespace("")})
    return updated


def _flat_args(call: cst.Call) -> list[cst.Arg]:
    args = []
    for arg in call.args:
        flat = arg.visit(_Flat())
        assert isinstance(flat, cst.Arg)
        args.append(flat)
    return args


def _flat_joined(call: cst.Call, unit: str, shift: str) -> cst.Call:
    """The call on one line, its arguments' brackets too."""
    return _joined(call.with_changes(args=_flat_args(call)), unit, shift)


def _flat_hugged(call: cst.Call, unit: str, shift: str) -> cst.Call:
    """`f(` newline, the arguments on one line (their brackets too), newline `)`."""
    return _hugged(call.with_changes(args=_flat_args(call)), unit, shift)


def _magic_comma(call: cst.Call) -> bool:
    """A trailing comma after the last argument, which formatters keep one argument a line."""
    last = call.args[-1].comma
    return isinstance(last, cst.Comma) and _breaks(call.args[-1].comma)


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(indent)
    )


class _Deeper(cst.CSTTransformer):
    """Continuation lines one level deeper (an argument that moves to a line of its own
    keeps the relative indentation of its own brackets)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        if not updated_node.indent:
            return updated_node
        return updated_node.with_changes(
            last_line=cst.SimpleWhitespace(self.unit + updated_node.last_line.value)
        )


def _deeper(args: Sequence[cst.Arg], unit: str) -> list[cst.Arg]:
    out = []
    for arg in args:
        moved = arg.visit(_Deeper(unit))
        assert isinstance(moved, cst.Arg)
        out.append(moved)
    return out


def _joined(call: cst.Call, unit: str, shift: str) -> cst.Call:
    """The arguments on the line of the call."""
    args = [
        arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        if _breaks(arg.comma)
        else arg
        for arg in call.args[:-1]
    ]
    args.append(
        call.args[-1].with_changes(
            comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace("")
        )
    )
    return call.with_changes(whitespace_before_args=cst.SimpleWhitespace(""), args=args)


def _hugged(call: cst.Call, unit: str, shift: str) -> cst.Call:
    """`f(` newline, the arguments on one line one level deeper, newline `)`."""
    args = _deeper(call.args, shift)
    args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=_line_break(""))
    return call.with_changes(whitespace_before_args=_line_break(unit), args=args)


def _exploded(call: cst.Call, unit: str, shift: str) -> cst.Call:
    """One argument a line, each with its comma, the last too."""
    moved = _deeper(call.args, shift)
    args = [
        arg.with_changes(
            comma=cst.Comma(whitespace_after=_line_break(unit)), whitespace_after_arg=cst.SimpleWhitespace("")
        )
        for arg in moved[:-1]
    ]
    last = moved[-1]
    args.append(
        last.with_changes(
            comma=cst.Comma(whitespace_after=_line_break("")), whitespace_after_arg=cst.SimpleWhitespace("")
        )
    )
    return call.with_changes(whitespace_before_args=_line_break(unit), args=args)


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


class _NameUses(cst.CSTVisitor):
    """Names read or written anywhere outside import statements and attribute names, and
    the words of every string that is an expression (a string annotation, a name in
    `__all__`)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # A string annotation or a name in `__all__` is an expression; prose (a docstring
        # that mentions `time`) is not.
        try:
            value = node.evaluated_value
        except Exception:  # an odd literal: count its words, to keep imports
            self.names.update(_WORD.findall(node.value))
            return
        if isinstance(value, str) and len(value) < 1000:
            try:
                ast.parse(value.strip(), mode="eval")
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return
            self.names.update(_WORD.findall(value))


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name_uses(module: cst.Module) -> set[str]:
    visitor = _NameUses()
    module.visit(visitor)
    return visitor.names


def _bound_name(alias: cst.ImportAlias, from_import: bool) -> str | None:
    """The name an import binds, or None for one that is a re-export (`import x as x`,
    `from x import y as y`) or binds a package (`import a.b` binds `a`, also used by
    `a.c`)."""
    if alias.asname is not None:
        bound = alias.asname.name
        if not isinstance(bound, cst.Name) or bound.value == _dotted(alias.name):
            return None
        return bound.value
    name = _dotted(alias.name)
    if not from_import and "." in name:
        return None
    return name


def remove_unused_imports(original: str, fixed: str, path: str) -> str:
    """`fixed` without the module-level imports its fixes left unused: a name that
    `original` used and `fixed` no longer uses (the last `time.sleep` became
    `asyncio.sleep`). Imports in an `__init__.py`, under `if TYPE_CHECKING:` (or any other
    block), re-exports and names of `__all__` or of a string annotation are kept. What is
    removed does not depend on the layout; the comments of a removed line stay, on lines
    of their own."""
    if path.replace("\\", "/").rsplit("/", 1)[-1] == "__init__.py":
        return fixed
    try:
        before = cst.parse_module(original)
        after = cst.parse_module(fixed)
    except (cst.ParserSyntaxError, RecursionError):
        return fixed
    gone = _name_uses(before) - _name_uses(after)
    if not gone:
        return fixed
    body: list[cst.BaseStatement] = list(after.body)
    footer = list(after.footer)
    changed = False
    index = 0
    while index < len(body):
        stmt = body[index]
        kept = _without_unused(stmt, gone)
        if kept is stmt:
            index += 1
            continue
        changed = True
        if kept is not None:
            body[index] = kept
            index += 1
            continue
        assert isinstance(stmt, cst.SimpleStatementLine)
        del body[index]
        removed = list(stmt.leading_lines[: _blank_prefix(stmt.leading_lines)])
        comments = [cst.EmptyLine(comment=c) for c in _comments(stmt)]
        if index < len(body):
            nxt = body[index]
            if isinstance(nxt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                lines = list(nxt.leading_lines)
                own = lines[: _blank_prefix(lines)]
                # The more blank lines of the two, but none added at the top of the module.
                blanks = removed if not index or len(removed) > len(own) else own
                if comments:
                    blanks, comments = removed, [*comments, *own]
                body[index] = nxt.with_changes(leading_lines=[*blanks, *comments, *lines[len(own) :]])
        else:
            footer = [*removed, *comments, *footer]
    if not changed:
        return fixed
    return after.with_changes(body=body, footer=footer).code


def _comments(node: cst.CSTNode) -> list[cst.Comment]:
    found: list[cst.Comment] = []

    def visit(item: cst.CSTNode) -> None:
        if isinstance(item, cst.Comment):
            found.append(item)
        for child in all_children(item):
            visit(child)

    visit(node)
    return found


def _without_unused(stmt: cst.BaseStatement, gone: set[str]) -> cst.BaseStatement | None:
    """`stmt` without its imports of names in `gone` (None: nothing left; `stmt` itself:
    nothing removed)."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return stmt
    smalls: list[cst.BaseSmallStatement] = []
    changed = False
    for small in stmt.body:
        kept = _import_without_unused(small, gone)
        if kept is not small:
            changed = True
        if kept is not None:
            smalls.append(kept)
    if not changed:
        return stmt
    if not smalls:
        return None
    last = stmt.body[-1]
    smalls[-1] = smalls[-1].with_changes(semicolon=last.semicolon)
    return stmt.with_changes(body=smalls)


def _import_without_unused(small: cst.BaseSmallStatement, gone: set[str]) -> cst.BaseSmallStatement | None:
    if not isinstance(small, (cst.Import, cst.ImportFrom)) or isinstance(small.names, cst.ImportStar):
        return small
    if isinstance(small, cst.ImportFrom) and (small.module is None or _dotted(small.module) == "__future__"):
        return small
    from_import = isinstance(small, cst.ImportFrom)
    names = list(small.names)
    keep = [a for a in names if _bound_name(a, from_import) not in gone]
    if len(keep) == len(names):
        return small
    if not keep:
        return None
    keep[-1] = keep[-1].with_changes(comma=names[-1].comma)
    return small.with_changes(names=keep)


#: Calls that only fetch the running loop: a variable bound to one and no longer read is
#: dead code (ruff's F841) once fixes replaced its uses (`loop.run_in_executor(None, f)` →
#: `asyncio.to_thread(f)`).
_LOOP_GETTERS = frozenset(
    {"asyncio.get_running_loop", "asyncio.get_event_loop", "get_running_loop", "get_event_loop"}
)


def remove_unused_loop_variables(original: str, fixed: str) -> str:
    """`fixed` without the statements `loop = asyncio.get_running_loop()` (or
    `get_event_loop()`) in a coroutine function whose variable the fixes left unread: read
    in the function of `original`, nowhere in the function of `fixed` (nested functions
    included). Its blank and comment lines stay, above the statement after it; one with a
    comment after it, or the last of its block, is kept."""
    try:
        before = cst.parse_module(original)
        after = cst.parse_module(fixed)
    except (cst.ParserSyntaxError, RecursionError):
        return fixed
    read_before = _loop_variable_reads(before)
    removals: dict[cst.CSTNode, Replacement] = {}
    for key, function in _coroutine_functions(after).items():
        uses = _name_counts(function)
        for block in _blocks(function.body):
            statements = list(block.body)
            for index, stmt in enumerate(statements):
                name = _loop_variable(stmt)
                if name is None or uses.get(name, 0) != 1 or read_before.get(key, {}).get(name, 0) < 1:
                    continue
                following = statements[index + 1] if index + 1 < len(statements) else None
                if not isinstance(following, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                    continue  # the last statement of its block: its lines would have no place
                if stmt in removals or _loop_variable(following) is not None:
                    continue  # two in a row: one at a time (the next fix round)
                assert isinstance(stmt, cst.SimpleStatementLine)
                if stmt.trailing_whitespace.comment is not None or _contains_comment(stmt.body[0]):
                    continue
                removals[stmt] = cst.RemoveFromParent()
                # Its blank lines and comment lines stay, above the statement after it.
                removals[following] = following.with_changes(
                    leading_lines=_merged_lines(stmt.leading_lines, following.leading_lines)
                )
    if not removals:
        return fixed
    result = after.visit(_Replacer(removals, _ancestors(after, {id(n) for n in removals})))
    assert isinstance(result, cst.Module)
    return result.code


def _merged_lines(removed: Sequence[cst.EmptyLine], own: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The leading lines of a statement whose predecessor is removed: the removed one's
    comment lines, then its own; the more blank lines of the two in front."""
    if any(line.comment is not None for line in removed):
        return [*removed, *own]
    blanks = _blank_prefix(own)
    if len(removed) > blanks:
        return [*removed, *own[blanks:]]
    return list(own)


def _loop_variable(stmt: cst.BaseStatement) -> str | None:
    """`x` of a statement `x = asyncio.get_running_loop()` (or a loop getter like it)."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    value = small.value
    if not isinstance(target, cst.Name) or not isinstance(value, cst.Call) or value.args:
        return None
    return target.value if dotted_name(value.func) in _LOOP_GETTERS else None


def _coroutine_functions(module: cst.Module) -> dict[str, cst.FunctionDef]:
    """Coroutine functions by their dotted path in the module (`Class.method`); a path
    defined twice is left out."""
    found: dict[str, cst.FunctionDef] = {}
    twice: set[str] = set()

    def visit(node: cst.CSTNode, prefix: str) -> None:
        for child in all_children(node):
            if isinstance(child, (cst.FunctionDef, cst.ClassDef)):
                path = prefix + child.name.value
                if isinstance(child, cst.FunctionDef) and child.asynchronous is not None:
                    if path in found:
                        twice.add(path)
                    found[path] = child
                visit(child, path + ".")
            else:
                visit(child, prefix)

    visit(module, "")
    return {k: v for k, v in found.items() if k not in twice}


def _loop_variable_reads(module: cst.Module) -> dict[str, dict[str, int]]:
    """For each coroutine function, its loop variables and how often each is read."""
    reads: dict[str, dict[str, int]] = {}
    for key, function in _coroutine_functions(module).items():
        counts = _name_counts(function)
        names = {
            name
            for block in _blocks(function.body)
            for stmt in block.body
            if (name := _loop_variable(stmt)) is not None
        }
        reads[key] = {name: counts.get(name, 0) - 1 for name in names}
    return reads


def _name_counts(node: cst.CSTNode) -> dict[str, int]:
    """How often each name occurs in `node` (read, written or declared), attribute names
    aside; a call of `locals()`/`vars()`/`eval()`/`exec()` counts as a use of every name."""
    counts: dict[str, int] = {}

    def visit(item: cst.CSTNode) -> None:
        if isinstance(item, cst.Attribute):
            visit(item.value)
            return
        if isinstance(item, cst.Name):
            counts[item.value] = counts.get(item.value, 0) + 1
        for child in all_children(item):
            visit(child)

    visit(node)
    if any(counts.get(name) for name in ("locals", "vars", "eval", "exec")):
        return {name: count + 1 for name, count in counts.items()}
    return counts


def _blocks(suite: cst.BaseSuite) -> list[cst.IndentedBlock]:
    """The indented blocks of a function body, of its compound statements too, but not of
    nested functions or classes."""
    found: list[cst.IndentedBlock] = []

    def visit(node: cst.CSTNode) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return
        if isinstance(node, cst.IndentedBlock):
            found.append(node)
        for child in all_children(node):
            if isinstance(
                child,
                (
                    cst.BaseStatement,
                    cst.BaseSuite,
                    cst.ExceptHandler,
                    cst.ExceptStarHandler,
                    cst.Else,
                    cst.Finally,
                    cst.MatchCase,
                ),
            ):
                visit(child)

    visit(suite)
    return found
