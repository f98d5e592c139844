"""The judging tool of benchmarks/: a stratified, seeded sample, judgements files that read
back, the function printed around a finding, and precision per family."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from sample import Judgement, corpus_of, function_source, listing, read_judgements, score, stratified


def _found(counts: dict[str, int]) -> list[Judgement]:
    return [
        Judgement(f"p/m{i}.py", i + 1, 1, code, "?", "", f"message {i}")
        for code, n in counts.items()
        for i in range(n)
    ]


def test_every_family_gets_its_minimum_and_the_sample_its_size() -> None:
    found = _found({"ASL101": 500, "ASL200": 30, "ASL300": 4, "ASL500": 200, "ASL001": 50})
    chosen = stratified(found, size=60, minimum=10, seed=3)
    families = Counter(j.family for j in chosen)
    assert len(chosen) == 60
    assert families["resources"] == 4  # all it has
    assert families["concurrency"] >= 10
    assert families["blocking"] > families["cancellation"] > families["concurrency"]
    assert "other" not in families  # ASL001 says a file was not linted: nothing to judge
    assert stratified(found, size=60, minimum=10, seed=3) == chosen
    assert stratified(found, size=60, minimum=10, seed=4) != chosen


def test_judgements_read_back_and_score_per_family(tmp_path: Path) -> None:
    judged = _found({"ASL101": 3, "ASL200": 2})
    judged[0].verdict, judged[0].reason = "false", "set-up in a test"
    judged[1].verdict = judged[2].verdict = judged[3].verdict = "true"
    path = tmp_path / "j.tsv"
    path.write_text("# note\n" + "".join(j.to_line() for j in judged))
    again = read_judgements(path)
    assert again == judged
    table = score(again, None)
    assert "blocking           2      1         0     0       67 %" in table
    assert "concurrency        1      0         1     0      100 %" in table
    gone = score(again, {judged[1].key, judged[3].key})
    assert "blocking           1      0         0     2      100 %" in gone


def test_listing_names_the_true_lost_the_false_left_and_the_unjudged() -> None:
    judged = _found({"ASL101": 4})
    judged[0].verdict, judged[0].reason = "true", "real block"
    judged[1].verdict, judged[1].reason = "true", "kept block"
    judged[2].verdict, judged[2].reason = "false", "cli code"
    judged[3].verdict, judged[3].reason = "false", "dead code"
    new = Judgement("p/new.py", 9, 5, "ASL102", "?", "", "a new finding")
    text = listing(judged, [judged[1], judged[2], new])
    lost, left, unjudged = text.strip().split("\n\n")
    assert lost.splitlines() == ["true, no longer reported:", "  p/m0.py:1 ASL101  real block"]
    assert left.splitlines() == ["false, still reported:", "  p/m2.py:3 ASL101  cli code"]
    assert unjudged.splitlines() == ["reported, not in the file:", "  p/new.py:9:5 ASL102  a new finding"]


def test_a_judgements_file_with_a_bad_verdict_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.tsv"
    path.write_text("p.py\t1\t1\tASL101\tmaybe\t\tmessage\n")
    with pytest.raises(SystemExit, match=r"j\.tsv:1"):
        read_judgements(path)


def test_the_whole_function_around_a_finding_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import time\n\n\n@decorator\nasync def f():\n    x = 1\n    time.sleep(x)\n\n\nY = 2\n")
    first, lines = function_source(path, 7)
    assert first == 4
    assert lines == ["@decorator", "async def f():", "    x = 1", "    time.sleep(x)"]


def test_the_corpus_of_a_judgements_file_is_the_one_its_first_line_names(tmp_path: Path) -> None:
    library = tmp_path / "projects-seed2.tsv"
    library.write_text("# projects corpus, seed 2, 40 of 317 findings (default selection)\n")
    assert corpus_of(library) == "projects"
    apps = tmp_path / "apps-seed4.tsv"
    apps.write_text("# apps corpus, seed 4, 64 of 64 findings (default selection)\n")
    assert corpus_of(apps) == "apps"
    unnamed = tmp_path / "mine.tsv"
    unnamed.write_text("# my own notes\n")
    assert corpus_of(unnamed) == "apps"
