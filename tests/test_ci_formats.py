"""CI output: SARIF validated against the official SARIF 2.1.0 schema (tests/data, the file
`Schemata/sarif-schema-2.1.0.json` of oasis-tcs/sarif-spec), and GitHub workflow commands
read back the way the Actions runner reads them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from conftest import run_cli

from asynclint.diagnostics import Diagnostic, Edit, Fix, Location
from asynclint.registry import rule_infos
from asynclint.reporting import ReportOptions, render

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

SEVERAL_RULES = """\
import asyncio
import time


async def handler(coro):
    time.sleep(1)
    loop = asyncio.get_event_loop()
    return asyncio.run(coro), loop


async def shadowed():
    asyncio = None
    time.sleep(2)
"""


def validate(log: object) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_shipped_schema_is_the_official_one() -> None:
    assert SCHEMA["id"] == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    known_good = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "tool", "rules": [{"id": "R1"}]}},
                "results": [
                    {
                        "ruleId": "R1",
                        "message": {"text": "m"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "a.py"},
                                    "region": {"startLine": 1},
                                }
                            }
                        ],
                    }
                ],
            }
        ],
    }
    validate(known_good)
    broken = json.loads(json.dumps(known_good))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(AssertionError):
        validate(broken)
    with pytest.raises(AssertionError):
        validate({**known_good, "version": "2.0.0"})


def _sarif(project: Path, *args: str) -> dict[str, Any]:
    proc = run_cli("--isolated", "--no-cache", "--format=sarif", *args, cwd=project)
    assert proc.returncode == 1, proc.stderr
    log: dict[str, Any] = json.loads(proc.stdout)
    validate(log)
    return log


def _uri_ok(uri: str) -> bool:
    # What jsonschema's "uri-reference" check would need an extra package for.
    return re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", uri) is not None


@pytest.mark.parametrize("unsafe", [False, True])
def test_sarif_with_findings_from_several_rules(tmp_path: Path, unsafe: bool) -> None:
    folder = tmp_path / "my app"
    folder.mkdir()
    (folder / "handler.py").write_text(SEVERAL_RULES, encoding="utf-8")
    (tmp_path / "broken.py").write_text("async def f(:\n    pass\n", encoding="utf-8")
    log = _sarif(tmp_path, *(["--unsafe-fixes"] if unsafe else []), ".")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(rule_infos())
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["markdown"].startswith(f"# {rule['id']} {rule['name']}")
        assert urlsplit(rule["helpUri"]).scheme == "https"
    results = run["results"]
    codes = {r["ruleId"] for r in results}
    assert {"ASL001", "ASL101", "ASL600", "ASL601"} <= codes
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert _uri_ok(location["artifactLocation"]["uri"])
    uris = {unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    assert uris == {"my app/handler.py", "broken.py"}
    assert all(" " not in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)

    with_fix = [r for r in results if "fixes" in r]
    without_fix = [r for r in results if "fixes" not in r]
    assert with_fix and without_fix
    assert {r["ruleId"] for r in without_fix} >= {"ASL001"}
    sleep = next(r for r in with_fix if r["ruleId"] == "ASL101")
    change = sleep["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"] == sleep["locations"][0]["physicalLocation"]["artifactLocation"]
    texts = [rep["insertedContent"]["text"] for rep in change["replacements"]]
    assert any("await asyncio.sleep(1)" in text for text in texts)

    root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root.startswith("file:///") and root.endswith("/")


def test_sarif_without_findings_is_valid(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("async def f():\n    return 1\n", encoding="utf-8")
    proc = run_cli("--isolated", "--no-cache", "--format=sarif", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout)
    validate(log)
    assert log["runs"][0]["results"] == []


def test_sarif_paths_outside_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    loc = Location(1, 1)
    diagnostics = [
        Diagnostic("ASL101", "blocking-sleep", "m", str(tmp_path / "elsewhere" / "a b.py"), loc, loc),
        Diagnostic("ASL101", "blocking-sleep", "m", "../other.py", loc, loc),
        Diagnostic("ASL101", "blocking-sleep", "m", str(here / "pkg" / "mod.py"), loc, loc),
    ]
    log = json.loads(render("sarif", diagnostics, ReportOptions()))
    validate(log)
    where = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert where[0] == {"uri": (tmp_path / "elsewhere" / "a b.py").as_uri()}
    assert where[1] == {"uri": (tmp_path / "other.py").as_uri()}
    assert where[2] == {"uri": "pkg/mod.py", "uriBaseId": "%SRCROOT%"}


def test_sarif_fix_regions_are_sarif_regions() -> None:
    edit = Edit(Location(3, 5), Location(3, 15), "await asyncio.sleep(1)")
    fixed = Diagnostic(
        "ASL101",
        "blocking-sleep",
        "m",
        "a.py",
        Location(3, 5),
        Location(3, 18),
        Fix("unsafe", "Use asyncio.sleep", (edit,)),
    )
    log = json.loads(render("sarif", [fixed], ReportOptions()))
    validate(log)
    fix = log["runs"][0]["results"][0]["fixes"][0]
    assert fix["properties"]["applicability"] == "unsafe"
    assert fix["artifactChanges"][0]["replacements"][0]["deletedRegion"] == {
        "startLine": 3,
        "startColumn": 5,
        "endLine": 3,
        "endColumn": 15,
    }


# GitHub -----------------------------------------------------------------------------------

COMMAND_RE = re.compile(r"::(?P<command>[a-z]+)(?: (?P<props>[^:]*))?::(?P<data>.*)")


def read_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """Parse a workflow command as the Actions runner does (split the properties on `,`,
    each at its first `=`, then unescape)."""
    match = COMMAND_RE.fullmatch(line)
    assert match, line

    def unescape_data(text: str) -> str:
        return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")

    def unescape_property(text: str) -> str:
        return unescape_data(text.replace("%3A", ":").replace("%2C", ","))

    props = {}
    for item in (match.group("props") or "").split(","):
        key, _, value = item.partition("=")
        props[key] = unescape_property(value)
    return match.group("command"), props, unescape_data(match.group("data"))


def test_github_commands_round_trip_through_the_runners_parsing() -> None:
    path = "src/odd: name, 100%.py"
    message = "first line\r\nsecond: 50%, done"
    diagnostics = [
        Diagnostic("ASL101", "blocking-sleep", message, "./" + path, Location(3, 5), Location(3, 18)),
        Diagnostic("ASL600", "asyncio-run-in-coroutine", "m", path, Location(4, 9), Location(6, 2)),
    ]
    lines = render("github", diagnostics, ReportOptions()).splitlines()
    assert len(lines) == 2
    command, props, data = read_workflow_command(lines[0])
    assert command == "error"
    assert props == {
        "file": path,
        "line": "3",
        "col": "5",
        "endLine": "3",
        "endColumn": "18",
        "title": "ASL101",
    }
    assert data == f"ASL101 {message}"
    _, props, _ = read_workflow_command(lines[1])
    assert "endColumn" not in props and props["endLine"] == "6"  # a column range needs one line


def test_github_format_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text(SEVERAL_RULES, encoding="utf-8")
    proc = run_cli("--isolated", "--no-cache", "--format=github", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith("::error file=handler.py,line=") for line in lines)
    first = read_workflow_command(lines[0])
    assert first[1]["title"] == "ASL101" and first[1]["line"] == "6" and first[1]["col"] == "5"
    assert first[2].startswith("ASL101 [*] `time.sleep()` blocks the event loop")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/../../outside.py", None),
        ("./a/./b.py", "a/b.py"),
        ("a//b/../c.py", "a/c.py"),
        ("../x.py", None),
    ],
)
def test_sarif_uris_are_normalised_and_never_escape_srcroot(path: str, expected: str | None) -> None:
    from asynclint.reporting.sarif import artifact_location

    root = Path("/project/root")
    location = artifact_location(path, root)
    if expected is None:
        assert location.get("uriBaseId") is None
        assert location["uri"].startswith("file:///project/")
        assert ".." not in location["uri"]
    else:
        assert location == {"uri": expected, "uriBaseId": "%SRCROOT%"}
