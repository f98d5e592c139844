"""Differential layout fuzzing: the same program laid out differently must be linted and
fixed the same way.

`relayout(source, rng)` rewrites a program token by token (CPython's tokenizer) without
changing what it means: spaces before colons (`except E :`, which libcst does not
reproduce), backslash continuations, line breaks, comments and blank lines inside
brackets, a callee and its `(` on different lines inside brackets, tabs and odd widths for
indentation, CR, CRLF and mixed line endings, no final newline, extra blank and comment
lines, simple statements joined with `;`, a block's simple statements on its header line.
A variant is used only if it compiles and its `ast.dump` is the original's.

`compare(original, variant, allowances)` checks, with every rule selected and unsafe
fixes on (`Allowances` says what a variant's layout lets differ; `Style.allowances`):

- No internal error (ASL002, or ASL001 for a valid file), in check mode or while fixing.
- Check mode: the same number of diagnostics per code; each diagnostic of the variant
  starts at the start of a token and ends at the end of one, and those are the same
  tokens (counted among the tokens that are not layout: newlines, indentation, comments,
  `;`) as a diagnostic of the original with the same code and message (messages quote
  code as written: compared without whitespace, backslashes and the fuzzer's comments;
  where a rule shortened the quote by its written length, only outside the quotes). A
  finding offers a fix in the variant when it does in the original, except that:
  * a variant libcst does not reproduce (`parse_module(v).code != v`) offers none: then,
    and only then (when it has findings), it is not fixed at all: the fixer returns it
    unchanged and says why;
  * with `decline` (comments, statements sharing a line), a rule may not offer a fix it
    offers for the original (it would drop a comment, or rewrite a whole line).
- Fixing: the fixed variant parses and compiles, and its module level runs (imports
  stubbed) when the fixed original's does. Then either
  * nothing was declined or refused for the layout: `fix(variant)` and `fix(original)`
    have equal `ast.dump`s and the same fixes applied per code; or
  * fixes were declined (above, also in a later round: findings left after fixing that
    the original's fixing did not leave) or, with `refuse` (line breaks inside
    brackets), refused by the fixer's checks (meaning, parse): the fixes applied per code
    are at most the original's, and completing the fixed variant (fixing it again after
    re-laying it out with `ast.unparse`) gives the original's fixed program, so what was
    applied was whole fixes and nothing else.
  Programs are compared by `ast.dump`, with the fresh names fixes choose compared as one
  (`FRESH_NAMES`) and, with `reorder` (statements sharing a line, where a statement a fix
  adds after a line comes after all of it), the module's statements in any order.
"""

from __future__ import annotations

import ast
import io
import random
import re
import tokenize
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from asynclint.diagnostics import Diagnostic
from asynclint.engine import LintRequest
from asynclint.fixer import FixOutcome, fix_text, verify
from asynclint.registry import selected_codes
from asynclint.settings import Settings

SETTINGS = Settings(select=("ALL",), unsafe_fixes=True)
CODES = selected_codes(SETTINGS)

#: Tokens that are layout: not compared between a program and its variant.
_LAYOUT = frozenset(
    {
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.COMMENT,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
)
_COMPOUND = frozenset(
    {"if", "elif", "else", "for", "while", "try", "except", "finally", "with", "def", "class", "async", "@"}
)
_SOFT = frozenset({"match", "case", "type"})
#: Comments the variants add; each starts with `#$` and ends with `$` (not a character of
#: Python code), so a message quoting code with a comment can be compared (`plain`).
_COMMENTS = ["#$$", "#$ c $", "#$ ( $", "# $ note: x) $", "#$\t] {$"]
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


@dataclass
class Line:
    """One logical line: its block depth, its tokens and the text between them."""

    depth: int
    tokens: list[tokenize.TokenInfo]
    gaps: list[str] = field(default_factory=list)  # gaps[i]: between tokens[i] and tokens[i + 1]
    comment: str = ""

    @property
    def first(self) -> str:
        return self.tokens[0].string

    def simple(self) -> bool:
        return self.first not in _COMPOUND and self.first not in _SOFT


def _offsets(text: str) -> list[int]:
    """Offset of the start of each line (lines split as Python does: CR, LF or CRLF)."""
    starts = [0]
    starts.extend(m.end() for m in _NEWLINE_RE.finditer(text))
    return starts


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    # newline=None: CR and CRLF are read as LF, so rows are the lines Python sees.
    return list(tokenize.generate_tokens(io.StringIO(text, newline=None).readline))


def logical_lines(source: str) -> list[Line]:
    """The logical lines of `source` (LF line endings). An f-string (Python 3.12's
    tokenizer splits it) is kept as one token."""
    starts = _offsets(source)

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    lines: list[Line] = []
    depth = 0
    current: Line | None = None
    fstring = 0
    fstring_start: tokenize.TokenInfo | None = None
    for tok in _tokens(source):
        name = tokenize.tok_name[tok.type]
        if name == "FSTRING_START":
            if fstring == 0:
                fstring_start = tok
            fstring += 1
            continue
        if fstring:
            if name == "FSTRING_END":
                fstring -= 1
                if fstring == 0:
                    assert fstring_start is not None
                    text = source[offset(fstring_start.start) : offset(tok.end)]
                    tok = tok._replace(type=tokenize.STRING, string=text, start=fstring_start.start)
                else:
                    continue
            else:
                continue
        if tok.type == tokenize.INDENT:
            depth += 1
        elif tok.type == tokenize.DEDENT:
            depth -= 1
        elif tok.type == tokenize.NEWLINE:
            current = None
        elif tok.type == tokenize.COMMENT:
            if current is not None:
                current.comment = tok.string
        elif tok.type in (tokenize.NL, tokenize.ENDMARKER):
            pass
        elif current is None:
            current = Line(depth, [tok])
            lines.append(current)
        else:
            previous = current.tokens[-1]
            current.gaps.append(source[offset(previous.end) : offset(tok.start)])
            current.tokens.append(tok)
            current.comment = ""
    return lines


@dataclass
class Style:
    """What one variant does, drawn once per program (each kind of change is off in some
    variants, so a failure usually shows with few kinds)."""

    newline: str  # "\n", "\r\n", "\r" or "mixed"
    units: list[str]  # indentation units; a block draws one (one unit: uniform indentation)
    colon: float  # space before a colon (but an `except` clause's)
    except_colon: float  # whitespace or a backslash-newline before an `except` clause's colon
    spaces: float  # extra whitespace between tokens
    backslash: float
    bracket_break: float  # line break (with a comment, blank lines) inside brackets
    callee_break: float  # line break between a callee and its `(` inside brackets
    blank: float  # blank, whitespace-only and comment lines between statements
    trailing: float  # trailing whitespace or comment
    semicolon: float  # join simple statements with `;`
    trailing_semicolon: float
    inline_suite: float  # a block of simple statements on its header's line
    final_newline: bool
    tail: str  # after the last line: "", blank lines, a comment
    comments: bool  # comment lines, trailing comments, comments inside brackets

    @property
    def allowances(self) -> Allowances:
        return Allowances(
            decline=self.comments or self.semicolon > 0 or self.inline_suite > 0,
            refuse=self.bracket_break > 0 or self.callee_break > 0,
            reorder=self.semicolon > 0 or self.inline_suite > 0,
        )


@dataclass(frozen=True)
class Allowances:
    """What a variant's layout lets differ from the original's results."""

    #: A rule may decline to offer a fix: it does when the fix would drop a comment, or
    #: when the statement shares its line with another (`;`, a block on its header's line).
    decline: bool = False
    #: The fixer may refuse a fix: text moved out of brackets where it was split over
    #: lines does not mean what it did (the meaning check, or it does not parse).
    refuse: bool = False
    #: A statement a fix adds after a line (a declaration after the imports) comes after
    #: every statement of that line: module-level statements may come in another order.
    reorder: bool = False


def draw_style(rng: random.Random) -> Style:
    def rate() -> float:
        return rng.choice([0.0, 0.0, 0.05, 0.2, 0.5])

    units = rng.choice(
        [
            ["    "],
            ["    "],
            ["\t"],
            ["  "],
            [" "],
            ["        "],
            ["\t", "    ", "  ", " \t", "\t  "],
        ]
    )
    return Style(
        newline=rng.choice(["\n", "\n", "\n", "\n", "\r\n", "\r\n", "\r", "mixed"]),
        units=units,
        colon=rate(),
        except_colon=rng.choice([0.0, 0.0, 0.0, 0.0, 0.2, 1.0]),
        spaces=rate(),
        backslash=rate(),
        bracket_break=rate(),
        callee_break=rng.choice([0.0, 0.5, 1.0]),
        blank=rate(),
        trailing=rate(),
        semicolon=rate(),
        trailing_semicolon=rate() / 2,
        inline_suite=rate(),
        final_newline=rng.random() < 0.7,
        tail=rng.choice(["", "", "", "\n", "\n\n", "\n\n  \n", "# end"]),
        comments=rng.random() < 0.5,
    )


class _Writer:
    def __init__(self, style: Style, rng: random.Random) -> None:
        self.style = style
        self.rng = rng
        self.parts: list[str] = []
        self.path: list[str] = []  # indentation unit of each open block
        self.edits = 0  # changes made (but the line endings and indentation, made everywhere)
        self.statement_indent = ""  # of the statement being written

    def chance(self, p: float) -> bool:
        """Whether to make a change drawn with probability `p` (and count it)."""
        hit = p > 0 and self.rng.random() < p
        self.edits += hit
        return hit

    def newline(self) -> str:
        if self.style.newline == "mixed":
            return self.rng.choice(["\n", "\r\n", "\r"])
        return self.style.newline

    def any_indent(self) -> str:
        return self.rng.choice(["", " ", "    ", "\t", "        ", "\t  "])

    def comment(self) -> str:
        return self.rng.choice(_COMMENTS) if self.style.comments else ""

    def indent(self, depth: int) -> str:
        while len(self.path) > depth:
            self.path.pop()
        while len(self.path) < depth:
            self.path.append(self.rng.choice(self.style.units))
        return "".join(self.path)

    def gap(
        self,
        previous: tokenize.TokenInfo,
        token: tokenize.TokenInfo,
        original: str,
        brackets: int,
        where: str,
    ) -> str:
        """What goes between `previous` and `token` (`original` between them in the
        original) at bracket depth `brackets`; `where` says if `token` is an `except`
        clause's colon ("except:")."""
        rng, style = self.rng, self.style
        if "\n" in original or "\\" in original or "#" in original:
            return _NEWLINE_RE.sub(lambda m: self.newline(), original)
        gap = original
        if where == "except:":
            # libcst does not reproduce this file: it is linted, not fixed.
            if self.chance(style.except_colon):
                gap += rng.choice([" ", "  ", "\t", " \\" + self.newline() + self.any_indent()])
            return gap
        if token.string == ":" and self.chance(style.colon):
            gap += rng.choice([" ", "  ", "\t"])
        if self.chance(style.spaces):
            gap += rng.choice([" ", "\t", "   "])
        callee = (
            token.string == "("
            and (previous.type == tokenize.NAME or previous.string in (")", "]"))
            and previous.string not in ("await", "lambda", "in", "not", "and", "or", "if", "else")
        )
        if brackets and callee and self.chance(style.callee_break):
            return gap + self.line_break()
        if brackets and self.chance(style.bracket_break):
            return gap + self.line_break()
        if self.chance(style.backslash):
            return gap + "\\" + self.newline() + self.any_indent()
        return gap

    def line_break(self) -> str:
        """A line break inside brackets: maybe a comment first, blank or comment lines
        after, then any indentation."""
        text = ""
        if self.chance(0.3):
            text += "  " + self.comment()
        text += self.newline()
        while self.chance(0.2):
            text += self.rng.choice(["", "  ", self.any_indent() + self.comment()]) + self.newline()
        # Often the statement's own indentation: text moved out of the brackets then
        # still parses (as a statement of its own), and only the meaning check tells.
        return text + self.rng.choice([self.statement_indent, self.any_indent()])

    def tokens(self, line: Line) -> str:
        out = [line.tokens[0].string]
        brackets = _bracket_change(line.tokens[0].string)
        previous = line.tokens[0]
        last = len(line.tokens) - 1
        for index, (token, original) in enumerate(zip(line.tokens[1:], line.gaps, strict=True), 1):
            where = "except:" if line.first == "except" and index == last and not brackets else ""
            out.append(self.gap(previous, token, original, brackets, where))
            out.append(token.string)
            brackets += _bracket_change(token.string)
            previous = token
        return "".join(out)

    def blank_lines(self) -> None:
        while self.chance(self.style.blank):
            self.parts.append(
                self.rng.choice(["", "   ", "\t", self.any_indent() + self.comment()]) + self.newline()
            )

    def end_of_line(self, line: Line | None, statement: bool) -> str:
        text = ""
        if statement and self.chance(self.style.trailing_semicolon):
            text += self.rng.choice([";", " ;", ";  "])
        if line is not None and line.comment:
            text += "  " + line.comment
        elif self.chance(self.style.trailing):
            text += self.rng.choice([" ", "\t", "  " + self.comment()])
        return text + self.newline()

    def write(self, lines: list[Line]) -> str:
        style = self.style
        index = 0
        while index < len(lines):
            line = lines[index]
            self.blank_lines()
            self.statement_indent = self.indent(line.depth)
            text = self.statement_indent + self.tokens(line)
            body = _block_of_simple_statements(lines, index)
            if body and self.chance(style.inline_suite):
                # `if x: a; b` for a block of simple statements.
                text += self.rng.choice([" ", "  ", "\t"]) + self.joined(body)
                self.parts.append(text + self.end_of_line(body[-1], statement=True))
                index += 1 + len(body)
                continue
            index += 1
            while (
                line.simple()
                and index < len(lines)
                and lines[index].depth == line.depth
                and lines[index].simple()
                and _is_simple_statement(lines, index)
                and _is_simple_statement(lines, index - 1)
                and self.chance(style.semicolon)
            ):
                text += self.rng.choice(["; ", ";", " ;  ", ";\t"]) + self.tokens(lines[index])
                line = lines[index]
                index += 1
            self.parts.append(text + self.end_of_line(line, statement=_is_simple_statement(lines, index - 1)))
        text = "".join(self.parts)
        if not style.final_newline:
            text = text.rstrip("\r\n")
        tail = _NEWLINE_RE.sub(
            lambda m: self.newline(), style.tail.replace("# end", "") if not style.comments else style.tail
        )
        if tail.endswith("# end") and text and not text.endswith(("\n", "\r")):
            text += self.newline()
        return text + tail

    def joined(self, body: list[Line]) -> str:
        return self.rng.choice(["; ", ";", " ; "]).join(self.tokens(line) for line in body)


def _bracket_change(text: str) -> int:
    return 1 if text in ("(", "[", "{") else -1 if text in (")", "]", "}") else 0


def _is_simple_statement(lines: list[Line], index: int) -> bool:
    """Line `index` is simple statements (not a block header, not a decorator)."""
    line = lines[index]
    opens = index + 1 < len(lines) and lines[index + 1].depth > line.depth
    return line.simple() and not opens


def _block_of_simple_statements(lines: list[Line], index: int) -> list[Line]:
    """The body of the block that line `index` opens, if it is only simple statements."""
    line = lines[index]
    if not line.tokens or line.tokens[-1].string != ":":
        return []
    body = []
    for later in range(index + 1, len(lines)):
        if lines[later].depth <= line.depth:
            break
        if lines[later].depth != line.depth + 1 or not _is_simple_statement(lines, later):
            return []
        body.append(lines[later])
    return body


def relayout(source: str, rng: random.Random, style: Style | None = None) -> str:
    """`source` laid out differently (it may not compile: see `variant`)."""
    return _Writer(style or draw_style(rng), rng).write(logical_lines(source))


def same_meaning(original: str, mutated: str) -> bool:
    try:
        compile(mutated, "variant.py", "exec", dont_inherit=True)
        return ast.dump(ast.parse(mutated)) == ast.dump(ast.parse(original))
    except (SyntaxError, ValueError):
        return False


@dataclass
class Variant:
    text: str
    style: Style
    edits: int  # changes made to the layout (see `_Writer.edits`)
    discarded: int  # drawn layouts thrown away (they changed the meaning or did not compile)


def variant(source: str, rng: random.Random, tries: int = 5) -> Variant | None:
    """A re-layout of `source` that compiles to the same tree, or None."""
    for attempt in range(tries):
        style = draw_style(rng)
        writer = _Writer(style, rng)
        mutated = writer.write(logical_lines(source))
        if same_meaning(source, mutated):
            return Variant(mutated, style, writer.edits, attempt)
    return None


# Checking ------------------------------------------------------------------------------


def fix(text: str) -> FixOutcome:
    return fix_text(LintRequest(text, "layout.py", "layout.py", SETTINGS, CODES), unsafe=True)


def tree(text: str) -> str:
    return ast.dump(ast.parse(text))


_REFUSAL_RE = re.compile(r"^[^\n]*?:\d+:\d+: (?P<code>ASL\d+) fix not applied: (?P<reason>.*)$", re.DOTALL)


def refusals(outcome: FixOutcome) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for failure in outcome.failures:
        match = _REFUSAL_RE.match(failure)
        if match:
            found[match["code"], match["reason"]] += 1
    return found


class _TokenIndex:
    """Positions in a text -> index among its non-layout tokens."""

    def __init__(self, text: str) -> None:
        starts = _offsets(text)
        self.text = text
        self.strings: list[str] = []
        self.start_index: dict[int, int] = {}
        self.end_index: dict[int, int] = {}
        for tok in _tokens(text):
            if tok.type in _LAYOUT or (tok.type == tokenize.OP and tok.string == ";"):
                continue
            name = tokenize.tok_name[tok.type]
            if name in ("FSTRING_MIDDLE", "FSTRING_END"):
                continue
            index = len(self.strings)
            self.strings.append(tok.string)
            self.start_index[starts[tok.start[0] - 1] + tok.start[1]] = index
            self.end_index[starts[tok.end[0] - 1] + tok.end[1]] = index
        self.line_starts = starts

    def offset(self, row: int, column: int) -> int:
        """Offset of a diagnostic location (1-based row and column)."""
        return self.line_starts[row - 1] + column - 1

    def token_range(self, d: Diagnostic) -> tuple[int | None, int | None]:
        return (
            self.start_index.get(self.offset(d.start.row, d.start.column)),
            self.end_index.get(self.offset(d.end.row, d.end.column)),
        )


@dataclass
class Comparison:
    problems: list[str] = field(default_factory=list)
    kind: str = "same"  # same | not-fixed (lossy round trip) | partial (meaning check refused)
    diagnostics: int = 0
    fixes: int = 0
    declined: int = 0  # fixes the variant's rules did not offer (comments, `;`)


def plain(message: str) -> str:
    """A message without layout: messages quote code as written, and a variant writes it
    with other whitespace, line continuations and comments."""
    return re.sub(r"#\$[^$]*\$", "", re.sub(r"[\s\\]+", "", message))


def _describe(d: Diagnostic, tokens: _TokenIndex) -> tuple[str, int | None, int | None, bool]:
    start, end = tokens.token_range(d)
    return (d.code, start, end, d.fix is not None)


def same_message(a: str, b: str) -> bool:
    """Equal but for layout; a rule shortens the code it quotes (`...`) by its length as
    written, so where one is shortened, only the text outside quotes is compared."""
    a, b = plain(a), plain(b)
    if a == b:
        return True
    if "..." in a or "..." in b:
        return re.sub(r"`[^`]*`", "``", a) == re.sub(r"`[^`]*`", "``", b)
    return False


def _messages(
    original: list[Diagnostic], to: _TokenIndex, variant: list[Diagnostic], tm: _TokenIndex
) -> list[tuple[str, str]]:
    """Pairs of messages of the diagnostics with the same code and tokens that differ."""
    by_key: dict[tuple[str, int | None, int | None], list[str]] = {}
    for d in original:
        by_key.setdefault(_describe(d, to)[:3], []).append(d.message)
    differ = []
    for d in variant:
        candidates = by_key.get(_describe(d, tm)[:3], [])
        match = next((m for m in candidates if same_message(m, d.message)), None)
        if match is None:
            differ.append((candidates[0] if candidates else "", d.message))
        else:
            candidates.remove(match)
    return differ


def module_level_error(text: str) -> str | None:
    """Run the module level of `text` with every import stubbed: the error it raises, or
    None. (Generated programs only import, assign and define functions there.)"""
    import builtins
    from unittest import mock

    def stub(name: str, *args: object, **kwargs: object) -> object:
        return mock.MagicMock(name=name)

    namespace = {"__builtins__": {**vars(builtins), "__import__": stub}, "__name__": "layout_fuzz"}
    try:
        exec(compile(text, "layout.py", "exec", dont_inherit=True), namespace)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


#: Names fixes introduce, each the first that is free in the function (ASL204 keeps a
#: task in `task`, else `background_task`): fixes applied in other rounds may choose
#: another one, so they are compared as one.
FRESH_NAMES = {"background_task": "task"}


class _Fresh(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = FRESH_NAMES.get(node.id, node.id)
        return node


def same_program(a: str, b: str, reorder: bool) -> bool:
    """`ast.dump` equal, but for the choice of fresh names (`FRESH_NAMES`); with
    `reorder`, the module's statements in any order."""
    trees = [_Fresh().visit(ast.parse(text)) for text in (a, b)]
    if not reorder:
        return ast.dump(trees[0]) == ast.dump(trees[1])
    first, second = (Counter(ast.dump(s) for s in t.body) for t in trees)
    return first == second


def compare(
    original: str,
    mutated: str,
    allow: Allowances = Allowances(),
    *,
    fixed_original: FixOutcome | None = None,
    fixer: Callable[[str], FixOutcome] = fix,
) -> Comparison:
    """What differs between linting and fixing `original` and `mutated` that the layout
    does not explain (see the module's docstring)."""
    out = Comparison()
    problems = out.problems
    fo = fixed_original or fixer(original)
    fm = fixer(mutated)
    assert fo.initial is not None and fm.initial is not None
    out.diagnostics = len(fm.initial.diagnostics)
    out.fixes = sum(fm.applied.values())

    for label, outcome in (("original", fo), ("variant", fm)):
        for result in (outcome.initial, outcome.result):
            internal = [d.message for d in result.diagnostics if d.code in ("ASL001", "ASL002")]
            if internal:
                problems.append(f"{label}: {internal}")
        if any("internal error" in f for f in outcome.failures):
            problems.append(f"{label}: {outcome.failures}")

    # Check mode: the same findings at the same tokens.
    lossy = cst.parse_module(mutated).code != mutated
    not_fixed = fm.initial.unfixable is not None
    # (A file without findings is not checked: nothing in it is fixed.)
    if not_fixed != lossy and (fm.initial.diagnostics or not lossy):
        problems.append(f"libcst round trip lossy={lossy} but the variant unfixable={fm.initial.unfixable!r}")
    to, tm = _TokenIndex(original), _TokenIndex(mutated)
    if to.strings != tm.strings:
        problems.append("the variant's tokens differ from the original's (a bug of the layout fuzzer)")
        return out
    before = Counter(_describe(d, to) for d in fo.initial.diagnostics)
    after = Counter(_describe(d, tm) for d in fm.initial.diagnostics)
    if not_fixed:
        before = Counter({(*key[:3], False): n for key, n in before.items()})
    elif allow.decline:
        # A fix the variant does not offer: the original's finding without its fix.
        for key, n in list((before - after).items()):
            without = (*key[:3], False)
            moved = min(n, after[without] - before[without]) if key[3] else 0
            if moved > 0:
                before[key] -= moved
                before[without] += moved
                out.declined += moved
        before = +before
    counts_o = Counter(d.code for d in fo.initial.diagnostics)
    counts_m = Counter(d.code for d in fm.initial.diagnostics)
    if counts_o != counts_m:
        problems.append(f"diagnostics per code differ: original {dict(counts_o)}, variant {dict(counts_m)}")
    for key in after:
        if key[1] is None or key[2] is None:
            problems.append(f"variant: a diagnostic's range is not a range of tokens: {key}")
    for a, b in _messages(fo.initial.diagnostics, to, fm.initial.diagnostics, tm):
        problems.append(f"messages differ: original {a!r}, variant {b!r}")
    if before != after:
        problems.append(
            "check mode differs: only in the original: "
            f"{sorted((before - after).elements(), key=str)}; only in the variant: "
            f"{sorted((after - before).elements(), key=str)}"
        )

    # Fixing.
    if not_fixed:
        out.kind = "not-fixed"
        if fm.text != mutated or fm.applied:
            problems.append("a variant libcst does not reproduce was changed by the fixer")
        if fm.initial.diagnostics and not any(
            "does not reproduce this file exactly" in f for f in fm.failures
        ):
            problems.append(f"the variant was not fixed and no reason was given: {fm.failures}")
        return out
    if fm.text != mutated and (reason := verify(fm.text, "layout.py")) is not None:
        problems.append(f"the fixed variant is broken: {reason}")
        return out
    if module_level_error(fo.text) is None and (error := module_level_error(fm.text)) is not None:
        problems.append(f"the fixed variant fails on import: {error}")
    extra = refusals(fm) - refusals(fo)
    # Findings left over after fixing that the original's fixing did not leave: fixes
    # declined in a later round (a finding a first fix made, on a line it shares).
    left = Counter(d.code for d in fm.result.diagnostics) - Counter(d.code for d in fo.result.diagnostics)
    if allow.decline:
        out.declined += sum(left.values())
    if not extra and not out.declined:
        if not same_program(fm.text, fo.text, allow.reorder):
            problems.append("fixing the variant gives another program than fixing the original")
        if fm.applied != fo.applied:
            problems.append(f"fixes applied differ: original {dict(fo.applied)}, variant {dict(fm.applied)}")
        return out
    out.kind = "partial"
    if extra and not allow.refuse:
        problems.append(
            f"the variant's fixes were refused though its layout gives no reason: {sorted(extra)}"
        )
    if not fm.applied <= fo.applied:
        problems.append(f"the variant got fixes the original did not: {dict(fm.applied - fo.applied)}")
    completed = fixer(ast.unparse(ast.parse(fm.text)))
    if not same_program(completed.text, fo.text, allow.reorder):
        problems.append(
            "the fixes applied to the variant are not whole fixes: completing them does not give the"
            " original's fixed program"
        )
    return out
