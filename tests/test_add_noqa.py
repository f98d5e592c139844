"""`--add-noqa`: a `# noqa` comment for every finding, where Python allows a comment and the
engine reads it; merged with existing lists; idempotent; limited by the selection."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from conftest import run_cli

from asynclint.suppression import CommentPlaces, add_noqa

SOURCE = '''\
import time
import requests


async def f(x):
    time.sleep(1)  # noqa: ASL999
    s = f"""
    {time.sleep(2)}
    """
    requests.get(
        "u"
    )
    time.sleep(3)  # a comment
    time.sleep(4)  # noqa
    y = [time.sleep(5),
         time.sleep(6)]  # noqa: ASL102
    z = ("a"
         "b" if time.sleep(7) else \\
         "c")
    return x, s, y, z
'''

EXPECTED = '''\
import time
import requests


async def f(x):
    time.sleep(1)  # noqa: ASL999, ASL101
    s = f"""
    {time.sleep(2)}
    """  # noqa: ASL101
    requests.get(  # noqa: ASL102, ASL402
        "u"
    )
    time.sleep(3)  # a comment  # noqa: ASL101
    time.sleep(4)  # noqa
    y = [time.sleep(5),  # noqa: ASL101
         time.sleep(6)]  # noqa: ASL102, ASL101
    z = ("a"
         "b" if time.sleep(7) else \\
         "c")  # noqa: ASL101
    return x, s, y, z
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (tmp_path / "a.py").write_text(SOURCE)
    return tmp_path


def test_adds_comments_where_allowed_and_they_suppress(project: Path) -> None:
    before = run_cli("a.py", cwd=project)
    assert before.returncode == 1
    proc = run_cli("--add-noqa", "a.py", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "Added noqa comments to 7 lines in 1 file."
    text = (project / "a.py").read_text()
    assert text == EXPECTED
    compile(text, "a.py", "exec")
    after = run_cli("a.py", cwd=project)
    assert after.returncode == 0, after.stdout
    again = run_cli("--add-noqa", "a.py", cwd=project)
    assert again.stdout.strip() == "Added noqa comments to 0 lines in 0 files."
    assert (project / "a.py").read_text() == EXPECTED


def test_noqa_at_the_end_of_a_multiline_string_suppresses(project: Path) -> None:
    """The engine reads the end of the logical line, where a comment after a multi-line
    string has to go."""
    code = 'import time\n\n\nasync def f():\n    s = f"""\n    {time.sleep(2)}\n    """  # noqa: ASL101\n    return s\n'
    (project / "a.py").write_text(code)
    assert run_cli("a.py", cwd=project).returncode == 0
    (project / "a.py").write_text(code.replace("  # noqa: ASL101", ""))
    assert run_cli("a.py", cwd=project).returncode == 1


def test_select_limits_it(project: Path) -> None:
    proc = run_cli("--add-noqa", "--select", "ASL102", "a.py", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Added noqa comments to 1 line in 1 file."
    text = (project / "a.py").read_text()
    assert "requests.get(  # noqa: ASL102\n" in text
    assert text.count("noqa") == SOURCE.count("noqa") + 1


def test_keeps_bom_encoding_and_line_endings(project: Path) -> None:
    code = "# café\nimport time\r\n\r\n\r\nasync def f():\r\n    time.sleep(1)\r\n"
    data = codecs.BOM_UTF8 + code.encode("utf-8")
    (project / "a.py").write_bytes(data)
    proc = run_cli("--add-noqa", "a.py", cwd=project)
    assert proc.returncode == 0, proc.stderr
    expected = code.replace("time.sleep(1)\r\n", "time.sleep(1)  # noqa: ASL101\r\n")
    assert (project / "a.py").read_bytes() == codecs.BOM_UTF8 + expected.encode("utf-8")


def test_latin1_file(project: Path) -> None:
    code = "# -*- coding: latin-1 -*-\nimport time\n\n\nasync def f():\n    time.sleep(1)  # é\n"
    (project / "a.py").write_bytes(code.encode("latin-1"))
    assert run_cli("--add-noqa", "a.py", cwd=project).returncode == 0
    expected = code.replace("# é\n", "# é  # noqa: ASL101\n")
    assert (project / "a.py").read_bytes() == expected.encode("latin-1")


def test_refuses_stdin_and_fix(project: Path) -> None:
    proc = run_cli("--add-noqa", "-", cwd=project, stdin=b"x = 1\n")
    assert proc.returncode == 2
    assert "standard input" in proc.stderr
    proc = run_cli("--add-noqa", "--fix", "a.py", cwd=project)
    assert proc.returncode == 2
    assert (project / "a.py").read_text() == SOURCE


def test_syntax_error_is_reported_not_commented(project: Path) -> None:
    (project / "b.py").write_text("async def f(:\n    pass\n")
    proc = run_cli("--add-noqa", "b.py", cwd=project)
    assert proc.returncode == 1
    assert "ASL001" in proc.stdout
    assert (project / "b.py").read_text() == "async def f(:\n    pass\n"


def test_comment_places() -> None:
    text = 'x = """\na\n"""\ny = (1,\n     2) + \\\n    3\n'
    places = CommentPlaces(text)
    assert places.target(2, 2) == 3  # inside the string: after it
    assert places.target(4, 5) == 4  # an open bracket allows a comment
    assert places.target(5, 6) == 6  # a backslash does not
    assert places.logical_end(4) == 6


def test_add_noqa_merges_and_skips_bare() -> None:
    text = "a  # noqa: B1\nb  # noqa\nc  # x # noqa:B1,C2\n"
    new, changed = add_noqa(text, {1: {"A1"}, 2: {"A1"}, 3: {"C2", "D3"}})
    assert new == "a  # noqa: B1, A1\nb  # noqa\nc  # x # noqa: B1, C2, D3\n"
    assert changed == 2
