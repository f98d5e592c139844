from asynclint.rule import FixSafety, Rule


class InternalError(Rule):
    """
    ## What it does
    Reports that a rule raised an exception on a file. The message names the rule, the
    exception and where it happened. The failing rule's findings for that file are
    dropped; every other rule's findings stand.

    ## Why is this bad?
    It is a bug in asynclint, not in your code: the failing rule could not check this file.
    Please report it with the file (or a reduced copy).

    ## Example
        # any file on which a rule raises

    ## Use instead
        # nothing to change in your code; `# asynclint: noqa` near the top skips the file

    ## Fix safety
    There is no fix.
    """

    code = "ASL002"
    name = "internal-error"
    message = "{reason}"
    fix_safety = FixSafety.NONE
    triggers = ()
