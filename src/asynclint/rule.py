"""The rule base class: a rule's identity is class data, checked when the class is defined.

A rule is a class in its own module under `asynclint.rules`, named after its slug. It
declares `code`, `name`, `message`, `fix_safety` and a docstring with five sections, and
defines `visit_<Node>` / `leave_<Node>` methods that the engine calls in one traversal
shared by all selected rules. It reports findings; the engine decides what becomes of them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from asynclint.triggers import Trigger, trigger_problems

if TYPE_CHECKING:
    import libcst as cst

    from asynclint.analysis.context import Context
    from asynclint.diagnostics import Diagnostic
    from asynclint.fixes import NodeFix
    from asynclint.project import ProjectIndex
    from asynclint.settings import Settings


class FixSafety(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


class Default(enum.Enum):
    ON = "on"
    OPT = "opt"


DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")
_CODE_RE = re.compile(r"ASL\d{3}\Z")
_SLUG_RE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")

_BY_CODE: dict[str, type[Rule]] = {}
_BY_NAME: dict[str, type[Rule]] = {}


#: Paragraphs that the docs of several rules share, by name: a docstring line `{{name}}`
#: stands for the paragraph, indented as the line is (the family module that holds the
#: behaviour registers its text, before its rules are defined).
DOC_PARTS: dict[str, str] = {}
_DOC_PART_RE = re.compile(r"^([ \t]*)\{\{([a-z-]+)\}\}[ \t]*$", re.M)


def expand_doc_parts(doc: str) -> str:
    """`doc` with each `{{name}}` line replaced by `DOC_PARTS[name]` (KeyError: unknown)."""

    def part(match: re.Match[str]) -> str:
        indent, name = match.group(1), match.group(2)
        return "\n".join(indent + line if line else line for line in DOC_PARTS[name].splitlines())

    return _DOC_PART_RE.sub(part, doc)


class RuleDefinitionError(TypeError):
    """A rule class whose identity data is missing or clashes with another rule."""


@dataclass(slots=True)
class Finding:
    """What a rule reported, before the engine gives it a position."""

    node: cst.CSTNode
    message: str
    fix: NodeFix | None
    code: str = ""
    name: str = ""


class Rule:
    """Base class of every rule. See the module docstring."""

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_safety: ClassVar[FixSafety]
    default: ClassVar[Default] = Default.ON
    #: Equivalent rule of flake8-async (FA) or ruff (RF), for the docs.
    peer: ClassVar[str] = ""
    #: Substrings that must all occur in a file for the rule to be able to fire there (a
    #: text scan before parsing; a file where one is absent is not parsed for this rule); an
    #: item that is a tuple needs one of its substrings. Most rules only look inside
    #: `async def`, hence the default.
    triggers: ClassVar[tuple[Trigger, ...]] = ("async",)
    #: A regular expression that must match too, for a rule whose substrings occur in many
    #: files where it cannot fire (`wait` inside every `await`); run only where they all occur.
    trigger_regex: ClassVar[str | None] = None
    #: Rules whose advice does not fit tests (act, then assert) skip files matching
    #: the `test-files` setting.
    skip_test_files: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        problems = []
        code = cls.__dict__.get("code")
        name = cls.__dict__.get("name")
        if not isinstance(code, str) or not _CODE_RE.match(code):
            problems.append(f"code {code!r} does not match ASL followed by three digits")
        elif code in _BY_CODE and _BY_CODE[code].__qualname__ != cls.__qualname__:
            problems.append(f"code {code} is already used by {_BY_CODE[code].__name__}")
        if not isinstance(name, str) or not _SLUG_RE.match(name):
            problems.append(f"name {name!r} is not a kebab-case slug")
        elif name in _BY_NAME and _BY_NAME[name].__qualname__ != cls.__qualname__:
            problems.append(f"name {name} is already used by {_BY_NAME[name].__name__}")
        if not isinstance(cls.__dict__.get("message"), str) or not cls.__dict__["message"]:
            problems.append("message template is missing")
        if not isinstance(cls.__dict__.get("fix_safety"), FixSafety):
            problems.append("fix_safety must be a FixSafety")
        if not isinstance(cls.default, Default):
            problems.append("default must be a Default")
        problems += trigger_problems(cls.triggers, cls.trigger_regex)
        if cls.__doc__ and "{{" in cls.__doc__:
            try:
                cls.__doc__ = expand_doc_parts(cls.__doc__)
            except KeyError as exc:
                problems.append(f"docstring names the unknown part {exc}")
        sections = doc_sections(cls.__doc__ or "")
        missing = [title for title in DOC_SECTIONS if not sections.get(title, "").strip()]
        if missing:
            problems.append("docstring lacks the section(s) " + ", ".join(missing))
        if problems:
            raise RuleDefinitionError(f"rule class {cls.__name__}: " + "; ".join(problems))
        assert isinstance(code, str) and isinstance(name, str)
        _BY_CODE[code] = cls
        _BY_NAME[name] = cls

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []
        self._held: list[tuple[str, Finding]] = []

    def report(self, node: cst.CSTNode, *, fix: NodeFix | None = None, **values: object) -> None:
        """Report `node`; `values` fill the message template."""
        message = self.message.format(**values) if values else self.message
        if fix is not None and self.fix_safety is FixSafety.NONE:
            raise RuleDefinitionError(f"{self.code} declares no fix but offered one")
        self.findings.append(Finding(node, message, fix, self.code, self.name))

    def report_unless_exempt(
        self, owner: str, node: cst.CSTNode, /, *, fix: NodeFix | None = None, **values: object
    ) -> None:
        """Like `report`, for a finding in the function named `owner` that stands only if
        `release_reports()` (called from `finish()`, once the whole file is known) does not
        name that function exempt."""
        self.report(node, fix=fix, **values)
        self._held.append((owner, self.findings.pop()))

    def release_reports(self, exempt: Container[str]) -> None:
        self.findings.extend(finding for owner, finding in self._held if owner not in exempt)
        self._held.clear()

    def finish(self) -> object | None:
        """Called after the traversal, when positions are known; returns this file's facts
        for `project_diagnostics` (must be picklable plain data), or None."""
        return None

    @classmethod
    def project_diagnostics(
        cls, facts: Mapping[str, object], settings: Settings, project: ProjectIndex | None = None
    ) -> Iterable[Diagnostic]:
        """Diagnostics that need the facts of every linted file (path -> facts). `project`:
        for the project model's own rule (its facts are the module summaries), the model of
        those summaries when the runner has made it already."""
        return ()

    @classmethod
    def valid_facts(cls, facts: object) -> bool:
        """Whether `facts`, read back from the cache (JSON), have the shape `finish()`
        gives them: a cached file whose facts do not is linted again. A rule with facts
        checks every level (a corrupt cache must neither crash `project_diagnostics` nor
        change its verdicts); the default trusts no cached facts."""
        return False

    @classmethod
    def documentation(cls) -> str:
        return render_doc(cls)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its `## Title` sections."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for raw in _dedent(doc).splitlines():
        if raw.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip("\n")
            current, lines = raw[3:].strip(), []
        elif current is not None:
            lines.append(raw)
    if current is not None:
        sections[current] = "\n".join(lines).strip("\n")
    return sections


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


def render_doc(cls: type[Rule]) -> str:
    """The rule's documentation as Markdown, for `--explain` and docs/rules.md."""
    head = f"# {cls.code} {cls.name}\n\n"
    head += f"Default: {'on' if cls.default is Default.ON else 'off (opt-in)'}. "
    head += f"Fix: {cls.fix_safety.value}."
    if cls.peer:
        head += f" Peer: {cls.peer}."
    body = "\n\n".join(f"## {t}\n{s}" for t, s in doc_sections(cls.__doc__ or "").items())
    return head + "\n\n" + body + "\n"


def registered() -> dict[str, type[Rule]]:
    """Rule classes defined so far, by code (see `asynclint.registry` for discovery)."""
    return dict(_BY_CODE)
