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
