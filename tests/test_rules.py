"""Every fixture under tests/fixtures/<CODE>/ is a specification: marked lines must be
reported with exactly those codes and messages containing the marked strings, unmarked lines
must stay silent, and a fixable file's output must equal its `.fixed.py` golden, parse,
compile and be stable under a second fix. The marker syntax: tests/fixture_support.py."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES
from fixture_support import Marker, compare_markers, fixture_markers, fixture_settings

from asynclint.discovery import module_name
from asynclint.engine import LintRequest
from asynclint.fixer import FixOutcome, fix_text, verify
from asynclint.registry import selected_codes
from asynclint.runner import Runner


def _cases() -> list[Path]:
    cases = []
    for folder in sorted(FIXTURES.iterdir()):
        if not folder.is_dir() or not folder.name.startswith("ASL"):
            continue
        for entry in sorted(folder.iterdir()):
            if entry.is_dir() and entry.name.endswith(".fixed"):
                continue  # a project's goldens
            if entry.is_dir() or (entry.suffix == ".py" and not entry.name.endswith(".fixed.py")):
                cases.append(entry)
    return cases


CASES = _cases()


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_markers(case: Path) -> None:
    code = case.parent.name
    settings, _ = fixture_settings(case, code)
    result = Runner(settings, jobs=1, use_cache=False).check([str(case)])
    assert not result.errors
    reported = [(Path(d.path).name, d.start.row, d.code, d.message) for d in result.diagnostics]
    problems = compare_markers(fixture_markers(case), reported)
    assert not problems, f"{_id(case)}: the markers and the diagnostics differ\n{problems}"


SLEEP = "`time.sleep()` blocks the event loop in `async def {}`; use `await asyncio.sleep(...)`"


def test_a_marked_string_absent_from_the_message_fails_showing_the_message() -> None:
    marker = Marker("a.py", 3, "ASL101", ("time.sleep()", "direct"))
    problems = compare_markers([marker], [("a.py", 3, "ASL101", SLEEP.format("poll"))])
    assert "the message lacks a marked string" in problems
    assert SLEEP.format("poll") in problems
    assert 'absent:  "direct"' in problems
    assert compare_markers([marker], [("a.py", 3, "ASL101", SLEEP.format("direct"))]) == ""


def test_marked_strings_must_occur_in_order() -> None:
    swapped = Marker("a.py", 3, "ASL101", ("direct", "time.sleep()"))
    problems = compare_markers([swapped], [("a.py", 3, "ASL101", SLEEP.format("direct"))])
    assert '"time.sleep()" (out of order)' in problems


def test_each_entry_claims_its_own_diagnostic() -> None:
    first = Marker("a.py", 3, "ASL101", ("first",))
    second = Marker("a.py", 3, "ASL101", ("second",))
    reported = [("a.py", 3, "ASL101", SLEEP.format(name)) for name in ("second", "first")]
    assert compare_markers([first, second], reported) == ""
    assert "reported but not marked" in compare_markers([first], reported)
    assert "marked but not reported" in compare_markers([first, second], reported[:1])
    assert "marked but not reported" in compare_markers([first], [])


FILE_CASES = [c for c in CASES if c.is_file()]
PROJECT_CASES = [c for c in CASES if c.is_dir()]


@pytest.mark.parametrize("case", PROJECT_CASES, ids=_id)
def test_project_fix_golden(case: Path, tmp_path: Path, update_fixtures: bool) -> None:
    """A fixture project fixed as a whole (the project model answering every module's
    questions) gives the goldens under `<project>.fixed/` (only the files that change),
    and fixing again changes nothing."""
    code = case.parent.name
    settings, unsafe = fixture_settings(case, code)
    copy = tmp_path / case.name
    shutil.copytree(case, copy)
    settings = replace(settings, project_root=str(copy))

    def fix() -> None:
        result = Runner(settings, jobs=1, use_cache=False, mode="fix", unsafe=unsafe).check([str(copy)])
        assert not result.errors, result.errors

    fix()
    goldens = case.with_name(case.name + ".fixed")
    changed = {
        p.relative_to(copy): p.read_text(encoding="utf-8")
        for p in sorted(copy.rglob("*.py"))
        if p.read_text(encoding="utf-8") != (case / p.relative_to(copy)).read_text(encoding="utf-8")
    }
    if update_fixtures:
        shutil.rmtree(goldens, ignore_errors=True)
        for rel, text in changed.items():
            (goldens / rel).parent.mkdir(parents=True, exist_ok=True)
            (goldens / rel).write_text(text, encoding="utf-8")
    wanted = {p.relative_to(goldens): p.read_text(encoding="utf-8") for p in sorted(goldens.rglob("*.py"))}
    assert changed == wanted
    for text in changed.values():
        assert verify(text, "golden.py") is None
    before = {p: p.read_text(encoding="utf-8") for p in copy.rglob("*.py")}
    fix()
    assert {p: p.read_text(encoding="utf-8") for p in copy.rglob("*.py")} == before, (
        "a second fix changed the project"
    )


@pytest.mark.parametrize("case", FILE_CASES, ids=_id)
def test_fix_golden(case: Path, update_fixtures: bool) -> None:
    code = case.parent.name
    settings, unsafe = fixture_settings(case, code)
    source = case.read_text(encoding="utf-8")
    name, is_package = module_name(str(case))

    def fix(text: str) -> FixOutcome:
        request = LintRequest(
            text,
            str(case),
            case.name,
            settings,
            selected_codes(settings),
            module_name=name,
            is_package=is_package,
        )
        return fix_text(request, unsafe=unsafe)

    outcome = fix(source)
    golden = case.with_name(case.stem + ".fixed.py")
    assert not outcome.failures, outcome.failures
    if outcome.text == source:
        if update_fixtures and golden.exists():
            golden.unlink()
        assert not golden.exists(), f"{golden.name} exists but nothing is fixed in {case.name}"
        return
    if update_fixtures:
        golden.write_text(outcome.text, encoding="utf-8")
    assert golden.exists(), (
        f"{case.name} has fixes but no golden; run pytest --update-fixtures and review {golden.name}"
    )
    assert outcome.text == golden.read_text(encoding="utf-8")
    assert verify(outcome.text, str(golden)) is None
    again = fix(outcome.text)
    assert again.text == outcome.text, "fixing the fixed file changed it again"
