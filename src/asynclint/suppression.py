"""Suppression comments: `# noqa` (`# noqa: ASL101,ASL2`) on a reported line, and
`# asynclint: noqa` on a line of its own near the top, which skips the whole file."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NOQA_RE = re.compile(r"#\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_FILE_NOQA_RE = re.compile(r"^\s*#\s*asynclint\s*:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)
#: How much of the top of a file may hold its `# asynclint: noqa`.
_FILE_NOQA_HEAD = 4000


#: `noqa-aliases = true`: the flake8-async and ruff codes (ASYNCxxx) of each asynclint rule
#: that reports the same problem, so that their existing noqa comments keep working.
#: Rules that are only analogues of a peer's (ASL209 ~ ASYNC111, ASL405 ~ ASYNC122) or that
#: the peer reports for trio alone (ASYNC105) have no alias.
ALIASES: dict[str, tuple[str, ...]] = {
    "ASL100": ("ASYNC200",),
    "ASL101": ("ASYNC251",),
    "ASL102": ("ASYNC210", "ASYNC211", "ASYNC212"),
    "ASL103": ("ASYNC220", "ASYNC221"),
    "ASL104": ("ASYNC222",),
    "ASL105": ("ASYNC230", "ASYNC231"),
    "ASL106": ("ASYNC232",),
    "ASL107": ("ASYNC240",),
    "ASL108": ("ASYNC250",),
    "ASL204": ("ASYNC300",),
    "ASL207": ("ASYNC110",),
    "ASL210": ("ASYNC121",),
    "ASL211": ("ASYNC112",),
    "ASL212": ("ASYNC124",),
    "ASL404": ("ASYNC100",),
    "ASL406": ("ASYNC109",),
    "ASL500": ("ASYNC103", "ASYNC104"),
    "ASL504": ("ASYNC101", "ASYNC119"),
    "ASL505": ("ASYNC401",),
}


@dataclass(frozen=True, slots=True)
class Noqa:
    """A `# noqa` comment: `codes` is None for a bare `# noqa` (everything)."""

    codes: frozenset[str] | None

    def suppresses(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)

    def matching(self, code: str, aliases: tuple[str, ...] = ()) -> tuple[str, ...] | None:
        """The listed codes that suppress `code` (or one of its `aliases`), () for a bare
        `# noqa`, None when the comment does not suppress it."""
        if self.codes is None:
            return ()
        found = tuple(c for c in self.codes if any(name.startswith(c) for name in (code, *aliases)))
        return found or None


def parse_noqa(line: str) -> Noqa | None:
    """The `# noqa` comment of one source line, or None."""
    if "noqa" not in line.lower():
        return None
    match = _NOQA_RE.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return Noqa(None)
    return Noqa(frozenset(c.upper() for c in re.split(r"[,\s]+", codes) if c))


def may_have_noqa(text: str) -> bool:
    """Whether any line of `text` may hold a `# noqa` comment (a cheap text test)."""
    return _NOQA_RE.search(text) is not None


def file_is_skipped(text: str) -> bool:
    """`# asynclint: noqa` on a line of its own near the top skips the whole file."""
    return _FILE_NOQA_RE.search(text[:_FILE_NOQA_HEAD]) is not None


class CommentPlaces:
    """Where a `# noqa` comment may stand in a text: the lines whose end is outside any
    string and not continued with a backslash, and the last line of each logical line
    (after a multi-line string or expression: where a finding inside it is suppressed)."""

    def __init__(self, text: str) -> None:
        import io
        import tokenize

        #: Lines whose end may take a comment.
        self.open: set[int] = set()
        #: The last line of each logical line, in order.
        self.ends: list[int] = []
        #: The comment token of a line: (column, text).
        self.comments: dict[int, tuple[int, str]] = {}
        self.ok = True
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.NEWLINE:
                    self.open.add(token.start[0])
                    self.ends.append(token.start[0])
                elif token.type == tokenize.NL:
                    self.open.add(token.start[0])
                elif token.type == tokenize.COMMENT:
                    self.comments[token.start[0]] = (token.start[1], token.string)
        except (tokenize.TokenError, SyntaxError, ValueError):
            self.ok = False

    def logical_end(self, line: int) -> int:
        """The last line of the logical line holding `line` (`line` itself if unknown)."""
        import bisect

        index = bisect.bisect_left(self.ends, line)
        return self.ends[index] if index < len(self.ends) else line

    def target(self, start: int, end: int) -> int | None:
        """The line a `# noqa` comment for a finding from line `start` to `end` goes on:
        `start` when a comment may end it, else `end`, else the end of the logical line."""
        if not self.ok:
            return None
        for line in (start, end, self.logical_end(start)):
            if line in self.open:
                return line
        return None


def add_noqa(text: str, wanted: dict[int, set[str]]) -> tuple[str, int]:
    """`text` with `# noqa: CODE, ...` on each line of `wanted` (the line a comment goes on,
    see `CommentPlaces.target` -> its codes). Merges with a `# noqa: ...` list already in the
    line's comment; a bare `# noqa` suppresses everything already. Returns the new text and
    how many lines changed."""
    from asynclint.sourcefile import split_lines

    if not wanted:
        return text, 0
    places = CommentPlaces(text)
    lines = split_lines(text)
    changed = 0
    for row, codes in sorted(wanted.items()):
        if not 1 <= row <= len(lines):
            continue
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        comment = places.comments.get(row)
        new_body = None
        if comment is not None:
            column, comment_text = comment
            match = _NOQA_RE.search(comment_text)
            if match is not None:
                listed = match.group("codes")
                if listed is None:
                    continue  # a bare noqa comment suppresses everything already
                existing = [c.upper() for c in re.split(r"[,\s]+", listed) if c]
                missing = sorted(c for c in codes if not any(c.startswith(e) for e in existing))
                if not missing:
                    continue
                merged = ", ".join(existing + missing)
                at = column + match.start()
                new_body = body[:at] + f"# noqa: {merged}" + body[column + match.end() :]
        if new_body is None:
            new_body = body.rstrip(" \t") + "  # noqa: " + ", ".join(sorted(codes))
        if new_body != body:
            lines[row - 1] = new_body + ending
            changed += 1
    return "".join(lines), changed


UNUSED_NOQA = "ASL003"


@dataclass(frozen=True, slots=True)
class UnusedNoqa:
    """A `# noqa` comment's codes that suppressed nothing (ASL003), and the text edit that
    removes them: the line's columns `start` to `end` (0-based, end exclusive; `end` None:
    the whole line with its line ending) become `replacement`. `fixable` is False when the
    comment goes on after the codes with words of its own (the edit is then not offered)."""

    row: int
    column: int  # 0-based, of the `#` of the noqa
    end_column: int
    codes: tuple[str, ...]
    start: int
    end: int | None
    replacement: str
    fixable: bool


def unused_noqa(
    text: str, used: set[tuple[int, str]], read: set[int], judged: frozenset[str]
) -> list[UnusedNoqa]:
    """The `# noqa: CODE` codes of `text` that suppressed nothing: among the codes listed in
    a comment (not in a string), the asynclint codes of `judged` (the rules that ran on the
    whole file), minus those of `used` ((line, code) pairs that suppressed a finding).
    A line whose noqa a rule read itself (`read`) is left alone, as are other tools' codes,
    prefixes (`ASL1`), unknown codes and a bare `# noqa`. A comment listing ASL003 keeps
    its unused codes."""
    from asynclint.sourcefile import split_lines

    places = CommentPlaces(text)
    if not places.ok:
        return []
    lines: list[str] | None = None
    out = []
    for row, (column, comment) in sorted(places.comments.items()):
        if "noqa" not in comment.lower() or row in read:
            continue
        if lines is None:
            lines = split_lines(text)
        body = lines[row - 1].rstrip("\r\n")
        # The noqa the engine reads is the line's first; one inside a string before the
        # comment is not this comment's.
        match = _NOQA_RE.search(body)
        if match is None or match.start() < column:
            continue
        listed_text = match.group("codes")
        if listed_text is None:
            continue
        listed = [c for c in re.split(r"[,\s]+", listed_text) if c]
        upper = [c.upper() for c in listed]
        if UNUSED_NOQA in upper:
            continue
        unused = [
            code for code, up in zip(listed, upper, strict=True) if up in judged and (row, up) not in used
        ]
        if not unused:
            continue
        kept = [code for code in listed if code not in unused]
        rest = body[match.end() :]
        fixable = True
        if kept:
            start, end = match.start("codes"), match.end("codes")
            replacement = ", ".join(kept)
        elif rest.strip() == "" or rest.lstrip().startswith("#"):
            # The whole noqa goes; what else the comment says stays.
            before = body[column : match.start()]
            after = rest.lstrip()
            if before.strip() == "" and not after:
                # Nothing else in the comment: it goes with the blanks before it, or the
                # line goes when the comment was all it held.
                code_end = len(body[:column].rstrip())
                if code_end == 0:
                    start, end, replacement = 0, None, ""
                else:
                    start, end, replacement = code_end, len(body), ""
            elif before.strip() == "":
                start, end, replacement = column, len(body), after
            else:
                start, end = len(body[: match.start()].rstrip()), len(body)
                replacement = "  " + after if after else ""
        else:
            start, end, replacement, fixable = 0, 0, "", False
        out.append(
            UnusedNoqa(row, match.start(), match.end(), tuple(unused), start, end, replacement, fixable)
        )
    return out
