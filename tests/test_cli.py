"""The installed `asynclint` command: every option, every exit code."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from asynclint.cache import SUBFOLDER

BAD = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
FIXED = "import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"
CLEAN = "import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nrequires-python = ">=3.11"\n')
    src = tmp_path / "src"
    src.mkdir()
    (src / "bad.py").write_text(BAD)
    (src / "clean.py").write_text(CLEAN)
    return tmp_path


def test_reports_with_position_and_summary(project: Path) -> None:
    proc = run_cli("src/", cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("src/bad.py:5:5: ASL101 [*] `time.sleep()` blocks the event loop")
    assert lines[-1] == "Found 1 problem (1 fixable with --fix)."


def test_clean_tree_exits_zero(project: Path) -> None:
    (project / "src" / "bad.py").unlink()
    proc = run_cli("src", cwd=project)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "No problems found."


def test_fix_then_nothing_left(project: Path) -> None:
    proc = run_cli("--fix", "src", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Found 1 problem (1 fixed, 0 remaining)." in proc.stdout
    assert (project / "src" / "bad.py").read_text() == FIXED
    again = run_cli("--fix", "src", cwd=project)
    assert again.returncode == 0
    assert (project / "src" / "bad.py").read_text() == FIXED


def test_diff_writes_nothing(project: Path) -> None:
    proc = run_cli("--diff", "src", cwd=project)
    assert proc.returncode == 1
    assert "-    time.sleep(1)\n+    await asyncio.sleep(1)\n" in proc.stdout
    assert proc.stdout.startswith("--- a/src/bad.py\n+++ b/src/bad.py\n")
    assert (project / "src" / "bad.py").read_text() == BAD
    (project / "src" / "bad.py").write_text(CLEAN)
    assert run_cli("--diff", "src", cwd=project).returncode == 0


def test_fix_and_diff_together_is_a_usage_error(project: Path) -> None:
    proc = run_cli("--fix", "--diff", "src", cwd=project)
    assert proc.returncode == 2
    assert "cannot be used together" in proc.stderr


def test_exit_zero(project: Path) -> None:
    proc = run_cli("--exit-zero", "src", cwd=project)
    assert proc.returncode == 0
    assert "ASL101" in proc.stdout


@pytest.mark.parametrize(
    ("args", "reported"),
    [
        (["--select", "ASL6"], False),
        (["--select", "ASL1"], True),
        (["--ignore", "ASL101"], False),
        (["--extend-ignore", "ASL1"], False),
        (["--select", "ASL6", "--extend-select", "ASL101"], True),
        (["--select", "ALL", "--ignore", "ASL1", "--ignore", "ASL212"], False),
        (["--ignore", "ASL1", "--extend-select", "ASL101"], True),
        (["--per-file-ignores", "src/bad.py:ASL101"], False),
        (["--per-file-ignores", "*.py:ASL1"], False),
        (["--exclude", "bad.py"], False),
        (["--extend-exclude", "src/bad.py"], False),
    ],
)
def test_selection_and_excludes(project: Path, args: list[str], reported: bool) -> None:
    proc = run_cli(*args, "src", cwd=project)
    assert ("ASL101" in proc.stdout) is reported, proc.stdout + proc.stderr
    assert proc.returncode == (1 if reported else 0)


def test_json_format(project: Path) -> None:
    proc = run_cli("--format", "json", "src", cwd=project)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert len(data) == 1
    item = data[0]
    assert item["code"] == "ASL101" and item["name"] == "blocking-sleep"
    assert item["filename"] == "src/bad.py"
    assert item["location"] == {"row": 5, "column": 5}
    assert item["end_location"] == {"row": 5, "column": 18}
    assert item["fix"]["applicability"] == "safe"
    contents = [edit["content"] for edit in item["fix"]["edits"]]
    assert contents == ["import asyncio\n", "await asyncio.sleep(1)"]


def test_grouped_format(project: Path) -> None:
    proc = run_cli("--format", "grouped", "src", cwd=project)
    assert proc.stdout.startswith("src/bad.py:\n  5:5 ASL101 [*] ")


def test_github_format(project: Path) -> None:
    proc = run_cli("--format", "github", "src", cwd=project)
    line = proc.stdout.strip()
    assert line.startswith(
        "::error file=src/bad.py,line=5,col=5,endLine=5,endColumn=18,title=ASL101::ASL101 [*] "
    )


def test_sarif_format(project: Path) -> None:
    proc = run_cli("--format", "sarif", "src", cwd=project)
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"ASL101", "ASL600"}
    result = run["results"][0]
    assert result["ruleId"] == "ASL101"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    replacements = result["fixes"][0]["artifactChanges"][0]["replacements"]
    assert [r["insertedContent"]["text"] for r in replacements] == [
        "import asyncio\n",
        "await asyncio.sleep(1)",
    ]


def test_statistics(project: Path) -> None:
    (project / "src" / "more.py").write_text(BAD)
    proc = run_cli("--statistics", "src", cwd=project)
    assert proc.stdout.splitlines()[0] == "2  ASL101  [*] blocking-sleep"


def test_output_file(project: Path) -> None:
    proc = run_cli("--output-file", "report.txt", "src", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "src/bad.py:5:5: ASL101" in (project / "report.txt").read_text()


def test_show_source(project: Path) -> None:
    proc = run_cli("--show-source", "src", cwd=project)
    assert "  5 |     time.sleep(1)\n    |     ^^^^^^^^^^^^^\n" in proc.stdout


def test_quiet_drops_summary(project: Path) -> None:
    proc = run_cli("-q", "src", cwd=project)
    assert proc.stdout.splitlines() == [proc.stdout.splitlines()[0]]
    assert "Found" not in proc.stdout


def test_verbose_reports_counts(project: Path) -> None:
    proc = run_cli("-v", "--no-cache", "src", cwd=project)
    assert "2 files, 2 parsed, 0 from cache" in proc.stderr


def test_version_and_help() -> None:
    assert run_cli("--version").stdout.startswith("asynclint, version ")
    help_text = run_cli("--help").stdout
    for option in [
        "--select",
        "--extend-select",
        "--ignore",
        "--extend-ignore",
        "--fix",
        "--unsafe-fixes",
        "--diff",
        "--format",
        "--output-file",
        "--statistics",
        "--exit-zero",
        "--config",
        "--isolated",
        "--target-version",
        "--jobs",
        "--no-cache",
        "--cache-dir",
        "--explain",
        "--list-rules",
        "--show-source",
        "--quiet",
        "--verbose",
        "--stdin-filename",
        "--per-file-ignores",
        "--default-timeout",
        "--extend-blocking-calls",
    ]:
        assert option in help_text, option


def test_explain() -> None:
    proc = run_cli("--explain", "ASL101")
    assert proc.returncode == 0
    assert proc.stdout.startswith("# ASL101 blocking-sleep\n")  # every rule has the sections
    assert "`time.sleep` stops the whole thread" in proc.stdout
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
    ]:
        assert section in proc.stdout
    by_name = run_cli("--explain", "blocking-sleep")
    assert by_name.stdout == proc.stdout
    unknown = run_cli("--explain", "ASL999")
    assert unknown.returncode == 2 and "unknown rule" in unknown.stderr


def test_list_rules() -> None:
    proc = run_cli("--list-rules")
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "family", "default", "fix"]
    assert any(line.split() == ["ASL101", "blocking-sleep", "blocking", "on", "safe"] for line in lines)


def test_stdin(project: Path) -> None:
    proc = run_cli("-", "--stdin-filename", "src/piped.py", cwd=project, stdin=BAD.encode())
    assert proc.returncode == 1
    assert proc.stdout.startswith("src/piped.py:5:5: ASL101")


def test_stdin_fix_prints_code(project: Path) -> None:
    proc = run_cli("--fix", "-", cwd=project, stdin=BAD.encode())
    assert proc.returncode == 0
    assert proc.stdout == FIXED
    assert "1 fixed" in proc.stderr


def test_stdin_with_other_paths_is_an_error(project: Path) -> None:
    assert run_cli("-", "src", cwd=project, stdin=b"").returncode == 2


def test_missing_path_exits_two_but_lints_the_rest(project: Path) -> None:
    proc = run_cli("src", "nope.py", cwd=project)
    assert proc.returncode == 2
    assert "asynclint: error: nope.py: no such file or folder" in proc.stderr
    assert "ASL101" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_target_version_option_validated(project: Path) -> None:
    proc = run_cli("--target-version", "py27", "src", cwd=project)
    assert proc.returncode == 2


def test_unsafe_fixes_flag_marks_unsafe(project: Path) -> None:
    (project / "src" / "nest.py").write_text(
        "import asyncio\nimport nest_asyncio\n\n\nasync def f():\n    asyncio.run(asyncio.sleep(0))\n"
    )
    plain = run_cli("--select", "ASL600", "src", cwd=project)
    assert "ASL600 `asyncio.run`" in plain.stdout
    assert "1 more with --unsafe-fixes" in plain.stdout
    unsafe = run_cli("--select", "ASL600", "--unsafe-fixes", "src", cwd=project)
    assert "ASL600 [*]" in unsafe.stdout
    fixed = run_cli("--select", "ASL600", "--fix", "src", cwd=project)
    assert "asyncio.run(" in (project / "src" / "nest.py").read_text()
    assert fixed.returncode == 1
    run_cli("--select", "ASL600", "--fix", "--unsafe-fixes", "src", cwd=project)
    assert "await asyncio.sleep(0)" in (project / "src" / "nest.py").read_text()


def test_isolated_and_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.asynclint]\nignore = ["ASL101"]\n')
    assert run_cli("src", cwd=project).returncode == 0
    assert run_cli("--isolated", "src", cwd=project).returncode == 1
    other = project / "other.toml"
    other.write_text('select = ["ASL6"]\n')
    assert run_cli("--config", str(other), "src", cwd=project).returncode == 0
    (project / "alt.toml").write_text('[tool.asynclint]\nselect = ["ASL1"]\n')
    assert run_cli("--config", "alt.toml", "src", cwd=project).returncode == 1


def test_color_only_when_forced(project: Path) -> None:
    plain = run_cli("src", cwd=project)
    assert "\x1b[" not in plain.stdout
    colored = run_cli("src", cwd=project, env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[" in colored.stdout


def test_python_dash_m(project: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "src"], cwd=project, capture_output=True, text=True
    )
    assert proc.returncode == 1 and "ASL101" in proc.stdout


def test_example_project_reports() -> None:
    proc = run_cli("--no-cache", "examples/", cwd=ROOT)
    assert proc.returncode == 1
    assert "examples/scraper.py" in proc.stdout


def test_cache_dir_option(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "elsewhere"
    run_cli("--cache-dir", str(cache), "src", cwd=project)
    assert (cache / SUBFOLDER / ".gitignore").exists()
    assert not (project / ".asynclint_cache").exists()
    proc = run_cli("-v", "--cache-dir", str(cache), "src", cwd=project)
    assert "0 parsed, 2 from cache" in proc.stderr


def test_default_path_is_current_folder(project: Path) -> None:
    proc = run_cli(cwd=project / "src")
    assert proc.stdout.startswith("bad.py:5:5: ASL101")
    assert os.path.exists(project / ".asynclint_cache")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_with_interrupted_and_no_traceback(tmp_path: Path, jobs: str) -> None:
    import signal
    import time

    from conftest import asynclint_command

    body = "import time\n\n\nasync def poll():\n    time.sleep(1)\n" * 40
    for index in range(1500):
        (tmp_path / f"m{index}.py").write_text(body)
    proc = subprocess.Popen(
        [*asynclint_command(), "--no-cache", "-j", jobs, "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches it
    )
    time.sleep(2.0)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    stderr = err.decode("utf-8", "replace")
    assert proc.returncode == 130, stderr
    assert stderr.strip().endswith("asynclint: interrupted"), stderr
    assert "Traceback" not in stderr
