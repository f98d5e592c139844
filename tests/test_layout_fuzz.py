"""Differential layout fuzzing: a generated async program and the same program laid out
differently (tests/layouts.py) must give the same diagnostics at the same tokens, and
fixing them must give the same program, except where the layout is a reason for
asynclint to fix less (a file libcst does not reproduce, a fix that would drop a comment
or move a split call out of its brackets), and then only whole fixes are applied.

The hypothesis test is derandomized and sized for CI (about 25 s on one core);
`python benchmarks/layout_fuzz.py -n 10000` runs the same check on 10,000 programs.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from layouts import Allowances, Style, compare, fix, relayout, same_meaning, variant
from program_gen import async_programs

import asynclint.fixer as fixer_module
import asynclint.positions as positions_module
from asynclint.fixer import FixOutcome

pytestmark = pytest.mark.slow

NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]


@settings(
    max_examples=160,
    deadline=None,
    derandomize=True,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(async_programs(), st.integers(min_value=0, max_value=2**32 - 1))
def test_a_program_and_its_relayout_are_linted_and_fixed_alike(source: str, seed: int) -> None:
    found = variant(source, random.Random(seed))
    assert found is not None, "no layout of the program compiles to its tree"
    outcome = compare(source, found.text, found.style.allowances)
    assert not outcome.problems, "\n".join(
        [*outcome.problems, f"style: {found.style}", "--- original", source, "--- variant", repr(found.text)]
    )


# One program with a bit of everything, and each kind of layout alone: every kind is
# exercised on every run, whatever the hypothesis examples draw.
PROGRAM = """\
import asyncio
import time
import requests


async def work(*args, **kwargs):
    return 1


async def fetch(session: asyncio.Lock, items=None):
    try:
        time.sleep(1)
    except asyncio.CancelledError:
        pass
    x = await asyncio.wait_for(work(1, 2), None)
    y = asyncio.create_task(work())
    results = [await work(i) for i in range(3)]
    await asyncio.gather(await work(), work(x, y))
    if x:
        requests.get("u", timeout=None)
        time.sleep(2)
    callback = lambda: time.sleep(3)
    return {"a": results[0:1], "b": callback}
"""

QUIET = dict.fromkeys(
    [
        "colon",
        "except_colon",
        "spaces",
        "backslash",
        "bracket_break",
        "callee_break",
        "blank",
        "trailing",
        "semicolon",
        "trailing_semicolon",
        "inline_suite",
    ],
    0.0,
)
LAYOUTS = {
    "space-before-colons": {"colon": 1.0},
    "except-colon": {"except_colon": 1.0},
    "spaces": {"spaces": 0.5},
    "backslashes": {"backslash": 0.3},
    "breaks-in-brackets": {"bracket_break": 0.5},
    "callee-break": {"callee_break": 1.0},
    "blank-lines": {"blank": 0.5},
    "trailing": {"trailing": 0.5},
    "semicolons": {"semicolon": 0.7, "trailing_semicolon": 0.3},
    "inline-suites": {"inline_suite": 1.0},
    "comments": {"blank": 0.5, "trailing": 0.5, "bracket_break": 0.3, "comments": True},
    "tabs": {"units": ["\t"]},
    "mixed-indentation": {"units": ["\t", " ", "  \t", "\t  "]},
    "crlf": {"newline": "\r\n"},
    "cr": {"newline": "\r"},
    "mixed-newlines": {"newline": "mixed"},
    "no-final-newline": {"final_newline": False},
    "blank-lines-at-the-end": {"tail": "\n\n  \n"},
}


def quiet_style(**changes: object) -> Style:
    base: dict[str, object] = {
        **QUIET,
        "newline": "\n",
        "units": ["    "],
        "final_newline": True,
        "tail": "",
        "comments": False,
    }
    return Style(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("changes", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_each_layout_alone(changes: dict[str, object]) -> None:
    style = quiet_style(**changes)
    for seed in range(3):
        text = relayout(PROGRAM, random.Random(seed), style)
        if text != PROGRAM and same_meaning(PROGRAM, text):
            break
    else:
        raise AssertionError(f"no variant of the program with {changes}")
    outcome = compare(PROGRAM, text, style.allowances)
    assert not outcome.problems, (outcome.problems, text)


def test_the_layouts_that_asynclint_does_not_fix() -> None:
    # `except E :` and CR line endings are files libcst does not reproduce: linted, not
    # fixed. The others are fixed, and (but for the split call) exactly like the original.
    kinds = {}
    for name, changes in LAYOUTS.items():
        style = quiet_style(**changes)
        text = relayout(PROGRAM, random.Random(0), style)
        kinds[name] = compare(PROGRAM, text, style.allowances).kind
    assert kinds["except-colon"] == kinds["cr"] == "not-fixed"
    assert kinds["callee-break"] == "partial"  # the `wait_for(work\n(1, 2), None)` unwrap is refused
    assert kinds["tabs"] == kinds["crlf"] == kinds["backslashes"] == kinds["semicolons"] == "same"


# The checker must see a broken asynclint ---------------------------------------------


def test_the_checker_sees_positions_that_are_not_mapped_to_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # libcst drops the backslash-newline before this colon: its code has a line less than
    # the text, and the findings after it are a line off unless mapped to the text.
    text = PROGRAM.replace("except asyncio.CancelledError:", "except asyncio.CancelledError \\\n        :")
    assert same_meaning(PROGRAM, text)
    outcome = compare(PROGRAM, text)
    assert outcome.kind == "not-fixed" and not outcome.problems
    monkeypatch.setattr(positions_module.TokenMap, "range", lambda self, code_range: code_range)
    problems = compare(PROGRAM, text).problems
    assert any("check mode differs" in p for p in problems), problems


def test_the_checker_sees_a_fix_that_changes_the_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the meaning check, `wait_for(work\n(1, 2), None)` unwraps to `await work`
    # and a statement `(1, 2)`.
    style = quiet_style(callee_break=1.0)
    text = relayout(PROGRAM, random.Random(0), style)
    assert "work\n" in text
    assert not compare(PROGRAM, text, style.allowances).problems
    monkeypatch.setattr(fixer_module._Checker, "_meaning_differs", lambda self, new, chosen: None)
    problems = compare(PROGRAM, text, style.allowances).problems
    assert any("another program" in p or "not whole fixes" in p for p in problems), problems


def test_the_checker_sees_a_refused_fix_and_a_change_that_is_no_fix() -> None:
    text = PROGRAM.replace("import asyncio", "import  asyncio", 1)  # no reason to fix less
    refused = "layout.py:12:9: ASL101 fix not applied: it does not parse"

    def refusing(meddle: bool) -> Callable[[str], FixOutcome]:
        def fixer(source: str) -> FixOutcome:
            outcome = fix(source)
            if source == text:  # the variant: no fix applied, one said to be refused
                outcome.text, outcome.failures = source, [refused]
                outcome.applied.clear()
                if meddle:
                    outcome.text = source.replace("range(3)", "range(4)")
            return outcome

        return fixer

    everything = Allowances(decline=True, refuse=True, reorder=True)
    problems = compare(PROGRAM, text, fixer=refusing(False)).problems
    assert any("refused though its layout gives no reason" in p for p in problems), problems
    assert not compare(PROGRAM, text, everything, fixer=refusing(False)).problems
    problems = compare(PROGRAM, text, everything, fixer=refusing(True)).problems
    assert any("not whole fixes" in p for p in problems), problems
