"""The documentation: the generated pages are current (docs/rules.md from the rule classes,
the option table of docs/configuration.md from `OPTIONS`), every relative link of README.md
and docs/*.md reaches an existing file and heading, and the README keeps its commands."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import click
import pytest
from conftest import ROOT, run_cli

from asynclint import registry, settings
from asynclint.rule import doc_sections

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
RULES = registry.discover()


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_docs = _generator()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# Generated pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [gen_docs.RULES_MD, gen_docs.CONFIGURATION_MD], ids=_rel)
def test_generated_docs_are_current(path: Path, update_fixtures: bool) -> None:
    wanted = gen_docs.generated()[path]
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if update_fixtures and current != wanted:
        path.write_text(wanted, encoding="utf-8")
        current = wanted
    assert current == wanted, f"{_rel(path)} is stale; run: python scripts/gen_docs.py"


def _normalized(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("code", sorted(RULES))
def test_rules_page_holds_each_rules_documentation(code: str) -> None:
    page = gen_docs.RULES_MD.read_text(encoding="utf-8")
    cls = RULES[code]
    assert f"\n## {code} {cls.name}\n" in page
    assert f"[{code}](#{code.lower()}-{cls.name})" in page
    flat = _normalized(page)
    for title, text in doc_sections(cls.__doc__ or "").items():
        if title in ("Example", "Use instead"):
            for line in text.splitlines():
                assert line.removeprefix("    ") in page.splitlines(), f"{code} {title}: {line!r}"
        else:
            assert _normalized(text) in flat, f"{code}: its {title} section is not in docs/rules.md"


def test_every_option_is_in_the_configuration_page() -> None:
    page = gen_docs.CONFIGURATION_MD.read_text(encoding="utf-8")
    for opt in settings.OPTIONS:
        assert f"\n| `{opt.key}` |" in page, opt.key


def test_a_changed_rule_documentation_makes_the_rules_page_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = RULES["ASL101"]
    doc = cls.__doc__ or ""
    assert "stops the whole thread" in doc
    monkeypatch.setattr(cls, "__doc__", doc.replace("stops the whole thread", "stops every thread"))
    assert "stops every thread" in gen_docs.rules_markdown()
    assert gen_docs.RULES_MD in gen_docs.stale()
    assert gen_docs.main(["--check"]) == 1


def test_a_changed_option_makes_the_configuration_page_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    first, *rest = settings.OPTIONS
    changed = (dataclasses.replace(first, help="Another meaning."), *rest)
    monkeypatch.setattr(settings, "OPTIONS", changed)
    assert "Another meaning." in gen_docs.options_table()
    assert gen_docs.CONFIGURATION_MD in gen_docs.stale()

    added = (*settings.OPTIONS, settings.Option("brand-new", "bool", False, "A new key."))
    monkeypatch.setattr(settings, "OPTIONS", added)
    assert "\n| `brand-new` | bool | `false` | A new key. |" in gen_docs.options_table()


def test_the_generator_keeps_the_hand_written_parts(tmp_path: Path) -> None:
    page = "# Title\n\nBefore.\n\n{begin}\nold table\n{end}\n\nAfter.\n"
    text = page.format(begin=gen_docs.OPTIONS_BEGIN, end=gen_docs.OPTIONS_END)
    spliced = gen_docs.splice(text, gen_docs.OPTIONS_BEGIN, gen_docs.OPTIONS_END, "new table\n", "t.md")
    assert spliced == page.format(begin=gen_docs.OPTIONS_BEGIN, end=gen_docs.OPTIONS_END).replace(
        "old table", "new table"
    )
    with pytest.raises(SystemExit):
        gen_docs.splice("no markers\n", gen_docs.OPTIONS_BEGIN, gen_docs.OPTIONS_END, "x\n", "t.md")


# Links -------------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_HTML_ANCHOR_RE = re.compile(r"<a\s+(?:[^>]*\s)?(?:id|name)=\"([^\"]+)\"", re.I)
_LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_DEFINITION_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:|//")
_LINE_ANCHOR_RE = re.compile(r"L\d+(-L\d+)?")


def _prose_lines(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines, fence = [], ""
    for line in text.splitlines():
        match = _FENCE_RE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
        elif match:
            fence = match.group(1)
        else:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the text of its inline Markdown, lower case, without
    punctuation, spaces made hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor of a Markdown page: its headings (the second `## Example` is `example-1`)
    and explicit `<a id=...>` tags."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in _prose_lines(text):
        found.update(_HTML_ANCHOR_RE.findall(line))
        match = _HEADING_RE.match(line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[str]:
    """The link and image targets of a Markdown text, outside code."""
    targets = []
    for line in _prose_lines(text):
        line = _CODE_SPAN_RE.sub("", line)
        targets += _LINK_RE.findall(line)
        targets += _DEFINITION_RE.findall(line)
    return targets


def broken_links(page: Path, root: Path) -> list[str]:
    """The relative links of `page` that point nowhere: a missing file, a path outside
    `root`, or an anchor that the target page does not have."""
    problems = []
    for target in links(page.read_text(encoding="utf-8")):
        if not target or _SCHEME_RE.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page.resolve()
        if not resolved.is_relative_to(root.resolve()):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif fragment:
            if resolved.suffix == ".md":
                if fragment not in anchors(resolved.read_text(encoding="utf-8")):
                    problems.append(f"{target}: no heading #{fragment} in {resolved.name}")
            elif resolved.is_dir() or not _LINE_ANCHOR_RE.fullmatch(fragment):
                problems.append(f"{target}: no anchor #{fragment}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_relative_links_point_to_existing_files_and_headings(page: Path) -> None:
    assert broken_links(page, ROOT) == []


def test_the_link_check_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## The `x` option\n\n## Usage\n")
    (tmp_path / "src.py").write_text("")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n\n## Usage\n\n## Usage\n\n"
        "[ok](other.md) [ok](other.md#the-x-option) [ok](#usage-1) [ok](../src.py#L3)\n"
        "![ok](other.md) [ok][ref] [ok](https://example.com/missing.md) `[code](missing.md)`\n"
        "[missing file](missing.md) [missing anchor](other.md#nothing) [own](#nowhere)\n"
        "[outside](../../elsewhere.md) [bad line anchor](../src.py#top)\n\n"
        "```markdown\n[in a code block](missing.md)\n```\n\n"
        "[ref]: other.md#usage\n[badref]: gone.md\n"
    )
    assert broken_links(page, tmp_path) == [
        "missing.md: no such file",
        "other.md#nothing: no heading #nothing in other.md",
        "#nowhere: no heading #nowhere in page.md",
        "../../elsewhere.md: outside the repository",
        "../src.py#top: no anchor #top",
        "gone.md: no such file",
    ]


def test_slugs_follow_github() -> None:
    assert slug("ASL101 blocking-sleep") == "asl101-blocking-sleep"
    assert slug("Why is this bad?") == "why-is-this-bad"
    assert slug("flake8 and editors") == "flake8-and-editors"
    assert slug("Differences from flake8-async and ruff") == "differences-from-flake8-async-and-ruff"
    assert slug("The `--fix` option") == "the---fix-option"
    assert slug("[Link](x.md) text") == "link-text"


# The README -------------------------------------------------------------------------------

# CI and the reader run these exactly as written (.ci/run runs the second).
INSTALL_AND_RUN = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/asynclint examples/"
INSTALL_AND_TEST = (
    'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest -n auto'
)


def test_readme_keeps_the_set_up_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert f"```bash\n{INSTALL_AND_RUN}\n```" in text
    assert f"```bash\n{INSTALL_AND_TEST}\n```" in text
    assert INSTALL_AND_TEST in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_is_a_front_page_that_links_every_docs_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 10_000, "README.md is a front page; put reference material in docs/"
    linked = {target.partition("#")[0] for target in links(text)}
    for page in sorted(DOCS.glob("*.md")):
        assert _rel(page) in linked, f"README.md does not link {_rel(page)}"


def test_readme_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    source = re.search(r"```python\n(# (\S+)\n.*?)```", text, re.S)
    shown = re.search(r"```console\n\$ asynclint (\S+)\n(.*?)```", text, re.S)
    assert source and shown and source.group(2) == shown.group(1)
    (tmp_path / source.group(2)).write_text(source.group(1), encoding="utf-8")
    proc = run_cli("--isolated", "--no-cache", shown.group(1), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == shown.group(2), "update the README example with asynclint's real output"


def test_every_command_line_option_is_documented() -> None:
    """Options that are not configuration keys are described in docs/usage.md (the keys
    are in the generated table of docs/configuration.md)."""
    from asynclint.cli import cli

    keys = {opt.attr for opt in settings.OPTIONS}
    usage = (DOCS / "usage.md").read_text(encoding="utf-8")
    for param in cli.params:
        if isinstance(param, click.Option) and param.name not in keys:
            for flag in param.opts:
                if flag.startswith("--"):
                    assert f"`{flag}" in usage or f"/{flag}" in usage, f"{flag} is not in docs/usage.md"
