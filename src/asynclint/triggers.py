"""The text scan that decides which rules can fire in a file, before any parse.

A rule's trigger is a regular expression; a file is parsed for the rule only when every
trigger of the rule occurs in the text. Python's `re` scans about 50 MB/s, and a default
run checks some fifty patterns per file, most of which do not occur. Each pattern is
therefore guarded by the literal substrings one of which every match must contain: `in`
on a string is a memchr-speed scan, so a pattern whose literals are absent costs next to
nothing, and the regular expression runs only where it may match.
"""

from __future__ import annotations

import re
from typing import Any

#: Literals shorter than this are not worth a guard (they occur nearly everywhere).
_MIN_LITERAL = 3


class Trigger:
    __slots__ = ("literals", "pattern")

    def __init__(self, source: str) -> None:
        self.pattern = re.compile(source)
        self.literals = required_literals(source)

    def occurs_in(self, text: str) -> bool:
        literals = self.literals
        if literals is not None and not any(literal in text for literal in literals):
            return False
        return self.pattern.search(text) is not None


def required_literals(source: str) -> tuple[str, ...] | None:
    """Substrings one of which every match of `source` contains, or None when no useful set
    can be derived (the pattern is then always run)."""
    # The parser of `re` is internal (`sre_parse` before Python 3.11): any surprise in its
    # shape only costs the guard, never the answer.
    try:
        try:
            from re import _constants, _parser  # type: ignore[attr-defined]
        except ImportError:  # Python < 3.11
            import sre_constants as _constants
            import sre_parse as _parser
        parsed = _parser.parse(source)
    except Exception:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        found = _sequence(list(parsed), _constants)
    except Exception:
        return None
    if found is None or min(len(s) for s in found) < _MIN_LITERAL:
        return None
    return found


def _sequence(items: list[tuple[Any, Any]], constants: Any) -> tuple[str, ...] | None:
    """The best requirement of a concatenation: its longest literal run, or the
    alternatives of one of its groups, whichever has the longest shortest member."""
    best: tuple[str, ...] | None = None

    def offer(candidate: tuple[str, ...] | None) -> None:
        nonlocal best
        if candidate and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    run: list[str] = []
    for op, av in items:
        if op is constants.LITERAL:
            run.append(chr(av))
            continue
        offer(("".join(run),) if run else None)
        run = []
        if op is constants.SUBPATTERN:
            offer(_sequence(list(av[-1]), constants))
        elif op is constants.BRANCH:
            offer(_branches(av[1], constants))
    offer(("".join(run),) if run else None)
    return best


def _branches(branches: list[Any], constants: Any) -> tuple[str, ...] | None:
    out: list[str] = []
    for branch in branches:
        found = _sequence(list(branch), constants)
        if found is None:
            return None
        out.extend(found)
    return tuple(dict.fromkeys(out))
