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

import hypothesmith
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from program_gen import async_programs

from asynclint.fixer import fix_text, verify
from asynclint.settings import Settings

pytestmark = pytest.mark.slow

SETTINGS = Settings(select=("ALL",), unsafe_fixes=True)
CODES = SETTINGS.selected_codes()


def check_properties(source: str) -> None:
    outcome = fix_text(source, "fuzz.py", "fuzz.py", SETTINGS, CODES, unsafe=True)
    internal = [d for d in outcome.result.diagnostics if d.code == "ASL002"]
    assert not internal, "\n".join(d.message for d in internal) + "\n---\n" + source
    assert not [f for f in outcome.failures if "before fixing" not in f], (outcome.failures, source)
    if outcome.text != source:
        assert verify(outcome.text, "fuzz.py") is None, outcome.text
        again = fix_text(outcome.text, "fuzz.py", "fuzz.py", SETTINGS, CODES, unsafe=True)
        assert again.text == outcome.text, (
            f"second fix changed the code:\n{source}\n---\n{outcome.text}\n---\n{again.text}"
        )
    elif not any(d.fix for d in outcome.result.diagnostics):
        assert outcome.text == source


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


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=NO_SHRINK,
    suppress_health_check=list(HealthCheck),
)
@given(hypothesmith.from_node())
def test_hypothesmith_programs(source: str) -> None:
    check_properties(source)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=NO_SHRINK,
    suppress_health_check=list(HealthCheck),
)
@given(hypothesmith.from_grammar(auto_target=False))
def test_grammar_programs(source: str) -> None:
    try:
        compile(source, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return  # the grammar allows some code that CPython rejects; the engine must still not crash
    check_properties(source)
