"""Property-based fuzzing of the engine and the fixer, with every rule selected and unsafe
fixes on: no rule raises (no ASL002), every fixed output parses and compiles, fixing twice
equals fixing once, and a file with nothing to fix comes back byte for byte.

Two generators: hypothesmith's programs from the Python grammar, and async programs built
from the constructs the rules look at (async defs, awaits, with/async with, try/except,
loops, comprehensions, lambdas, nested defs, calls to catalogued functions under aliases).
Examples are derandomized, so a failure reproduces on every run; each bug found becomes a
fixture.
"""

from __future__ import annotations

import ast
from collections import Counter

import hypothesmith
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from program_gen import async_programs, asyncify

from asynclint.engine import LintRequest
from asynclint.fixer import FixOutcome, fix_text, verify
from asynclint.registry import selected_codes
from asynclint.settings import Settings

pytestmark = pytest.mark.slow

SETTINGS = Settings(select=("ALL",), unsafe_fixes=True)
CODES = selected_codes(SETTINGS)


#: Why a fix may not be applied to a hypothesmith program: its layout (a file libcst does
#: not reproduce; text moved out of brackets it was split in would not mean the same).
LAYOUT_REASONS = (
    "before fixing",
    "does not reproduce this file exactly",
    "would not mean what the fix intends",
)


def check_properties(source: str, allowed: tuple[str, ...] = ("before fixing",)) -> FixOutcome:
    outcome = fix_text(LintRequest(source, "fuzz.py", "fuzz.py", SETTINGS, CODES), unsafe=True)
    assert outcome.initial is not None
    internal = [d for d in [*outcome.initial.diagnostics, *outcome.result.diagnostics] if d.code == "ASL002"]
    assert not internal, "\n".join(d.message for d in internal) + "\n---\n" + source
    assert not [f for f in outcome.failures if not any(reason in f for reason in allowed)], (
        outcome.failures,
        source,
    )
    if not any(d.fix for d in outcome.initial.diagnostics):
        assert outcome.text == source, (
            f"nothing to fix, yet the text changed:\n{source!r}\n---\n{outcome.text!r}"
        )
    if outcome.text != source:
        assert verify(outcome.text, "fuzz.py") is None, outcome.text
        again = fix_text(LintRequest(outcome.text, "fuzz.py", "fuzz.py", SETTINGS, CODES), unsafe=True)
        assert again.text == outcome.text, (
            f"second fix changed the code:\n{source}\n---\n{outcome.text}\n---\n{again.text}"
        )
    return outcome


# Shrinking a failure here can take many minutes; the examples are derandomized and the
# failing program is printed whole, which is enough to turn it into a fixture.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(async_programs())
def test_generated_async_programs(source: str) -> None:
    compile(source, "fuzz.py", "exec", dont_inherit=True)  # the generator only makes valid code
    check_properties(source)


def check_async_hypothesmith(statements: str, host: str, seen: Counter[str]) -> None:
    """hypothesmith's `statements` as an `async def` (program_gen.asyncify), before a
    generated async program `host`: no rule raises, fixes verify. Counts in `seen` how
    many examples were asyncified and parsed and linted."""
    seen["examples"] += 1
    body = asyncify(statements)
    if body is None:
        return  # it only fits at module level (or libcst cannot read it)
    source = body.rstrip("\r\n") + "\n\n\n" + host
    tree = ast.parse(source)
    fuzz = [n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == "_fuzz"]
    assert fuzz and any(isinstance(n, ast.Await) for n in ast.walk(fuzz[0])), (
        f"hypothesmith's code is not in an async def that awaits:\n{source}"
    )
    seen["async"] += 1
    outcome = check_properties(source, LAYOUT_REASONS)
    assert outcome.initial is not None
    seen["linted"] += outcome.initial.parsed
    seen["calls"] += sum(isinstance(n, ast.Call) for n in ast.walk(fuzz[0]))


def assert_mostly_linted(seen: Counter[str]) -> None:
    assert seen["examples"] >= 20, seen
    assert seen["linted"] >= 0.9 * seen["examples"], seen


def test_hypothesmith_programs_in_async_code() -> None:
    seen: Counter[str] = Counter()

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        phases=NO_SHRINK,
        suppress_health_check=list(HealthCheck),
    )
    @given(hypothesmith.from_node(auto_target=False), async_programs())
    def check(statements: str, host: str) -> None:
        check_async_hypothesmith(statements, host, seen)

    check()
    assert_mostly_linted(seen)


def test_grammar_programs_in_async_code() -> None:
    seen: Counter[str] = Counter()

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        phases=NO_SHRINK,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.lists(hypothesmith.from_grammar(auto_target=False), min_size=1, max_size=3).map("\n".join),
        async_programs(),
    )
    def check(statements: str, host: str) -> None:
        check_async_hypothesmith(statements, host, seen)

    check()
    assert_mostly_linted(seen)
