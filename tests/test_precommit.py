"""The pre-commit hooks, run by the real pre-commit against this repository. pre-commit
builds the hooks' environment with pip from the package index, once per `try-repo`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

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
