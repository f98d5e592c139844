"""Suppression comments: `# noqa` (`# noqa: ASL101,ASL2`) on a reported line, and
`# asynclint: noqa` on a line of its own near the top, which skips the whole file."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NOQA_RE = re.compile(r"#\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_FILE_NOQA_RE = re.compile(r"^\s*#\s*asynclint\s*:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)
#: How much of the top of a file may hold its `# asynclint: noqa`.
_FILE_NOQA_HEAD = 4000


@dataclass(frozen=True, slots=True)
class Noqa:
    """A `# noqa` comment: `codes` is None for a bare `# noqa` (everything)."""

    codes: frozenset[str] | None

    def suppresses(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)


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
