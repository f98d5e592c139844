"""The pre-commit hooks: their definition, their commands, and the real pre-commit running
them from this repository (slow: pre-commit builds the hooks' environment with pip from the
package index, once per `try-repo`)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, asynclint_command

BAD = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def _env() -> dict[str, str]:
    # A test run inside a git hook must not act on the outer repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        NO_COLOR="1",
    )
    return env


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, env=_env())


def _pre_commit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / ("pre-commit.exe" if os.name == "nt" else "pre-commit")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pre_commit"]
    return _run(*command, *args, cwd=cwd)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    inside = _run("git", "rev-parse", "--is-inside-work-tree", cwd=ROOT)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        pytest.skip("pre-commit try-repo needs this project to be a git checkout")
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    for command in (("git", "init", "-q"), ("git", "add", "app.py"), ("git", "commit", "-qm", "start")):
        proc = _run(*command, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    return tmp_path


def _hooks() -> dict[str, dict[str, object]]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in hooks}


def test_hook_definitions() -> None:
    hooks = _hooks()
    assert set(hooks) == {"asynclint", "asynclint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert str(hook["entry"]).split()[0] == "asynclint"
    assert "--fix" in str(hooks["asynclint-fix"]["entry"]).split()
    assert "--fix" not in str(hooks["asynclint"]["entry"]).split()


def test_hook_commands_skip_excluded_files_that_pre_commit_passes(tmp_path: Path) -> None:
    """pre-commit names every staged file; the hooks still honour the excludes."""
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nextend-exclude = ["migrations"]\n')
    for name in ("app.py", "migrations/0001_start.py", "build/generated.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(BAD, encoding="utf-8")
    files = ["app.py", "migrations/0001_start.py", "build/generated.py"]
    check = shlex.split(str(_hooks()["asynclint"]["entry"]))
    command = [*asynclint_command(), *check[1:], "--no-cache", *files]
    proc = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert [line.split(":")[0] for line in proc.stdout.splitlines()[:-1]] == ["app.py"]

    plain = subprocess.run(
        [*asynclint_command(), "--no-cache", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert len(plain.stdout.splitlines()) == 4  # named explicitly, every file is linted

    fix = shlex.split(str(_hooks()["asynclint-fix"]["entry"]))
    proc = subprocess.run(
        [*asynclint_command(), *fix[1:], "--no-cache", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "await asyncio.sleep(1)" in (tmp_path / "app.py").read_text(encoding="utf-8")
    assert (tmp_path / "migrations/0001_start.py").read_text(encoding="utf-8") == BAD


@pytest.mark.slow
def test_hooks_with_pre_commit_try_repo(repo: Path) -> None:
    # Every hook of the repository, in id order: `asynclint` fails, then `asynclint-fix`
    # fixes (pre-commit fails a hook that modifies files, but the hook itself exits 0).
    both = _pre_commit("try-repo", str(ROOT), "--all-files", "--verbose", cwd=repo)
    output = both.stdout + both.stderr
    assert both.returncode == 1, output
    check, _, fix = output.partition("asynclint (fix)")
    assert "- hook id: asynclint\n" in check and "Failed" in check, output
    assert "app.py:5:5: ASL101" in check, output
    assert "- hook id: asynclint-fix" in fix and "files were modified by this hook" in fix, output
    assert "exit code" not in fix, output
    fixed = (repo / "app.py").read_text(encoding="utf-8")
    assert "await asyncio.sleep(1)" in fixed and "time.sleep" not in fixed

    check_again = _pre_commit("try-repo", str(ROOT), "asynclint", "--all-files", cwd=repo)
    output = check_again.stdout + check_again.stderr
    assert check_again.returncode == 0, output
    assert "asynclint" in output and "Passed" in output, output
