"""Parse an edited module again, keeping the statements its edit did not touch.

The language server lints a document after every edit, and libcst's parse of the whole text
is most of that cost. An edit usually changes one top-level statement: the statements
before it and after it are the nodes of the last parse (libcst's nodes are immutable, and a
lint never keys anything on them beyond its own run), and only a window of statements
around the edit is parsed again.

The result must be the tree a parse of the whole text gives, node for node. The window
lies between two top-level statements of the last parse, one that ends before the first
changed character and one that starts after the last (or it runs to the end of the text),
so the text before and after it is unchanged and the tokenizer enters and leaves it at a
statement boundary. What a window parsed alone may decide differently is checked, and any
doubt parses the whole text:

- the blank lines and comments around a statement, which a parse alone gives to the
  module's header and footer, and which a block before them owns when they are indented:
  where those between the window and its neighbours are flush left, the window is the
  changed statements alone (its header put back as its first statement's leading lines,
  its footer empty unless it runs to the end of the text); else it takes in the two
  neighbours, which must come out equal to the last parse's;
- a backslash continuation at the start of a line, which libcst reads differently after a
  block (and drops): the window of the changed statements alone must generate its text;
- the indentation and line break that count as the module's defaults (nodes that use
  them record `None`): the window's must be the last parse's, and the text before the
  window or the window itself must hold an indented block (the first one in the file
  decides; it is then in unchanged text or in the window);
- anything libcst refuses: the whole text is parsed, and its error reported as usual.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from asynclint.positions import StatementPlaces

#: libcst's check of each node it creates (`CSTNode.__post_init__` calls `_validate`),
#: which a parse does not need: its nodes are what the grammar allows by construction (and
#: CPython's own parser has read the text first, `precheck`). Nodes a fix creates are
#: still checked.
_VALIDATE = cst.CSTNode.__dict__.get("__post_init__")


def _created(self: cst.CSTNode) -> None:
    """A node of a parse: nothing to check."""


def parse_module(text: str) -> cst.Module:
    """`libcst.parse_module(text)` without the check of each node it creates (about a
    fifth of the parse's time), with node constructors that store their fields directly
    (`install_constructors`); raises what it raises. (Linting runs in one thread of a
    process: the language server's lint thread, or a worker of the pool.)"""
    if _VALIDATE is None:
        return cst.parse_module(text)
    if not _CONSTRUCTORS:
        install_constructors()
    cst.CSTNode.__post_init__ = _created  # type: ignore[method-assign]
    _CONSTRUCTORS["_CHECK"] = False
    try:
        return cst.parse_module(text)
    finally:
        _CONSTRUCTORS["_CHECK"] = True
        cst.CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]


#: The globals of the constructors `install_constructors` made: `_CHECK` (whether a new
#: node is checked: False during a parse alone), the field setters and defaults.
_CONSTRUCTORS: dict[str, object] = {}


def install_constructors() -> None:
    """Replace the `__init__` that `dataclasses` generated for each of libcst's node
    classes with one that takes the same arguments and stores the same fields, but
    through each slot's own setter (`dataclasses` goes through `object.__setattr__`, as
    the classes are frozen), and that checks the node (`__post_init__`) unless a parse is
    under way. libcst builds every node of a parse through these: about a tenth of the
    parse's time. A class whose fields are not all plain slots, or whose `__init__` is
    not the generated one, keeps its own. Done once per process."""
    # The mark `dataclasses` itself gives such a default (so signatures compare equal).
    factory = getattr(dataclasses, "_HAS_DEFAULT_FACTORY", None) or _Factory()
    namespace: dict[str, object] = {"_CHECK": True, "_FACTORY": factory}
    made: list[tuple[type, str]] = []
    for cls in _node_classes():
        source = _constructor_source(cls, len(made), namespace)
        if source is not None:
            made.append((cls, source))
    exec("\n".join(source for _, source in made), namespace)  # code made here from field names
    for number, (cls, _) in enumerate(made):
        init = namespace.pop(f"_init_{number}")
        assert callable(init)
        original = cls.__dict__["__init__"]
        init.__qualname__ = original.__qualname__  # type: ignore[attr-defined]
        init.__annotations__ = original.__annotations__  # type: ignore[attr-defined]
        init.__doc__ = original.__doc__
        cls.__init__ = init  # type: ignore[misc]
    _CONSTRUCTORS.update(namespace)


class _Factory:
    """The default of a field with a `default_factory` (as `dataclasses` marks it)."""

    def __repr__(self) -> str:
        return "<factory>"


def _node_classes() -> list[type]:
    """libcst's node classes, every subclass of `CSTNode` the library defines."""
    found: list[type] = []
    todo: list[type] = [cst.CSTNode]
    seen: set[type] = set()
    while todo:
        sub: type
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
                if sub.__module__.startswith("libcst."):
                    found.append(sub)
    return found


def _constructor_source(cls: type, number: int, namespace: dict[str, object]) -> str | None:
    """The source of `_init_<number>`, a constructor of `cls` equivalent to its generated
    one (see `install_constructors`), its setters and defaults added to `namespace`
    (named after `number`); None (and nothing added) when `cls` keeps its own."""
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if code is None or code.co_filename != "<string>" or code.co_name != "__init__":
        return None  # not made by `dataclasses` (nor by this function: those are `_init_N`)
    if not dataclasses.is_dataclass(cls) or "__post_init__" in cls.__dict__:
        return None
    fields = dataclasses.fields(cls)
    # The generated constructor takes the fields, in order, and nothing else (no
    # `InitVar`, no keyword-only or `init=False` field).
    if code.co_kwonlyargcount or code.co_varnames[1 : code.co_argcount] != tuple(f.name for f in fields):
        return None
    parameters: list[str] = []
    body: list[str] = []
    names: dict[str, object] = {}
    prefix = f"_{number}_"
    for item in fields:
        name = item.name
        slot = next((k.__dict__[name] for k in cls.__mro__ if name in k.__dict__), None)
        if type(slot).__name__ != "member_descriptor":
            return None
        names[f"{prefix}s_{name}"] = slot.__set__  # type: ignore[union-attr]
        if item.default is not dataclasses.MISSING:
            names[f"{prefix}d_{name}"] = item.default
            parameters.append(f"{name}={prefix}d_{name}")
        elif item.default_factory is not dataclasses.MISSING:
            names[f"{prefix}f_{name}"] = item.default_factory
            parameters.append(f"{name}=_FACTORY")
            body.append(f"    if {name} is _FACTORY:\n        {name} = {prefix}f_{name}()")
        else:
            parameters.append(name)
        body.append(f"    {prefix}s_{name}(self, {name})")
    namespace.update(names)
    body.append("    if _CHECK:\n        self.__post_init__()")
    return f"def _init_{number}(self, {', '.join(parameters)}):\n" + "\n".join(body) + "\n"


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parse to build on: the text, its module, and where each of the module's
    top-level statements starts in the text, with the end of the last one."""

    text: str
    module: cst.Module
    #: Offsets of `module.body[i]` in `text`, then the end of the last statement (where
    #: the footer starts): `len(module.body) + 1` items.
    bounds: tuple[int, ...]
    #: The positions found in its statements (`positions.layout_statements`), for the
    #: statements the next parse keeps.
    places: dict[int, StatementPlaces] = field(default_factory=dict)


class ParseCache:
    """The last parse of a few documents (by key), for `parse`."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._entries: OrderedDict[str, Parsed] = OrderedDict()
        #: How the last `parse` went: "same", "window" or "full" (for tests and measures).
        self.last = ""

    def parse(self, key: str, text: str) -> Parsed | cst.Module:
        """The module of `text`, as `libcst.parse_module` gives it (raises what it raises):
        a `Parsed` when its statements' offsets are known without a code generation (its
        code is then `text`; with the positions found in the statements it kept)."""
        previous = self._entries.get(key)
        if previous is not None:
            if previous.text == text:
                self.last = "same"
                return previous
            try:
                found = reparse(previous, text)
            except RecursionError:  # deeply nested statements compared
                found = None
            if found is not None:
                self.last = "window"
                module, bounds = found
                if bounds is None:
                    return module
                kept = {id(s) for s in module.body}
                places = {k: v for k, v in previous.places.items() if k in kept}
                return Parsed(text, module, bounds, places)
        self.last = "full"
        return parse_module(text)

    def remember(self, key: str, parsed: Parsed) -> None:
        self._entries[key] = parsed
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


#: The language server's parses (`LintRequest.reuse_parse`), by the document's path.
PARSES = ParseCache()


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _indented(statement: cst.CSTNode) -> bool:
    return isinstance(getattr(statement, "body", None), cst.IndentedBlock)


def reparse(previous: Parsed, text: str) -> tuple[cst.Module, tuple[int, ...] | None] | None:
    """The module of `text` built on `previous` (see the module docstring), with its
    statements' offsets in `text` when libcst's code for the window is its text; None when
    the whole text must be parsed."""
    old, module, bounds = previous.text, previous.module, previous.bounds
    body = module.body
    count = len(body)
    if count < 2 or len(bounds) != count + 1:
        return None
    prefix = _common_prefix(old, text)
    # (The two may overlap where text was only added or removed: either end of the
    # change then does.)
    suffix = _common_suffix(old, text, min(len(old), len(text)))
    suffix_start = len(old) - suffix  # in `old`
    # First: the last statement that ends before the first change (not one that ends just
    # there: the edit may add lines to its block); last: the first that starts after the
    # last change or just there (lines added before it are its own only if it compares
    # unequal below).
    first = None
    for index in range(count):
        if bounds[index + 1] < prefix:
            first = index
        else:
            break
    if first is None:
        return None
    # None: the change reaches into the last statement or the footer, and the window runs
    # to the end of the text (its footer is the module's).
    last = next((i for i in range(first + 1, count) if bounds[i] >= suffix_start), None)
    shift = len(text) - len(old)
    narrow = _narrow(module, bounds, first, last, text, shift)
    if narrow is not None:
        return narrow
    start, end = bounds[first], (bounds[last + 1] + shift if last is not None else len(text))
    if end <= start:
        return None
    window = _parse_window(module, text[start:end], last is not None)
    if window is None:
        return None
    parts = list(window.body)
    if len(parts) < (2 if last is not None else 1) or not (
        any(_indented(s) for s in parts) or any(_indented(s) for s in body[:first])
    ):
        return None
    head = parts[0]
    if window.header:
        head = head.with_changes(leading_lines=(*window.header, *head.leading_lines))
    if not head.deep_equals(body[first]):
        return None
    if last is None:
        edited = module.with_changes(
            body=(*body[: first + 1], *parts[1:]),
            footer=window.footer,
            has_trailing_newline=window.has_trailing_newline,
        )
        return edited, _bounds(window, text[start:end], start, bounds[: first + 1], None)
    if not parts[-1].deep_equals(body[last]):
        return None
    edited = module.with_changes(body=(*body[: first + 1], *parts[1:-1], *body[last:]))
    return edited, _bounds(
        window, text[start:end], start, bounds[: first + 1], [b + shift for b in bounds[last + 1 :]]
    )


def _parse_window(module: cst.Module, piece: str, closed: bool) -> cst.Module | None:
    """`piece` of the text parsed alone, or None when it does not parse, reads the module's
    layout differently (its default indentation, line break, encoding), or, when kept
    statements follow it (`closed`), does not end with a whole line."""
    try:
        window = parse_module(piece)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError, SyntaxError):
        return None
    if (
        (closed and (window.footer or not window.has_trailing_newline))
        or window.default_indent != module.default_indent
        or window.default_newline != module.default_newline
        or window.encoding != module.encoding
    ):
        return None
    return window


def _flush_left(lines: Sequence[cst.EmptyLine]) -> bool:
    """Whether `lines` (blank lines and comments) are not indented: an indented one after a
    block may belong to the block."""
    return not any(line.whitespace.value for line in lines)


def _narrow(
    module: cst.Module, bounds: tuple[int, ...], first: int, last: int | None, text: str, shift: int
) -> tuple[cst.Module, tuple[int, ...] | None] | None:
    """`reparse` with a window of the changed statements alone (after `first`, before
    `last`): where the lines between the window and its neighbours are not indented, none
    of them can belong to a neighbour's block, and the neighbours are kept unparsed (a
    module may be one large class). None when that does not hold."""
    body = module.body
    start = bounds[first + 1]
    end = bounds[last] + shift if last is not None else len(text)
    if end <= start or (last is not None and not _flush_left(body[last].leading_lines)):
        return None
    window = _parse_window(module, text[start:end], last is not None)
    if window is None:
        return None
    parts = list(window.body)
    if not parts or not (any(_indented(s) for s in parts) or any(_indented(s) for s in body[: first + 1])):
        return None
    leading = (*window.header, *parts[0].leading_lines)
    if not _flush_left(leading):
        return None
    if window.header:
        parts[0] = parts[0].with_changes(leading_lines=leading)
    if last is None:
        edited = module.with_changes(
            body=(*body[: first + 1], *parts),
            footer=window.footer,
            has_trailing_newline=window.has_trailing_newline,
        )
        after = None
    else:
        edited = module.with_changes(body=(*body[: first + 1], *parts, *body[last:]))
        after = [b + shift for b in bounds[last:]]
    # The window's first statement starts where the window does (its leading lines were
    # the window's header). And the window's code must be its text: the tokenizer enters
    # the window with the dedents of the statement before it still to come, which changes
    # how a backslash continuation is read (libcst drops one at the start of a line).
    found = _bounds(window, text[start:end], start, (*bounds[: first + 1], start), after)
    return (edited, found) if found is not None else None


def _bounds(
    window: cst.Module,
    window_text: str,
    start: int,
    before: tuple[int, ...],
    after: list[int] | None,
) -> tuple[int, ...] | None:
    """The offsets of the edited module's statements: those of the statements before the
    window, of the window's own (but its first) from a code generation of the window,
    and of those after it (None: the window runs to the end, and its last statement's end
    is the module's); None when that code is not the window's text."""
    from asynclint.positions import RoundTripError, layout

    inside: list[int] = []
    try:
        _, _, exact = layout(window, [], [], source=window_text, bounds=inside)
    except RoundTripError:
        return None
    if not exact or len(inside) != len(window.body) + 1:
        return None
    if after is None:
        after = [start + inside[-1]]
    return (*before, *(start + offset for offset in inside[1:-1]), *after)
