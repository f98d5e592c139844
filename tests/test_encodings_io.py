"""Encodings in and out: coding cookies that name no usable text codec are ASL001, fixes
that cannot be written back in the file's encoding leave it alone, and no report (any
format, any terminal encoding, any file name) ends in a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_stdin import no_traceback, run

from asynclint import fixer, lint_source
from asynclint.runner import Runner
from asynclint.settings import Settings
from asynclint.sourcefile import DecodeError, decode, encode

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
FORMATS = ["text", "grouped", "json", "sarif", "github"]

# Codecs that are no text encoding (bytes to bytes, str to str), that always fail, or that
# are not ASCII-compatible: Python source cannot be read with any of them.
UNUSABLE = [
    "undefined",
    "punycode",
    "idna",
    "rot13",
    "uu_codec",
    "hex",
    "base64",
    "zlib_codec",
    "utf-7",
    "utf-16",
]


# Decoding --------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", UNUSABLE)
def test_unusable_codec_cookie_is_a_decode_error(codec: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(f"# coding: {codec}\n{SLEEPY}".encode("ascii"))
    assert codec in caught.value.message
    assert caught.value.line == 1


@pytest.mark.parametrize("codec", ["latin-1", "cp1252", "shift_jis", "cp932", "euc-jp", "gb18030", "koi8-r"])
def test_ascii_compatible_codecs_round_trip(codec: str) -> None:
    text = (
        f"# -*- coding: {codec} -*-\ns = 'é'\n" if codec in ("latin-1", "cp1252") else f"# coding: {codec}\n"
    )
    raw = text.encode(codec)
    source = decode(raw)
    assert source.text == text
    assert encode(source, source.text) == raw


def check(tmp_path: Path, name: str, mode: str = "check") -> tuple[list[tuple[str, str]], list[str]]:
    settings = Settings(project_root=str(tmp_path))
    result = Runner(settings, jobs=1, use_cache=False, mode=mode).check([str(tmp_path / name)])
    return [(d.code, d.message) for d in result.diagnostics], result.errors + result.warnings


@pytest.mark.parametrize("mode", ["check", "fix", "diff"])
@pytest.mark.parametrize("codec", UNUSABLE)
def test_unusable_codec_cookie_is_asl001_and_the_file_is_kept(tmp_path: Path, codec: str, mode: str) -> None:
    raw = f"# coding: {codec}\n{SLEEPY}".encode("ascii")
    (tmp_path / "odd.py").write_bytes(raw)
    found, messages = check(tmp_path, "odd.py", mode)
    assert [code for code, _ in found] == ["ASL001"]
    assert codec in found[0][1]
    assert messages == []
    assert (tmp_path / "odd.py").read_bytes() == raw


@pytest.mark.parametrize("codec", ["undefined", "punycode", "rot13", "hex"])
def test_unusable_codec_cookie_on_the_command_line(tmp_path: Path, codec: str) -> None:
    (tmp_path / "odd.py").write_bytes(f"# coding: {codec}\n{SLEEPY}".encode("ascii"))
    for args in (["odd.py"], ["--fix", "odd.py"]):
        proc = run("--no-cache", *args, stdin=b"", cwd=tmp_path)
        no_traceback(proc)
        assert proc.returncode == 1
        assert b"odd.py:1:1: ASL001" in proc.stdout


@pytest.mark.parametrize("cookie", ["# -*- coding: latin-1 -*-", "# coding: rot13", "# coding: shift_jis"])
def test_lint_source_reads_text_as_text(cookie: str) -> None:
    # As for compile() of a str, the coding cookie of text already decoded means nothing.
    source = f'{cookie}\nimport time\n\n\nasync def poll():\n    s = "é→"; time.sleep(1)\n'
    (diagnostic,) = lint_source(source, "m.py")
    assert (diagnostic.code, diagnostic.start.row, diagnostic.start.column) == ("ASL101", 6, 15)


def test_lint_source_refuses_null_characters() -> None:
    (diagnostic,) = lint_source("async def f():\n    pass\x00\n", "m.py")
    assert (diagnostic.code, diagnostic.start.row) == ("ASL001", 2)
    assert "null byte" in diagnostic.message


# Writing fixes back ----------------------------------------------------------------------


def test_fix_that_the_encoding_cannot_hold_leaves_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = b"# -*- coding: latin-1 -*-\ns = '\xe9'\n" + SLEEPY.encode()
    (tmp_path / "latin.py").write_bytes(raw)
    real_fix_text = fixer.fix_text

    def fix_text_adding_an_arrow(*args: object, **kwargs: object) -> fixer.FixOutcome:
        outcome = real_fix_text(*args, **kwargs)  # type: ignore[arg-type]
        outcome.text = outcome.text.replace("await asyncio.sleep(1)", "await asyncio.sleep(1)  # →")
        return outcome

    monkeypatch.setattr(fixer, "fix_text", fix_text_adding_an_arrow)
    found, messages = check(tmp_path, "latin.py", "fix")
    assert (tmp_path / "latin.py").read_bytes() == raw
    assert [code for code, _ in found] == ["ASL101"]  # the problem stands: nothing was written
    assert len(messages) == 1 and "latin.py" in messages[0] and "'→'" in messages[0]


def test_file_whose_bytes_do_not_survive_its_codec_is_not_fixed(tmp_path: Path) -> None:
    # cp932 reads both b"\x87\x90" and b"\x81\xe0" as U+2252 and writes it as the latter:
    # rewriting the file would change a line no fix touched.
    raw = b"# coding: cp932\ns = '\x87\x90'\n" + SLEEPY.encode()
    (tmp_path / "sjis.py").write_bytes(raw)
    found, messages = check(tmp_path, "sjis.py", "fix")
    assert (tmp_path / "sjis.py").read_bytes() == raw
    assert [code for code, _ in found] == ["ASL101"]
    assert len(messages) == 1 and "cp932" in messages[0]
    proc = run("--fix", "-", stdin=raw, cwd=tmp_path)
    no_traceback(proc)
    assert proc.stdout == raw
    assert proc.returncode == 1


# Reports on a terminal that cannot show every character --------------------------------


@pytest.fixture
def unicode_project(tmp_path: Path) -> Path:
    (tmp_path / "café→😀.py").write_text(
        "import time\n\n\nasync def 日本():\n    time.sleep(1)  # → 😀\n", encoding="utf-8"
    )
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("encoding", ["cp1252", "ascii", "utf-8"])
def test_reports_survive_any_terminal_encoding(unicode_project: Path, fmt: str, encoding: str) -> None:
    proc = run(
        "--no-cache",
        "--format",
        fmt,
        "--show-source",
        ".",
        stdin=b"",
        cwd=unicode_project,
        env={"PYTHONIOENCODING": encoding},
    )
    no_traceback(proc)
    assert proc.returncode == 1
    assert b"ASL101" in proc.stdout
    if fmt in ("json", "sarif"):
        # What cp1252 cannot hold is escaped as JSON does it, so the report stays valid JSON.
        # (click writes UTF-8 to a stream that says it is ASCII.)
        json.loads(proc.stdout.decode("utf-8" if encoding == "ascii" else encoding))


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_messages_on_stderr_survive_any_terminal_encoding(unicode_project: Path, encoding: str) -> None:
    env = {"PYTHONIOENCODING": encoding}
    missing = run("--no-cache", "nowhere→😀.py", stdin=b"", cwd=unicode_project, env=env)
    no_traceback(missing)
    assert missing.returncode == 2
    assert b"no such file or folder" in missing.stderr
    piped = (unicode_project / "café→😀.py").read_bytes()
    fixing = run(
        "--fix",
        "--show-source",
        "--stdin-filename",
        "café→😀.py",
        "-",
        stdin=piped,
        cwd=unicode_project,
        env=env,
    )
    no_traceback(fixing)
    assert fixing.returncode == 0
    assert fixing.stdout == piped.replace(b"time.sleep", b"await asyncio.sleep").replace(
        b"import time\n", b"import asyncio\n"
    )


# File names that are not text ------------------------------------------------------------


@pytest.fixture
def bytes_name_project(tmp_path: Path) -> Path:
    try:
        path = os.path.join(os.fsencode(tmp_path), b"bad\xff.py")
        with open(path, "wb") as handle:
            handle.write(SLEEPY.encode())
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take undecodable file names")
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", ""])
def test_undecodable_file_names_in_every_format(bytes_name_project: Path, fmt: str, encoding: str) -> None:
    env = {"PYTHONIOENCODING": encoding} if encoding else None
    proc = run(
        "--no-cache", "--format", fmt, "--show-source", ".", stdin=b"", cwd=bytes_name_project, env=env
    )
    no_traceback(proc)
    assert proc.returncode == 1
    if fmt == "json":
        (entry,) = json.loads(proc.stdout)
        assert os.fsencode(entry["filename"]).endswith(b"bad\xff.py")  # the name, byte for byte
    elif fmt == "sarif":
        (result,) = json.loads(proc.stdout)["runs"][0]["results"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad%FF.py"
    else:
        assert b"bad\xff.py" in proc.stdout  # the name as the file system has it


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_undecodable_file_names_in_the_output_file(bytes_name_project: Path, fmt: str) -> None:
    proc = run("--no-cache", "--format", fmt, "-o", "report.txt", ".", stdin=b"", cwd=bytes_name_project)
    no_traceback(proc)
    assert proc.returncode == 1
    report = (bytes_name_project / "report.txt").read_bytes()
    assert b"ASL101" in report
    if fmt == "json":
        json.loads(report)
