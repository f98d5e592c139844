"""Every fixture under tests/fixtures/<CODE>/ is a specification: marked lines must be
reported with exactly those codes, unmarked lines must stay silent, and a fixable file's
output must equal its `.fixed.py` golden, parse, compile and be stable under a second fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from fixture_support import expected_markers, fixture_settings

from asynclint.discovery import module_name
from asynclint.fixer import FixOutcome, fix_text, verify
from asynclint.runner import Runner


def _cases() -> list[Path]:
    cases = []
    for folder in sorted(FIXTURES.iterdir()):
        if not folder.is_dir() or not folder.name.startswith("ASL"):
            continue
        for entry in sorted(folder.iterdir()):
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
    actual = {(Path(d.path).name, d.start.row, d.code) for d in result.diagnostics}
    expected = expected_markers(case)
    missing = sorted(expected - actual)
    unexpected = sorted(
        (Path(d.path).name, d.start.row, d.code, d.message)
        for d in result.diagnostics
        if (Path(d.path).name, d.start.row, d.code) not in expected
    )
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"


FILE_CASES = [c for c in CASES if c.is_file()]


@pytest.mark.parametrize("case", FILE_CASES, ids=_id)
def test_fix_golden(case: Path, update_fixtures: bool) -> None:
    code = case.parent.name
    settings, unsafe = fixture_settings(case, code)
    source = case.read_text(encoding="utf-8")
    name, is_package = module_name(str(case))

    def fix(text: str) -> FixOutcome:
        return fix_text(
            text,
            str(case),
            case.name,
            settings,
            settings.selected_codes(),
            unsafe=unsafe,
            module_name=name,
            is_package=is_package,
        )

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
