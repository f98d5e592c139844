"""The text scan that decides which rules can fire in a file, before any parse.

A rule declares `triggers`, substrings that must all occur in a file's text for the rule to
be able to fire there (an item that is a tuple of substrings needs one of them), and, when
substrings alone would select too many files, a `trigger_regex` that must match as well.
`in` on a string is a memchr-speed scan, so a rule whose substrings are absent costs next
to nothing, and the regular expression runs only where all of them occur.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from asynclint.diagnostics import INTERNAL_ERROR

if TYPE_CHECKING:
    from asynclint.registry import RuleInfo

#: A required substring, or alternatives one of which is required.
Trigger = str | tuple[str, ...]

_PATTERNS: dict[str, re.Pattern[str]] = {}


def rules_that_can_fire(text: str, codes: Iterable[str], infos: Mapping[str, RuleInfo]) -> set[str]:
    """The codes whose triggers all occur in `text` (a text scan, no parse)."""
    chosen = set()
    # Rules share substrings ("async" most of all) and alternatives: each is looked for
    # once per text.
    seen: dict[Trigger, bool] = {}
    for code in codes:
        info = infos.get(code)
        if info is None or code == INTERNAL_ERROR:
            continue
        for trigger in info.triggers:
            hit = seen.get(trigger)
            if hit is None:
                if isinstance(trigger, str):
                    hit = seen[trigger] = trigger in text
                else:
                    hit = seen[trigger] = any(alternative in text for alternative in trigger)
            if not hit:
                break
        else:
            if info.trigger_regex is None or _pattern(info.trigger_regex).search(text) is not None:
                chosen.add(code)
    return chosen


def _pattern(source: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(source)
    if pattern is None:
        pattern = _PATTERNS[source] = re.compile(source)
    return pattern


def trigger_problems(triggers: object, trigger_regex: object) -> list[str]:
    """What is wrong with a rule's trigger declaration (checked when the class is defined)."""
    problems = []
    if not isinstance(triggers, tuple) or not all(
        _substring(item) or (isinstance(item, tuple) and item and all(map(_substring, item)))
        for item in triggers
    ):
        problems.append("triggers must be a tuple of substrings or of tuples of alternative substrings")
    if trigger_regex is not None:
        try:
            re.compile(trigger_regex)  # type: ignore[call-overload]
        except (re.error, TypeError) as exc:
            problems.append(f"trigger_regex is not a regular expression ({exc})")
    return problems


def _substring(item: object) -> bool:
    return isinstance(item, str) and item != ""
