"""What a libcst tree means, without its layout: the check that a fix, once written as
text, is the change its rule built.

A rule builds its fix as a tree (`fixes.NodeFix`); the fixer applies it as text edits,
which are produced by code generation of the new nodes placed into the old text. Text can
mean something else in its new place than the tree it came from: a call split before its
`(` loses its brackets when the call around it is unwrapped (`await fetch` on one line,
`()` on the next), an operand of lower precedence needs parentheses it was not given.
Both still compile. So the fixer parses the fixed text again and compares its meaning
with the meaning of the tree the rule intended: node types and values, without
whitespace, comments, parentheses or commas (the tree's shape already says what those
decide).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

#: Fields that hold layout only: whitespace, comments, brackets and separators.
_LAYOUT_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "lbrace",
        "rbrace",
        "lbracket",
        "rbracket",
        "comma",
        "semicolon",
        "colon",
        "first_colon",
        "second_colon",
        "dot",
        "equal",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "empty_lines",
        "trailing_whitespace",
        "leading_whitespace",
        "trailing_comma",
        "indent",
        "default_indent",
        "default_newline",
        "has_trailing_newline",
        "encoding",
        "newline",
        "comment",
    }
)
_LAYOUT_NODES = (
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _LAYOUT_FIELDS and not f.name.startswith("whitespace")
        )
    return names


def meaning(node: cst.CSTNode) -> Any:
    """A hashable, comparable value that two trees share when they differ only in layout.
    Raises RecursionError on trees nested deeper than the interpreter allows."""
    return _meaning(node)


def _meaning(value: Any) -> Any:
    if isinstance(value, cst.CSTNode):
        if isinstance(value, _LAYOUT_NODES):
            return None
        cls = type(value)
        return (cls.__name__, *(_meaning(getattr(value, name)) for name in _fields(cls)))
    if isinstance(value, (list, tuple)):
        return tuple(_meaning(item) for item in value if not isinstance(item, _LAYOUT_NODES))
    if isinstance(value, cst.MaybeSentinel):
        return None
    return value
