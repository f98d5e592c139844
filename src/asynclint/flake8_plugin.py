"""The flake8 adapter (entry point `ASL`): the same engine call as the command line, on the
text flake8 has already read.

flake8 owns what it already does for every plugin: `# noqa`, `--select`/`--ignore`,
per-file ignores, file discovery and syntax errors (its E999). asynclint's ASL001 is reported
here only for a file asynclint does not lint although Python parses it ("not linted: ...":
code past asynclint's limits, refused by its pre-checks so that libcst's native parser
cannot take flake8's process down). asynclint's other settings come from `[tool.asynclint]` in pyproject.toml and
from flake8's own configuration and command line as `--asynclint-<key>` options, which win.
Opt-in rules stay opt-in: they run only when flake8's `select` or `extend-select` names
their full code, as asynclint's own selection does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from asynclint.version import __version__

if TYPE_CHECKING:
    import argparse
    import ast

    from asynclint.registry import RuleInfo
    from asynclint.runner import Runner
    from asynclint.settings import Option, Settings

PREFIX = "asynclint-"
#: How the ASL001 messages of files asynclint does not lint (as opposed to cannot parse) begin.
NOT_LINTED = ("not linted: ", "file not linted: ")
#: asynclint settings that flake8 replaces with its own options.
FLAKE8_OWNS = frozenset(
    {"select", "extend-select", "ignore", "extend-ignore", "per-file-ignores", "exclude", "extend-exclude"}
)


def plugin_options() -> tuple[Option, ...]:
    """The asynclint settings that flake8 gets as `--asynclint-<key>` options: those that
    change findings and that flake8 has no equivalent for."""
    from asynclint.settings import OPTIONS

    return tuple(opt for opt in OPTIONS if opt.affects_results and opt.key not in FLAKE8_OWNS)


def chosen_codes(options: argparse.Namespace | None, infos: Mapping[str, RuleInfo]) -> frozenset[str]:
    """The codes worth running: on by default or named in full by `select`/`extend-select`,
    and not deselected by flake8 (so `--select ASYNC` costs no libcst parse). flake8 still
    makes the final decision per file and per line."""
    named: set[str] = set()
    if options is not None:
        for attr in ("select", "extend_select"):
            named.update(getattr(options, attr, None) or ())
    selected = _flake8_decision(options)
    return frozenset(
        code for code, info in infos.items() if (info.default == "on" or code in named) and selected(code)
    )


def _flake8_decision(options: argparse.Namespace | None) -> Any:
    """flake8's own verdict on a code under the global selection (per-file ignores can only
    remove more, which flake8 then does itself)."""
    if options is None:
        return lambda code: True
    try:
        from flake8.style_guide import Decision, DecisionEngine

        engine = DecisionEngine(options)
    except (ImportError, AttributeError, TypeError):
        # A flake8 whose internals moved: run every rule and let flake8 filter the output.
        return lambda code: True
    return lambda code: engine.decision_for(code) is Decision.Selected


def settings_from(options: argparse.Namespace | None) -> Settings:
    """`[tool.asynclint]` of the nearest pyproject.toml, overridden by the `--asynclint-*`
    values of flake8's configuration and command line."""
    from dataclasses import replace

    from asynclint.registry import rule_infos
    from asynclint.settings import OPTIONS_BY_KEY, ConfigError, load_settings, parse_cli_value

    cli: dict[str, Any] = {}
    if options is not None:
        for opt in plugin_options():
            value = getattr(options, "asynclint_" + opt.attr, None)
            if value is None or value == []:
                continue
            try:
                parse_cli_value(opt, value)
            except ConfigError as exc:
                # Name the option as the user wrote it, in a flake8 config or command line.
                detail = str(exc).removeprefix("command line: ")
                raise ConfigError(f"flake8 option `{PREFIX}{opt.key}`: {detail}") from None
            cli[opt.key] = value

    def drop_flake8_owned(values: dict[str, Any]) -> None:
        for key in FLAKE8_OWNS:
            values.pop(OPTIONS_BY_KEY[key].attr, None)

    # flake8 consumes its `--isolated` before plugins see the options, so [tool.asynclint]
    # is always read; `--asynclint-*` values override it.
    settings = load_settings(["."], cli, transform=drop_flake8_owned)
    settings = replace(settings, select=tuple(sorted(chosen_codes(options, rule_infos()))))
    if options is not None and getattr(options, "disable_noqa", False):
        # `--disable-noqa` shows everything: flake8-async's codes suppress nothing either.
        settings = replace(settings, noqa_aliases=False)
    return settings


class Plugin:
    """flake8 calls `add_options` and `parse_options` once per run (and per worker process
    where workers are spawned), then creates one instance per file and iterates `run()`."""

    name = "asynclint"
    version = __version__
    _runner: ClassVar[Runner | None] = None

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        # `tree` is unused but requested: it is what makes flake8 call the plugin once per file.
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, parser: Any) -> None:
        from asynclint.settings import LIST_KINDS

        for opt in plugin_options():
            kwargs: dict[str, Any] = {
                "parse_from_config": True,
                "default": None,
                "help": f"asynclint's `{opt.key}`: {opt.help}",
            }
            if opt.kind == "bool":
                kwargs["action"] = "store_true"
            else:
                kwargs["metavar"] = opt.metavar
                kwargs["comma_separated_list"] = opt.kind in LIST_KINDS
            parser.add_option(f"--{PREFIX}{opt.key}", **kwargs)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        from asynclint.settings import ConfigError

        try:
            settings = settings_from(options)
        except ConfigError as exc:
            from flake8.exceptions import ExecutionError

            raise ExecutionError(f"asynclint: {exc}") from None
        cls._runner = _runner(settings)

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        from asynclint.diagnostics import INTERNAL_ERROR, SYNTAX_ERROR

        runner = type(self)._runner
        try:
            if runner is None:  # used without flake8's option parsing
                runner = type(self)._runner = _runner(settings_from(None))
            result = runner.check_text(
                "".join(self.lines), self.filename, honour_noqa=False, with_edits=False
            )
        except Exception as exc:
            # One file must never abort flake8's whole run.
            message = f"asynclint failed on this file: {type(exc).__name__}: {exc} (please report this)"
            yield 1, 0, f"{INTERNAL_ERROR} {message}", type(self)
            return
        for d in result.diagnostics:
            # Syntax errors are flake8's E999; a file past asynclint's limits is not one.
            if d.code != SYNTAX_ERROR or d.message.startswith(NOT_LINTED):
                # flake8 counts columns from 0 and adds 1 when printing.
                yield d.start.row, d.start.column - 1, f"{d.code} {d.message}", type(self)


def _runner(settings: Settings) -> Runner:
    from asynclint.runner import Runner

    # The cache serves the project model alone here: the summaries of the other modules
    # of a file's project, which an editor running flake8 on one file would otherwise
    # compute again on every run.
    return Runner(settings, jobs=1, use_cache=True)
