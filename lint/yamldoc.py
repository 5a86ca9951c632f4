"""YAML documents as position-carrying node trees.

This is the only module that talks to the YAML parser. It composes nodes (it never constructs Python
objects, so no tag can make it run code), converts them into small node classes whose every key and value
knows its exact span in the file, and records what a linter must report about the YAML itself: syntax errors
(per document, so that one broken document does not hide the others) and repeated mapping keys.

The C-based libyaml parser is used when it is installed (about twenty times faster); the pure-Python parser
is the fallback and is also used to word syntax errors, so messages do not depend on which one is present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Union

from ruamel.yaml.composer import ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.reader import Reader, ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import Scanner
from ruamel.yaml.tag import Tag

from lint.source import SourceText

try:  # the C extension is optional: ruamel.yaml[libyaml]
    from ruamel.yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on the platform
    _CParser = None

PLAIN_TAG = "!vmlint/plain"
"""Tag given to an untagged plain scalar: its type is decided later by Kubernetes' own YAML rules."""
STR_TAG = "tag:yaml.org,2002:str"
MERGE_KEY = "<<"
_NON_SPECIFIC_TAG = re.compile(r"(?:&\S+[ \t]+)?![ \t]")


class Span:
    """Where a node stands: 1-based lines and columns, and 0-based character offsets into the file text.

    Spans made while loading hold only offsets and the file's line table: lines and columns are looked up when
    first read, which happens for the few nodes a finding points at. Computing them for every node was a
    third of the time spent loading a file. A span never changes once made.
    """

    __slots__ = ("start", "end", "_lines", "_where")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, start: int, end: int) -> None:
        self.start = start
        self.end = end
        self._lines: SourceText | None = None
        self._where: tuple[int, int, int, int] | None = (line, column, end_line, end_column)

    @classmethod
    def of(cls, source: SourceText, start: int, end: int) -> Span:
        """The span of the offsets `start`..`end` of `source`, its lines and columns computed when asked."""
        span = cls.__new__(cls)
        span.start, span.end, span._lines, span._where = start, end, source, None
        return span

    def _resolved(self) -> tuple[int, int, int, int]:
        if self._where is None:
            first, last = self._lines.position(self.start), self._lines.position(self.end)  # type: ignore[union-attr]
            self._where = (first.line, first.column, last.line, last.column)
            self._lines = None
        return self._where

    @property
    def line(self) -> int:
        return self._resolved()[0]

    @property
    def column(self) -> int:
        return self._resolved()[1]

    @property
    def end_line(self) -> int:
        return self._resolved()[2]

    @property
    def end_column(self) -> int:
        return self._resolved()[3]

    def _key(self) -> tuple[int, int, int, int, int, int]:
        return (*self._resolved(), self.start, self.end)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        line, column, end_line, end_column = self._resolved()
        return (f"Span(line={line}, column={column}, end_line={end_line}, end_column={end_column}, "
                f"start={self.start}, end={self.end})")

    def __reduce__(self) -> tuple[type[Span], tuple[int, int, int, int, int, int]]:
        return (Span, self._key())  # sent to another process as numbers, without the file

    def __copy__(self) -> Span:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Span:
        return self


@dataclass(eq=False)
class Scalar:
    value: str
    tag: str
    style: str  # "" plain, "'" single-quoted, '"' double-quoted, "|" literal, ">" folded
    span: Span

    @property
    def is_plain(self) -> bool:
        return self.tag == PLAIN_TAG


@dataclass(eq=False)
class Sequence:
    items: list[Node]
    tag: str
    flow: bool
    span: Span


@dataclass(eq=False)
class Mapping:
    pairs: list[tuple[Node, Node]]
    tag: str
    flow: bool
    span: Span
    _effective: dict[str, tuple[Scalar, Node]] | None = field(default=None, repr=False)

    def entries(self) -> Iterator[tuple[Scalar, Node]]:
        """The effective string-keyed entries, as YAML-to-JSON conversion sees them.

        Merge keys (`<<`) are expanded, explicit keys win over merged ones, and of repeated keys the last wins,
        which is what Kubernetes' YAML decoding keeps. Computed once: nodes do not change after loading.
        """
        yield from self._table().values()

    def get(self, key: str) -> Node | None:
        entry = self._table().get(key)
        return entry[1] if entry else None

    def entry(self, key: str) -> tuple[Scalar, Node] | None:
        return self._table().get(key)

    def _table(self) -> dict[str, tuple[Scalar, Node]]:
        if self._effective is None:
            table: dict[str, tuple[Scalar, Node]] = {}
            for key, value in _merged_pairs(self, set()):
                if isinstance(key, Scalar):
                    table.pop(key.value, None)
                    table[key.value] = (key, value)
            self._effective = table
        return self._effective


Node = Union[Scalar, Sequence, Mapping]


_MERGE_DEPTH = 64  # merges of merges deeper than this are hostile input, not a manifest


def _merged_pairs(mapping: Mapping, active: set[int], depth: int = 0) -> list[tuple[Node, Node]]:
    """Pairs of a mapping with `<<` merges applied: merged entries first, so explicit ones override them.

    Each merged mapping counts once however often it is merged, and cycles and absurd chains stop, so a
    merge-key "bomb" costs no more than its text.
    """
    if id(mapping) in active or depth > _MERGE_DEPTH:
        return []
    active = active | {id(mapping)}
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    done: set[int] = set()
    for key, value in mapping.pairs:
        if isinstance(key, Scalar) and key.is_plain and key.value == MERGE_KEY:
            sources = value.items if isinstance(value, Sequence) else [value]
            # In a sequence of merged mappings the earlier ones take precedence: add them last.
            for source in reversed(sources):
                if isinstance(source, Mapping) and id(source) not in done:
                    done.add(id(source))
                    merged.extend(_merged_pairs(source, active, depth + 1))
        else:
            own.append((key, value))
    return merged + own


@dataclass(frozen=True)
class DuplicateKey:
    key: Scalar
    first: Scalar


@dataclass(frozen=True)
class SyntaxProblem:
    """A document that does not parse: the parser's words and where it stopped."""

    problem: str
    context: str | None
    line: int
    column: int
    context_line: int | None
    context_column: int | None


@dataclass(eq=False)
class Document:
    """One YAML document of a file: its root node, or the syntax problem that kept it from parsing."""

    index: int  # 0-based position of the document in its file
    start_line: int
    end_line: int
    start: int  # character offsets into the file text
    end: int
    root: Node | None = None
    syntax_error: SyntaxProblem | None = None
    duplicates: list[DuplicateKey] = field(default_factory=list)
    limit: LimitProblem | None = None  # a hard cap was exceeded: the document was not built


class _PositionResolver(VersionedResolver):
    """Leaves plain scalars untyped: YAML 1.2 and Kubernetes (YAML 1.1 via go-yaml) disagree on `yes` or `on`."""

    _plain = Tag(suffix=PLAIN_TAG)

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
        if kind is ScalarNode:
            return self._plain if implicit[0] else self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


class _PureComposer(Reader, Scanner, Parser, _PositionResolver):
    """The pure-Python parser, used for its events only (see _Builder)."""

    def __init__(self, stream: str) -> None:
        self.comment_handling = None
        Reader.__init__(self, stream, loader=self)
        Scanner.__init__(self, loader=self)
        Parser.__init__(self, loader=self)
        _PositionResolver.__init__(self, None, self)


if _CParser is not None:

    class _CComposer(_CParser, _PositionResolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _PositionResolver.__init__(self, None, self)


def c_parser_available() -> bool:
    return _CParser is not None


_PREAMBLE = re.compile(r"\s*(?:[%#].*)?")


_MARKER = re.compile(r"(?m)^(?:---|\.\.\.)(?=[ \t\r\n\x85\u2028\u2029]|$)")


def split_documents(source: SourceText) -> list[tuple[int, int]]:
    """Cut a stream into chunks of one document each, by the `---` and `...` markers at column 0.

    The markers are reserved at the start of a line in every YAML context (no scalar may contain them there),
    so this text split is exact; it lets one document fail to parse without hiding the others. A chunk holding
    only directives, comments or blank lines is joined to the next, since directives belong to what follows.
    """
    text = source.text
    cuts = [0]
    for match in _MARKER.finditer(text):
        start = match.start()
        if not source.is_line_start(start):
            continue  # a marker after a line break YAML counts but the regular expression does not
        if match.group() == "---":
            cuts.append(start)
        else:
            following = source.position(start).line + 1
            if following <= source.line_count:
                cuts.append(source.line_start(following))
    cuts = sorted(set(cuts)) + [len(text)]
    chunks: list[tuple[int, int]] = []
    pending = None
    for begin, end in zip(cuts, cuts[1:]):
        if pending is not None:
            begin = pending
            pending = None
        if end < len(text) and _only_preamble(text, begin, end):
            if "%" in text[begin:end]:
                pending = begin
                continue
        chunks.append((begin, end))
    return chunks


def _only_preamble(text: str, begin: int, end: int) -> bool:
    return all(_PREAMBLE.fullmatch(line) for line in text[begin:end].splitlines())


@dataclass(frozen=True)
class Limits:
    """Hard caps that keep hostile input bounded in time and memory; exceeding one is a VM005 finding.

    Nesting is built iteratively, so depth is a cap on what downstream tools survive, not on vmlint; alias
    expansion is what a naive consumer (kubectl's converter) would materialise, counted without expanding.
    """

    file_bytes: int = 64 * 1024 * 1024
    scalar_chars: int = 1024 * 1024
    depth: int = 1000
    expanded_nodes: int = 1_000_000


@dataclass(frozen=True)
class LimitProblem:
    what: str  # "file size", "scalar size", "nesting depth", "alias expansion"
    limit: int
    found: int
    line: int
    column: int


class _LimitExceeded(Exception):
    def __init__(self, what: str, limit: int, found: int, index: int) -> None:
        super().__init__(what)
        self.what, self.limit, self.found, self.index = what, limit, found, index


# An anchor or alias may stand in the text: events alone (raw parsing) do not show an undefined or recursive
# alias, or an alias bomb, so such a document is built even when no rule reads it. Stray `*` in plain text
# (a cron schedule, a glob) costs a build, nothing more.
_ALIAS_HINT = re.compile(r"(?:^|[\s\[{,])[*&][^\s,\[\]{}]", re.MULTILINE)

Relevance = Callable[[str, list[tuple[int, int]]], list[bool]]  # (text, chunks) -> build each chunk?


def load_documents(
    source: SourceText, use_c: bool = True, limits: Limits = Limits(), relevant: Relevance | None = None
) -> list[Document]:
    """Parse every document of a file, each on its own, with positions relative to the whole file.

    With `relevant`, documents that cannot matter to any rule are only checked for syntax, by libyaml in C
    without building a Python object, and leave no Document behind unless they are broken.
    """
    use_c = use_c and _CParser is not None
    chunks = split_documents(source)
    wanted = relevant(source.text, chunks) if relevant is not None and use_c else [True] * len(chunks)
    if not any(wanted) and chunks and not _ALIAS_HINT.search(source.text):
        try:
            _CComposer(source.text).raw_parse()
            return []  # nothing anyone lints, and all of it parses
        except YAMLError:
            pass  # find the broken documents one by one
    documents: list[Document] = []
    for (begin, end), want in zip(chunks, wanted):
        chunk = source.text[begin:end]
        if not want:
            try:
                _CComposer(chunk).raw_parse()
                if not _ALIAS_HINT.search(chunk):
                    continue
            except YAMLError:
                pass  # build it below, so that the error is worded and placed like any other
        first = source.position(begin).line
        last = source.position(max(begin, end - 1)).line
        builder = _Builder(source, begin, limits)
        error = builder.run(chunk, use_c)
        if isinstance(error, YAMLError) and use_c:
            # The pure parser words the error; where it accepts what libyaml rejects (YAML 1.2 allows
            # `{image: example.com/disk:1}` in flow context, as go-yaml does), its document is the one kept.
            builder = _Builder(source, begin, limits)
            error = builder.run(chunk, False)
        if isinstance(error, _LimitExceeded):
            at = source.position(begin + error.index)
            problem = LimitProblem(error.what, error.limit, error.found, at.line, at.column)
            documents.append(Document(len(documents), first, last, begin, end, limit=problem))
            continue
        if error is not None:
            documents.append(Document(len(documents), first, last, begin, end, syntax_error=_problem(error, source, begin)))
            continue
        if not want:
            continue  # built only to see that its aliases resolve (and to count their expansion): no rule reads it
        for root in builder.roots:
            documents.append(
                Document(len(documents), first, last, begin, end, root=root, duplicates=builder.duplicates)
            )
    return documents


def _problem(err: YAMLError, source: SourceText, offset: int) -> SyntaxProblem:
    """The parser's words and marks, with positions from the file's own line table (parsers disagree on
    how to count a final line break; their character indexes agree)."""
    if isinstance(err, ReaderError):  # a character YAML does not allow in a stream
        where = source.position(offset + max(err.position, 0))
        return SyntaxProblem(
            f"unacceptable character #x{err.character:04x}: control characters are not allowed in YAML",
            None, where.line, where.column, None, None,
        )
    if not isinstance(err, MarkedYAMLError):
        return SyntaxProblem(str(err).strip(), None, source.position(offset).line, 1, None, None)
    mark = err.problem_mark or err.context_mark
    where = source.position(offset + mark.index) if mark else source.position(offset)
    context = source.position(offset + err.context_mark.index) if err.context_mark else None
    return SyntaxProblem(
        problem=(err.problem or "invalid YAML").strip(),
        context=err.context.strip() if err.context else None,
        line=where.line,
        column=where.column,
        context_line=context.line if context else None,
        context_column=context.column if context else None,
    )


class _Builder:
    """Builds vmlint nodes straight from parser events, without recursion.

    The parsers' own composers recurse (ruamel.yaml's C composer overflows the C stack and crashes the
    process on 100,000 nested brackets); events are a flat stream, so nesting costs a list entry here. An
    alias is the anchored node itself, shared, never copied: alias "bombs" stay as small as their text, and
    their expanded size is counted bottom-up to report them.
    """

    def __init__(self, source: SourceText, offset: int, limits: Limits) -> None:
        self.source = source
        self.offset = offset
        self.limits = limits
        self.roots: list[Node] = []
        self.duplicates: list[DuplicateKey] = []
        self.mappings: list[Mapping] = []
        self.anchors: dict[str, Node] = {}

    def run(self, chunk: str, use_c: bool) -> YAMLError | _LimitExceeded | None:
        parser = None
        try:
            parser = _CComposer(chunk) if use_c else _PureComposer(chunk)  # the reader checks characters here
            self._consume(parser)
        except (YAMLError, _LimitExceeded) as err:
            return err
        finally:
            if parser is not None and hasattr(parser, "dispose"):
                parser.dispose()
        for mapping in self.mappings:
            self._place_empty_values(mapping)
            self._find_duplicates(mapping)
        return None

    def _consume(self, parser: object) -> None:
        """Turn the event stream into nodes. The expanded size (what alias expansion would materialise) is a
        running count: every node adds one and every alias adds its target's whole size, so a collection's
        size is the count at its end minus the count at its start, and only anchored collections keep theirs."""
        source, offset, limits = self.source, self.offset, self.limits
        # per open collection: [node, start offset, anchor, count at start, key waiting for its value]
        stack: list[list] = []  # type: ignore[type-arg]
        count = 0
        sizes: dict[int, int] = {}  # expanded size of each anchored collection
        check_event, get_event = parser.check_event, parser.get_event  # type: ignore[attr-defined]
        while check_event():
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                value = event.value
                if len(value) > limits.scalar_chars:
                    raise _LimitExceeded("scalar size", limits.scalar_chars, len(value), event.start_mark.index)
                tag = getattr(event, "ctag", None) or event.tag
                if tag is None:
                    tag = PLAIN_TAG if event.implicit[0] else STR_TAG
                else:
                    tag = str(tag)
                    if tag == "!":
                        tag = STR_TAG  # a lone `!` turns implicit typing off: the value is a string
                node: Node = Scalar(value, tag, event.style or "",
                                    Span.of(source, offset + event.start_mark.index, offset + event.end_mark.index))
                count += 1
                if event.anchor is not None:
                    self.anchors[event.anchor] = node
                self._attach(stack, node)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= limits.depth:
                    raise _LimitExceeded("nesting depth", limits.depth, len(stack) + 1, event.start_mark.index)
                tag = str(getattr(event, "ctag", None) or event.tag or "")
                if kind is SequenceStartEvent:
                    node = Sequence([], tag or "tag:yaml.org,2002:seq", bool(event.flow_style), None)  # type: ignore[arg-type]
                else:
                    node = Mapping([], tag or "tag:yaml.org,2002:map", bool(event.flow_style), None)  # type: ignore[arg-type]
                stack.append([node, event.start_mark.index, event.anchor, count, None])
                count += 1
                if event.anchor is not None:
                    self.anchors[event.anchor] = node
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                node, start, anchor, before, _ = stack.pop()
                node.span = Span.of(source, offset + start, offset + event.end_mark.index)
                if kind is MappingEndEvent:
                    self.mappings.append(node)  # type: ignore[arg-type]
                size = count - before
                if size > limits.expanded_nodes:
                    raise _LimitExceeded("alias expansion", limits.expanded_nodes, size, start)
                if anchor is not None:
                    sizes[id(node)] = size
                self._attach(stack, node)
            elif kind is AliasEvent:
                target = self.anchors.get(event.anchor)
                if target is None:
                    raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
                if any(entry[0] is target for entry in stack):
                    raise ComposerError(None, None, f"found recursive alias {event.anchor!r}", event.start_mark)
                count += sizes.get(id(target), 1)
                self._attach(stack, target)
            elif kind is DocumentStartEvent:
                self.anchors = {}

    def _attach(self, stack: list, node: Node) -> None:  # type: ignore[type-arg]
        if not stack:
            self.roots.append(node)
            return
        entry = stack[-1]
        parent = entry[0]
        if type(parent) is Sequence:
            parent.items.append(node)
        elif entry[4] is None:
            entry[4] = node
        else:
            parent.pairs.append((entry[4], node))
            entry[4] = None

    def _place_empty_values(self, mapping: Mapping) -> None:
        """Put an empty value just after its key's colon, as libyaml does (the pure parser puts it at the next
        token, possibly lines later), so positions do not depend on the parser."""
        text = self.source.text
        for key, value in mapping.pairs:
            if isinstance(value, Scalar) and value.span.start == value.span.end and value.value == "":
                colon = text.find(":", key.span.end, value.span.start + 1)
                if colon >= 0:
                    value.span = Span.of(self.source, colon + 1, colon + 1)

    def _find_duplicates(self, mapping: Mapping) -> None:
        first: dict[str, Scalar] = {}
        for key, _ in mapping.pairs:
            if not isinstance(key, Scalar) or (key.is_plain and key.value == MERGE_KEY):
                continue
            if key.value in first:
                self.duplicates.append(DuplicateKey(key, first[key.value]))
            else:
                first[key.value] = key


def source_slice(source: SourceText, node: Node) -> str:
    """The exact text of a node in the file."""
    return source.text[node.span.start : node.span.end]


_SIMPLE_ESCAPES = {"x": 2, "u": 4, "U": 8}


def value_span(source: SourceText, scalar: Scalar, start: int, end: int | None = None) -> Span:
    """The span of the characters `value[start:end]` of a scalar, in the file.

    Exact for scalars on one line in every style (quotes and escapes are accounted for) and for literal
    block scalars; for other multi-line scalars the whole scalar's span is the honest answer.
    """
    end = start + 1 if end is None else max(end, start + 1)
    first = _value_index(source, scalar, start)
    last = _value_index(source, scalar, min(end, len(scalar.value)) - 1) if scalar.value else None
    if first is None or last is None:
        return scalar.span
    return Span.of(source, first, last + 1)


def _value_index(source: SourceText, scalar: Scalar, offset: int) -> int | None:
    """The file offset of character `offset` of the scalar's value, or None where it cannot be exact."""
    raw = source.text[scalar.span.start : scalar.span.end]
    if offset >= len(scalar.value):
        # one past the end: just after the last character (before a closing quote)
        if scalar.value and (inner := _value_index(source, scalar, len(scalar.value) - 1)) is not None:
            return inner + 1
        return None
    if scalar.style in ("|",):
        return _literal_index(source, scalar, offset)
    if "\n" in raw or "\r" in raw:
        return None
    if scalar.style == "":
        return scalar.span.start + offset if raw.startswith(scalar.value) else None
    if scalar.style == "'":
        return _quoted_index(raw, scalar, offset, single=True)
    if scalar.style == '"':
        return _quoted_index(raw, scalar, offset, single=False)
    return None


def _quoted_index(raw: str, scalar: Scalar, offset: int, single: bool) -> int | None:
    position, produced = 1, 0
    while position < len(raw) - 1:
        step = 1
        if single and raw.startswith("''", position):
            step = 2
        elif not single and raw[position] == "\\":
            escape = raw[position + 1 : position + 2]
            step = 2 + _SIMPLE_ESCAPES.get(escape, 0)
        if produced == offset:
            return scalar.span.start + position
        produced += 1
        position += step
    return None


def _literal_index(source: SourceText, scalar: Scalar, offset: int) -> int | None:
    """Literal block scalars keep their lines: value line k is source line (header + 1 + k) less the indent."""
    before = scalar.value[:offset]
    value_line = before.count("\n")
    column_in_line = len(before) - (before.rfind("\n") + 1)
    line_number = scalar.span.line + 1 + value_line
    text = source.line_text(line_number)
    indent = _block_indent(source, scalar)
    if indent is None or column_in_line + indent >= len(text) + 1:
        return None
    return source.line_start(line_number) + indent + column_in_line


def _block_indent(source: SourceText, scalar: Scalar) -> int | None:
    header = source.text[scalar.span.start : source.line_start(scalar.span.line + 1)] if (
        scalar.span.line < source.line_count
    ) else ""
    explicit = re.search(r"[1-9]", header.split("#")[0])
    for line in range(scalar.span.line + 1, scalar.span.end_line + 1):
        text = source.line_text(line)
        if text.strip():
            if explicit:
                # the indicator counts from the parent's indentation, which is that of the key's line
                parent = len(source.line_text(scalar.span.line)) - len(source.line_text(scalar.span.line).lstrip(" "))
                return parent + int(explicit.group())
            return len(text) - len(text.lstrip(" "))
    return None
