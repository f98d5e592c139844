"""Line and column of the few nodes that need them.

libcst's PositionProvider records a range for every node of the file, which costs ten
times the code generation it piggybacks on. Diagnostics need the positions of a handful of
nodes, so this code generation records only those (and the child nodes whose positions
they borrow), and answers the same ranges PositionProvider would.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange

_NEWLINE_RE = re.compile(r"\r\n?|\n")
_NULL = contextlib.nullcontext()


@dataclass(frozen=True, slots=True)
class Span:
    """The text a node generates, whitespace included (what a replacement replaces), and
    the indentation in force there (what the replacement's statements must use)."""

    start: CodePosition
    end: CodePosition
    indent: tuple[str, ...]


class _TargetedState(CodegenState):
    def __init__(self, module: cst.Module, targets: set[cst.CSTNode], span_targets: set[cst.CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.targets = targets
        self.found: dict[cst.CSTNode, CodeRange] = {}
        self.span_targets = span_targets
        self.spans: dict[cst.CSTNode, Span] = {}
        self._open: list[tuple[CodePosition, tuple[str, ...]]] = []

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node in self.span_targets:
            self._open.append((CodePosition(self.line, self.column), tuple(self.indent_tokens)))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node in self.span_targets:
            start, indent = self._open.pop()
            self.spans[node] = Span(start, CodePosition(self.line, self.column), indent)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            segments = _NEWLINE_RE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> contextlib.AbstractContextManager[None]:
        if node not in self.targets:
            return _NULL
        if start_node is not None:
            self.targets.add(start_node)
        if end_node is not None:
            self.targets.add(end_node)
        return self._record(node, start_node, end_node)

    @contextlib.contextmanager
    def _record(
        self, node: cst.CSTNode, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None
    ) -> Iterator[None]:
        start = CodePosition(self.line, self.column)
        try:
            yield
        finally:
            end = CodePosition(self.line, self.column)
            if start_node is not None and start_node in self.found:
                start = self.found[start_node].start
            if end_node is not None and end_node in self.found:
                end = self.found[end_node].end
            self.found[node] = CodeRange(start, end)


def layout(
    module: cst.Module, nodes: Iterable[cst.CSTNode], span_nodes: Iterable[cst.CSTNode] = ()
) -> tuple[dict[cst.CSTNode, CodeRange], dict[cst.CSTNode, Span]]:
    """Syntactic ranges (1-based lines, 0-based columns, as PositionProvider gives them) of
    `nodes`, and whitespace-inclusive spans of `span_nodes`, from one code generation."""
    targets = set(nodes)
    span_targets = set(span_nodes)
    if not targets and not span_targets:
        return {}, {}
    state = _TargetedState(module, targets, span_targets)
    module._codegen(state)
    missing = [n for n in targets if n not in state.found]
    if missing:
        # A node type that records no syntactic position (rare): fall back to libcst.
        from libcst.metadata import MetadataWrapper, PositionProvider

        everything = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for node in missing:
            if node in everything:
                state.found[node] = everything[node]
    return state.found, state.spans


def positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange]:
    """Syntactic ranges of `nodes` within `module`."""
    return layout(module, nodes)[0]
