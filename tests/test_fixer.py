"""--fix keeps everything it does not mean to change, writes atomically, verifies its output."""

from __future__ import annotations

import codecs
import os
import stat
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest

from asynclint import runner as runner_module
from asynclint.diagnostics import Diagnostic, Edit, FileResult, Fix, Location
from asynclint.engine import FixIntent, LintRequest
from asynclint.fixer import FixOutcome, _apply_verified, _Checker, fix_text, unified_diff, verify
from asynclint.fixes import NodeFix, apply_edits, overlaps, text_edits
from asynclint.registry import selected_codes
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
    assert data.startswith("import asyncio\r\n\nasync def poll():\r\n")


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
        == "import asyncio\n\nasync def poll():\n\tif True:\n\t\tawait asyncio.sleep(1)\n\treturn 1"
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
    outcome = fix_text(
        LintRequest(source, "x.py", "x.py", Settings(), selected_codes(Settings())), unsafe=False
    )
    assert outcome.text == (
        "import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"
        "    await asyncio.sleep(2)\n    await asyncio.sleep(0)\n"
    )
    assert outcome.applied == Counter({"ASL101": 2, "ASL600": 1})
    assert outcome.result.diagnostics == []
    again = fix_text(
        LintRequest(outcome.text, "x.py", "x.py", Settings(), selected_codes(Settings())), unsafe=False
    )
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
    module = cst.parse_module(text)
    first, second = module.body
    intent = FixIntent(module)
    intent.fixes[id(good)] = NodeFix({first: cst.parse_statement("x = 3\n")}, "ok")
    intent.fixes[id(bad)] = NodeFix({second: cst.parse_statement("y = 4\n")}, "broken")
    outcome = FixOutcome(text, None)  # type: ignore[arg-type]
    check = _Checker(text, "f.py", FileResult("f.py", intent=intent))
    new, applied = _apply_verified(check, [good, bad], outcome, set())
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
    outcome = fix_text(
        LintRequest(source, "x.py", "x.py", Settings(), selected_codes(Settings())), unsafe=False
    )
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


# libcst does not reproduce whitespace between an `except` type and its colon: positions
# and fixes built on its code would land in the wrong place.
LOSSY_EXCEPTS = [
    "    except ValueError \\\n     :\n",
    "    except ValueError  :\n",
    "    except* ValueError :\n",
]


@pytest.mark.parametrize("handler", LOSSY_EXCEPTS)
def test_a_file_libcst_does_not_reproduce_is_linted_at_true_positions_and_not_fixed(
    tmp_path: Path, handler: str
) -> None:
    source = (
        "import asyncio\n\n\nasync def main(x):\n    try:\n        pass\n"
        + handler
        + "        pass\n    print(x)\n    asyncio.get_event_loop()\n"
    )
    line = source.splitlines().index("    asyncio.get_event_loop()") + 1
    settings = Settings(project_root=str(tmp_path))
    outcome = fix_text(LintRequest(source, "x.py", "x.py", settings, selected_codes(settings)), unsafe=True)
    assert outcome.text == source
    assert not outcome.applied
    [finding] = [d for d in outcome.result.diagnostics if d.code == "ASL601"]
    assert (finding.start.row, finding.start.column) == (line, 5)
    assert finding.fix is None
    assert any("does not reproduce this file exactly" in f for f in outcome.failures)
    path = tmp_path / "demo.py"
    path.write_text(source)
    assert fix_file(path, unsafe=True) == Counter()
    assert path.read_text() == source


def test_positions_after_a_lossy_except_follow_the_text_in_check_mode(tmp_path: Path) -> None:
    source = (
        "import asyncio\nimport time\n\n\nasync def main():\n    try:\n        pass\n"
        "    except OSError \\\n        :\n        pass\n    time.sleep(1)  # noqa: ASL601\n"
        "    x = (1,\n         time.sleep(2))\n"
    )
    path = tmp_path / "m.py"
    path.write_text(source)
    settings = Settings(project_root=str(tmp_path))
    result = Runner(settings, jobs=1, use_cache=False).check([str(path)])
    found = sorted((d.code, d.start.row, d.start.column, d.end.row, d.end.column) for d in result.diagnostics)
    assert found == [("ASL101", 11, 5, 11, 18), ("ASL101", 13, 10, 13, 23)]
    assert all(d.fix is None for d in result.diagnostics)


def test_unwrapping_a_call_split_before_its_parenthesis_is_not_written(tmp_path: Path) -> None:
    # `fetch` and `()` on separate lines: taken out of `wait_for(...)`'s brackets, the text
    # would be `await fetch` followed by a statement `()`; it compiles, and the call is gone.
    source = "import asyncio\n\n\nasync def f(fetch):\n    x = await asyncio.wait_for(fetch\n    (), None)\n    return x\n"
    settings = Settings(project_root=str(tmp_path))
    outcome = fix_text(LintRequest(source, "x.py", "x.py", settings, selected_codes(settings)), unsafe=True)
    assert "(fetch\n    ()" in outcome.text or "fetch\n    ())" in outcome.text or outcome.text == source
    import ast

    calls = [n for n in ast.walk(ast.parse(outcome.text)) if isinstance(n, ast.Call)]
    assert any(isinstance(c.func, ast.Name) and c.func.id == "fetch" for c in calls)
    assert any("ASL400 fix not applied" in f and "would not mean" in f for f in outcome.failures)


def test_edits_that_do_not_mean_the_intended_change_are_rejected() -> None:
    text = "async def g(f, a):\n    x = f(a)\n"
    module = cst.parse_module(text)
    call = module.body[0].body.body[0].body[0].value  # type: ignore[attr-defined]
    diagnostic = Diagnostic(
        "ASL101",
        "a",
        "m",
        "f.py",
        Location(2, 9),
        Location(2, 13),
        Fix("safe", "await it", (Edit(Location(2, 9), Location(2, 13), "await f\n(a)"),)),
    )
    intent = FixIntent(module)
    intent.fixes[id(diagnostic)] = NodeFix({call: cst.Await(call)}, "await it")
    outcome = FixOutcome(text, None)  # type: ignore[arg-type]
    check = _Checker(text, "f.py", FileResult("f.py", intent=intent))
    new, applied = _apply_verified(check, [diagnostic], outcome, set())
    assert new == text and applied == []
    assert "would not mean what the fix intends" in outcome.failures[0]
    # The same edit written as the tree says is taken.
    good = Diagnostic(
        "ASL101",
        "a",
        "m",
        "f.py",
        Location(2, 9),
        Location(2, 13),
        Fix("safe", "await it", (Edit(Location(2, 9), Location(2, 13), "await f(a)"),)),
    )
    intent.fixes[id(good)] = intent.fixes[id(diagnostic)]
    assert (
        _apply_verified(check, [good], FixOutcome(text, None), set())[0]
        == "async def g(f, a):\n    x = await f(a)\n"
    )  # type: ignore[arg-type]


def test_a_fault_while_fixing_leaves_the_text_and_does_not_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    import asynclint.fixer as fixer_module

    def explode(*args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(fixer_module, "apply_edits", explode)
    outcome = fix_text(
        LintRequest(SLEEPY, "x.py", "x.py", Settings(), selected_codes(Settings())), unsafe=True
    )
    assert outcome.text == SLEEPY and not outcome.applied
    assert any("internal error RuntimeError: boom" in f for f in outcome.failures)


def test_verification_neither_prints_nor_fails_on_the_users_warnings(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = 'import time\n\n\nasync def f(x):\n    time.sleep(1)\n    y = "\\d"\n    assert (x, 1)\n    return y\n'
    path = tmp_path / "warn.py"
    path.write_text(source)
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    done = subprocess.run(
        [sys.executable, "-m", "asynclint", "--no-cache", "--fix", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert "Warning" not in done.stderr, done.stderr
    assert "fixes not applied" not in done.stderr, done.stderr
    assert "await asyncio.sleep(1)" in path.read_text()
    # Under the default warning filters too (on the unfixed file again: a file with nothing
    # to fix is never compiled, so fixing the fixed file would check nothing).
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, "-m", "asynclint", "--no-cache", "--fix", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "Warning" not in done.stderr, done.stderr
    assert "await asyncio.sleep(1)" in path.read_text()


@pytest.mark.parametrize(
    "source",
    [
        SLEEPY.replace("\n", "\r"),  # CR line endings: libcst drops the final CR
        SLEEPY.replace("\n", "\r\n") + "\r",  # a CRLF file whose last line break is a CR
        SLEEPY + "\n\n  \n",  # blank lines before a last line of spaces: libcst drops them
    ],
    ids=["cr", "crlf-then-cr", "blank-lines-at-the-end"],
)
def test_a_file_libcst_shortens_is_linted_at_true_positions(source: str) -> None:
    # libcst's code for these files lacks a line break of the text; asynclint must still
    # carry the positions over to the text (and not fix), not give up on the file.
    settings = Settings()
    outcome = fix_text(LintRequest(source, "x.py", "x.py", settings, selected_codes(settings)), unsafe=True)
    assert outcome.initial is not None
    found = [(d.code, d.start.row, d.start.column, d.end.column) for d in outcome.initial.diagnostics]
    assert found == [("ASL101", 5, 5, 18)]
    assert outcome.text == source


@pytest.mark.parametrize(
    "prelude",
    [
        'import time\nimport asyncio; URL = "x"\n',  # the import shares its line with an assignment
        "import time\n\n\ndef helper():\n    pass\n\n\nimport asyncio\n",  # the import comes after a def
        "import time\ntry:\n    import asyncio\nexcept ImportError:\n    raise\n",  # an import in a `try`
    ],
    ids=["semicolon", "after-def", "in-try"],
)
def test_the_task_set_is_declared_after_the_import_it_names(prelude: str) -> None:
    # ASL204's fix declares `_background_tasks: set[asyncio.Task[object]]` after the
    # imports; declared before `import asyncio`, the module would raise NameError on import.
    source = prelude + "\n\nasync def f():\n    asyncio.create_task(f())\n"
    settings = Settings(select=("ASL204",))
    outcome = fix_text(LintRequest(source, "x.py", "x.py", settings, selected_codes(settings)), unsafe=True)
    assert outcome.applied == Counter({"ASL204": 1}), outcome.failures
    assert outcome.text.index("_background_tasks: set[asyncio.Task") > outcome.text.index("import asyncio")
    exec(compile(outcome.text, "x.py", "exec"), {})  # defines functions only


@pytest.mark.parametrize("body", [["print('x')", "pass"], ["..."], ["pass"], ["print('x')"]])
def test_a_handler_on_its_except_line_is_fixed_like_a_block(body: list[str]) -> None:
    # ASL500 appends `raise` (in place of a lone `pass` or `...`); one line or a block,
    # the handler must end up meaning the same.
    import ast

    head = "import asyncio\n\n\nasync def f():\n    try:\n        await asyncio.sleep(1)\n    except asyncio.CancelledError:"
    block = head + "".join(f"\n        {line}" for line in body) + "\n"
    inline = head + " " + "; ".join(body) + "\n"
    settings = Settings(select=("ASL500",))
    fixed = [
        fix_text(LintRequest(source, "x.py", "x.py", settings, selected_codes(settings)), unsafe=True)
        for source in (block, inline)
    ]
    assert [outcome.applied for outcome in fixed] == [Counter({"ASL500": 1})] * 2
    assert ast.dump(ast.parse(fixed[0].text)) == ast.dump(ast.parse(fixed[1].text))


def test_a_file_libcst_does_not_reproduce_is_not_fixed_when_its_findings_come_late() -> None:
    # ASL500 reports from `finish()`, after the positions of the other findings are laid
    # out; with no other finding, the file's exactness must still be checked (a fix
    # computed on libcst's code also rewrote the `except ValueError \ :` above).
    source = (
        "import asyncio\n\n\nasync def main():\n    try:\n        await asyncio.sleep(1)\n"
        "    except ValueError \\\n        :\n        pass\n    try:\n        await asyncio.sleep(2)\n"
        "    except asyncio.CancelledError:\n        pass\n"
    )
    settings = Settings(select=("ASL500",))
    outcome = fix_text(LintRequest(source, "x.py", "x.py", settings, selected_codes(settings)), unsafe=True)
    assert outcome.initial is not None
    assert [(d.code, d.start.row, d.start.column, d.fix) for d in outcome.initial.diagnostics] == [
        ("ASL500", 12, 5, None)
    ]
    assert outcome.text == source and not outcome.applied
    assert any("does not reproduce this file exactly" in f for f in outcome.failures)


def test_summary_counts_only_findings_that_are_gone() -> None:
    from asynclint.fixer import _count_only_what_is_gone

    def found(code: str, row: int) -> Diagnostic:
        return Diagnostic(code, "n", "m", "f.py", Location(row, 1), Location(row, 2), None)

    initial = FileResult("f.py", [found("ASL101", 1), found("ASL101", 2), found("ASL402", 3)])
    # Both ASL101 fixes were applied but one finding is still there; the ASL402 fix was
    # applied and its finding came back elsewhere.
    final = FileResult("f.py", [found("ASL101", 2), found("ASL402", 5)])
    outcome = FixOutcome("", final, initial, Counter({"ASL101": 2, "ASL402": 1}))
    _count_only_what_is_gone(outcome)
    assert outcome.applied == Counter({"ASL101": 1})


def test_fix_text_does_not_count_a_fix_whose_finding_is_still_there(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path: a fix applied whose finding is reported again afterwards (as when a
    fix moves the problem instead of removing it) is not counted as fixed."""
    import dataclasses

    from asynclint import fixer

    real_lint = fixer.lint
    first: list[FileResult] = []

    def lint(request: LintRequest) -> FileResult:
        result = real_lint(request)
        if not first:
            first.append(result)
            return result
        # After the fix: the finding is reported again (without a fix to apply).
        again = [dataclasses.replace(d, fix=None) for d in first[0].diagnostics]
        return dataclasses.replace(result, diagnostics=again)

    monkeypatch.setattr(fixer, "lint", lint)
    settings = Settings(select=("ASL101",))
    outcome = fix_text(LintRequest(SLEEPY, "x.py", "x.py", settings, selected_codes(settings)), unsafe=True)
    assert "await asyncio.sleep(1)" in outcome.text  # the fix was applied
    assert [d.code for d in outcome.result.diagnostics] == ["ASL101"]
    assert outcome.applied == Counter()
