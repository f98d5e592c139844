"""Cheap checks before libcst sees a file: inputs that would crash or stall its parser are
answered in milliseconds.

libcst's native parser overflows its stack (a segmentation fault that takes the whole
process with it) on brackets nested a few thousand deep or on an `and`/`or` chain of some
8,000 operands, and slows down quadratically on very long operator and trailer chains
(`a[0][0]...`, 3,000 deep: 12 s). CPython's own parser is ten times faster and refuses the
deepest of these itself (more than 200 nested brackets, chains that exhaust its recursion
limit), so it is asked first. And libcst's tree costs about 2 KB of memory per token, so a
file with more tokens than fit in 1 GiB is not parsed at all. Its other syntax errors are not a verdict: libcst reads
syntax newer than the running Python (type parameters, PEP 701 f-strings), which is
linted as usual.
"""

from __future__ import annotations

import ast
import re
import warnings

#: `and`/`or` chains longer than this are not given to libcst (it crashes at about 8,000).
MAX_BOOL_OPERANDS = 4_000
#: libcst's tree takes about 2 KB of memory per token (names, numbers, operators) of the
#: file, whatever the file's size in bytes: a 1.8 MB line of `1, 1, 1, ...` took 2.5 GB.
#: Files with more tokens than this are not parsed, so that one file needs at most about
#: 1 GiB.
MAX_TOKENS = 400_000
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")

_BOOL_WORD_RE = re.compile(r"\b(?:and|or)\b")
#: CPython's messages for code nested deeper than its parser allows.
_TOO_DEEP = (
    "too many nested parentheses",
    "too many levels of indentation",
    "too many statically nested blocks",
)


#: The text last checked and CPython's tree of it (None: it did not parse), kept for
#: `python_tree`: the rules that read `ast` line numbers get them without a second parse.
_LAST: tuple[str, ast.Module | None] | None = None


def python_tree(text: str) -> ast.Module | None:
    """CPython's tree of `text`, or None when CPython's parser cannot read it: the one
    `too_complex` made when it was the last text checked, else a new parse."""
    last = _LAST
    if last is not None and last[0] is text:
        return last[1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(text, "<unknown>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    assert isinstance(tree, ast.Module)
    return tree


def too_complex(text: str, path: str) -> str | None:
    """Why `text` must not be parsed with libcst, or None when it may be."""
    global _LAST
    _LAST = None
    if len(text) > MAX_TOKENS:  # a shorter text cannot hold more tokens than characters
        tokens = _TOKEN_RE.subn("", text)[1]
        if tokens > MAX_TOKENS:
            return (
                f"it has about {tokens:,} tokens, more than asynclint parses within 1 GiB of memory"
                f" ({MAX_TOKENS:,})"
            )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except RecursionError:
        return "the code is nested too deeply (Python's own parser gives up on it)"
    except MemoryError:
        return "the code is nested too deeply (Python's own parser runs out of memory on it)"
    except SyntaxError as exc:
        if any(phrase in str(exc.msg) for phrase in _TOO_DEEP):
            return f"the code is nested too deeply: {exc.msg}"
        _LAST = (text, None)
        return None  # libcst decides: it may be syntax newer than this Python
    except ValueError:
        _LAST = (text, None)
        return None  # null bytes and the like: the decoder and libcst report them
    assert isinstance(tree, ast.Module)
    _LAST = (text, tree)
    # Each `and` and `or` word is also a substring: the counts of the substrings bound the
    # words' (and cost a hundredth of the words' search).
    if text.count("and") + text.count("or") > MAX_BOOL_OPERANDS and (
        len(_BOOL_WORD_RE.findall(text)) > MAX_BOOL_OPERANDS
    ):
        longest = max(
            (len(node.values) for node in ast.walk(tree) if isinstance(node, ast.BoolOp)), default=0
        )
        if longest > MAX_BOOL_OPERANDS:
            return f"an `and`/`or` chain of {longest:,} operands is longer than asynclint's parser takes ({MAX_BOOL_OPERANDS:,})"
    return None
