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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Union

from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.reader import Reader
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


@dataclass(frozen=True)
class Span:
    """Where a node stands: 1-based lines and columns, and 0-based character offsets into the file text."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int


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

    def entries(self) -> Iterator[tuple[Scalar, Node]]:
        """The effective string-keyed entries, as YAML-to-JSON conversion sees them.

        Merge keys (`<<`) are expanded, explicit keys win over merged ones, and of repeated keys the last wins,
        which is what Kubernetes' YAML decoding keeps.
        """
        seen: dict[str, tuple[Scalar, Node]] = {}
        for key, value in _merged_pairs(self, set()):
            if isinstance(key, Scalar):
                seen.pop(key.value, None)
                seen[key.value] = (key, value)
        yield from seen.values()

    def get(self, key: str) -> Node | None:
        entry = self.entry(key)
        return entry[1] if entry else None

    def entry(self, key: str) -> tuple[Scalar, Node] | None:
        found = None
        for k, v in self.entries():
            if k.value == key:
                found = (k, v)
        return found


Node = Union[Scalar, Sequence, Mapping]


def _merged_pairs(mapping: Mapping, active: set[int]) -> list[tuple[Node, Node]]:
    """Pairs of a mapping with `<<` merges applied: merged entries first, so explicit ones override them."""
    if id(mapping) in active:
        return []
    active = active | {id(mapping)}
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    for key, value in mapping.pairs:
        if isinstance(key, Scalar) and key.is_plain and key.value == MERGE_KEY:
            sources = value.items if isinstance(value, Sequence) else [value]
            # In a sequence of merged mappings the earlier ones take precedence: add them last.
            for source in reversed(sources):
                if isinstance(source, Mapping):
                    merged.extend(_merged_pairs(source, active))
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


class _PositionResolver(VersionedResolver):
    """Leaves plain scalars untyped: YAML 1.2 and Kubernetes (YAML 1.1 via go-yaml) disagree on `yes` or `on`."""

    _plain = Tag(suffix=PLAIN_TAG)

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
        if kind is ScalarNode:
            return self._plain if implicit[0] else self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


class _PureComposer(Reader, Scanner, Parser, Composer, _PositionResolver):
    def __init__(self, stream: str) -> None:
        self.comment_handling = None
        self.max_depth = 0  # no limit here: nesting is bounded by the converter, which does not recurse
        Reader.__init__(self, stream, loader=self)
        Scanner.__init__(self, loader=self)
        Parser.__init__(self, loader=self)
        Composer.__init__(self, loader=self)
        _PositionResolver.__init__(self, None, self)


if _CParser is not None:

    class _CComposer(_CParser, _PositionResolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _PositionResolver.__init__(self, None, self)


def c_parser_available() -> bool:
    return _CParser is not None


_DOC_START = re.compile(r"---(?=[ \t\r\n\x85\u2028\u2029]|$)")
_DOC_END = re.compile(r"\.\.\.(?=[ \t\r\n\x85\u2028\u2029]|$)")
_PREAMBLE = re.compile(r"\s*(?:[%#].*)?")


def split_documents(source: SourceText) -> list[tuple[int, int]]:
    """Cut a stream into chunks of one document each, by the `---` and `...` markers at column 0.

    The markers are reserved at the start of a line in every YAML context (no scalar may contain them there),
    so this text split is exact; it lets one document fail to parse without hiding the others. A chunk holding
    only directives, comments or blank lines is joined to the next, since directives belong to what follows.
    """
    cuts = [0]
    for line in range(2, source.line_count + 1):
        start = source.line_start(line)
        if _DOC_START.match(source.text, start):
            cuts.append(start)
    for line in range(1, source.line_count + 1):
        start = source.line_start(line)
        if _DOC_END.match(source.text, start) and line < source.line_count:
            cuts.append(source.line_start(line + 1))
    cuts = sorted(set(cuts)) + [len(source.text)]
    chunks: list[tuple[int, int]] = []
    pending = None
    for begin, end in zip(cuts, cuts[1:]):
        if pending is not None:
            begin = pending
            pending = None
        body = source.text[begin:end]
        if all(_PREAMBLE.fullmatch(line) for line in body.splitlines()) and end < len(source.text):
            if any(line.lstrip().startswith("%") for line in body.splitlines()):
                pending = begin
                continue
        chunks.append((begin, end))
    return chunks


def load_documents(source: SourceText, use_c: bool = True) -> list[Document]:
    """Parse every document of a file, each on its own, with positions relative to the whole file."""
    documents: list[Document] = []
    for begin, end in split_documents(source):
        chunk = source.text[begin:end]
        first = source.position(begin).line
        last = source.position(max(begin, end - 1)).line
        nodes, error = _compose(chunk, use_c)
        if error is not None and use_c and _CParser is not None:
            nodes, error = _compose(chunk, False)  # the pure parser words the error
        if error is not None:
            problem = _problem(error, source, begin)
            documents.append(Document(len(documents), first, last, begin, end, syntax_error=problem))
            continue
        for raw in nodes:
            converter = _Converter(source, begin)
            root = converter.convert(raw)
            documents.append(
                Document(len(documents), first, last, begin, end, root=root, duplicates=converter.duplicates)
            )
    return documents


def _compose(chunk: str, use_c: bool) -> tuple[list[object], YAMLError | None]:
    composer = _CComposer(chunk) if use_c and _CParser is not None else _PureComposer(chunk)
    nodes: list[object] = []
    try:
        while composer.check_node():
            nodes.append(composer.get_node())
    except YAMLError as err:
        return nodes, err
    finally:
        if hasattr(composer, "dispose"):
            composer.dispose()
    return nodes, None


def _problem(err: YAMLError, source: SourceText, offset: int) -> SyntaxProblem:
    """The parser's words and marks, with positions from the file's own line table (parsers disagree on
    how to count a final line break; their character indexes agree)."""
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


class _Converter:
    """Turns composed ruamel nodes into vmlint nodes, once per node even when aliases share it."""

    def __init__(self, source: SourceText, offset: int) -> None:
        self.source = source
        self.offset = offset
        self.duplicates: list[DuplicateKey] = []
        self._done: dict[int, Node] = {}

    def span(self, raw: object) -> Span:
        start = self.offset + raw.start_mark.index  # type: ignore[attr-defined]
        end = self.offset + raw.end_mark.index  # type: ignore[attr-defined]
        begin, stop = self.source.position(start), self.source.position(end)
        return Span(begin.line, begin.column, stop.line, stop.column, start, end)

    def convert(self, raw: object) -> Node:
        """Convert iteratively: documents may nest deeper than Python's recursion limit."""
        root_holder: list[Node] = []
        stack: list[tuple[object, list, int]] = [(raw, root_holder, -1)]
        while stack:
            item, target, slot = stack.pop()
            known = self._done.get(id(item))
            if known is not None:
                _place(target, slot, known)
                continue
            tag = str(item.tag)  # type: ignore[attr-defined]
            if isinstance(item, ScalarNode):
                span = self.span(item)
                if tag == PLAIN_TAG and _NON_SPECIFIC_TAG.match(self.source.text, span.start, span.end):
                    tag = STR_TAG  # `! 30` is a string: the non-specific tag turns implicit typing off
                node: Node = Scalar(item.value, tag, item.style or "", span)
            elif isinstance(item, SequenceNode):
                node = Sequence([None] * len(item.value), tag, bool(item.flow_style), self.span(item))  # type: ignore[list-item]
                for i, child in enumerate(item.value):
                    stack.append((child, node.items, i))
            elif isinstance(item, MappingNode):
                pairs: list = [[None, None] for _ in item.value]
                node = Mapping(pairs, tag, bool(item.flow_style), self.span(item))
                for i, (key, value) in enumerate(item.value):
                    stack.append((key, pairs[i], 0))
                    stack.append((value, pairs[i], 1))
            else:  # pragma: no cover - the composer makes only these three
                raise TypeError(type(item))
            self._done[id(item)] = node
            _place(target, slot, node)
        for node in self._done.values():
            if isinstance(node, Mapping):
                node.pairs = [tuple(pair) for pair in node.pairs]  # type: ignore[misc]
                self._place_empty_values(node)
                self._find_duplicates(node)
        return root_holder[0]

    def _place_empty_values(self, mapping: Mapping) -> None:
        """Put an empty value just after its key's colon, as libyaml does (the pure parser puts it at the next
        token, possibly lines later), so positions do not depend on the parser."""
        text = self.source.text
        for key, value in mapping.pairs:
            if isinstance(value, Scalar) and value.span.start == value.span.end and value.value == "":
                colon = text.find(":", key.span.end, value.span.start + 1)
                if colon >= 0:
                    at = self.source.position(colon + 1)
                    value.span = Span(at.line, at.column, at.line, at.column, colon + 1, colon + 1)

    def _find_duplicates(self, mapping: Mapping) -> None:
        first: dict[str, Scalar] = {}
        for key, _ in mapping.pairs:
            if not isinstance(key, Scalar) or (key.is_plain and key.value == MERGE_KEY):
                continue
            if key.value in first:
                self.duplicates.append(DuplicateKey(key, first[key.value]))
            else:
                first[key.value] = key


def _place(target: list, slot: int, node: Node) -> None:
    if slot < 0:
        target.append(node)
    else:
        target[slot] = node


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
    begin = source.position(first)
    stop = source.position(last + 1)
    return Span(begin.line, begin.column, stop.line, stop.column, first, last + 1)


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
