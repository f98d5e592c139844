"""Line and column of the few nodes that need them.

libcst's PositionProvider records a range for every node of the file, which costs ten
times the code generation it piggybacks on. Diagnostics need the positions of a handful of
nodes, so this code generation records only those (and the child nodes whose positions
they borrow), and answers the same ranges PositionProvider would.

Positions come from the code libcst generates, which is the file's text except in a few
constructs libcst does not reproduce (whitespace or a backslash-newline between an
`except` type and its colon; a last line break that is a CR; blank lines before a last
line of spaces). `layout` says whether the generated code is the text; when it
is not, `TokenMap` carries positions over to the text through CPython's tokenizer, and
fixes are not offered (their edits would be computed on text that is not the file's).
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import io
import itertools
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange

from asynclint.analysis.nodes import children, last_name

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
    # Membership is asked of every node generated: by `id`, as libcst's `__hash__` is a
    # Python-level call (the nodes themselves are kept alive by the module).
    def __init__(
        self,
        module: cst.Module,
        targets: set[cst.CSTNode],
        span_targets: set[cst.CSTNode],
        statements: bool = False,
    ) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.targets = targets
        self.target_ids = {id(n) for n in targets}
        self.found: dict[cst.CSTNode, CodeRange] = {}
        self.span_targets = span_targets
        self.span_ids = {id(n) for n in span_targets}
        self.spans: dict[cst.CSTNode, Span] = {}
        self._open: list[tuple[CodePosition, tuple[str, ...]]] = []
        #: With `statements`: where each top-level statement starts, then where the last
        #: one ends (for `StatementBounds`).
        self.statement_ids = {id(n) for n in module.body} if statements else set()
        self.last_statement = id(module.body[-1]) if statements and module.body else None
        self.statement_positions: list[tuple[int, int]] = []

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.span_ids:
            self._open.append((CodePosition(self.line, self.column), tuple(self.indent_tokens)))
        if key in self.statement_ids:
            self.statement_positions.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.span_ids:
            start, indent = self._open.pop()
            self.spans[node] = Span(start, CodePosition(self.line, self.column), indent)
        if key == self.last_statement:
            self.statement_positions.append((self.line, self.column))

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
        if id(node) not in self.target_ids:
            return _NULL
        if start_node is not None:
            self.targets.add(start_node)
            self.target_ids.add(id(start_node))
        if end_node is not None:
            self.targets.add(end_node)
            self.target_ids.add(id(end_node))
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
        self.placed()

    def placed(self) -> None:
        """Called after each target's position is recorded."""


class RoundTripError(Exception):
    """libcst's code for the module is not the file's text, and positions in it cannot be
    carried over to the text."""


def layout(
    module: cst.Module,
    nodes: Iterable[cst.CSTNode],
    span_nodes: Iterable[cst.CSTNode] = (),
    source: str | None = None,
    bounds: list[int] | None = None,
) -> tuple[dict[cst.CSTNode, CodeRange], dict[cst.CSTNode, Span], bool]:
    """Syntactic ranges (1-based lines, 0-based columns, as PositionProvider gives them) of
    `nodes`, and whitespace-inclusive spans of `span_nodes`, from one code generation.

    With `source` (the text `module` was parsed from), ranges are positions in `source`
    even where libcst's code differs from it; spans are then empty (an edit must not be
    built from code that is not the file's) and the third value, whether the code is the
    text, is False. Raises RoundTripError when the two cannot be matched token by token.

    `bounds` (with `source`), an empty list, is given the offset in `source` of each of
    the module's top-level statements and then the end of the last one (an
    `incremental.Parsed`), when the code is the text and ends with a line break."""
    targets = set(nodes)
    span_targets = set(span_nodes)
    statements = bounds is not None and source is not None and module.has_trailing_newline
    if not targets and not span_targets and not statements:
        return {}, {}, True
    state = _TargetedState(module, targets, span_targets, statements)
    module._codegen(state)
    if source is not None:
        generated = "".join(state.tokens)
        if generated != source:
            mapping = TokenMap(generated, source)
            found = _found_with_fallback(module, state)
            return {node: mapping.range(r) for node, r in found.items()}, {}, False
        if statements and bounds is not None and len(state.statement_positions) == len(module.body) + 1:
            starts = [0, *(m.end() for m in _NEWLINE_RE.finditer(source))]
            bounds.extend(starts[line - 1] + column for line, column in state.statement_positions)
    return _found_with_fallback(module, state), state.spans, True


#: A top-level statement's positions and spans from a code generation of it alone, lines
#: counted from its first line (0): `layout_statements` shifts them to where it is now.
StatementPlaces = tuple[cst.CSTNode, dict[cst.CSTNode, CodeRange], dict[cst.CSTNode, Span]]


def layout_statements(
    module: cst.Module,
    nodes: Iterable[cst.CSTNode],
    span_nodes: Iterable[cst.CSTNode],
    source: str,
    bounds: tuple[int, ...],
    tops: Mapping[int, cst.CSTNode],
    places: dict[int, StatementPlaces] | None = None,
) -> tuple[dict[cst.CSTNode, CodeRange], dict[cst.CSTNode, Span]] | None:
    """`layout` of a module whose code is `source`, its top-level statements starting at
    `bounds` (an `incremental.Parsed`'s), from a code generation of the statements that
    hold `nodes` and `span_nodes` alone: `tops` gives each node's top-level statement (by
    `id`). `places` (by the statement's `id`) keeps what each generation found, and
    answers for a statement (the same node: an edit's parse keeps the ones it did not
    touch) whose nodes it holds. None when a node's statement is not known, when a
    statement's code is not its text, or when a node records no position: `layout` then
    generates the whole module."""
    body = module.body
    if len(bounds) != len(body) + 1:
        return None
    index = {id(statement): i for i, statement in enumerate(body)}
    groups: dict[int, tuple[set[cst.CSTNode], set[cst.CSTNode]]] = {}
    for group, many in ((0, nodes), (1, span_nodes)):
        for node in many:
            top = tops.get(id(node))
            i = index.get(id(top)) if top is not None else None
            if i is None:
                return None
            groups.setdefault(i, (set(), set()))[group].add(node)
    starts = [0, *(m.end() for m in _NEWLINE_RE.finditer(source))]
    found: dict[cst.CSTNode, CodeRange] = {}
    spans: dict[cst.CSTNode, Span] = {}
    for i, (targets, span_targets) in sorted(groups.items()):
        statement, offset = body[i], bounds[i]
        line = bisect.bisect_right(starts, offset)
        if starts[line - 1] != offset:
            return None
        known = places.get(id(statement)) if places is not None else None
        if not (
            known is not None
            and known[0] is statement
            and all(n in known[1] for n in targets)
            and all(n in known[2] for n in span_targets)
        ):
            state = _TargetedState(module, targets, span_targets)
            statement._codegen(state)
            if "".join(state.tokens) != source[offset : bounds[i + 1]]:
                return None
            if any(n not in state.found for n in state.targets) or len(state.spans) != len(span_targets):
                return None
            known = (statement, state.found, state.spans)
            if places is not None:
                places[id(statement)] = known
        shift = line - 1
        for node, r in known[1].items():
            found[node] = CodeRange(
                CodePosition(r.start.line + shift, r.start.column),
                CodePosition(r.end.line + shift, r.end.column),
            )
        for node, span in known[2].items():
            spans[node] = Span(
                CodePosition(span.start.line + shift, span.start.column),
                CodePosition(span.end.line + shift, span.end.column),
                span.indent,
            )
    return found, spans


def _found_with_fallback(module: cst.Module, state: _TargetedState) -> dict[cst.CSTNode, CodeRange]:
    targets = state.targets
    missing = [n for n in targets if n not in state.found]
    if missing:
        # A node type that records no syntactic position (rare): fall back to libcst.
        from libcst.metadata import MetadataWrapper, PositionProvider

        everything = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for node in missing:
            if node in everything:
                state.found[node] = everything[node]
    return state.found


def round_trips(module: cst.Module, source: str) -> bool:
    """Whether libcst generates exactly `source` for `module` (a fix needs that)."""
    return module.code == source


_LAYOUT_TOKENS = frozenset(
    {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)


class TokenMap:
    """Positions in libcst's code for a module, carried over to the module's own text.

    The two differ only in whitespace between tokens and in blank lines, so CPython's
    tokenizer yields the same tokens for both once blank lines are left out; a position
    inside or at the end of a token maps to the same place in the matching token of the
    text."""

    def __init__(self, generated: str, source: str) -> None:
        gen = _tokens(generated)
        src = _tokens(source)
        if len(gen) != len(src) or any(
            a.type != b.type or (a.type not in _LAYOUT_TOKENS and a.string != b.string)
            for a, b in zip(gen, src, strict=True)
        ):
            raise RoundTripError("libcst's code for this file differs from it in more than whitespace")
        self._starts = [t.start for t in gen]
        self._gen = gen
        self._src = src

    def position(self, pos: CodePosition) -> CodePosition:
        key = (pos.line, pos.column)
        index = bisect.bisect_right(self._starts, key) - 1
        if index < 0:
            return pos
        gen, src = self._gen[index], self._src[index]
        if key <= gen.end:
            # Inside the token (or at its end): the same offset from its start.
            if pos.line == gen.start[0]:
                return CodePosition(src.start[0], src.start[1] + pos.column - gen.start[1])
            return CodePosition(src.start[0] + pos.line - gen.start[0], pos.column)
        # In whitespace after the token.
        if pos.line == gen.end[0]:
            return CodePosition(src.end[0], src.end[1] + pos.column - gen.end[1])
        return CodePosition(src.end[0] + pos.line - gen.end[0], pos.column)

    def range(self, code_range: CodeRange) -> CodeRange:
        return CodeRange(self.position(code_range.start), self.position(code_range.end))


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    """CPython's tokens of `text` but blank lines (NL tokens), which libcst may drop (before
    a last line of spaces). Lines end at CR, LF or CRLF, as in libcst's positions (and in
    CRLF or CR files)."""
    try:
        return [
            t
            for t in tokenize.generate_tokens(io.StringIO(text, newline=None).readline)
            if t.type != tokenize.NL
        ]
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError) as exc:
        raise RoundTripError(f"CPython's tokenizer cannot read it: {exc}") from None


def positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange]:
    """Syntactic ranges of `nodes` within `module`."""
    return layout(module, nodes)[0]


# Positions from CPython's tree -------------------------------------------------------------
#
# A rule may want the positions of many nodes of a module that reports nothing (ASL116's
# call sites, for the project model). A code generation of the whole module for them costs
# about a fifth of the lint; the statements that hold them, generated alone from where
# CPython's own tree puts them, cost a few per cent.

#: The statements one position of CPython's tree locates: simple statements (each of a
#: line's `;`-separated statements) and compound statements.
Unit = cst.BaseSmallStatement | cst.BaseCompoundStatement


def innermost_unit(stack: list[cst.CSTNode]) -> Unit | None:
    """The innermost simple or compound statement of `stack` (a walk's ancestors)."""
    for node in reversed(stack):
        if isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            return node
    return None


def _cst_blocks(node: cst.BaseCompoundStatement) -> Iterator[cst.BaseSuite | cst.If]:
    """The blocks of a compound statement, in the order of the text (an `elif` is the
    `If` itself, as in CPython's tree)."""
    if isinstance(node, (cst.Try, cst.TryStar)):
        yield node.body
        for handler in node.handlers:
            yield handler.body
        if node.orelse is not None:
            yield node.orelse.body
        if node.finalbody is not None:
            yield node.finalbody.body
        return
    if isinstance(node, cst.Match):
        for case in node.cases:
            yield case.body
        return
    yield node.body
    orelse = getattr(node, "orelse", None)
    if isinstance(orelse, cst.If):
        yield orelse
    elif isinstance(orelse, cst.Else):
        yield orelse.body


def _cst_units(statements: Iterable[cst.CSTNode], out: list[Unit]) -> None:
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            out.extend(statement.body)
        elif isinstance(statement, cst.BaseCompoundStatement):
            out.append(statement)
            for block in _cst_blocks(statement):
                if isinstance(block, cst.If):
                    _cst_units([block], out)
                elif isinstance(block, cst.SimpleStatementSuite):
                    out.extend(block.body)
                else:
                    _cst_units(block.body, out)


#: `try` statements of CPython's tree (`try`/`except*` from Python 3.11 on).
_AST_TRY: tuple[type[ast.stmt], ...] = (ast.Try, *([ast.TryStar] if hasattr(ast, "TryStar") else []))


def _ast_units(statements: Iterable[ast.stmt], out: list[ast.stmt]) -> None:
    for statement in statements:
        out.append(statement)
        if isinstance(statement, _AST_TRY):
            _ast_units(getattr(statement, "body", ()), out)
            for handler in getattr(statement, "handlers", ()):
                _ast_units(handler.body, out)
            _ast_units(getattr(statement, "orelse", ()), out)
            _ast_units(getattr(statement, "finalbody", ()), out)
        elif isinstance(statement, ast.Match):
            for case in statement.cases:
                _ast_units(case.body, out)
        else:
            _ast_units(getattr(statement, "body", ()), out)
            _ast_units(getattr(statement, "orelse", ()), out)


def layout_from_tree(
    module: cst.Module,
    tree: ast.Module,
    source: str,
    units: Mapping[cst.CSTNode, Unit],
) -> dict[cst.CSTNode, CodeRange] | None:
    """Syntactic ranges of the nodes of `units` (each with its innermost statement, see
    `innermost_unit`), as `layout` gives them, from a code generation of those statements
    alone, each started where CPython's tree `tree` of `source` puts it. The two trees'
    statements are matched in the order of the text. None when they do not match, when a
    statement's code is not its text, or when a node records no position: `layout` then
    generates the whole module."""
    if "\r" in source or not units:
        return None  # CPython's and libcst's line numbers agree on `\n` line breaks alone
    cst_units: list[Unit] = []
    _cst_units(module.body, cst_units)
    ast_units: list[ast.stmt] = []
    _ast_units(tree.body, ast_units)
    if len(cst_units) != len(ast_units):
        return None
    wanted = {id(unit) for unit in units.values()}
    found_units: dict[int, ast.stmt] = {}
    for mine, theirs in zip(cst_units, ast_units, strict=True):
        if isinstance(mine, cst.BaseCompoundStatement) != _is_compound(theirs):
            return None
        if id(mine) in wanted:
            found_units[id(mine)] = theirs
    groups: dict[int, tuple[Unit, set[cst.CSTNode]]] = {}
    for node, unit in units.items():
        groups.setdefault(id(unit), (unit, set()))[1].add(node)
    lines = source.split("\n")
    # The characters of the lines up to each one (line breaks aside): a line's offset.
    sizes = list(itertools.accumulate(map(len, lines)))
    found: dict[cst.CSTNode, CodeRange] = {}
    for key, (unit, targets) in groups.items():
        match = found_units.get(key)
        if match is None:
            return None
        theirs = match
        if isinstance(unit, cst.BaseSmallStatement) and all(type(t) is cst.Call for t in targets):
            calls = _calls_from_tree(unit, theirs, targets, lines)
            if calls is not None:
                found.update(calls)
                continue
        if isinstance(unit, cst.BaseCompoundStatement):
            first = min([theirs.lineno, *(d.lineno for d in getattr(theirs, "decorator_list", ()))])
            line, column = first - len(unit.leading_lines), 0
            text = lines[first - 1] if 0 < first <= len(lines) else ""
        else:
            line = theirs.lineno
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            column = _characters(lines, line, theirs.col_offset)
        if not 0 < line <= len(lines):
            return None
        state = _PrefixState(module, set(targets), set())
        state.line, state.column = line, column
        state.indent_tokens = [text[: len(text) - len(text.lstrip(" \t"))]]
        with contextlib.suppress(_Placed):
            if isinstance(unit, cst.If) and text.lstrip(" \t").startswith("elif"):
                unit._codegen(state, is_elif=True)  # CPython's tree has no `elif`: an `If` it starts
            else:
                unit._codegen(state)
        offset = (sizes[line - 2] + line - 1 if line > 1 else 0) + column
        generated = "".join(state.tokens)
        if source[offset : offset + len(generated)] != generated:
            return None
        if any(n not in state.found for n in state.targets):
            return None
        found.update(state.found)
    return found


def _calls_from_tree(
    unit: cst.BaseSmallStatement, statement: ast.stmt, targets: set[cst.CSTNode], lines: list[str]
) -> dict[cst.CSTNode, CodeRange] | None:
    """The ranges of the calls `targets` of the simple statement `unit`, read from its
    statement in CPython's tree (no code generation): the two trees' calls matched in the
    order of the text, each pair checked to name the same last callee name with as many
    arguments. A call's syntactic range and CPython's are the same text (from its callee
    to its closing parenthesis, without parentheses around the call). None (the code
    generation then places them) when the calls do not pair up, or when the statement
    has an f-string (CPython 3.11 places the expressions of some f-strings elsewhere)."""
    mine = _calls_in_order(unit)
    if mine is None:
        return None
    theirs = sorted(
        (n for n in ast.walk(statement) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)),
    )
    if len(mine) != len(theirs):
        return None
    for call, node in zip(mine, theirs, strict=True):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if last_name(call.func) != name or len(call.args) != len(node.args) + len(node.keywords):
            return None
    index = {id(call): number for number, call in enumerate(mine)}
    found: dict[cst.CSTNode, CodeRange] = {}
    for target in targets:
        number = index.get(id(target))
        if number is None:
            return None  # not a call of the statement's (its caller's mistake): generate
        node = theirs[number]
        if node.end_lineno is None or node.end_col_offset is None:
            return None
        found[target] = CodeRange(
            CodePosition(node.lineno, _characters(lines, node.lineno, node.col_offset)),
            CodePosition(node.end_lineno, _characters(lines, node.end_lineno, node.end_col_offset)),
        )
    return found


def _calls_in_order(unit: cst.CSTNode) -> list[cst.Call] | None:
    """The calls of `unit` in the order of the text (a call before the calls in it); None
    when it has an f-string or positional-only parameters (which it does not order)."""
    out: list[cst.Call] = []
    todo: list[cst.CSTNode] = [unit]
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is cst.Call:
            out.append(node)  # type: ignore[arg-type]
        elif kind is cst.FormattedString:
            return None
        elif kind is cst.IfExp:
            # `body if test else orelse`: its fields are in another order.
            todo += [node.orelse, node.test, node.body]  # type: ignore[attr-defined]
            continue
        elif kind is cst.Parameters and node.posonly_params:  # type: ignore[attr-defined]
            return None
        todo.extend(reversed(children(node)))
    return out


def _characters(lines: list[str], line: int, offset: int) -> int:
    """The column, in characters, of CPython's UTF-8 byte `offset` in the 1-based `line`."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return offset
    return len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))


class _Placed(Exception):
    """Every target of a `_PrefixState` is placed: the rest need not be generated."""


class _PrefixState(_TargetedState):
    """A `_TargetedState` that stops the code generation once every target is placed (a
    call in a compound statement's header does not need its body generated); the code so
    far is a prefix of the statement's."""

    def placed(self) -> None:
        if len(self.found) >= len(self.targets) and all(n in self.found for n in self.targets):
            raise _Placed


def _is_compound(statement: ast.stmt) -> bool:
    return isinstance(
        statement,
        (
            ast.If,
            ast.For,
            ast.AsyncFor,
            ast.While,
            ast.With,
            ast.AsyncWith,
            *_AST_TRY,
            ast.FunctionDef,
            ast.AsyncFunctionDef,
            ast.ClassDef,
            ast.Match,
        ),
    )
