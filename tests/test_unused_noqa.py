"""ASL003 (unused `# noqa` codes) beyond its fixtures: the fixes whose result cannot carry a
marker (the whole comment goes), and how it meets `--add-noqa`, `per-file-ignores`, the
selection and `noqa-aliases`; and the alias table against the rules and the docs."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_cli

from asynclint.engine import LintRequest
from asynclint.fixer import fix_text
from asynclint.registry import discover, selected_codes
from asynclint.runner import lint_text
from asynclint.settings import Settings
from asynclint.suppression import ALIASES

ROOT = Path(__file__).resolve().parent.parent


def settings(*select: str, **values: object) -> Settings:
    return replace(Settings(), select=select, file_timeout=0, **values)  # type: ignore[arg-type]


def fixed(text: str, chosen: Settings) -> str:
    request = LintRequest(text, "a.py", "a.py", chosen, selected_codes(chosen))
    outcome = fix_text(request, unsafe=False)
    assert not outcome.failures, outcome.failures
    return outcome.text


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # The comment was the noqa alone: it goes with the blanks before it.
        ("async def f():\n    return 1  # noqa: ASL101\n", "async def f():\n    return 1\n"),
        # ... also on the last line without a line ending.
        ("async def f():\n    return 1  # noqa: ASL101", "async def f():\n    return 1"),
        # A comment of its own line: the line goes.
        ("async def f():\n    # noqa: ASL101\n    return 1\n", "async def f():\n    return 1\n"),
        ("# noqa: ASL101\nasync def f():\n    return 1\n", "async def f():\n    return 1\n"),
        ("async def f():\n    return 1\n# noqa: ASL101", "async def f():\n    return 1"),
        # Text before the noqa in the same comment stays.
        ("async def f():\n    return 1  # keep  # noqa: ASL101\n", "async def f():\n    return 1  # keep\n"),
        # Other tools' codes stay, in their spelling.
        ("async def f():\n    return 1  # noqa:E501,ASL101\n", "async def f():\n    return 1  # noqa:E501\n"),
    ],
)
def test_fix_removes_what_is_unused(before: str, after: str) -> None:
    chosen = settings("ASL003", "ASL101")
    assert [d.code for d in lint_text(before, "a.py", chosen)] == ["ASL003"]
    assert fixed(before, chosen) == after
    assert lint_text(after, "a.py", chosen) == []


def test_a_code_not_selected_is_not_judged() -> None:
    code = "import time\n\n\nasync def f():\n    time.sleep(1)  # noqa: ASL101\n"
    assert lint_text(code, "a.py", settings("ASL003", "ASL102")) == []
    # The same comment is in use when ASL101 runs, and unused once the call is gone.
    assert lint_text(code, "a.py", settings("ASL003", "ASL101")) == []
    gone = code.replace("time.sleep(1)", "await asyncio.sleep(1)")
    assert [d.message for d in lint_text(gone, "a.py", settings("ASL003", "ASL101"))] == [
        "unused `noqa` code: ASL101"
    ]


def test_a_noqa_that_the_project_model_reads_is_in_use() -> None:
    """`# noqa: ASL101` on a sync helper's blocking call tells the project model (ASL116,
    and what other rules ask it) the call is fine: ASL101 never fires there, but the
    comment is not unused. The model's summary runs whatever the selection."""
    code = (
        "import time\n\n\ndef pause():\n    time.sleep(1)  # noqa: ASL101\n\n\nasync def f():\n    pause()\n"
    )
    assert lint_text(code, "a.py", settings("ASL003", "ASL101", "ASL116")) == []
    assert lint_text(code, "a.py", settings("ASL003", "ASL101")) == []
    # The same comment on a call that nothing reads is unused.
    idle = code.replace("time.sleep(1)  # noqa", "len('')  # noqa")
    assert [d.code for d in lint_text(idle, "a.py", settings("ASL003", "ASL101"))] == ["ASL003"]


def test_aliases_count_as_use_and_are_never_judged() -> None:
    code = "import time\n\n\nasync def f():\n    time.sleep(1)  # noqa: ASYNC251, ASL101\n"
    with_aliases = settings("ASL003", "ASL101", noqa_aliases=True)
    assert lint_text(code, "a.py", with_aliases) == []
    alias_only = code.replace("ASYNC251, ASL101", "ASYNC251")
    assert lint_text(alias_only, "a.py", with_aliases) == []
    # The default is on; with the setting off the alias suppresses nothing, and ASL003
    # leaves it alone.
    assert lint_text(alias_only, "a.py", settings("ASL003", "ASL101")) == []
    found = lint_text(alias_only, "a.py", settings("ASL003", "ASL101", noqa_aliases=False))
    assert [d.code for d in found] == ["ASL101"]


def test_per_file_ignores_from_the_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asynclint]\nextend-select = ["ASL003"]\nper-file-ignores = {"legacy/*" = ["ASL101"]}\n'
    )
    code = "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)  # noqa: ASL101\n"
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(code)
    (tmp_path / "new.py").write_text(code)
    proc = run_cli("--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert "new.py:5:29: ASL003" in proc.stdout
    assert "old.py" not in proc.stdout


def test_add_noqa_then_asl003_reports_nothing(tmp_path: Path) -> None:
    code = (
        "import time\n\n\nasync def f():\n    time.sleep(1)\n    x = [\n        time.sleep(2),\n    ]\n"
        "    s = f'''\n    {time.sleep(3)}\n    '''  # noqa: E501\n    return x, s\n"
    )
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (tmp_path / "a.py").write_text(code)
    added = run_cli("--no-cache", "--add-noqa", "a.py", cwd=tmp_path)
    assert added.stdout.strip() == "Added noqa comments to 3 lines in 1 file.", added.stderr
    proc = run_cli("--no-cache", "--extend-select", "ASL003", "a.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    # A noqa made stale since is reported; --add-noqa never hides ASL003 under a noqa.
    text = (tmp_path / "a.py").read_text().replace("time.sleep(1)", "await asyncio.sleep(1)")
    (tmp_path / "a.py").write_text(text)
    again = run_cli("--no-cache", "--add-noqa", "--extend-select", "ASL003", "a.py", cwd=tmp_path)
    assert "a.py:5:29: ASL003" in again.stdout
    assert "Added noqa comments to 0 lines in 0 files." in again.stdout
    assert (tmp_path / "a.py").read_text() == text
    assert "ASL003" not in text


def peer_codes(peer: str) -> set[str]:
    """The ASYNC codes a rule's `peer` names: `ASYNC210-212`, `ASYNC220/221`, `ASYNC251`."""
    out = set()
    for group in re.findall(r"ASYNC\d{3}(?:[-/]\d{3})*", peer):
        numbers = [int(n) for n in re.findall(r"\d{3}", group)]
        if "-" in group:
            numbers = list(range(numbers[0], numbers[-1] + 1))
        out.update(f"ASYNC{n}" for n in numbers)
    return out


DOC_ROW = re.compile(r"^\| (ASL\d{3}) `[a-z-]+` \| ((?:ASYNC\d{3}(?:, )?)+) \|", re.MULTILINE)


def test_alias_table_is_documented_and_matches_the_rules_peers() -> None:
    rules = discover()
    documented = {
        code: tuple(c.strip() for c in codes.split(",") if c.strip())
        for code, codes in DOC_ROW.findall((ROOT / "docs" / "configuration.md").read_text())
    }
    assert documented == ALIASES
    differences = (ROOT / "docs" / "differences.md").read_text()
    for code, peers in ALIASES.items():
        peer = rules[code].peer
        assert "analogue" not in peer and "related" not in peer and "trio only" not in peer, code
        for alias in peers:
            # `FA ASYNC210-212`, `FA/RF ASYNC220/221`: the number is in the rule's peer, or
            # the peer table of differences.md names the two together.
            rows = [line for line in differences.splitlines() if alias in line and code in line]
            assert alias in peer_codes(peer) or rows, (code, alias)
