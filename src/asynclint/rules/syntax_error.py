from asynclint.rule import FixSafety, Rule


class SyntaxError_(Rule):
    """
    ## What it does
    Reports a file that asynclint cannot read or parse: a syntax error, an undecodable
    file (bad encoding cookie, invalid UTF-8, UTF-16, a null byte), an unreadable file, code
    nested too deeply to analyse, a file above `max-file-size`, or (rarely) valid code that
    libcst, asynclint's parser, cannot read, which the message says. The message gives the
    reason and the line where the parser stopped. asynclint is not a syntax checker: a file
    is parsed only when it contains `async`/`await` or a name some selected rule looks for,
    so a syntax error in a file without them goes unreported (flake8's E999 and ruff
    report every one).

    ## Why is this bad?
    Nothing else can be checked in a file that does not parse, so its other problems stay
    hidden until it does.

    ## Example
        async def fetch(:
            pass

    ## Use instead
        async def fetch():
            pass

    ## Fix safety
    There is no fix. The rest of the run goes on; the file is never written.
    """

    code = "ASL001"
    name = "syntax-error"
    message = "{reason}"
    fix_safety = FixSafety.NONE
    peer = "flake8 E999"
    # Syntax errors are reported for the files asynclint parses: those where some selected
    # rule can fire. This rule alone makes every file with `async`/`await` parsed.
    triggers = (("async", "await"),)
