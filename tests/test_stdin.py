"""Standard input: `asynclint -` reports, `asynclint --fix -` prints the code.

With `--fix -` standard output is always the code, byte for byte in the input's own
encoding (BOM, PEP 263 cookie, line endings), whatever else happened: nothing to fix, a
syntax error, undecodable input, a skipped file, any report format or option. The report
goes to standard error, or to `--output-file`.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import asynclint
from asynclint.cli import cli
from asynclint.runner import Runner

BAD = b"import time\n\n\nasync def poll():\n    time.sleep(1)\n"
FIXED = b"import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"
# ASL102 offers no fix for a returned call: the problem stays.
UNFIXABLE = b"import requests\n\n\nasync def load(url):\n    return requests.get(url, timeout=5)\n"
NOTHING = b"import os\n"
SYNTAX = b"async def f(:\n    pass\n"
SKIPPED = b"# asynclint: noqa\n" + BAD
LATIN1 = (
    b'# -*- coding: latin-1 -*-\nimport time\n\n\nasync def poll():\n    s = "caf\xe9"\n    time.sleep(1)\n'
)
SHIFT_JIS = (
    "# coding: shift_jis\nimport time\n\n\nasync def poll():\n    s = '日本語'\n    time.sleep(1)\n".encode(
        "shift_jis"
    )
)


def run(
    *args: str, stdin: bytes, cwd: Path, env: dict[str, str] | None = None, close_fd: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`python -m asynclint --isolated ARGS` on this checkout; stdout and stderr as bytes.
    `close_fd`: a standard stream the process starts without."""
    full_env = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    # The asynclint these tests import is the one the subprocess must run.
    here = str(Path(asynclint.__file__).resolve().parents[1])
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, full_env.get("PYTHONPATH")]))
    full_env.update({"NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "asynclint", "--isolated", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=120,
        preexec_fn=None if close_fd is None else lambda: os.close(close_fd),
    )


def no_traceback(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in proc.stderr, proc.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in proc.stdout, proc.stdout.decode("utf-8", "replace")


# --fix -: standard output is the code ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected", "status", "in_report"),
    [
        pytest.param(BAD, FIXED, 0, b"1 fixed, 0 remaining", id="fixed"),
        pytest.param(NOTHING, NOTHING, 0, b"No problems found.", id="nothing-to-fix"),
        pytest.param(b"", b"", 0, b"No problems found.", id="empty"),
        pytest.param(UNFIXABLE, UNFIXABLE, 1, b"ASL102", id="unfixable"),
        pytest.param(SYNTAX, SYNTAX, 1, b"ASL001", id="syntax-error"),
        pytest.param(SKIPPED, SKIPPED, 0, b"No problems found.", id="noqa-file"),
        pytest.param(
            b"import time\r\nasync def f():\r\n    time.sleep(1)\r\n", None, 0, b"1 fixed", id="crlf"
        ),
    ],
)
def test_fix_stdin_prints_the_code(
    tmp_path: Path, source: bytes, expected: bytes | None, status: int, in_report: bytes
) -> None:
    proc = run("--fix", "-", stdin=source, cwd=tmp_path)
    no_traceback(proc)
    if expected is None:  # CRLF stays CRLF
        assert proc.stdout == b"import asyncio\r\nasync def f():\r\n    await asyncio.sleep(1)\r\n"
    else:
        assert proc.stdout == expected
    assert in_report in proc.stderr
    assert proc.returncode == status


def test_fix_stdin_when_no_selected_rule_can_fire(tmp_path: Path) -> None:
    proc = run("--fix", "--select", "ASL205", "-", stdin=BAD, cwd=tmp_path)
    assert proc.stdout == BAD
    assert proc.returncode == 0
    assert b"No problems found." in proc.stderr


@pytest.mark.parametrize(
    "source", [BAD, NOTHING, UNFIXABLE, SYNTAX], ids=["fixable", "nothing", "unfixable", "syntax-error"]
)
@pytest.mark.parametrize(
    "options",
    [
        ["--format", "json"],
        ["--format", "sarif"],
        ["--format", "github"],
        ["--format", "grouped"],
        ["--format", "text", "--show-source"],
        ["--statistics"],
        ["-q"],
        ["--exit-zero"],
        ["-v"],
    ],
    ids=lambda options: " ".join(options),
)
def test_fix_stdin_output_is_the_code_with_any_report_option(
    tmp_path: Path, source: bytes, options: list[str]
) -> None:
    proc = run("--fix", *options, "-", stdin=source, cwd=tmp_path)
    no_traceback(proc)
    assert proc.stdout == (FIXED if source == BAD else source)
    problems_remain = source in (UNFIXABLE, SYNTAX)
    assert proc.returncode == (1 if problems_remain and "--exit-zero" not in options else 0)
    if "json" in options:
        report = json.loads(proc.stderr)
        assert [d["code"] for d in report] == (
            ["ASL102"] if source == UNFIXABLE else ["ASL001"] if source == SYNTAX else []
        )
    if "sarif" in options:
        assert json.loads(proc.stderr)["version"] == "2.1.0"


def test_fix_stdin_report_goes_to_the_output_file(tmp_path: Path) -> None:
    proc = run("--fix", "--format", "json", "-o", "report.json", "-", stdin=UNFIXABLE, cwd=tmp_path)
    assert proc.stdout == UNFIXABLE
    assert proc.returncode == 1
    assert [d["code"] for d in json.loads((tmp_path / "report.json").read_text("utf-8"))] == ["ASL102"]
    assert b"ASL102" not in proc.stderr


def test_fix_stdin_show_source_shows_the_piped_code_not_the_file_on_disk(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("# the version on disk\n" * 5)
    proc = run("--show-source", "--stdin-filename", "mod.py", "-", stdin=UNFIXABLE, cwd=tmp_path)
    assert proc.returncode == 1
    assert b"5 |     return requests.get(url, timeout=5)" in proc.stdout
    assert b"version on disk" not in proc.stdout
    fixing = run("--fix", "--show-source", "--stdin-filename", "mod.py", "-", stdin=UNFIXABLE, cwd=tmp_path)
    assert b"5 |     return requests.get(url, timeout=5)" in fixing.stderr
    assert fixing.stdout == UNFIXABLE


def test_fix_stdin_prints_the_input_when_the_configuration_is_wrong(tmp_path: Path) -> None:
    missing = run("--fix", "--config", "nope.toml", "-", stdin=BAD, cwd=tmp_path)
    assert (missing.returncode, missing.stdout) == (2, BAD)
    assert b"configuration file not found" in missing.stderr
    invalid = run("--fix", "--select", "NOPE", "-", stdin=BAD, cwd=tmp_path)
    assert (invalid.returncode, invalid.stdout) == (2, BAD)
    assert b"not a rule code" in invalid.stderr


def test_fix_stdin_prints_the_input_on_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Runner, "check_stdin", crash)
    result = CliRunner().invoke(cli, ["--isolated", "--fix", "-"], input=BAD)
    assert result.exit_code == 2
    assert result.stdout_bytes == BAD
    assert b"internal error: RuntimeError: boom" in result.stderr_bytes
    # Checking (no code to give back) still fails loudly: the error itself propagates
    # (any non-zero exit would also set `exception`, as a SystemExit).
    checked = CliRunner().invoke(cli, ["--isolated", "-"], input=BAD)
    assert isinstance(checked.exception, RuntimeError) and str(checked.exception) == "boom"


@pytest.mark.skipif(os.name != "posix", reason="closes a file descriptor in the child")
def test_closed_standard_streams_are_errors_not_tracebacks(tmp_path: Path) -> None:
    no_input = run("-", stdin=b"", cwd=tmp_path, close_fd=0)
    no_traceback(no_input)
    assert no_input.returncode == 2
    assert b"cannot read standard input" in no_input.stderr
    no_output = run("--fix", "-", stdin=BAD, cwd=tmp_path, close_fd=1)
    no_traceback(no_output)
    assert no_output.returncode == 2
    assert b"cannot write standard output" in no_output.stderr


def test_diff_stdin_still_prints_a_diff(tmp_path: Path) -> None:
    proc = run("--diff", "-", stdin=BAD, cwd=tmp_path)
    assert proc.returncode == 1
    assert b"+    await asyncio.sleep(1)\n" in proc.stdout
    nothing = run("--diff", "-", stdin=NOTHING, cwd=tmp_path)
    assert nothing.returncode == 0 and nothing.stdout == b""


# --fix -: the input's own encoding -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(codecs.BOM_UTF8 + BAD, codecs.BOM_UTF8 + FIXED, id="utf-8-bom"),
        pytest.param(
            LATIN1,
            b'# -*- coding: latin-1 -*-\nimport asyncio\n\n\nasync def poll():\n    s = "caf\xe9"\n    await asyncio.sleep(1)\n',
            id="latin-1",
        ),
        pytest.param(
            SHIFT_JIS,
            "# coding: shift_jis\nimport asyncio\n\n\nasync def poll():\n    s = '日本語'\n    await asyncio.sleep(1)\n".encode(
                "shift_jis"
            ),
            id="shift_jis",
        ),
    ],
)
def test_fix_stdin_keeps_the_encoding_and_bom(tmp_path: Path, source: bytes, expected: bytes) -> None:
    proc = run("--fix", "-", stdin=source, cwd=tmp_path)
    no_traceback(proc)
    assert proc.stdout == expected
    assert proc.returncode == 0


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "ascii"])
def test_fix_stdin_bytes_do_not_depend_on_the_terminal_encoding(tmp_path: Path, encoding: str) -> None:
    proc = run("--fix", "-", stdin=LATIN1, cwd=tmp_path, env={"PYTHONIOENCODING": encoding})
    no_traceback(proc)
    assert proc.stdout.startswith(b"# -*- coding: latin-1 -*-\nimport asyncio\n\n\nasync")
    assert b'"caf\xe9"' in proc.stdout


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b'import time\nasync def f():\n    s = "\xff\xfe"\n    time.sleep(1)\n', id="bad-utf-8"),
        pytest.param(b"# coding: ascii\nimport time\nx = '\xc3\xa9'\n", id="bad-ascii"),
        pytest.param(b"async def f():\n    pass\x00\n", id="null-byte"),
        pytest.param(codecs.BOM_UTF16_LE + "x = 1\n".encode("utf-16-le"), id="utf-16-bom"),
        pytest.param(codecs.BOM_UTF8 + b"# coding: latin-1\nx = 1\n", id="bom-and-other-cookie"),
        pytest.param(b"# coding: no-such-codec\nx = 1\n", id="unknown-codec"),
        pytest.param(b"# coding: rot13\nimport time\nasync def f():\n    time.sleep(1)\n", id="rot13"),
        pytest.param(b"# coding: undefined\nx = 1\n", id="undefined"),
        pytest.param(b"# coding: punycode\nx = 1\n", id="punycode"),
    ],
)
def test_fix_stdin_undecodable_input_comes_back_unchanged(tmp_path: Path, source: bytes) -> None:
    proc = run("--fix", "-", stdin=source, cwd=tmp_path)
    no_traceback(proc)
    assert proc.stdout == source
    assert b"ASL001" in proc.stderr
    assert proc.returncode == 1


def test_fix_stdin_binary_garbage_comes_back_unchanged(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 3
    proc = run("--fix", "--format", "json", "-", stdin=garbage, cwd=tmp_path)
    no_traceback(proc)
    assert proc.stdout == garbage
    assert [d["code"] for d in json.loads(proc.stderr)] == ["ASL001"]


# Checking standard input ------------------------------------------------------------------


def test_check_stdin_report_is_on_stdout(tmp_path: Path) -> None:
    proc = run("--stdin-filename", "piped.py", "-", stdin=BAD, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"piped.py:5:5: ASL101")
    assert proc.stderr == b""


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(LATIN1, id="latin-1"),
        pytest.param(SHIFT_JIS, id="shift_jis"),
        pytest.param(codecs.BOM_UTF8 + BAD, id="bom"),
    ],
)
def test_check_stdin_decodes_like_python(tmp_path: Path, source: bytes) -> None:
    proc = run("--format", "json", "-", stdin=source, cwd=tmp_path)
    assert proc.returncode == 1
    assert [d["code"] for d in json.loads(proc.stdout)] == ["ASL101"]
