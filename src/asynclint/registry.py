"""Finding rules (every module under `asynclint.rules` holds one rule, found automatically)
and choosing them (`select`, `ignore` and per-file ignores -> the codes that run on a file).

Start-up must not import libcst or rule modules that a run does not need (a warm run is
answered from the cache alone). So the identity of every rule is also kept in a generated
manifest, `rules/_manifest.py`, which `python -m asynclint.registry` rewrites from the rule
classes themselves and a test keeps in sync. Nothing is registered by hand.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from asynclint.diagnostics import family_of

if TYPE_CHECKING:
    from asynclint.rule import Rule
    from asynclint.settings import Settings
    from asynclint.triggers import Trigger

MANIFEST = Path(__file__).parent / "rules" / "_manifest.py"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    code: str
    name: str
    module: str
    default: Literal["on", "opt"]  # `Rule.default`
    fix: Literal["safe", "unsafe", "none"]  # `Rule.fix_safety`
    summary: str
    triggers: tuple[Trigger, ...]
    skip_test_files: bool
    trigger_regex: str | None = None

    @property
    def family(self) -> str:
        return family_of(self.code)


@functools.cache
def rule_infos() -> dict[str, RuleInfo]:
    """Every rule's identity, by code, without importing any rule module (made once: every
    file's lint asks; callers only read it)."""
    from asynclint.rules._manifest import RULES

    return {row[0]: RuleInfo(*row) for row in RULES}


# Selection ----------------------------------------------------------------------------------

#: A rule selector: ALL, or ASL followed by up to three digits (a family, a prefix, a code).
SELECTOR_RE = re.compile(r"(ALL|ASL\d{0,3})\Z")


def selects(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def selector_problem(selector: str) -> str | None:
    """Why `selector` is no use in `select`/`ignore` (a phrase to follow its quotation in a
    message), or None."""
    if not SELECTOR_RE.match(selector):
        return (
            "which is not a rule code or prefix "
            "(expected ALL, ASL, ASL1, ASL10 or a full code such as ASL101)"
        )
    if selector == "ALL" or any(code.startswith(selector) for code in rule_infos()):
        return None
    return "which selects no rule"


def resolve_selection(settings: Settings, infos: Mapping[str, RuleInfo]) -> frozenset[str]:
    """Ruff's rule: for each code the most specific matching selector wins; on a tie,
    ignoring wins. Opt-in rules are only selected by their full code or by `ALL`."""
    positive: list[str] = list(settings.select) if settings.select is not None else []
    positive += settings.extend_select
    negative = list(settings.ignore) + list(settings.extend_ignore)
    chosen = set()
    for code, info in infos.items():
        best_len = -1
        on = False
        if settings.select is None and info.default == "on":
            best_len, on = 0, True
        for sel in positive:
            if not selects(sel, code):
                continue
            if info.default == "opt" and sel not in (code, "ALL"):
                continue
            length = 0 if sel == "ALL" else len(sel)
            if length > best_len:
                best_len, on = length, True
        for sel in negative:
            if selects(sel, code):
                length = 0 if sel == "ALL" else len(sel)
                if length >= best_len:
                    best_len, on = length, False
        if on:
            chosen.add(code)
    return frozenset(chosen)


def selected_codes(settings: Settings) -> frozenset[str]:
    """The codes `settings` select, before per-file ignores."""
    return resolve_selection(settings, rule_infos())


def codes_for(settings: Settings, relpath: str, selected: frozenset[str]) -> frozenset[str]:
    """The `selected` codes minus the per-file ignores that match `relpath`."""
    ignored = settings.per_file_ignores_for(relpath)
    if not ignored:
        return selected
    return frozenset(c for c in selected if not any(selects(sel, c) for sel in ignored))


# Rule classes -------------------------------------------------------------------------------


def load(codes: set[str] | frozenset[str]) -> list[type[Rule]]:
    """Import the rule classes for `codes`, in code order."""
    from asynclint.rule import registered

    infos = rule_infos()
    for code in sorted(codes):
        info = infos.get(code)
        if info is not None:
            importlib.import_module(f"asynclint.rules.{info.module}")
    found = registered()
    return [found[code] for code in sorted(codes) if code in found]


def discover() -> dict[str, type[Rule]]:
    """Import every module of `asynclint.rules` and return the rule classes by code."""
    from asynclint import rules
    from asynclint.rule import registered

    for module in pkgutil.iter_modules(rules.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"asynclint.rules.{module.name}")
    return registered()


def manifest_text() -> str:
    from asynclint.rule import doc_sections

    lines = [
        '"""Generated by `python -m asynclint.registry`; do not edit. A test keeps it in sync."""',
        "",
        "from typing import Any",
        "",
        "RULES: tuple[tuple[Any, ...], ...] = (",
    ]
    for code, cls in sorted(discover().items()):
        module = cls.__module__.rsplit(".", 1)[-1]
        summary = " ".join(doc_sections(cls.__doc__ or "").get("What it does", "").split())
        row = (
            code,
            cls.name,
            module,
            cls.default.value,
            cls.fix_safety.value,
            summary,
            tuple(cls.triggers),
            cls.skip_test_files,
            cls.trigger_regex,
        )
        lines.append(f"    {row!r},")
    lines.append(")")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = manifest_text()
    if "--check" in sys.argv[1:]:
        current = MANIFEST.read_text(encoding="utf-8") if MANIFEST.exists() else ""
        if current != text:
            print("rules/_manifest.py is stale; run: python -m asynclint.registry", file=sys.stderr)
            return 1
        return 0
    MANIFEST.write_text(text, encoding="utf-8")
    print(f"wrote {MANIFEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
