"""The registry, the manifest, the fixtures and the rules' documentation agree (the generated
docs/ pages are checked by tests/test_docs.py)."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES, ROOT
from fixture_support import Marker, MarkerError, parse_marker_line, read_markers

from asynclint import registry
from asynclint.rule import DOC_SECTIONS, doc_sections
from asynclint.runner import lint_text
from asynclint.settings import Settings

RULES = registry.discover()


def test_manifest_is_current() -> None:
    assert registry.MANIFEST.read_text(encoding="utf-8") == registry.manifest_text(), (
        "run `python -m asynclint.registry`"
    )


def test_every_code_has_fixtures_and_every_fixture_folder_a_code() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("ASL")}
    assert folders == set(RULES)
    for code in RULES:
        assert any((FIXTURES / code).glob("*.py")) or any(p.is_dir() for p in (FIXTURES / code).iterdir())


@pytest.mark.parametrize("code", sorted(RULES))
def test_documentation_has_the_five_sections(code: str) -> None:
    sections = doc_sections(RULES[code].__doc__ or "")
    assert list(sections)[:5] == list(DOC_SECTIONS)


def test_list_rules_matches_registry() -> None:
    infos = registry.rule_infos()
    assert set(infos) == set(RULES)
    for code, cls in RULES.items():
        assert (infos[code].name, infos[code].default, infos[code].fix) == (
            cls.name,
            cls.default.value,
            cls.fix_safety.value,
        )


def _code_block(section: str) -> str:
    lines = [line[4:] if line.startswith("    ") else line for line in section.splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


# ASL002 reports asynclint's own bugs: no code triggers it on purpose.
DOC_EXAMPLE_CODES = sorted(set(RULES) - {"ASL002"})


@pytest.mark.parametrize("code", DOC_EXAMPLE_CODES)
def test_example_triggers_and_use_instead_does_not(code: str) -> None:
    sections = doc_sections(RULES[code].__doc__ or "")
    extra = getattr(RULES[code], "example_settings", {})
    # ASL002 too: a rule that raises reports nothing, which "Use instead" would pass.
    # A rule's `example_settings` may add to the selection (ASL003 judges the codes of the
    # rules that run).
    values = {"select": (code,), "extend_select": ("ASL002",), **extra}
    settings = Settings(**values, project_root=str(ROOT / "build-doc-examples"))
    example = lint_text(_code_block(sections["Example"]), "example.py", settings)
    assert any(d.code == code for d in example), f"{code}: its Example does not trigger it"
    fixed = lint_text(_code_block(sections["Use instead"]), "example.py", settings)
    assert not [d for d in fixed if d.code == code], f"{code}: its 'Use instead' triggers it"
    raised = [d.message for d in [*example, *fixed] if d.code == "ASL002"]
    assert not raised, raised


def test_fixtures_compile() -> None:
    for path in FIXTURES.rglob("*.py"):
        if path.parent.name == "ASL001" or "ASL001" in path.parts:
            continue
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)


def test_every_marker_states_arguments() -> None:
    """Every `# error:` marker, in fixtures and goldens alike, parses and names at least one
    argument per code (read_markers raises MarkerError otherwise): no rule is exempt."""
    counted = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        for marker in read_markers(path):
            assert marker.args and all(marker.args), f"{path}:{marker.line}: {marker}"
            counted += 1
    assert counted


@pytest.mark.parametrize(
    "line",
    [
        "time.sleep(1)  # error: ASL101",
        'work()  # error: ASL101 "time.sleep()", ASL205',
        "time.sleep(1)  # error: ASL101 time.sleep()",
        'time.sleep(1)  # error: ASL101 "time.sleep()" trailing',
        'time.sleep(1)  # error: ASL101 "unterminated',
        'time.sleep(1)  # error: "time.sleep()"',
        "time.sleep(1)  # error:",
    ],
)
def test_a_marker_without_arguments_fails_the_meta_check(line: str) -> None:
    with pytest.raises(MarkerError):
        parse_marker_line(line, "case.py", 3)


def test_marker_syntax() -> None:
    line = r'''f()  # error: ASL101 "time.sleep()" 'in "direct"', ASL205 "a \"b\" \\", ASL205 "x"'''
    assert parse_marker_line(line, "case.py", 7) == [
        Marker("case.py", 7, "ASL101", ("time.sleep()", 'in "direct"')),
        Marker("case.py", 7, "ASL205", ('a "b" \\',)),
        Marker("case.py", 7, "ASL205", ("x",)),
    ]
    assert parse_marker_line("x = 1  # an ordinary comment") == []


def test_codes_are_in_the_right_family_module() -> None:
    for code, cls in RULES.items():
        module = cls.__module__.rsplit(".", 1)[-1]
        assert module == cls.name.replace("-", "_"), f"{code}: module {module} is not named after {cls.name}"
        assert re.fullmatch(r"ASL\d{3}", code)
