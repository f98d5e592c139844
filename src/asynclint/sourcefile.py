"""Reading and writing Python source files without losing anything, and splitting their text
into lines (no parser needed: reports never import libcst).

A file is read as bytes and decoded as Python would (BOM, PEP 263 cookie, UTF-8 default);
a cookie must name an ASCII-compatible text codec (PEP 263), so `rot13`, `hex`, `utf-16`,
`utf-7`, `idna`, ... are decode errors (ASL001), as is anything a codec raises.
A fixed file is written back with the same encoding, BOM and line endings, atomically: the
new text goes to a temporary file in the same folder, which then replaces the original, so
a reader (or a crash) sees either the old file or the new one, never a mix.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import io
import os
import re
import stat
import tempfile
import time
import tokenize
from dataclasses import dataclass

TEMP_SUFFIX = ".asynclint-tmp"
#: A temporary file this old (seconds) is an orphan whatever its process id says: a write
#: takes milliseconds, and the id of a killed writer may have gone to another process.
ORPHAN_AGE = 3600


class DecodeError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class FileChangedError(Exception):
    """The file changed on disk after it was read; it is left as it is."""


@dataclass(frozen=True, slots=True)
class SourceText:
    text: str  # without a BOM
    encoding: str  # codec for writing back (never "utf-8-sig")
    bom: bool


def decode(raw: bytes) -> SourceText:
    """Decode a Python source file; raises DecodeError with a message fit for users."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        kind = "UTF-32" if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) else "UTF-16"
        raise DecodeError(
            f"file is {kind} (it starts with a {kind} byte order mark); Python source must be UTF-8 or declare an ASCII-compatible encoding"
        )
    _refuse_null_bytes(raw)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        raise DecodeError(
            f"encoding problem: {exc.msg if hasattr(exc, 'msg') else exc}", getattr(exc, "lineno", None) or 1
        ) from None
    bom = encoding == "utf-8-sig"
    body = raw[len(codecs.BOM_UTF8) :] if bom else raw
    codec = "utf-8" if bom else encoding
    problem = unusable_codec(codec)
    if problem is not None:
        raise DecodeError(problem, _cookie_line(body))
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise DecodeError(
            f"cannot decode the file as {codec}: {exc.reason} at byte {exc.start}", line
        ) from None
    except Exception as exc:  # a codec may raise anything (UnicodeError, ValueError, ...)
        raise DecodeError(f"cannot decode the file as {codec}: {exc}", _cookie_line(body)) from None
    return SourceText(text, codec, bom)


def decoded(text: str) -> SourceText:
    """Source that is text already (`asynclint.lint_source`): as for `compile()` of a str,
    a coding cookie means nothing; written back, it would be UTF-8."""
    _refuse_null_bytes(text)
    bom = text.startswith("\ufeff")
    return SourceText(text[1:] if bom else text, "utf-8", bom)


def _refuse_null_bytes(data: bytes | str) -> None:
    index = data.find(b"\x00") if isinstance(data, bytes) else data.find("\x00")
    if index >= 0:
        before = data[:index]
        line = (before.count(b"\n") if isinstance(before, bytes) else before.count("\n")) + 1
        raise DecodeError("file contains a null byte (is it a binary file?)", line)


_COOKIE_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=]")


def _cookie_line(body: bytes) -> int:
    """The line of the coding cookie (PEP 263: the first or the second)."""
    return 1 if _COOKIE_RE.match(body.split(b"\n", 1)[0]) else 2


# What every Python source file may contain, as ASCII: a codec must read and write it as is.
_ASCII_BYTES = bytes(range(32, 127)) + b"\t\n\r\f"
_ASCII_TEXT = _ASCII_BYTES.decode("ascii")


@functools.cache
def unusable_codec(codec: str) -> str | None:
    """Why a coding cookie's codec cannot be used for Python source, or None if it can.

    PEP 263 allows only ASCII-compatible encodings: the codec must be a text encoding
    (not `rot13`, `hex`, `base64`, ... which turn bytes into bytes or str into str) and read
    and write ASCII unchanged (not `utf-16`, `utf-7`, `idna`, `punycode`, `undefined`).
    """
    try:
        info = codecs.lookup(codec)
    except LookupError:
        return f"unknown encoding {codec!r}"
    if not getattr(info, "_is_text_encoding", True):
        return f"encoding {codec!r} is not a text encoding; Python source cannot use it"
    try:
        compatible = _ASCII_BYTES.decode(codec) == _ASCII_TEXT and _ASCII_TEXT.encode(codec) == _ASCII_BYTES
    except Exception:  # the codec fails on plain ASCII
        compatible = False
    if not compatible:
        return f"encoding {codec!r} is not ASCII-compatible; Python source cannot use it"
    return None


def read_lines(path: str) -> list[str]:
    """The lines of the source file at `path`, without their endings (none when it cannot be
    decoded, or it is not a regular file: opening a FIFO would wait for a writer)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        return []
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = decode(raw).text
    except DecodeError:
        return []
    return [line.rstrip("\r\n") for line in split_lines(text)]


_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer sees them (only \\n, \\r\\n and \\r end a line),
    each with its ending."""
    lines = []
    start = 0
    for match in _NEWLINE_RE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def encode(source: SourceText, text: str) -> bytes:
    """`text` in the file's encoding, with its BOM; UnicodeEncodeError if it cannot be."""
    data = text.encode(source.encoding)
    return codecs.BOM_UTF8 + data if source.bom else data


def write_atomic(path: str, data: bytes, expected: bytes) -> None:
    """Replace `path`'s content with `data`, unless its content is no longer `expected`.

    The temporary file lives in the target's folder (the rename must not cross file
    systems), gets the original's permission bits, and is removed on any failure.
    Symlinks are written through: the file they point to is replaced, not the link.
    """
    target = os.path.realpath(path)
    with open(target, "rb") as handle:
        if handle.read() != expected:
            raise FileChangedError(f"{path} changed while it was being fixed; it was left as it is")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    folder, name = os.path.split(target)
    # The process id in the name lets a later run tell an orphan (its writer was killed)
    # from another run's write in progress; see `orphaned_temp_file`.
    fd, temp = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+" + re.escape(TEMP_SUFFIX) + "$")


def orphaned_temp_file(path: str) -> bool:
    """Whether `path` is a temporary file of an asynclint write (of a fixed source file or
    of the cache) that will never be renamed: its process is gone (killed between writing
    the temporary file and renaming it), or it is older than `ORPHAN_AGE` (process ids are
    reused, so a live process with the writer's id proves nothing)."""
    match = _TEMP_RE.match(os.path.basename(path))
    if match is None:
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if time.time() - st.st_mtime > ORPHAN_AGE:
        return True
    pid = int(match.group("pid"))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether `pid` has exited and only waits to be reaped (a killed worker whose parent
    died too, in a container whose first process reaps nothing): it writes no more."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            fields = stat_file.read().rpartition(b")")[2].split()
    except OSError:
        return False
    return bool(fields) and fields[0] in (b"Z", b"X")
