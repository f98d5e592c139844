"""The command line: options -> Settings -> runner -> report -> exit code.

Exit codes: 0 nothing found (or everything fixed); 1 problems remain, or `--diff` found
changes; 2 a usage or configuration error, a missing path, or an internal error.

`--fix -` stands for the code: standard output is always the code, as bytes in the input's
own encoding (the input unchanged when nothing was fixed, it cannot be decoded or parsed, or
the run failed), and the report goes to standard error or `--output-file`. Reports never
fail on the output's encoding: what it cannot hold is escaped.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import io
import os
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

import click

from asynclint.settings import LIST_KINDS, OPTIONS, ConfigError, ProjectSettings, load_settings
from asynclint.version import __version__

if TYPE_CHECKING:
    from asynclint.runner import Mode

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _config_options(func: Any) -> Any:
    """One command-line option per configuration key, generated from `OPTIONS`."""
    for opt in reversed(OPTIONS):
        flag = f"--{opt.key}"
        if opt.kind in LIST_KINDS:
            decorator = click.option(flag, opt.attr, multiple=True, metavar=opt.metavar, help=opt.help)
        elif opt.kind == "bool":
            decorator = click.option(f"{flag}/--no-{opt.key}", opt.attr, default=None, help=opt.help)
        elif opt.choices:
            decorator = click.option(
                flag, opt.attr, type=click.Choice(opt.choices), default=None, help=opt.help
            )
        else:
            decorator = click.option(flag, opt.attr, default=None, metavar=opt.metavar, help=opt.help)
        func = decorator(func)
    return func


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--fix", is_flag=True, help="Apply safe fixes (and unsafe ones with --unsafe-fixes).")
@click.option(
    "--diff",
    is_flag=True,
    help="Print the fixes as a unified diff and write nothing (exit 1 if there is a diff).",
)
@click.option(
    "--output-file",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to this file.",
)
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Add `# noqa: CODE` comments to every line with a finding (to adopt asynclint in existing code).",
)
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of each problem.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Use this configuration file (pyproject.toml or asynclint.toml).",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: the number of CPUs).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option(
    "--stdin-filename", help="The name of the file read from `-` (for messages and per-file settings)."
)
@click.option("--explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="Print every rule: code, name, family, default, fix.")
@click.option("-q", "--quiet", is_flag=True, help="Print problems only: no summary, no progress.")
@click.option("-v", "--verbose", is_flag=True, help="Print timing and file counts on stderr.")
@_config_options
@click.version_option(__version__, "--version", prog_name="asynclint")
def cli(paths: tuple[str, ...], **kwargs: Any) -> None:
    """Find (and fix) asyncio antipatterns in PATHS (files or folders; default: `.`;
    `-` reads standard input). `asynclint server` runs the language server for editors
    (a folder named `server` is `./server`)."""
    try:
        status = run(list(paths), kwargs)
    except KeyboardInterrupt:
        # Caught here, before click turns it into "Aborted!" with exit 1.
        click.echo("asynclint: interrupted", err=True)
        status = EXIT_INTERRUPTED
    sys.exit(status)


def main() -> None:
    safe_output_streams()
    if sys.argv[1:2] == ["server"]:
        sys.exit(server(sys.argv[2:]))
    try:
        cli(prog_name="asynclint")
    except KeyboardInterrupt:
        click.echo("asynclint: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)


def server(args: list[str]) -> int:
    """`asynclint server`: the language server (needs the `server` extra)."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        return _error(
            "`asynclint server` needs pygls, which is not installed: pip install 'asynclint[server]'"
        )
    from asynclint.server import main as server_main

    return server_main(args)


def _error(message: str) -> int:
    click.echo(f"asynclint: error: {message}", err=True)
    return EXIT_ERROR


def run(paths: list[str], kw: dict[str, Any]) -> int:
    started = time.perf_counter()
    if kw["explain"]:
        return explain(kw["explain"])
    if kw["list_rules"]:
        return list_rules()
    cli_values: dict[str, Any] = {}
    for opt in OPTIONS:
        value = kw.get(opt.attr)
        if value is None or value == ():
            continue
        cli_values[opt.key] = value
    paths = paths or ["."]
    stdin = paths == ["-"]
    try:
        raw = read_stdin() if stdin else b""
    except OSError as exc:
        return _error(f"cannot read standard input: {exc.strerror or exc}")
    # `--fix -` stands for the code (an editor replaces its buffer with standard output):
    # the input is printed unchanged even when the run fails.
    fix_stdin = stdin and kw["fix"] and not kw["diff"]

    def fail(message: str) -> int:
        if fix_stdin:
            with contextlib.suppress(OSError):
                write_bytes(sys.stdout, raw)
        return _error(message)

    try:
        settings = load_settings(paths, cli_values, config=kw["config_file"], isolated=kw["isolated"])
    except ConfigError as exc:
        return fail(str(exc))
    if kw["fix"] and kw["diff"]:
        return _error("--fix and --diff cannot be used together")
    if "-" in paths and len(paths) > 1:
        return _error("`-` (standard input) cannot be combined with other paths")
    if kw["add_noqa"]:
        if kw["fix"] or kw["diff"]:
            return _error("--add-noqa cannot be used with --fix or --diff")
        if "-" in paths:
            return _error("--add-noqa writes files; it cannot be used with standard input")
        return run_add_noqa(paths, settings, kw)
    mode: Mode = "diff" if kw["diff"] else "fix" if kw["fix"] else "check"
    unsafe = bool(settings.unsafe_fixes)
    quiet, verbose = kw["quiet"], kw["verbose"]

    from asynclint.runner import Runner, relax_gc

    relax_gc()
    progress = None
    if not quiet and sys.stderr.isatty() and mode != "diff":
        progress = _progress
    try:
        runner = Runner(
            settings,
            jobs=kw["jobs"],
            use_cache=not kw["no_cache"] and not stdin,
            mode=mode,
            unsafe=unsafe,
            progress=progress,
            # Each file gets its nearest project's configuration, unless one was chosen.
            settings_for=None
            if kw["config_file"] is not None or kw["isolated"] or stdin
            else ProjectSettings(cli_values).for_file,
        )
        if stdin:
            result = runner.check_stdin(raw, kw["stdin_filename"] or "-", supervised=True)
        else:
            result = runner.check(paths)
    except ConfigError as exc:
        return fail(str(exc))
    except Exception as exc:
        if not fix_stdin:
            raise
        return fail(f"internal error: {type(exc).__name__}: {exc}; the input was printed unchanged")
    if progress is not None:
        click.echo("\r\033[K", nl=False, err=True)

    status = EXIT_OK
    for missing in result.missing:
        _error(f"{missing}: no such file or folder")
        status = EXIT_ERROR
    if result.errors:
        # An unreadable folder or a fix that could not be written is a failure, also with
        # --exit-zero (which is about findings).
        status = EXIT_ERROR
    for message in result.errors:
        click.echo(f"asynclint: error: {message}", err=True)
    for message in result.warnings:
        click.echo(f"asynclint: warning: {message}", err=True)
    if settings.target_note is not None and not quiet:
        click.echo(f"asynclint: note: {settings.target_note}", err=True)

    report_to_stdout = kw["output_file"] is None
    fixed = sum(result.applied.values())
    if mode == "diff":
        sys.stdout.write("".join(result.diffs))
        if not quiet:
            would = len(result.diffs)
            click.echo(
                f"Would fix {would} {'file' if would == 1 else 'files'}." if would else "No fixes available.",
                err=True,
            )
    elif result.fixed_code is not None:
        # `--fix -`: standard output is the code, in its own encoding; the report goes elsewhere.
        try:
            write_bytes(sys.stdout, result.fixed_code)
        except OSError as exc:
            status = _error(f"cannot write standard output: {exc.strerror or exc}")
        report_to_stdout = False

    from asynclint.reporting import ReportOptions, render

    fmt = settings.format
    options = ReportOptions(
        unsafe=unsafe,
        show_source=settings.show_source,
        color=report_to_stdout and fmt in ("text", "grouped") and _color_wanted(),
        fixed=fixed,
        mode=mode,
        statistics=kw["statistics"],
        sources=result.sources,
    )
    diagnostics = result.diagnostics
    if mode != "diff":
        text = render(fmt, diagnostics, options)
        if quiet and fmt in ("text", "grouped") and not kw["statistics"]:
            text = "".join(line + "\n" for line in text.splitlines()[:-1])  # drop the summary
        if kw["output_file"]:
            try:
                with open(kw["output_file"], "w", encoding="utf-8", errors=REPORT_ERRORS) as out:
                    out.write(text)
            except OSError as exc:
                return _error(f"cannot write {kw['output_file']}: {exc.strerror or exc}")
        elif result.fixed_code is not None:
            click.echo(text, nl=False, err=True)
        else:
            click.echo(text, nl=False, color=options.color)

    if verbose:
        elapsed = time.perf_counter() - started
        click.echo(
            f"asynclint {__version__}: {result.files} files, {result.parsed} parsed, "
            f"{result.from_cache} from cache, {fixed} fixes applied, {elapsed:.2f}s "
            f"(config: {settings.config_path or 'none'}, target: {settings.target})",
            err=True,
        )
    if status == EXIT_ERROR or any(d.code == "ASL002" for d in diagnostics):
        return EXIT_ERROR
    if mode == "diff":
        return EXIT_PROBLEMS if result.diffs and not kw["exit_zero"] else EXIT_OK
    if diagnostics and not kw["exit_zero"]:
        return EXIT_PROBLEMS
    return EXIT_OK


def run_add_noqa(paths: list[str], settings: Any, kw: dict[str, Any]) -> int:
    """`--add-noqa`: lint, then write a `# noqa` comment for every finding."""
    from asynclint.addnoqa import UNSUPPRESSIBLE, add_noqa_to_files
    from asynclint.runner import Runner

    try:
        result = Runner(settings, jobs=kw["jobs"], use_cache=not kw["no_cache"]).check(paths)
    except ConfigError as exc:
        return _error(str(exc))
    status = EXIT_OK
    for missing in result.missing:
        status = _error(f"{missing}: no such file or folder")
    added = add_noqa_to_files(result.diagnostics)
    for message in result.errors + added.errors:
        status = _error(message)
    for message in result.warnings + added.warnings:
        click.echo(f"asynclint: warning: {message}", err=True)
    left = [d for d in result.diagnostics if d.code in UNSUPPRESSIBLE]
    if left:
        from asynclint.reporting import ReportOptions, render

        click.echo(render("text", left, ReportOptions(unsafe=False)), nl=False)
        status = EXIT_ERROR if any(d.code == "ASL002" for d in left) else max(status, EXIT_PROBLEMS)
    if not kw["quiet"]:
        lines, files = added.lines, added.files
        click.echo(
            f"Added noqa comments to {lines} {'line' if lines == 1 else 'lines'} in "
            f"{files} {'file' if files == 1 else 'files'}."
        )
    return status


REPORT_ERRORS = "asynclint-report"


def _report_errors(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Encoding error handler for reports: what the output's encoding cannot hold is escaped
    (`\\u2192`, as in JSON, so a JSON report stays valid), except undecodable bytes of
    file names (surrogate escapes), which are written as the bytes they were."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object
    end = exc.start
    if 0xDC80 <= ord(text[end]) <= 0xDCFF and _ascii_compatible(exc.encoding):
        while end < exc.end and 0xDC80 <= ord(text[end]) <= 0xDCFF:
            end += 1
        return bytes(ord(char) - 0xDC00 for char in text[exc.start : end]), end
    out = []
    for char in text[exc.start : exc.end]:
        code = ord(char)
        if code > 0xFFFF:  # a surrogate pair, as JSON spells it
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), exc.end


@functools.cache
def _ascii_compatible(encoding: str) -> bool:
    try:
        return "asynclint".encode(encoding) == b"asynclint"
    except (LookupError, UnicodeError):
        return False


codecs.register_error(REPORT_ERRORS, _report_errors)


def safe_output_streams() -> None:
    """Make standard output and error write what their encoding cannot hold escaped, not
    fail (`PYTHONIOENCODING=cp1252`, a file name with undecodable bytes, ...)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, io.UnsupportedOperation):
                stream.reconfigure(errors=REPORT_ERRORS)


def read_stdin() -> bytes:
    """Standard input's bytes, as they are; OSError when there is no standard input."""
    stream = sys.stdin
    if stream is None:
        raise OSError("standard input is closed")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read()
        return data
    return stream.read().encode(stream.encoding or "utf-8", "surrogateescape")


def write_bytes(stream: TextIO | None, data: bytes) -> None:
    """Write bytes as they are to a text stream (its binary buffer, when it has one)."""
    if stream is None:
        raise OSError("standard output is closed")
    buffer = getattr(stream, "buffer", None)
    stream.flush()
    if buffer is None:
        stream.write(data.decode(stream.encoding or "utf-8", "surrogateescape"))
    else:
        buffer.write(data)
        buffer.flush()


def _color_wanted() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _progress(done: int, total: int) -> None:
    if total >= 20 and (done % 10 == 0 or done == total):
        click.echo(f"\r\033[Kasynclint: {done}/{total} files", nl=False, err=True)


def explain(code: str) -> int:
    from asynclint.registry import discover

    rules = discover()
    cls = rules.get(code.upper()) or next((r for r in rules.values() if r.name == code), None)
    if cls is None:
        return _error(f"unknown rule {code!r}; `asynclint --list-rules` lists them")
    click.echo(cls.documentation())
    return EXIT_OK


def list_rules() -> int:
    from asynclint.registry import rule_infos

    rows = [("code", "name", "family", "default", "fix")]
    for code, info in sorted(rule_infos().items()):
        rows.append((code, info.name, info.family, info.default, info.fix))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return EXIT_OK


if __name__ == "__main__":
    main()
