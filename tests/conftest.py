from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Fixture files are linted, never run: one named test_*.py must not be collected.
collect_ignore_glob = ["fixtures/*"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        help=(
            "Rewrite the .fixed.py goldens and the generated documentation (docs/rules.md, the "
            "option table of docs/configuration.md) from the current code."
        ),
    )


@pytest.fixture
def update_fixtures(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-fixtures"))


def asynclint_command() -> list[str]:
    """The installed console script of the environment running the tests."""
    script = Path(sys.executable).parent / ("asynclint.exe" if os.name == "nt" else "asynclint")
    if script.exists():
        return [str(script)]
    found = shutil.which("asynclint")
    assert found, "the asynclint command is not installed; run the README's test command"
    return [found]


def run_cli(
    *args: str,
    cwd: str | os.PathLike[str] | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    full_env.update({"NO_COLOR": "1", **(env or {})})
    proc = subprocess.run(
        [*asynclint_command(), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=300,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )
