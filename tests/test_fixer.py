"""--fix keeps everything it does not mean to change, writes atomically, verifies its output."""

from __future__ import annotations

import codecs
import os
import stat
from collections import Counter
from pathlib import Path

import pytest

from asynclint import runner as runner_module
from asynclint.diagnostics import Diagnostic, Edit, Fix, Location
from asynclint.fixer import FixOutcome, _apply_verified, fix_text, unified_diff, verify
from asynclint.fixes import apply_edits, overlaps, text_edits
from asynclint.runner import Runner
from asynclint.settings import Settings
from asynclint.sourcefile import FileChangedError, write_atomic

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def fix_file(path: Path, unsafe: bool = False) -> Counter[str]:
    settings = Settings(project_root=str(path.parent))
    result = Runner(settings, jobs=1, use_cache=False, mode="fix", unsafe=unsafe).check([str(path)])
    assert not result.errors, result.errors
    return result.applied


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "crlf.py"
    path.write_bytes(SLEEPY.replace("\n", "\r\n").encode())
    fix_file(path)
    data = path.read_bytes()
    assert b"await asyncio.sleep(1)\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_mixed_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.py"
    source = "import time\r\n\nasync def poll():\r\n    time.sleep(1)\n    x = 1\r\n"
    path.write_bytes(source.encode())
    fix_file(path)
    data = path.read_bytes().decode()
    assert data.endswith("    await asyncio.sleep(1)\n    x = 1\r\n")
    assert data.startswith("import time\r\n")


def test_bom_and_cookie_are_kept(tmp_path: Path) -> None:
    bom = tmp_path / "bom.py"
    bom.write_bytes(codecs.BOM_UTF8 + SLEEPY.encode())
    fix_file(bom)
    assert bom.read_bytes().startswith(codecs.BOM_UTF8)
    assert b"await asyncio.sleep(1)" in bom.read_bytes()

    latin = tmp_path / "latin.py"
    latin.write_bytes(
        b"# -*- coding: latin-1 -*-\nimport time\nCAFE = '\xe9'\n\n\nasync def poll():\n    time.sleep(1)\n"
    )
    fix_file(latin)
    data = latin.read_bytes()
    assert b"CAFE = '\xe9'" in data
    assert b"await asyncio.sleep(1)" in data


def test_no_trailing_newline_and_tabs_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "tabs.py"
    path.write_text("import time\n\nasync def poll():\n\tif True:\n\t\ttime.sleep(1)\n\treturn 1")
    fix_file(path)
    assert (
        path.read_text()
        == "import time\nimport asyncio\n\nasync def poll():\n\tif True:\n\t\tawait asyncio.sleep(1)\n\treturn 1"
    )


def test_mode_bits_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "script.py"
    path.write_text(SLEEPY)
    path.chmod(0o751)
    fix_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


def test_files_without_fixes_are_not_touched(tmp_path: Path) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text("import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n")
    unfixable = tmp_path / "expr.py"
    unfixable.write_text("import time\n\n\nasync def poll():\n    return time.sleep(1)\n")
    past = 1_000_000_000
    for path in (clean, unfixable):
        os.utime(path, ns=(past, past))
    fix_file(clean)
    fix_file(unfixable)
    assert clean.stat().st_mtime_ns == past
    assert unfixable.stat().st_mtime_ns == past


def test_no_temp_files_left(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(SLEEPY)
    fix_file(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_symlinked_file_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text(SLEEPY)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    fix_file(link)
    assert link.is_symlink()
    assert "await asyncio.sleep(1)" in real.read_text()


def test_write_atomic_refuses_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(b"new content")
    with pytest.raises(FileChangedError):
        write_atomic(str(path), b"fixed", b"old content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_file_changed_between_read_and_write_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.py"
    path.write_text(SLEEPY)
    real = runner_module.write_atomic

    def meddle(target: str, data: bytes, expected: bytes) -> None:
        Path(target).write_text(SLEEPY + "# edited meanwhile\n")
        real(target, data, expected)

    monkeypatch.setattr(runner_module, "write_atomic", meddle)
    settings = Settings(project_root=str(tmp_path))
    result = Runner(settings, jobs=1, use_cache=False, mode="fix").check([str(path)])
    assert path.read_text() == SLEEPY + "# edited meanwhile\n"
    assert result.errors == [f"{path} changed while it was being fixed; it was left as it is"]
    assert [d.code for d in result.diagnostics] == ["ASL101"]


def test_failed_write_leaves_old_content_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.py"
    path.write_text(SLEEPY)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(str(path), b"new", SLEEPY.encode())
    assert path.read_text() == SLEEPY
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_fix_is_a_fixed_point_over_several_rounds() -> None:
    source = "import asyncio\nimport time\n\n\nasync def poll():\n    time.sleep(1)\n    time.sleep(2)\n    asyncio.run(asyncio.sleep(0))\n"
    outcome = fix_text(source, "x.py", "x.py", Settings(), Settings().selected_codes(), unsafe=False)
    assert outcome.text == (
        "import asyncio\nimport time\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"
        "    await asyncio.sleep(2)\n    await asyncio.sleep(0)\n"
    )
    assert outcome.applied == Counter({"ASL101": 2, "ASL600": 1})
    assert outcome.result.diagnostics == []
    again = fix_text(outcome.text, "x.py", "x.py", Settings(), Settings().selected_codes(), unsafe=False)
    assert again.text == outcome.text and not again.applied


def test_a_fix_that_breaks_the_code_is_rejected_and_reported() -> None:
    text = "x = 1\ny = 2\n"
    good = Diagnostic(
        "ASL101",
        "a",
        "m",
        "f.py",
        Location(1, 1),
        Location(1, 2),
        Fix("safe", "ok", (Edit(Location(1, 1), Location(2, 1), "x = 3\n"),)),
    )
    bad = Diagnostic(
        "ASL600",
        "b",
        "m",
        "f.py",
        Location(2, 1),
        Location(2, 2),
        Fix("safe", "broken", (Edit(Location(2, 1), Location(3, 1), "y = (\n"),)),
    )
    outcome = FixOutcome(text, None)  # type: ignore[arg-type]
    new, applied = _apply_verified(text, [good, bad], "f.py", outcome, set())
    assert new == "x = 3\ny = 2\n"
    assert applied == [good]
    assert len(outcome.failures) == 1 and outcome.failures[0].startswith(
        "f.py:2:1: ASL600 fix not applied: it does not"
    )


def test_verify_requires_compile() -> None:
    assert verify("async def f():\n    await x\n", "f.py") is None
    assert "does not compile" in (verify("def f():\n    await x\n", "f.py") or "")
    assert "does not parse" in (verify("def f(:\n", "f.py") or "")


def test_files_that_do_not_compile_are_not_fixed() -> None:
    source = "import time\n\n\nasync def poll():\n    time.sleep(1)\n\n\nreturn 5\n"
    outcome = fix_text(source, "x.py", "x.py", Settings(), Settings().selected_codes(), unsafe=False)
    assert outcome.text == source
    assert outcome.failures and "does not compile" in outcome.failures[0]


def test_edits_round_trip() -> None:
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\ne\n"
    edits = text_edits(old, new)
    assert apply_edits(old, edits) == new
    assert overlaps(edits, edits[:1]) is False  # identical edits do not count
    insert = Edit(Location(1, 1), Location(1, 1), "x\n")
    other_insert = Edit(Location(1, 1), Location(1, 1), "y\n")
    assert overlaps((insert,), (other_insert,))


def test_unified_diff_marks_missing_final_newline() -> None:
    diff = unified_diff("a\nb", "a\nc", "f.py")
    assert diff.endswith("+c\n\\ No newline at end of file\n")
