"""Configuration: `[tool.asynclint]` in pyproject.toml plus command-line options -> Settings.

Every configuration key is described once, in `OPTIONS`; the command line gets an option of
the same name for each, and the command line wins. Unknown keys and wrong types raise
`ConfigError`, whose message names the file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, NoReturn, get_args

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from asynclint.registry import selector_problem
from asynclint.version import __version__

VERSION_RE = re.compile(r"py3(\d{1,2})\Z")
SUPPORTED_TARGETS = tuple(f"py3{minor}" for minor in range(8, 16))
DEFAULT_TARGET = "py310"

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".asynclint_cache",
    "site-packages",
)
DEFAULT_TEST_FILES = (
    "test_*.py",
    "*_test.py",
    # Folder names, at any depth (a monorepo's packages/api/tests/ too).
    "tests",
    "test",
    "testing",
    "conftest.py",
)
DEFAULT_STATEFUL_NAMES = (
    r"^(conn|connection|tx|txn|transaction|cursor|cur|ws|websocket|writer|reader|stream|session_tx"
    r"|session|db|ctx|context)$"
)


#: How an option's TOML value and command-line strings parse (see `_parse_value`).
OptionKind = Literal[
    "codes",
    "glob-codes",
    "globs",
    "strings",
    "str-map",
    "version",
    "number",
    "choice",
    "regex",
    "bool",
    "path",
]
#: The kinds whose values are lists or tables: the command line repeats the option.
LIST_KINDS: tuple[OptionKind, ...] = ("codes", "globs", "strings", "glob-codes", "str-map")
Format = Literal["text", "json", "sarif", "github", "grouped"]
FORMATS: tuple[Format, ...] = get_args(Format)
GatherStyle = Literal["gather", "taskgroup"]
GATHER_STYLES: tuple[GatherStyle, ...] = get_args(GatherStyle)


class ConfigError(Exception):
    """A configuration problem, with a message fit for the user."""


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    kind: OptionKind
    default: Any
    help: str
    metavar: str = ""
    choices: tuple[str, ...] = ()
    affects_results: bool = True
    #: For numbers: the largest value that makes sense (a typo such as `1e9` or `inf` is
    #: an error, not a timeout of thirty years).
    maximum: float = float("inf")
    #: For numbers: 0 is allowed too, and switches the feature off.
    zero_disables: bool = False

    @property
    def attr(self) -> str:
        return self.key.replace("-", "_")


#: Every configuration key. The kind decides how TOML values and command-line strings parse.
OPTIONS: tuple[Option, ...] = (
    Option(
        "select",
        "codes",
        None,
        "Rule codes or prefixes to enable (default: every rule that is on by default).",
        "CODES",
    ),
    Option("extend-select", "codes", (), "Rule codes or prefixes to enable in addition.", "CODES"),
    Option("ignore", "codes", (), "Rule codes or prefixes to disable.", "CODES"),
    Option("extend-ignore", "codes", (), "Rule codes or prefixes to disable in addition.", "CODES"),
    Option(
        "per-file-ignores",
        "glob-codes",
        {},
        "Codes to ignore in files matching a glob, as GLOB:CODES.",
        "GLOB:CODES",
    ),
    Option(
        "exclude",
        "globs",
        (),
        "Files or folders to skip, replacing nothing of the built-in excludes.",
        "GLOBS",
    ),
    Option("extend-exclude", "globs", (), "More files or folders to skip.", "GLOBS"),
    Option(
        "force-exclude",
        "bool",
        False,
        "Apply the excludes to files named explicitly too (for pre-commit and editors).",
        "",
        (),
        False,
    ),
    Option(
        "target-version",
        "version",
        None,
        "Lowest Python version the fixes may use (default: the lowest that requires-python allows, py38 if it allows older; else py310).",
        "py3X",
        SUPPORTED_TARGETS,
    ),
    Option(
        "default-timeout",
        "number",
        30,
        "Seconds used by fixes that add a timeout (at most 3600).",
        "SECONDS",
        maximum=3600,
    ),
    Option(
        "extend-blocking-calls",
        "str-map",
        {},
        "Blocking functions to report (ASL100), as NAME=REPLACEMENT.",
        "NAME=REPLACEMENT",
    ),
    Option(
        "extend-resource-types",
        "strings",
        (),
        "Classes or factories whose instances must be closed (ASL3xx).",
        "NAMES",
    ),
    Option(
        "test-files",
        "globs",
        DEFAULT_TEST_FILES,
        "Globs of test files, which rules about ordering and timeouts skip.",
        "GLOBS",
    ),
    Option(
        "gather-style",
        "choice",
        "gather",
        "What ASL200's fix writes: asyncio.gather or a TaskGroup (py311+).",
        "STYLE",
        GATHER_STYLES,
    ),
    Option(
        "stateful-names",
        "regex",
        DEFAULT_STATEFUL_NAMES,
        "Variable names whose objects must not be used concurrently (ASL2xx).",
        "REGEX",
    ),
    Option(
        "pool-backed-types", "strings", (), "More types whose methods may run concurrently (ASL2xx).", "NAMES"
    ),
    Option(
        "stateful-types",
        "strings",
        (),
        "More types whose methods must not run concurrently (ASL2xx).",
        "NAMES",
    ),
    Option(
        "extend-unbounded-calls",
        "str-map",
        {},
        "More calls that can wait forever, as NAME=TIMEOUT_KEYWORD (ASL401).",
        "NAME=KEYWORD",
    ),
    Option(
        "timeout-decorators",
        "strings",
        (),
        "Decorators that bound a function's run time (ASL401 skips those functions).",
        "NAMES",
    ),
    Option(
        "blocking-light-calls",
        "bool",
        False,
        "Also report cheap filesystem metadata calls such as os.path.exists (ASL107 light tier).",
        "",
    ),
    Option(
        "test-file-io",
        "bool",
        False,
        "Also report file and filesystem calls (open, os.remove, Path.mkdir, shutil...) in test files and command-line code, directly (ASL105-107) or at the end of an ASL116 chain, every blocking call in command-line code and scripts that run alone, and the waits of test files outside a polling loop.",
        "",
    ),
    Option(
        "offload-decorators",
        "strings",
        (),
        "More decorators that run the function they wrap in a worker thread: calling it does not block (ASL116).",
        "NAMES",
    ),
    Option(
        "namespace-packages",
        "strings",
        (),
        "Folders (relative to the project root) that are namespace packages: they and the folders below them count as packages without an `__init__.py`, so that the project model resolves imports of their modules (ruff's setting of the same name).",
        "FOLDERS",
    ),
    Option(
        "cpu-heavy-size-dependent",
        "bool",
        False,
        "Also report calls that are CPU-heavy only on large input (ASL114: json, zlib, pickle...).",
        "",
    ),
    Option(
        "blocking-imports",
        "bool",
        False,
        "Also report importlib.import_module and __import__ in async code (ASL114).",
        "",
    ),
    Option(
        "timeout-reads",
        "bool",
        False,
        "Also report asyncpg queries without a timeout (ASL401 read set; client stream reads are reported anyway).",
        "",
    ),
    Option(
        "yield-cleanup",
        "bool",
        False,
        "Also report a yield inside an ordinary context manager (a file, a session, a pooled connection) in an async generator, whose cleanup waits until the generator is closed (ASL504; task groups and timeout scopes are reported anyway).",
        "",
    ),
    Option(
        "noqa-aliases",
        "bool",
        True,
        "A `# noqa` with a flake8-async or ruff code (ASYNC251) suppresses the asynclint rule that reports the same problem (ASL101); false: only ASL codes do. See docs/configuration.md.",
        "",
    ),
    Option(
        "max-file-size",
        "number",
        2_000_000,
        "Files larger than this many bytes (default 2 MB) are reported (ASL001) instead of parsed; parsing costs about 0.5 GB of memory per MB of code.",
        "BYTES",
    ),
    Option(
        "file-timeout",
        "number",
        20,
        "Seconds one file may take to lint (and fix) before it is reported (ASL001) as not linted and the run goes on (at most 3600; 0: no limit, and -j 1 then runs in asynclint's own process).",
        "SECONDS",
        affects_results=False,
        maximum=3600,
        zero_disables=True,
    ),
    Option(
        "format",
        "choice",
        "text",
        "Output format.",
        "FORMAT",
        FORMATS,
        False,
    ),
    Option("show-source", "bool", False, "Show the offending line with a caret.", "", (), False),
    Option(
        "unsafe-fixes", "bool", False, "Also apply (or show) fixes that may change behaviour.", "", (), False
    ),
    Option(
        "cache-dir",
        "path",
        None,
        "Folder for the result cache (default: .asynclint_cache in the project root); asynclint keeps its data in an asynclint-v1 folder it creates there. A relative path is relative to the configuration file's folder (on the command line, to the current folder).",
        "DIR",
        (),
        False,
    ),
)
OPTIONS_BY_KEY = {opt.key: opt for opt in OPTIONS}


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    target_version: str | None = None
    default_timeout: float = 30
    extend_blocking_calls: Mapping[str, str] = field(default_factory=dict)
    extend_resource_types: tuple[str, ...] = ()
    test_files: tuple[str, ...] = DEFAULT_TEST_FILES
    gather_style: GatherStyle = "gather"
    stateful_names: str = DEFAULT_STATEFUL_NAMES
    pool_backed_types: tuple[str, ...] = ()
    stateful_types: tuple[str, ...] = ()
    extend_unbounded_calls: Mapping[str, str] = field(default_factory=dict)
    timeout_decorators: tuple[str, ...] = ()
    blocking_light_calls: bool = False
    test_file_io: bool = False
    offload_decorators: tuple[str, ...] = ()
    namespace_packages: tuple[str, ...] = ()
    cpu_heavy_size_dependent: bool = False
    blocking_imports: bool = False
    timeout_reads: bool = False
    yield_cleanup: bool = False
    noqa_aliases: bool = True
    max_file_size: float = 2_000_000
    file_timeout: float = 20
    format: Format = "text"
    show_source: bool = False
    unsafe_fixes: bool = False
    cache_dir: str | None = None
    # Where the settings came from.
    project_root: str = field(default_factory=os.getcwd)
    config_path: str | None = None
    requires_python_target: str | None = None
    #: The project's line length (ruff's, black's or flake8's; 88 when none is set): fixes
    #: wrap what they write within it.
    line_length: int = 88
    #: Said once per run: requires-python allows a Python older than any target.
    target_note: str | None = None

    @property
    def target(self) -> str:
        return self.target_version or self.requires_python_target or DEFAULT_TARGET

    @property
    def target_minor(self) -> int:
        return int(self.target[3:])

    def fingerprint(self) -> str:
        """A hash of everything that can change a file's lint result."""
        parts = [__version__]
        for opt in OPTIONS:
            if opt.affects_results:
                parts.append(f"{opt.key}={_canonical(getattr(self, opt.attr))}")
        parts.append(f"target={self.target}")
        parts.append(f"line-length={self.line_length}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]

    @property
    def namespace_folders(self) -> frozenset[str]:
        """The absolute paths of the `namespace-packages` folders."""
        return frozenset(
            os.path.normpath(os.path.join(self.project_root, folder)) for folder in self.namespace_packages
        )

    def per_file_ignores_for(self, relpath: str) -> list[str]:
        """The selectors of the per-file ignores whose globs match `relpath`."""
        ignored: list[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if path_matches(pattern, relpath):
                ignored.extend(codes)
        return ignored

    def is_test_file(self, relpath: str) -> bool:
        return any(path_matches(pattern, relpath) for pattern in self.test_files)


def _canonical(value: object) -> str:
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_canonical(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


def path_matches(pattern: str, relpath: str) -> bool:
    """flake8-style globs: `*` crosses folders; a pattern without `/` also matches any
    file or folder name on the path; a trailing `/**` or `/*` covers a whole folder."""
    relpath = relpath.replace(os.sep, "/").removeprefix("./")
    pattern = pattern.replace(os.sep, "/").removeprefix("./")
    if fnmatch.fnmatchcase(relpath, pattern):
        return True
    if pattern.endswith("/**") and fnmatch.fnmatchcase(relpath, pattern[:-3] + "/*"):
        return True
    if "/" not in pattern.rstrip("/"):
        name = pattern.rstrip("/")
        return any(fnmatch.fnmatchcase(part, name) for part in relpath.split("/"))
    # A pattern naming a folder ("tests/unit") covers what is inside it.
    return relpath.startswith(pattern.rstrip("/") + "/")


# Parsing ----------------------------------------------------------------------------------


def _expect(where: str, key: str, what: str, value: object) -> ConfigError:
    return ConfigError(f"{where}: `{key}` must be {what}, not {value!r}")


def _str_list(where: str, key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _expect(where, key, "a list of strings", value)
    return tuple(value)


def _codes(where: str, key: str, value: object) -> tuple[str, ...]:
    items = _str_list(where, key, value)
    if key == "select" and items and not any(item.strip(" ,\t\n") for item in items):
        # `--select ""` (an empty variable in a script) would silently select nothing.
        raise ConfigError(f"{where}: `select` is empty; name rule codes or prefixes, or ALL")
    out = []
    for item in items:
        for code in re.split(r"[,\s]+", item.strip()):
            if not code:
                continue
            problem = selector_problem(code)
            if problem is not None:
                raise ConfigError(f"{where}: `{key}` has {code!r}, {problem}")
            out.append(code)
    return tuple(out)


def _parse_value(opt: Option, value: object, where: str) -> Any:
    key, kind = opt.key, opt.kind
    if kind == "codes":
        return _codes(where, key, value)
    if kind == "globs" or kind == "strings":  # `==`, so that mypy narrows `kind`
        return _str_list(where, key, value)
    if kind == "glob-codes":
        if not isinstance(value, Mapping):
            raise _expect(where, key, "a table of glob = [codes]", value)
        return {str(k): _codes(where, f"{key}.{k}", v) for k, v in value.items()}
    if kind == "str-map":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise _expect(where, key, "a table of strings", value)
        return dict(value)
    if kind == "version":
        if not isinstance(value, str) or value not in SUPPORTED_TARGETS:
            raise _expect(where, key, "one of " + ", ".join(SUPPORTED_TARGETS), value)
        return value
    if kind == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
            or (value == 0 and not opt.zero_disables)
        ):
            raise _expect(where, key, "a positive number" + (" or 0" if opt.zero_disables else ""), value)
        if value > opt.maximum:
            raise _expect(where, key, f"a positive number of at most {opt.maximum:g}", value)
        return value
    if kind == "choice":
        if value not in opt.choices:
            raise _expect(where, key, "one of " + ", ".join(opt.choices), value)
        return value
    if kind == "regex":
        if not isinstance(value, str):
            raise _expect(where, key, "a regular expression", value)
        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(f"{where}: `{key}` is not a valid regular expression: {exc}") from None
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _expect(where, key, "true or false", value)
        return value
    if kind == "path":
        if not isinstance(value, str) or not value.strip():
            raise _expect(where, key, "a path", value)
        return value
    return _unreachable(kind)  # mypy: every kind is handled above


def _unreachable(kind: NoReturn) -> NoReturn:
    raise AssertionError(kind)


def parse_cli_value(opt: Option, raw: Any) -> Any:
    """Turn a command-line value (string, tuple of strings, flag) into the TOML shape."""
    where = "command line"
    if opt.kind == "glob-codes":
        table: dict[str, list[str]] = {}
        for item in raw:
            pattern, sep, codes = item.rpartition(":")
            if not sep or not pattern:
                raise ConfigError(f"{where}: --{opt.key} expects GLOB:CODES, not {item!r}")
            table.setdefault(pattern, []).extend(c for c in re.split(r"[,\s]+", codes) if c)
        return _parse_value(opt, table, where)
    if opt.kind == "str-map":
        mapping = {}
        for item in raw:
            name, sep, replacement = item.partition("=")
            if not sep or not name:
                raise ConfigError(f"{where}: --{opt.key} expects NAME=VALUE, not {item!r}")
            mapping[name.strip()] = replacement.strip()
        return _parse_value(opt, mapping, where)
    if opt.kind in ("codes", "globs", "strings"):
        items = [part for item in raw for part in item.split(",") if part.strip()]
        if opt.key == "select" and raw and not items:
            raise ConfigError(f"{where}: --select is empty; name rule codes or prefixes, or ALL")
        return _parse_value(opt, [i.strip() for i in items], where)
    if opt.kind == "number":
        try:
            number = float(raw)
        except ValueError:
            raise ConfigError(f"{where}: --{opt.key} expects a number, not {raw!r}") from None
        return _parse_value(opt, int(number) if number.is_integer() else number, where)
    return _parse_value(opt, raw, where)


def suggest(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: TOML files must be UTF-8, and byte {exc.start} is not ({exc.reason})"
        ) from None


def table_of(path: Path, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    tool = data.get("tool")
    if isinstance(tool, Mapping) and "asynclint" in tool:
        table = tool["asynclint"]
        if not isinstance(table, Mapping):
            raise ConfigError(f"{path}: [tool.asynclint] must be a table")
        return table
    if path.name != "pyproject.toml":
        return data  # a standalone asynclint.toml holds the keys at top level
    return None


def options_from_table(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        opt = OPTIONS_BY_KEY.get(key)
        if opt is None:
            raise ConfigError(
                f"{where}: unknown key `{key}` in [tool.asynclint]{suggest(key, OPTIONS_BY_KEY)}"
            )
        values[opt.attr] = _parse_value(opt, value, where)
    return values


_REQUIRES_RE = re.compile(r"(>=|~=|==|\^|>)\s*3\.(\d+)")


def lowest_python_minor(requires: object) -> int | None:
    """The lowest Python 3 minor version `requires-python` allows (">=3.7.1,<4" -> 7), read
    as a PEP 440 specifier; None when it cannot be read."""
    if not isinstance(requires, str):
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier:
        spec = None
    if spec is not None:
        for minor in range(0, 40):
            if any(spec.contains(f"3.{minor}.{patch}", prereleases=True) for patch in (0, 1, 99)):
                return minor
        return None
    # Not PEP 440 (Poetry's `^3.10`): the lowest bound written.
    minors = [int(m.group(2)) + (1 if m.group(1) == ">" else 0) for m in _REQUIRES_RE.finditer(requires)]
    return min(minors) if minors else None


LOWEST_TARGET_MINOR = int(SUPPORTED_TARGETS[0][3:])


def target_from_requires(requires: object) -> str | None:
    """`requires-python = ">=3.11"` -> "py311" (the lowest version allowed); below the
    lowest target asynclint supports, that lowest target (see `requires_python_note`)."""
    minor = lowest_python_minor(requires)
    if minor is None:
        return None
    target = f"py3{max(minor, LOWEST_TARGET_MINOR)}"
    return target if target in SUPPORTED_TARGETS else None


def requires_python_note(requires: object) -> str | None:
    """The note to show once when `requires-python` allows a Python older than the lowest
    target asynclint supports."""
    minor = lowest_python_minor(requires)
    if minor is None or minor >= LOWEST_TARGET_MINOR:
        return None
    return (
        f"requires-python {requires!r} allows Python 3.{minor}, below the lowest target asynclint "
        f"supports: fixes target {SUPPORTED_TARGETS[0]} (set target-version to silence this)"
    )


DEFAULT_LINE_LENGTH = 88


def line_length_of(pyproject: Mapping[str, Any] | None, folder: Path | None) -> int:
    """The project's line length: `[tool.ruff] line-length`, `[tool.black] line-length`,
    or flake8's `max-line-length` (setup.cfg, tox.ini, .flake8 in `folder`); 88 when none
    is set or the value is not a positive whole number."""
    tool = pyproject.get("tool", {}) if isinstance(pyproject, Mapping) else {}
    for name in ("ruff", "black"):
        table = tool.get(name) if isinstance(tool, Mapping) else None
        value = table.get("line-length") if isinstance(table, Mapping) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    if folder is not None:
        import configparser

        for name in (".flake8", "setup.cfg", "tox.ini"):
            path = folder / name
            if not path.is_file():
                continue
            parser = configparser.RawConfigParser()
            try:
                parser.read(path, encoding="utf-8")
                raw = parser.get("flake8", "max-line-length", fallback=None)
            except (configparser.Error, OSError, UnicodeDecodeError):
                continue
            if raw is not None and raw.strip().isdigit() and int(raw) > 0:
                return int(raw)
    return DEFAULT_LINE_LENGTH


def _resolve_paths(values: dict[str, Any], base: str, only: Option | None = None) -> None:
    """Make the path options among `values` absolute: `~` is the home folder, and a relative
    path is relative to `base` (the configuration file's folder for a path read from it,
    the current folder for one given on the command line)."""
    for opt in (only,) if only is not None else OPTIONS:
        if opt.kind == "path" and isinstance(values.get(opt.attr), str):
            path = os.path.expanduser(values[opt.attr])
            values[opt.attr] = os.path.normpath(os.path.join(os.path.abspath(base), path))


#: The configuration files of one folder, the first found wins: a standalone file holds the
#: keys at top level (or under `[tool.asynclint]`), a pyproject.toml counts only when it has
#: a `tool.asynclint` table. The nearest folder with any of them wins over the folders above.
CONFIG_FILES = (".asynclint.toml", "asynclint.toml", "pyproject.toml")


def _has_our_table(path: Path) -> tuple[bool, dict[str, Any] | None]:
    """Whether a pyproject.toml configures asynclint (read as TOML, so `[ tool.asynclint ]`
    and dotted keys such as `asynclint.ignore = [...]` under `[tool]` count), and its data.
    A pyproject.toml that is not valid TOML is an error only when it names asynclint; any
    other is skipped, as a file of another tool."""
    try:
        data = read_toml(path)
    except ConfigError:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False, None
        if "asynclint" in text:
            raise
        return False, None
    tool = data.get("tool")
    return isinstance(tool, Mapping) and "asynclint" in tool, data


def find_config(
    start: Path, memo: dict[Path, tuple[Path | None, Path | None]] | None = None
) -> tuple[Path | None, Path | None]:
    """The nearest configuration file at or above `start` (see `CONFIG_FILES`), and the
    nearest pyproject.toml at all (for requires-python). `memo` keeps the answer of every
    folder on the way, for many lookups in one tree."""
    start = start if start.is_dir() else start.parent
    memo = memo if memo is not None else {}
    chain: list[tuple[Path, Path | None, Path | None, bool]] = []
    above: tuple[Path | None, Path | None] = (None, None)
    found = False
    for folder in (start, *start.parents):
        if folder in memo:
            above = memo[folder]
            break
        config: Path | None = None
        pyproject = folder / "pyproject.toml"
        own_pyproject = pyproject if pyproject.is_file() else None
        for name in CONFIG_FILES if not found else ():
            candidate = folder / name
            if name == "pyproject.toml":
                if own_pyproject is not None and _has_our_table(candidate)[0]:
                    config = candidate
                break
            if candidate.is_file():
                config = candidate
                break
        chain.append((folder, config, own_pyproject, not found))
        found = found or config is not None
        if found and own_pyproject is not None:
            break  # nothing above can change the answer
    for folder, config, own_pyproject, checked in reversed(chain):
        above = (config or above[0], own_pyproject or above[1])
        if checked:  # above a configuration, only pyproject.toml files were looked for
            memo[folder] = above
    return above


def load_settings(
    paths: Iterable[str],
    cli: Mapping[str, Any],
    config: str | None = None,
    isolated: bool = False,
    cwd: str | None = None,
    transform: Callable[[dict[str, Any]], None] | None = None,
) -> Settings:
    """Build the Settings for a run: configuration file, then command-line values. The
    configuration is the one nearest to the first path (`ProjectSettings` gives each file
    its own)."""
    cwd = cwd or os.getcwd()
    if config is not None:
        config_path = Path(config)
        if not config_path.is_file():
            raise ConfigError(f"{config}: configuration file not found")
        data = read_toml(config_path)
        if table_of(config_path, data) is None:
            raise ConfigError(f"{config}: no [tool.asynclint] table")
        return _build(config_path, config_path, cli, cwd, transform, data)
    if isolated:
        return _build(None, None, cli, cwd, transform)
    first = next(iter(paths), ".")
    start = Path(cwd) / (first if first != "-" else ".")
    found, nearest = find_config(start.resolve() if start.exists() else Path(cwd))
    return _build(found, nearest, cli, cwd, transform)


def _build(
    found: Path | None,
    nearest: Path | None,
    cli: Mapping[str, Any],
    cwd: str,
    transform: Callable[[dict[str, Any]], None] | None,
    data: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings from a configuration file (`found`, None for none), the nearest
    pyproject.toml (for requires-python) and the command-line values, which win."""
    values: dict[str, Any] = {}
    requires_target: str | None = None
    target_note: str | None = None
    line_length = DEFAULT_LINE_LENGTH
    project_root = Path(cwd)
    if found is not None:
        data = data if data is not None else read_toml(found)
        table = table_of(found, data)
        if table is not None:
            values.update(options_from_table(table, str(found)))
            _resolve_paths(values, str(found.resolve().parent))
        project_root = found.resolve().parent
    if nearest is not None:
        nearest_data = data if nearest == found and data is not None else _has_our_table(nearest)[1] or {}
        project = nearest_data.get("project", {})
        if isinstance(project, Mapping):
            requires = project.get("requires-python")
            requires_target, target_note = target_from_requires(requires), requires_python_note(requires)
        line_length = line_length_of(nearest_data, nearest.parent)
        if found is None:
            project_root = nearest.parent
    else:
        line_length = line_length_of(data if found is not None else None, project_root)
    for key, raw in cli.items():
        opt = OPTIONS_BY_KEY[key]
        values[opt.attr] = parse_cli_value(opt, raw)
        _resolve_paths(values, cwd, only=opt)
    if transform is not None:
        transform(values)
    known = {f.name for f in fields(Settings)}
    assert set(values) <= known, set(values) - known
    return replace(
        Settings(),
        **values,
        project_root=str(project_root),
        config_path=str(found) if found else None,
        requires_python_target=requires_target,
        line_length=line_length,
        target_note=None if values.get("target_version") else target_note,
    )


class ProjectSettings:
    """Each file's settings: the configuration of its nearest project (see `find_config`)
    with the same command-line values on top, so that `asynclint pkg_a/ pkg_b/` lints
    each package with its own configuration. One Settings per configuration file."""

    def __init__(
        self,
        cli: Mapping[str, Any],
        cwd: str | None = None,
        transform: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._cli = dict(cli)
        self._cwd = cwd or os.getcwd()
        self._transform = transform
        self._memo: dict[Path, tuple[Path | None, Path | None]] = {}
        self._by_config: dict[tuple[Path | None, Path | None], Settings] = {}

    def for_file(self, path: str) -> Settings:
        folder = Path(os.path.dirname(os.path.abspath(os.path.join(self._cwd, path))))
        found = find_config(folder, self._memo)
        if found not in self._by_config:
            self._by_config[found] = _build(*found, self._cli, self._cwd, self._transform)
        return self._by_config[found]
