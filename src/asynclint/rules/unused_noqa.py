from typing import ClassVar

from asynclint.rule import Default, FixSafety, Rule


class UnusedNoqa(Rule):
    """
    ## What it does
    Reports the asynclint codes of a `# noqa: ASLxxx` comment that suppress nothing: no
    finding of that rule is reported on the comment's line (or on the multi-line statement
    it ends). Only the rules that ran on the file are judged: a code that this run does not
    select, or that `per-file-ignores` turns off for the file, is left alone, as are other
    tools' codes (`E501`, `ASYNC251`), prefixes (`ASL1`), a bare `# noqa`, ASL116 (decided
    across modules), a comment the project model reads (`# noqa: ASL101` on a sync
    helper's blocking call: the call is fine for every caller) and a comment that lists
    ASL003 itself.

    ## Why is this bad?
    A stale `# noqa` hides the next real problem on its line: once the blocking call it was
    written for is gone, a new one added there later is silenced without anyone deciding to.

    ## Example
        import asyncio


        async def poll():
            await asyncio.sleep(1)  # noqa: ASL101

    ## Use instead
        import asyncio


        async def poll():
            await asyncio.sleep(1)

    ## Fix safety
    The fix is safe: it removes the unused codes and keeps the others (`# noqa: E501`), or
    the whole `# noqa` when none remain, keeping any comment after it. A comment that goes
    on with words of its own after the codes (`# noqa: ASL101 slow on purpose`) is reported
    without a fix.
    """

    code = "ASL003"
    name = "unused-noqa"
    message = "unused `noqa` code{plural}: {codes}"
    fix_safety = FixSafety.SAFE
    default = Default.OPT
    peer = "RF RUF100"
    triggers = ("noqa",)
    # Its example judges ASL101's noqa: ASL101 runs too.
    example_settings: ClassVar[dict[str, object]] = {"extend_select": ("ASL002", "ASL101")}
