"""Isolation and limits: a file that crashes its worker process or outlasts `file-timeout`
is reported (ASL001) for that file alone; every other file's results stand, with any
`--jobs`, in check and fix mode ([guarantees](../docs/guarantees.md)).

The crash and the hang are made by test hooks the worker honours only when their
environment variable is set (`ASYNCLINT_TEST_CRASH_ON`, `ASYNCLINT_TEST_HANG_ON`: a
substring of the file's path)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import run_cli

from asynclint.pool import Failure, Pool, begin_commit, describe_exit, start_method
from asynclint.settings import ConfigError, load_settings

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep({})\n"
BASE = ["--no-cache", "--isolated"]
CRASH = "the worker process crashed (signal 11, SIGSEGV) while linting it"


def make_project(tmp_path: Path, count: int = 6) -> list[str]:
    names = []
    for i in range(count):
        name = f"mod{i}.py"
        # Different sizes, so that the order the workers take them in (biggest first) is
        # not the order of the report.
        padding = "".join(f"X{j} = {j}\n" for j in range((i * 7) % 5 * 20))
        (tmp_path / name).write_text(padding + SLEEPY.format(i))
        names.append(name)
    return names


def lines_without(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if not line.startswith(name)]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_crashed_worker_costs_only_its_file(tmp_path: Path, jobs: str) -> None:
    make_project(tmp_path)
    clean = run_cli(*BASE, "-j", "1", ".", cwd=tmp_path)
    assert clean.returncode == 1, clean.stderr
    crashed = run_cli(*BASE, "-j", jobs, ".", cwd=tmp_path, env={"ASYNCLINT_TEST_CRASH_ON": "mod3"})
    assert crashed.returncode == 1, crashed.stderr
    assert "Traceback" not in crashed.stderr and "BrokenProcessPool" not in crashed.stderr
    assert f"mod3.py:1:1: ASL001 not linted: {CRASH}" in crashed.stdout.splitlines()
    assert "mod3.py:" not in "\n".join(lines_without(crashed.stdout, "mod3.py:"))
    # Every other file: the same findings, in the same order, as a run without the crash.
    mine = [line for line in lines_without(crashed.stdout, "mod3.py:") if ".py:" in line]
    theirs = [line for line in lines_without(clean.stdout, "mod3.py:") if ".py:" in line]
    assert mine == theirs and len(mine) == 5


def test_every_file_crashing_is_still_an_answer(tmp_path: Path) -> None:
    names = make_project(tmp_path, 5)
    proc = run_cli(*BASE, "-j", "2", ".", cwd=tmp_path, env={"ASYNCLINT_TEST_CRASH_ON": "mod"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert [line for line in proc.stdout.splitlines() if ".py:" in line] == [
        f"{name}:1:1: ASL001 not linted: {CRASH}" for name in names
    ]


def test_a_file_that_outlasts_the_timeout(tmp_path: Path) -> None:
    make_project(tmp_path, 3)
    proc = run_cli(
        *BASE, "-j", "1", "--file-timeout", "3", ".", cwd=tmp_path, env={"ASYNCLINT_TEST_HANG_ON": "mod1"}
    )
    # The hook sleeps for an hour: a run that waited for it would fail by run_cli's timeout.
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if ".py:" in line]
    assert [line.split(" ")[:2] for line in lines] == [
        ["mod0.py:5:5:", "ASL101"],
        ["mod1.py:1:1:", "ASL001"],
        ["mod2.py:85:5:", "ASL101"],
    ]
    assert lines[1] == "mod1.py:1:1: ASL001 not linted: it took longer than file-timeout (3 s)"


def test_fix_mode_leaves_the_crashed_and_timed_out_files_as_they_are(tmp_path: Path) -> None:
    names = make_project(tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in names}
    proc = run_cli(
        *BASE,
        "-j",
        "2",
        "--file-timeout",
        "3",
        "--fix",
        "--unsafe-fixes",
        ".",
        cwd=tmp_path,
        env={"ASYNCLINT_TEST_CRASH_ON": "mod2", "ASYNCLINT_TEST_HANG_ON": "mod4"},
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"mod2.py:1:1: ASL001 not linted: {CRASH}; it was left as it is" in proc.stdout
    assert (
        "mod4.py:1:1: ASL001 not linted: it took longer than file-timeout (3 s); it was left as it is"
        in proc.stdout
    )
    for name in names:
        after = (tmp_path / name).read_bytes()
        if name in ("mod2.py", "mod4.py"):
            assert after == before[name]
        else:
            assert b"await asyncio.sleep(" in after and b"time.sleep(" not in after
    assert sorted(os.listdir(tmp_path)) == names  # no temporary file left behind


def test_diff_order_does_not_depend_on_jobs(tmp_path: Path) -> None:
    make_project(tmp_path)
    one = run_cli(*BASE, "--diff", "--unsafe-fixes", "-j", "1", ".", cwd=tmp_path)
    two = run_cli(*BASE, "--diff", "--unsafe-fixes", "-j", "3", ".", cwd=tmp_path)
    assert one.returncode == two.returncode == 1
    assert one.stdout.count("+++ ") == 6
    assert one.stdout == two.stdout


@pytest.mark.skipif(
    start_method() != "fork", reason="standard input is linted in-process where workers spawn"
)
def test_standard_input_is_supervised_too(tmp_path: Path) -> None:
    code = SLEEPY.format(1).encode()
    env = {"ASYNCLINT_TEST_CRASH_ON": "piped.py"}
    check = run_cli(*BASE, "--stdin-filename", "piped.py", "-", cwd=tmp_path, stdin=code, env=env)
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    assert check.stdout.splitlines()[0] == f"piped.py:1:1: ASL001 not linted: {CRASH}"
    fix = run_cli(
        *BASE,
        "--fix",
        "--unsafe-fixes",
        "--stdin-filename",
        "piped.py",
        "-",
        cwd=tmp_path,
        stdin=code,
        env=env,
    )
    assert fix.stdout == code.decode()  # the input, unchanged
    assert f"piped.py:1:1: ASL001 not linted: {CRASH}; it was left as it is" in fix.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), ("2.5", 2.5), ("3600", 3600)],
)
def test_file_timeout_values(tmp_path: Path, value: str, expected: float) -> None:
    settings = load_settings(["."], {"file-timeout": value}, isolated=True, cwd=str(tmp_path))
    assert settings.file_timeout == expected


@pytest.mark.parametrize("value", ["-1", "3601", "inf", "soon"])
def test_bad_file_timeouts_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="file-timeout"):
        load_settings(["."], {"file-timeout": value}, isolated=True, cwd=str(tmp_path))


def test_file_timeout_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\nfile-timeout = 0\n")
    assert load_settings(["."], {}, cwd=str(tmp_path)).file_timeout == 0
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nfile-timeout = "none"\n')
    proc = run_cli(".", cwd=tmp_path)
    assert proc.returncode == 2 and "`file-timeout` must be a positive number or 0" in proc.stderr


# The pool on its own -----------------------------------------------------------------------


def _square_or_fail(item: int) -> int:
    if item == 3:
        os._exit(3)
    if item == 5:
        raise ValueError("five")
    if item == 7:
        time.sleep(3600)
    return item * item


def _write_slowly(item: int) -> int:
    begin_commit()  # the clock stops: this item may take longer than the timeout
    time.sleep(1.5)
    return item


@pytest.mark.parametrize("jobs", [1, 3])
def test_pool_reports_each_failure_for_its_item(jobs: int) -> None:
    pool: Pool[int, int] = Pool(_square_or_fail, jobs=jobs, timeout=1, chunksize=4)
    results = dict(pool.map(list(range(10))))
    assert results == {
        0: 0,
        1: 1,
        2: 4,
        3: Failure("crashed", "exit code 3"),
        4: 16,
        5: Failure("error", results[5].detail if isinstance(results[5], Failure) else ""),
        6: 36,
        7: Failure("timeout", "1 s"),
        8: 64,
        9: 81,
    }
    failure = results[5]
    assert isinstance(failure, Failure) and failure.detail.startswith(
        "ValueError: five at test_isolation.py:"
    )
    if jobs == 1:
        assert pool.replaced == 2  # after the crash and after the timeout


def test_pool_does_not_time_out_a_commit() -> None:
    pool: Pool[int, int] = Pool(_write_slowly, jobs=1, timeout=1)
    assert dict(pool.map([1])) == {0: 1}


def _parse_with_libcst(text: str) -> int:
    import faulthandler

    import libcst

    faulthandler.disable()  # pytest's, inherited by the worker: the crash is expected

    return len(libcst.parse_module(text).body)


@pytest.mark.slow
def test_pool_survives_a_real_segmentation_fault() -> None:
    # libcst's native parser overflows its stack on a long `and` chain (asynclint's
    # pre-checks keep such code away from it; here it gets it on purpose).
    chain = "x = " + " and ".join(["a"] * 30_000) + "\n"
    results = sorted(Pool(_parse_with_libcst, jobs=1).map(["x = 1\n", chain, "y = 2\nz = 3\n"]))
    assert results == [(0, 1), (1, Failure("crashed", "signal 11, SIGSEGV")), (2, 2)]


def test_a_worker_that_never_starts_does_not_hang_the_pool() -> None:
    pool: Pool[int, int] = Pool(abs, jobs=1, initializer=time.sleep, initargs=(3600,), startup_limit=0.5)
    assert dict(pool.map([-1, -2])) == {
        0: Failure("crashed", "it did not start within 0.5 s"),
        1: Failure("crashed", "it did not start within 0.5 s"),
    }


def test_begin_commit_outside_a_worker_does_nothing() -> None:
    begin_commit()


def test_exit_statuses_in_words() -> None:
    assert describe_exit(-11) == "signal 11, SIGSEGV"
    assert describe_exit(-9) == "signal 9, SIGKILL"
    assert describe_exit(3) == "exit code 3"
